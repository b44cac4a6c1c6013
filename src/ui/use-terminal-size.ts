/**
 * The terminal's size. Nothing is printed again on a resize: the terminal re-wraps what is in its scrollback, the live
 * region is laid out again at the new width, and terminal.ts erases the old frame by rows at the new width.
 */
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

/** Current columns and rows. */
export function useTerminalSize(): { width: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => ({ width: stdout.columns || 80, rows: stdout.rows || 24 }));
  useEffect(() => {
    const onResize = (): void => setSize({ width: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);
  return size;
}
