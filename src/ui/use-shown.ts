/**
 * When a question that answers keys (an approval, the `!command` confirmation) is really on screen. Ink draws at most
 * 30 frames a second, so the commit that raises a question can wait up to a frame before the terminal shows it: a key
 * read in that window was typed at the prompt the user still saw (type-ahead while an answer streams), and must go
 * there, never answer a question nobody has seen yet.
 *
 * The answer is read when a key arrives (a function over a ref, see useKeyPresses' `isActive`), not from React state:
 * waiting for a re-render after the frame was drawn would hand keys typed at a visible question to the prompt.
 */
import { useStdout } from 'ink';
import { useCallback, useInsertionEffect, useLayoutEffect, useRef } from 'react';
import { TerminalOutput } from './terminal.js';

/** A function telling whether the frame showing `item` has been written (without a TerminalOutput: once committed). */
export function useShown(item: object | undefined): () => boolean {
  const { stdout } = useStdout();
  const terminal = stdout instanceof TerminalOutput ? stdout : undefined;
  const latest = useRef(item);
  latest.current = item;
  const shown = useRef<object | undefined>(undefined);
  // Marks the commit before Ink renders it, so afterDraw waits for this commit's frame, not the one on screen.
  useInsertionEffect(() => {
    if (item) terminal?.willPrint();
  }, [item, terminal]);
  useLayoutEffect(() => {
    if (!item) return;
    let current = true;
    const show = (): void => {
      if (current) shown.current = item;
    };
    if (terminal) terminal.afterDraw(show);
    else show();
    return () => {
      current = false;
    };
  }, [item, terminal]);
  return useCallback(() => latest.current !== undefined && shown.current === latest.current, []);
}
