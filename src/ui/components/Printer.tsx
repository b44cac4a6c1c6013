/**
 * Prints finished lines once, above the live region, then reports them printed so the state can drop them: finished
 * history lives in the terminal's scrollback, not in memory. The lines go to the terminal directly (Screen.print, see
 * terminal.ts), not through <Static>, whose per-character layout of every printed line would cost more than the rest
 * of the chat together.
 */
import { memo, useInsertionEffect, useLayoutEffect, useRef } from 'react';
import type { PrintItem } from '../chat-state.js';

/** Props of the printer. */
export interface PrinterProps {
  items: readonly PrintItem[];
  /** Where the lines go. */
  print: (text: string) => void;
  /** Called with the id of the last item printed. */
  onPrinted: (id: number) => void;
  /** Told when a commit bringing items is applied, before Ink draws it (see TerminalOutput.willPrint). */
  onCommit?: (() => void) | undefined;
}

function PrinterImpl({ items, print, onPrinted, onCommit }: PrinterProps) {
  const done = useRef(-1);
  // In the commit's mutation phase: ahead of Ink's render of it and of the layout effect below.
  useInsertionEffect(() => onCommit?.(), [items, onCommit]);
  // In the commit that brought the items, before anything else is drawn.
  useLayoutEffect(() => {
    let text = '';
    for (const item of items) {
      if (item.id <= done.current) continue;
      text += `${item.lines.join('\n')}\n`;
      done.current = item.id;
    }
    if (!text) return;
    print(text);
    onPrinted(done.current);
  }, [items, print, onPrinted]);
  return null;
}

/** The printer; it renders nothing itself. */
export const Printer = memo(PrinterImpl);
