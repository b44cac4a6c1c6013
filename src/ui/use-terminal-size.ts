/**
 * The terminal's size, debounced (dragging a window edge fires many resize events). On a width change the terminal
 * has already re-flowed (and garbled) what was printed: the screen is cleared and `layoutEpoch` bumped, so the
 * <Static> history is printed again at the new width.
 */
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

const RESIZE_DEBOUNCE_MS = 120;

/** Clears the screen and the scrollback and homes the cursor. */
export const CLEAR_SCREEN = '\x1b[2J\x1b[3J\x1b[H';

/** Current columns and rows, plus an epoch that changes whenever the history has to be printed again. */
export function useTerminalSize(): { width: number; rows: number; layoutEpoch: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => ({ width: stdout.columns || 80, rows: stdout.rows || 24 }));
  const [layoutEpoch, setLayoutEpoch] = useState(0);
  useEffect(() => {
    let timer: NodeJS.Timeout | undefined;
    let width = stdout.columns || 80;
    const onResize = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const next = { width: stdout.columns || 80, rows: stdout.rows || 24 };
        if (next.width !== width) {
          width = next.width;
          stdout.write(CLEAR_SCREEN);
          setLayoutEpoch((n) => n + 1);
        }
        setSize(next);
      }, RESIZE_DEBOUNCE_MS);
    };
    stdout.on('resize', onResize);
    return () => {
      clearTimeout(timer);
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return { ...size, layoutEpoch };
}
