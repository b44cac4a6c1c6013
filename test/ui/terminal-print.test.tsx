/**
 * Lines printed above the live frame and the frames Ink draws, interleaved the way a streamed answer interleaves them
 * (renders Ink draws at once, renders its throttle holds back, two commits in one task), replayed into a headless xterm
 * and checked after every single write: a row is never on screen twice (printed, and still live in a frame from before
 * the commit that printed it), and the live region is gone once the app has exited. Fake timers drive Ink's throttle,
 * so every interleaving is the same on every run.
 */
import { Box, Text, useStdout } from 'ink';
import { useCallback } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PrintItem } from '../../src/ui/chat-state.js';
import { Printer } from '../../src/ui/components/Printer.js';
import { TerminalOutput } from '../../src/ui/terminal.js';
import { renderInTerminal } from './terminal-render.js';

/** A streamed paragraph's screen, wired as ChatScreen wires it: finished rows printed, the rest live, a prompt box. */
function Stream({ print, live }: { print: readonly PrintItem[]; live: readonly string[] }) {
  const { stdout } = useStdout();
  const terminal = stdout as unknown as TerminalOutput;
  const toScreen = useCallback((text: string) => terminal.print(text), [terminal]);
  return (
    <Box flexDirection="column">
      <Printer items={print} print={toScreen} onPrinted={() => {}} onCommit={terminal.willPrint} />
      {live.map((line, i) => (
        <Text key={i}>{line}</Text>
      ))}
      <Text>╭────╮</Text>
      <Text>│ ❯ │</Text>
      <Text>╰────╯</Text>
    </Box>
  );
}

const rows = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `row ${from + i}`);

/** The rows on screen or in the scrollback more than once. */
function twice(text: string): string[] {
  const seen = new Map<string, number>();
  for (const m of text.matchAll(/row \d+/g)) seen.set(m[0], (seen.get(m[0]) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([row]) => row);
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('printing above the live frame', () => {
  it('a printed row is never on screen twice, whether Ink draws the printing commit at once or later', async () => {
    const seenTwice = new Set<string>();
    let text = (): string => '';
    const ui = renderInTerminal(<Stream print={[]} live={rows(0, 3)} />, {
      columns: 40,
      rows: 12,
      afterWrite: () => twice(text()).forEach((row) => seenTwice.add(row)),
    });
    text = ui.text;
    let printed: PrintItem[] = [];
    for (let step = 1; step <= 24; step++) {
      // One commit grows the live rows, the next moves the first one into the scrollback: in the same task (a batch
      // of events and the acknowledgement of what was printed), or apart; Ink's throttle (33 ms) then draws the
      // printing commit at once or holds it back.
      ui.rerender(<Stream print={printed} live={rows(step - 1, step + 3)} />);
      if (step % 2 === 0) await vi.advanceTimersByTimeAsync(step % 4 === 0 ? 40 : 5);
      printed = [...printed, { id: step, lines: [`row ${step - 1}`] }];
      ui.rerender(<Stream print={printed} live={rows(step, step + 3)} />);
      if (step % 3 === 0) await vi.advanceTimersByTimeAsync(step % 6 === 0 ? 40 : 10);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect([...seenTwice]).toEqual([]);
    const order = [...ui.text().matchAll(/row (\d+)/g)].map((m) => Number(m[1]));
    expect(order).toEqual(Array.from({ length: 27 }, (_, i) => i));
    ui.unmount();
  });

  it('on exit the live region is erased: the last printed row is the last line on screen', async () => {
    const ui = renderInTerminal(<Stream print={[{ id: 1, lines: ['row 0', 'row 1'] }]} live={rows(2, 4)} />, {
      columns: 40,
      rows: 12,
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(ui.screen()).toContain('╰────╯');
    ui.unmount();
    await vi.advanceTimersByTimeAsync(100);
    await ui.exited;
    expect(ui.screen()).not.toContain('╰────╯');
    expect(ui.text().split('\n').at(-1)).toBe('row 1');
  });
});
