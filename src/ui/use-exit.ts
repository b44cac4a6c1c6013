/**
 * Leaving the app without printing the last finished items twice. Ink's exit() renders a final frame at once; called
 * from an effect of the commit that moved items into <Static>, that frame still holds them (Static drops rendered
 * items in a re-render React runs after the effects), so they would be written again. Unmounting on the next
 * macrotask lets that re-render land first.
 */
import { useApp } from 'ink';
import { useCallback } from 'react';

export function useExit(): () => void {
  const { exit } = useApp();
  return useCallback(() => void setImmediate(() => exit()), [exit]);
}
