/**
 * The interactive chat over a long session and per streamed token: bytes written to the terminal per token (Ink in a
 * pty vs `--plain` to a pipe, same answer at a model's pace), and the resident memory of a conversation after many
 * long answers (finished history lives in the terminal's scrollback, not in the process).
 *
 *   npm run build && node --import tsx bench/ui-session.ts [turns] [tokens]
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { startPty } from '../test/pty/terminal.js';
import { benchTempDir, rssMb } from './lib.js';
import { longAnswer } from './ui-pty.js';

const BIN = process.env.UI_BENCH_BIN || resolve(import.meta.dirname, '../bin/agentor.js');

function env(): NodeJS.ProcessEnv {
  const home = benchTempDir('agentor-bench-session-');
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: join(home, 'c'),
    XDG_STATE_HOME: join(home, 's'),
    OPENAI_API_KEY: 'test',
    TERM: 'xterm-256color',
  };
  for (const k of ['OPENAI_BASE_URL', 'AGENTOR_MODEL', 'NO_COLOR', 'CI']) delete e[k];
  return e;
}

/** Bytes written per streamed token: Ink in an 80x24 pty vs `--plain` to a pipe, `tokens` tokens `delayMs` apart. */
export async function measureBytesPerToken(tokens = 2000, delayMs = 5): Promise<{ ink: number; plain: number }> {
  const fake = await startFakeOpenAI({ tokenDelayMs: delayMs });
  try {
    fake.enqueue({ text: longAnswer(tokens) });
    const t = startPty(['chat', '--base-url', fake.url, 'write a long answer'], { env: env(), cols: 80, rows: 24 });
    await t.exit;
    const ink = Buffer.byteLength(t.raw());
    fake.enqueue({ text: longAnswer(tokens) });
    const plain = await new Promise<number>((res, rej) => {
      const child = spawn(process.execPath, [BIN, 'chat', '--plain', '--base-url', fake.url, 'write a long answer'], {
        env: env(),
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let bytes = 0;
      child.stdout.on('data', (d: Buffer) => (bytes += d.length));
      child.on('error', rej);
      child.on('close', () => res(bytes));
    });
    return { ink: ink / tokens, plain: plain / tokens };
  } finally {
    await fake.close();
  }
}

/** RSS (MB) of the interactive chat at its prompt, and after `turns` answers of `tokens` tokens each. */
export async function measureSessionRss(turns = 60, tokens = 2000): Promise<{ start: number; end: number }> {
  const fake = await startFakeOpenAI({ fallback: { text: longAnswer(tokens) } });
  const t = startPty(['chat', '--base-url', fake.url], { env: env(), cols: 100, rows: 30 });
  try {
    await t.waitFor('/help for commands', 15_000);
    const start = rssMb(t.pty.pid).rss;
    const done = /✓ [\d.]+m?s · \d+ tokens/g;
    let seen = 0;
    for (let i = 0; i < turns; i++) {
      t.write(`question ${i}\r`);
      // The scrollback keeps only so much: count the end lines in the byte stream instead.
      await new Promise<void>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`turn ${i} did not end`)), 60_000);
        const check = setInterval(() => {
          const found = t.raw().match(done)?.length ?? 0;
          if (found > seen) {
            seen = found;
            clearInterval(check);
            clearTimeout(timer);
            res();
          }
        }, 20);
      });
    }
    await t.waitFor(/\/help for commands[^\n]*\s*$/);
    return { start, end: rssMb(t.pty.pid).rss };
  } finally {
    t.kill();
    await fake.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const turns = Number(process.argv[2] ?? 60);
  const tokens = Number(process.argv[3] ?? 2000);
  const bytes = await measureBytesPerToken();
  process.stdout.write(`bytes per token: Ink ${bytes.ink.toFixed(1)} · plain ${bytes.plain.toFixed(1)}\n`);
  const rss = await measureSessionRss(turns, tokens);
  process.stdout.write(
    `RSS: ${rss.start.toFixed(0)} MB at the prompt, ${rss.end.toFixed(0)} MB after ${turns} turns of ${tokens} tokens\n`,
  );
  process.exit(0);
}
