/**
 * Leaving the app on the next macrotask, not from inside the effect that decides to leave (App's `finished`). Ink's
 * exit() draws its final frame and unmounts the tree at once with a synchronous flush, which React does not run while
 * it is running a commit's effects (the unmount would land later, after Ink has already drawn and resolved
 * waitUntilExit). Leaving once the commit is done keeps the order plain: every update the ending commit queued (the
 * Printer's `printed` acknowledgement, a state the last frame shows) has been applied before Ink draws its final frame
 * and tears the tree down.
 */
import { useApp } from 'ink';
import { useCallback } from 'react';

export function useExit(): () => void {
  const { exit } = useApp();
  return useCallback(() => void setImmediate(() => exit()), [exit]);
}
