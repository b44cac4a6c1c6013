/**
 * Prints lines once, above the live region, through Ink's <Static>, then reports them printed so the state can drop
 * them: finished history lives in the terminal's scrollback, not in memory. Each batch gets a <Static> of its own
 * (keyed by its first id), so items may leave the list without <Static>'s own "already printed" count going wrong.
 */
import { Static, Text } from 'ink';
import { memo, useEffect, useLayoutEffect, useMemo, useState } from 'react';
import type { PrintItem } from '../chat-state.js';

/** Props of the printer. */
export interface PrinterProps {
  items: readonly PrintItem[];
  /** Called with the id of the last item printed. */
  onPrinted: (id: number) => void;
}

function PrinterImpl({ items, onPrinted }: PrinterProps) {
  const [done, setDone] = useState(-1);
  const fresh = useMemo(() => items.filter((i) => i.id > done), [items, done]);
  // In the commit that prints them, so that the very next render has an empty <Static> (nothing printed twice).
  useLayoutEffect(() => {
    const last = fresh.at(-1);
    if (last) setDone(last.id);
  }, [fresh]);
  useEffect(() => {
    if (done >= 0) onPrinted(done);
  }, [done, onPrinted]);
  return (
    <Static key={fresh[0]?.id ?? 'none'} items={fresh}>
      {(item) => <Text key={item.id}>{item.lines.join('\n') || ' '}</Text>}
    </Static>
  );
}

/** The printer; re-rendered only when its items change (a key press or a clock tick leaves it alone). */
export const Printer = memo(PrinterImpl);
