/**
 * Renders an Ink element the way the CLI does in a terminal — through TerminalOutput, into a headless xterm.js — so
 * a test reads what a person would see: the screen and its scrollback, with every erase and reprint applied.
 */
import xterm from '@xterm/headless';
import { render } from 'ink';
import { EventEmitter } from 'node:events';
import type { ReactElement } from 'react';
import { TerminalOutput } from '../../src/ui/terminal.js';

/** A keyboard for Ink: what is written comes out as key presses. */
class Keyboard extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (data: string): void => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = (): string | null => {
    const { data } = this;
    this.data = null;
    return data;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** A terminal stream that feeds an xterm. */
class Tty extends EventEmitter {
  isTTY = true;
  writableLength = 0;
  writes = 0;
  raw = '';
  constructor(
    public columns: number,
    public rows: number,
    private readonly term: InstanceType<typeof xterm.Terminal>,
    private readonly afterWrite?: () => void,
  ) {
    super();
  }
  write(data: string, cb?: () => void): boolean {
    this.writes++;
    this.raw += data;
    // Synchronously, so that what a test reads right after a render is on screen.
    (this.term as unknown as { _core: { writeSync(d: string): void } })._core.writeSync(data.replace(/\n/g, '\r\n'));
    this.afterWrite?.();
    cb?.();
    return true;
  }
}

/** The element rendered in a terminal of `columns` x `rows`; `afterWrite` runs after each write has reached the screen. */
export function renderInTerminal(
  tree: ReactElement,
  { columns = 100, rows = 24, afterWrite }: { columns?: number; rows?: number; afterWrite?: () => void } = {},
) {
  const term = new xterm.Terminal({
    cols: columns,
    rows,
    scrollback: 100_000,
    allowProposedApi: true,
    logLevel: 'off',
  });
  const tty = new Tty(columns, rows, term, afterWrite);
  const stdin = new Keyboard();
  const out = new TerminalOutput(tty as unknown as NodeJS.WriteStream, true);
  const instance = render(tree, {
    stdout: out as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    exitOnCtrlC: false,
    ...out.inkOptions(),
  });
  // As mount.ts does: the live region is erased when the app has exited.
  const exited = instance.waitUntilExit().then(() => out.dispose());
  const lines = (from: number, to: number): string => {
    const buf = term.buffer.active;
    const out: string[] = [];
    for (let i = from; i < to; i++) out.push(buf.getLine(i)?.translateToString(true) ?? '');
    return out.join('\n').replace(/\n+$/, '');
  };
  return {
    stdin,
    rerender: instance.rerender,
    unmount: instance.unmount,
    /** Resolves once the app has exited and its live region was erased. */
    exited,
    /** Everything on screen and in the scrollback. */
    text: (): string => lines(0, term.buffer.active.length),
    /** The visible screen only. */
    screen: (): string => lines(term.buffer.active.viewportY, term.buffer.active.viewportY + rows),
    /** Every byte written. */
    raw: (): string => tty.raw,
    /** How many writes reached the terminal. */
    writes: (): number => tty.writes,
  };
}
