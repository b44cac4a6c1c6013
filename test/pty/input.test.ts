/**
 * The prompt in a real terminal (node-pty + headless xterm) against the loopback fake OpenAI server: emoji edited by
 * grapheme (what the upstream receives and what history.jsonl keeps), a 300-line bracketed paste (a placeholder, no
 * screen clear while typing after it, the whole text sent, the shell's lines above agentor kept), and several keys
 * written at once (each Enter submits). Synchronised on screen content and server events, never on sleeps.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { BIN, startPty, type PtyTerminal } from './terminal.js';
import { cleanEnv } from '../support/cli.js';

let fake: FakeOpenAI;
const running: PtyTerminal[] = [];
const dirs: string[] = [];
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => {
  for (const t of running.splice(0)) t.kill();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
afterAll(async () => {
  await fake?.close();
});

/** A chat in a pty with its own config and state dirs; `shellLines` lines are printed by a shell before it starts. */
function chat(opts: { cols?: number; rows?: number; shellLines?: number } = {}): { t: PtyTerminal; state: string } {
  const home = mkdtempSync(join(tmpdir(), 'agentor-pty-input-'));
  dirs.push(home);
  const env = cleanEnv({
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_STATE_HOME: join(home, 'state'),
    OPENAI_API_KEY: 'test',
    TERM: 'xterm-256color',
  });
  const shell = `i=1; while [ $i -le ${opts.shellLines ?? 0} ]; do echo "shell line $i"; i=$((i+1)); done; exec "$0" "$@"`;
  const t = startPty(['chat', '--base-url', fake.url], {
    env,
    cols: opts.cols ?? 80,
    rows: opts.rows ?? 24,
    command: ['sh', '-c', shell, process.execPath, BIN],
  });
  running.push(t);
  return { t, state: join(home, 'state') };
}

/** The content of the last user message of the n-th request (0-based). */
function userText(n: number): unknown {
  const body = fake.requests[n]?.body as { messages: Array<{ role: string; content: unknown }> } | undefined;
  return body?.messages.filter((m) => m.role === 'user').at(-1)?.content;
}

describe('the prompt in a real terminal', () => {
  it('x😀, Backspace, Enter: "x" reaches the upstream and history.jsonl, never half an emoji', async () => {
    const { t, state } = chat();
    const before = fake.requests.length;
    fake.enqueue({ text: ['fine'] });
    await t.waitFor('ctrl+c twice to exit');
    t.write('x😀');
    await t.waitFor('❯ x😀');
    t.write('\x7f');
    await t.waitFor(/│ ❯ x +│/);
    t.write('\r');
    await fake.waitForRequests(before + 1);
    expect(userText(before)).toBe('x');
    expect(JSON.stringify(fake.requests[before]?.body)).not.toMatch(/\\ud83d/i);
    await t.waitFor('fine');
    expect(readFileSync(join(state, 'agentor', 'history.jsonl'), 'utf8')).toBe('"x"\n');
    t.write('\x04');
    expect((await t.exit).exitCode).toBe(0);
  });

  it('a 300-line paste is a placeholder; typing after it redraws only the prompt; the whole text is sent', async () => {
    const { t } = chat({ shellLines: 40 });
    const before = fake.requests.length;
    fake.enqueue({ text: ['Read ', 'all of it.'] });
    await t.waitFor('ctrl+c twice to exit');
    expect(t.text()).toContain('shell line 1\n');
    const file = Array.from({ length: 300 }, (_, i) => `line ${String(i).padStart(3, '0')}: ${'x'.repeat(64)}`);
    t.write('explain: ');
    await t.waitFor('❯ explain:');
    const start = t.raw().length;
    // A terminal sends a paste's line breaks as CR, between the bracketed-paste markers.
    t.write(`\x1b[200~${file.join('\r')}\x1b[201~`);
    await t.waitFor('❯ explain: [pasted 300 lines, 22 KB]');
    expect(t.text()).not.toContain('line 150');
    const perKey: number[] = [];
    let typed = '';
    for (const ch of ' please') {
      const mark = t.raw().length;
      typed += ch;
      t.write(ch);
      await t.waitFor(`[pasted 300 lines, 22 KB]${typed}`);
      perKey.push(t.raw().length - mark);
    }
    const afterPaste = t.raw().slice(start);
    expect(afterPaste).not.toContain('\x1b[2J');
    expect(afterPaste).not.toContain('\x1b[3J');
    // Only the prompt is redrawn per key: a few hundred bytes, not the 22 KB paste or the screen.
    expect(Math.max(...perKey)).toBeLessThan(2000);
    t.write('\r');
    await fake.waitForRequests(before + 1);
    expect(userText(before)).toBe(`explain: ${file.join('\n')} please`);
    await t.waitFor('Read all of it.');
    // What the shell printed before agentor started is still there, every line once.
    const text = t.text();
    for (let i = 1; i <= 40; i++) expect(text.split(`shell line ${i}\n`).length - 1, `shell line ${i}`).toBe(1);
    expect(t.raw()).not.toContain('\x1b[2J');
    expect(t.raw()).not.toContain('\x1b[3J');
    t.write('\x04');
    expect((await t.exit).exitCode).toBe(0);
  });

  it('"\\ry" after "!echo one" in one write: the y was typed at the prompt, so it stays there; the question waits', async () => {
    const { t } = chat();
    await t.waitFor('ctrl+c twice to exit');
    // Typed first, so the keys reach a prompt that reads them (raw mode is set once the first frame is drawn).
    t.write('!echo one');
    await t.waitFor('❯ !echo one');
    t.write('\ry');
    await t.waitFor('⏸ run this shell command?');
    await t.waitFor('y run (and later ones in this chat)');
    expect(t.text()).not.toContain('exit 0');
    t.write('y');
    await t.waitFor('✓ exit 0 · the output is in the prompt');
    await t.waitFor('❯ y[output of `echo one`, 1 line]');
    t.write('\x15\x04');
    expect((await t.exit).exitCode).toBe(0);
  });

  it('two !commands read at once: the second waits its turn, never replaces the question about the first', async () => {
    const { t } = chat();
    await t.waitFor('ctrl+c twice to exit');
    t.write('!echo one');
    await t.waitFor('❯ !echo one');
    t.write('\r!echo two\r');
    await t.waitFor('⏸ run this shell command?');
    await t.waitFor('y run (and later ones in this chat)');
    expect(t.screen()).toContain('echo one');
    expect(t.text()).not.toContain('exit 0');
    // y: allowed for this chat, so the queued one runs after it without a question of its own.
    t.write('y');
    await t.waitFor(/✓ exit 0[^]*✓ exit 0/);
    // Both outputs are offered in the prompt, in order.
    await t.waitFor(/\[output of `echo one`, 1 line\][^]*\[output of `echo two`, 1 line\]/);
    expect(t.text().match(/✓ exit 0/g)).toHaveLength(2);
    t.write('\x15\x04');
    expect((await t.exit).exitCode).toBe(0);
  });

  it('keys written at once stay keys: "hi\\r/exit\\r" sends hi, then exits after the answer', async () => {
    const { t } = chat();
    const before = fake.requests.length;
    fake.enqueue({ text: ['Hello ', 'back.'] });
    await t.waitFor('ctrl+c twice to exit');
    t.write('hi\r/exit\r');
    await fake.waitForRequests(before + 1);
    expect(userText(before)).toBe('hi');
    expect((await t.exit).exitCode).toBe(0);
    expect(t.text()).toContain('Hello back.');
    expect(fake.requests).toHaveLength(before + 1);
  });
});
