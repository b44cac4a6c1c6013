/**
 * When a panel that answers keys (an approval, the `!command` confirmation) is really on screen. Ink draws at most 30
 * frames a second, so a commit that raises a panel can wait up to a frame before the terminal shows it: a key read in
 * that window was typed at the prompt the user still saw, and must go there, not answer a question nobody has seen.
 */
import { useStdout } from 'ink';
import { useInsertionEffect, useLayoutEffect, useState } from 'react';
import { TerminalOutput } from './terminal.js';

/** True once the frame showing `item` has been written (without a TerminalOutput, once it is committed). */
export function useShown(item: object | undefined): boolean {
  const { stdout } = useStdout();
  const [shown, setShown] = useState<object | undefined>(undefined);
  const terminal = stdout instanceof TerminalOutput ? stdout : undefined;
  // Marks the commit before Ink renders it, so afterDraw waits for this commit's frame, not the one on screen.
  useInsertionEffect(() => {
    if (item) terminal?.willPrint();
  }, [item, terminal]);
  useLayoutEffect(() => {
    if (!item) return;
    let current = true;
    const show = (): void => void (current && setShown(item));
    if (terminal) terminal.afterDraw(show);
    else show();
    return () => {
      current = false;
    };
  }, [item, terminal]);
  return item !== undefined && shown === item;
}
