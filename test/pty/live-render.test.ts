/**
 * Live rendering in a real terminal (node-pty + headless xterm) against the loopback fake OpenAI server, with 300 lines
 * of shell output above agentor in the scrollback. For answers that outgrow the screen — a 700-word paragraph, a
 * 60-line code block wider than the terminal, CJK text, a CJK table taller than the screen, two agents streaming at
 * once, a resize in the middle of a stream — the byte stream must never clear the terminal (no ESC[2J, no ESC[3J),
 * the shell's lines must still be in the scrollback, and every token of the answer must be there exactly once, in
 * order. Synchronised on screen content, never on sleeps.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type FakeReply, type RecordedRequest } from '../support/fake-openai.js';
import { chunks, cjkParagraph, cjkTable, numbersIn, paragraph, richMarkdown, upTo, wideCode } from './content.js';
import { BIN, startPty, type PtyTerminal } from './terminal.js';

const PRE_LINES = 300;
/** Where in the byte stream each terminal was resized (for PTY_DUMP). */
const resizes = new WeakMap<PtyTerminal, Array<{ at: number; cols: number; rows: number }>>();
const DONE = /✓ [\d.]+m?s · \d+ tokens/;

let cwd: string;
const running: PtyTerminal[] = [];
const fakes: FakeOpenAI[] = [];
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'agentor-pty-live-'));
  for (const name of ['alpha', 'beta']) {
    mkdirSync(join(cwd, 'agents'), { recursive: true });
    writeFileSync(join(cwd, 'agents', `${name}.md`), `---\nname: ${name}\n---\nYou are ${name}.\n`);
  }
});
afterEach(async () => {
  for (const t of running.splice(0)) t.kill();
  for (const f of fakes.splice(0)) await f.close();
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

async function fakeWith(fallback: FakeReply | ((req: RecordedRequest) => FakeReply)): Promise<FakeOpenAI> {
  const fake = await startFakeOpenAI({ fallback });
  fakes.push(fake);
  return fake;
}

/**
 * `agentor chat …` started by a shell that first printed PRE_LINES numbered lines; with `then`, the shell goes on
 * after agentor exits and prints `shell: exit <code>`.
 */
function afterShellOutput(args: string[], cols: number, rows: number, then = false): PtyTerminal {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['OPENAI_BASE_URL', 'AGENTOR_MODEL', 'NO_COLOR', 'FORCE_COLOR', 'CI']) delete env[k];
  const home = mkdtempSync(join(cwd, 'home-'));
  const quoted = [process.execPath, BIN, 'chat', ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const run = then ? `${quoted}; echo "shell: exit $?"` : `exec ${quoted}`;
  const script = `for i in $(seq 1 ${PRE_LINES}); do echo "pre-line $i"; done; ${run}`;
  const t = startPty(['-c', script], {
    env: {
      ...env,
      OPENAI_API_KEY: 'test',
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_STATE_HOME: join(home, 'state'),
      TERM: 'xterm-256color',
    },
    cols,
    rows,
    cwd,
    command: ['bash'],
  });
  running.push(t);
  resizes.set(t, []);
  // PTY_DUMP=dir keeps a failed test's byte stream (and its resizes) for a replay into a headless xterm.
  const dump = process.env['PTY_DUMP'];
  if (dump)
    onTestFailed(({ task }) => {
      const name = `${Date.now()}-${task.name.slice(0, 30).replace(/\W+/g, '_')}.json`;
      writeFileSync(join(dump, name), JSON.stringify({ cols, rows, resizes: resizes.get(t), raw: t.raw() }));
    });
  return t;
}

async function resize(t: PtyTerminal, cols: number, rows: number): Promise<void> {
  await t.resize(cols, rows);
  resizes.get(t)?.push({ at: t.raw().length, cols, rows });
}

/** No clear in the byte stream, and the shell's lines all still in the scrollback, once each, in order. */
function expectScrollbackKept(t: PtyTerminal): void {
  expect(t.raw()).not.toContain('\x1b[2J');
  expect(t.raw()).not.toContain('\x1b[3J');
  expect(numbersIn(t.text(), /^pre-line (\d+)$/gm)).toEqual(upTo(PRE_LINES + 1).slice(1));
}

async function ask(t: PtyTerminal, message: string): Promise<void> {
  await t.waitFor('/help', 15_000);
  t.write(message);
  await t.waitFor(`❯ ${message}`);
  t.write('\r');
}

async function leave(t: PtyTerminal): Promise<void> {
  t.write('\x04');
  expect((await t.exit).exitCode).toBe(0);
}

describe.each([
  [80, 24],
  [50, 20],
])('live rendering at %ix%i, below 300 lines of shell output', (cols, rows) => {
  /** The chat in a terminal below shell output, once it has streamed `text` (in chunks) as its answer to `prompt`. */
  async function answered(text: string, prompt: string): Promise<PtyTerminal> {
    const fake = await fakeWith({ text: chunks(text), delayMs: 2 });
    const t = afterShellOutput(['--base-url', fake.url], cols, rows);
    await ask(t, prompt);
    await t.waitFor(DONE, 30_000);
    expectScrollbackKept(t);
    return t;
  }

  it('a 700-word paragraph with no blank line: printed row by row, every word once, in order', async () => {
    const t = await answered(paragraph(700), 'go');
    expect(numbersIn(t.logicalText(), /\bw(\d+)\b/g)).toEqual(upTo(700));
    expect(t.text()).not.toContain('**');
    // No wrapped row starts with the space it was broken at.
    expect(t.text()).not.toMatch(/^ w\d/m);
    await leave(t);
  });

  it('a 60-line code block wider than the terminal: no margin, indentation kept, every line once', async () => {
    const t = await answered(wideCode(60), 'code');
    const text = t.logicalText();
    expect(numbersIn(text, /value_(\d+) =/g)).toEqual(upTo(60));
    expect(numbersIn(text, /\/\/ line (\d+)$/gm)).toEqual(upTo(60));
    // Selectable as code: no margin in front of the lines, their indentation kept.
    expect(text).toMatch(/^const value_0 = /m);
    expect(text).toMatch(/^ {2}const value_1 = /m);
    expect(text).toMatch(/^ {4}const value_2 = /m);
    expect(text).toMatch(/── code 1 · ts ─/);
    expect(text).toContain('That was all of it.');
    await leave(t);
  });

  it('a CJK paragraph: wrapped by display width, every sentence once, in order', async () => {
    const t = await answered(cjkParagraph(150), 'cjk');
    expect(numbersIn(t.logicalText().replace(/\n/g, ''), /第(\d+)句/g)).toEqual(upTo(150));
    // Wide characters are counted as two columns: no row is wider than the terminal.
    for (const line of t.text().split('\n')) expect(line.length).toBeLessThanOrEqual(cols);
    await leave(t);
  });

  it('a CJK table taller than the screen: printed in row blocks, columns lined up by display width', async () => {
    const t = await answered(cjkTable(40), 'table');
    const text = t.logicalText();
    // (A cell narrower than its text wraps inside its column: the number is what is read back.)
    expect(numbersIn(text, /第(\d+)/g)).toEqual(upTo(40));
    expect(text).toContain('表格结束。');
    // Every row's separators sit in the same columns (CJK cells counted as two columns each).
    const widthBefore = (line: string, i: number): number =>
      [...line.slice(0, i)].reduce((n, ch) => n + (/[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1), 0);
    const tableRows = text.split('\n').filter((l) => /第\d+/.test(l) && l.includes('│'));
    const columns = new Set(tableRows.map((l) => widthBefore(l, l.indexOf('│'))));
    expect(columns.size).toBe(1);
    await leave(t);
  });
});

describe('leaving the chat', () => {
  const idle = 'ctrl+c twice to exit';
  it.each([
    ['/exit', [idle, '/exit', '❯ /exit', '\r']],
    ['Ctrl+D at an empty prompt', [idle, '\x04']],
    ['Ctrl+C twice at an empty prompt', [idle, '\x03', 'press Ctrl+C again to exit', '\x03']],
  ])('with %s erases the live region: the shell continues right under the conversation', async (_, keys) => {
    const fake = await fakeWith({ text: 'The answer, in one line.', delayMs: 2 });
    const t = afterShellOutput(['--base-url', fake.url], 80, 24, true);
    await ask(t, 'hello');
    await t.waitFor(DONE, 30_000);
    // Each key once the screen shows what the one before it did.
    for (let i = 0; i < keys.length; i += 2) {
      await t.waitFor(keys[i] as string);
      t.write(keys[i + 1] as string);
    }
    await t.waitFor('shell: exit 0');
    expectScrollbackKept(t);
    const lines = t.text().replace(/\n+$/, '').split('\n');
    // The shell's next line comes right under the last line of the conversation: no prompt box, hint or blank rows.
    expect(lines.at(-1)).toBe('shell: exit 0');
    // A typed command stays in the conversation as typed, like `$ exit` in a shell; keys leave no trace.
    expect(lines.at(-2)).toMatch(keys.includes('/exit') ? /^❯ \/exit$/ : DONE);
    expect(t.text()).not.toMatch(/╭|╰|ctrl\+c twice to exit/);
  });
});

describe('live rendering with two agents and with a resize', () => {
  it('two agents each streaming a long paragraph: both complete, each answer whole and in call order', async () => {
    const fake = await fakeWith((req) => {
      const system = String((req.body as { messages: Array<{ content: string }> }).messages[0]?.content);
      const prefix = system.includes('alpha') ? 'a' : 'b';
      return { text: chunks(paragraph(400, prefix)), delayMs: 2 };
    });
    const t = afterShellOutput(
      ['--base-url', fake.url, '--agent', 'agents/alpha.md', '--agent', 'agents/beta.md'],
      80,
      24,
    );
    await ask(t, 'both');
    await t.waitFor(/2 agents: 2 completed/, 30_000);
    expectScrollbackKept(t);
    const text = t.logicalText();
    expect(numbersIn(text, /\ba(\d+)\b/g)).toEqual(upTo(400));
    expect(numbersIn(text, /\bb(\d+)\b/g)).toEqual(upTo(400));
    // Answers are printed in the order the agents were given, not interleaved.
    expect(text.lastIndexOf('a399')).toBeLessThan(text.indexOf('b0 '));
    expect(text).toMatch(/── alpha · /);
    expect(text).toMatch(/── beta · /);
    await leave(t);
  });

  it('two agents streaming rich markdown: only the transcript is left in the scrollback, no frame of the live region', async () => {
    const fake = await fakeWith({ text: chunks(richMarkdown()), delayMs: 8 });
    const t = afterShellOutput(
      ['--base-url', fake.url, '--agent', 'agents/alpha.md', '--agent', 'agents/beta.md'],
      80,
      24,
    );
    await ask(t, 'both');
    await t.waitFor(/2 agents: 2 completed/, 30_000);
    expectScrollbackKept(t);
    const text = t.text();
    expect(text).not.toContain('printed after');
    expect(text.match(/╭/g)?.length).toBe(1);
    expect(text.match(/^Done\.$/gm)?.length).toBe(2);
    expect(text.match(/^def f\(x\):$/gm)?.length).toBe(2);
    await leave(t);
  });

  it('a resize in the middle of a stream re-wraps the live region and erases nothing before it', async () => {
    const own = await fakeWith({ text: 'unused' });
    own.enqueue({ text: chunks(paragraph(700)), delayMs: 4 });
    const t = afterShellOutput(['--base-url', own.url], 80, 24);
    await ask(t, 'go');
    await t.waitFor(/\bw200\b/, 30_000);
    await resize(t, 50, 20);
    await t.waitFor(/\bw450\b/, 30_000);
    await resize(t, 100, 30);
    await t.waitFor(DONE, 30_000);
    expectScrollbackKept(t);
    expect(numbersIn(t.logicalText(), /\bw(\d+)\b/g)).toEqual(upTo(700));
    await resize(t, 60, 24);
    await t.waitFor(/╭─{58}╮/);
    // What streamed after the resize is laid out at the new width.
    own.enqueue({ text: chunks(paragraph(300, 'x')), delayMs: 2 });
    t.write('more');
    await t.waitFor('❯ more');
    t.write('\r');
    await t.waitFor(/x299[\s\S]*✓ [\d.]+m?s · \d+ tokens/, 30_000);
    const after = t.text().slice(t.text().indexOf('❯ more'));
    for (const line of after.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(numbersIn(t.logicalText(), /\bx(\d+)\b/g)).toEqual(upTo(300));
    expectScrollbackKept(t);
    await leave(t);
  });
});
