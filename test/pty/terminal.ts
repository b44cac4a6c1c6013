/**
 * A real terminal for tests, benchmarks and the README picture: the built CLI runs in a pseudo-terminal (node-pty)
 * and its output drives a headless xterm.js, so assertions see exactly what a person would see on screen.
 */
import xterm from '@xterm/headless';
import { spawn, type IPty } from 'node-pty';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/agentor.js');

/** A CLI running in a pty with its screen emulated. */
export interface PtyTerminal {
  pty: IPty;
  term: InstanceType<typeof xterm.Terminal>;
  /** All lines, scrollback included, as plain text. */
  text(): string;
  /**
   * Like text(), but rows the terminal wrapped (a line longer than the screen, or one re-wrapped by a resize) are
   * joined back into the line they belong to.
   */
  logicalText(): string;
  /** Only the visible screen. */
  screen(): string;
  /** Raw bytes the program wrote. */
  raw(): string;
  /** Resolves when the screen (scrollback included) matches; rejects after `timeoutMs` with the screen in the message. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  write(data: string): void;
  /**
   * Resizes the terminal at a point in the byte stream where every byte before it was written for the old size and
   * every byte after it for the new one (the program erases by rows counted at the width it reads from the kernel):
   * the program is stopped (SIGSTOP), the kernel's size changed, a marker written to the pty's slave side after its
   * output, and the screen re-wrapped once everything up to the marker is on it; then the program goes on and is told
   * (SIGWINCH). A terminal emulator re-wraps whenever it resizes, so a frame in flight then can be left half-erased:
   * no program can avoid that, and a test that stumbled on it would test the timing of the machine.
   */
  resize(cols: number, rows: number): Promise<void>;
  exit: Promise<{ exitCode: number; signal?: number }>;
  kill(): void;
}

/** Starts `node bin/agentor.js …args` in a pty of the given size. */
export function startPty(
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cols?: number; rows?: number; cwd?: string; command?: string[] },
): PtyTerminal {
  // bin/agentor.js runs the bundle: without it every terminal would show a stack trace instead of the chat.
  if (!existsSync(resolve(import.meta.dirname, '../../dist/bundle/cli.cjs')))
    throw new Error('build first: npm run build');
  const cols = opts.cols ?? 100;
  const rows = opts.rows ?? 30;
  const term = new xterm.Terminal({ cols, rows, scrollback: 5000, allowProposedApi: true });
  const [file, ...pre] = opts.command ?? [process.execPath, BIN];
  const pty = spawn(file as string, [...pre, ...args], {
    name: 'xterm-256color',
    cols,
    rows,
    cwd: opts.cwd ?? process.cwd(),
    env: opts.env,
  });
  let raw = '';
  const waiters = new Set<() => void>();
  /** While a resize waits for its marker: what came in, not on screen yet. */
  let held: { text: string; marker: string; done: (before: string, after: string) => void } | undefined;
  const show = (d: string): void =>
    term.write(d, () => {
      for (const w of [...waiters]) w();
    });
  pty.onData((d) => {
    if (held) {
      held.text += d;
      const at = held.text.indexOf(held.marker);
      if (at === -1) return;
      const { text, marker, done } = held;
      held = undefined;
      done(text.slice(0, at), text.slice(at + marker.length));
      return;
    }
    raw += d;
    show(d);
  });
  const exit = new Promise<{ exitCode: number; signal?: number }>((res) =>
    pty.onExit((e) => {
      // Let xterm finish parsing what is queued before anyone reads the final screen.
      term.write('', () => {
        res(e);
        for (const w of [...waiters]) w();
      });
    }),
  );
  let exited = false;
  void exit.then(() => (exited = true));
  const lines = (from: number, to: number): string => {
    const buf = term.buffer.active;
    const out: string[] = [];
    for (let i = from; i < to; i++) out.push(buf.getLine(i)?.translateToString(true) ?? '');
    return out.join('\n');
  };
  const text = (): string => lines(0, term.buffer.active.length);
  const logicalText = (): string => {
    const buf = term.buffer.active;
    let out = '';
    for (let i = 0; i < buf.length; i++) {
      const line = buf.getLine(i);
      if (!line) continue;
      if (i > 0 && !line.isWrapped) out += '\n';
      out += line.translateToString(!buf.getLine(i + 1)?.isWrapped);
    }
    return out;
  };
  const screen = (): string => lines(term.buffer.active.viewportY, term.buffer.active.viewportY + rows);
  const matches = (p: RegExp | string): boolean => (typeof p === 'string' ? text().includes(p) : p.test(text()));
  return {
    pty,
    term,
    text,
    logicalText,
    screen,
    raw: () => raw,
    write: (data) => pty.write(data),
    resize: (c, r) =>
      new Promise<void>((res) => {
        process.kill(pty.pid, 'SIGSTOP');
        pty.resize(c, r);
        const marker = `\x00resize-${c}x${r}-${Date.now()}\x00`;
        held = {
          text: '',
          marker,
          done: (before, after) => {
            raw += before;
            show(before);
            // Re-wrapped once what came before the marker is on screen (xterm parses writes in order).
            term.write('', () => {
              term.resize(c, r);
              raw += after;
              if (after) show(after);
              process.kill(pty.pid, 'SIGCONT');
              res();
            });
          },
        };
        writeFileSync((pty as unknown as { ptsName: string }).ptsName, marker);
      }),
    exit,
    kill: () => {
      if (!exited) pty.kill();
    },
    waitFor(pattern, timeoutMs = 10_000) {
      if (matches(pattern)) return Promise.resolve();
      return new Promise<void>((res, rej) => {
        const check = (): void => {
          if (matches(pattern)) {
            cleanup();
            res();
          } else if (exited) {
            cleanup();
            rej(new Error(`the program exited before ${String(pattern)} appeared; screen:\n${text()}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          rej(new Error(`timed out waiting for ${String(pattern)}; screen:\n${screen()}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
  };
}
