/**
 * Sessions in a real terminal (node-pty + headless xterm, 80x24, the built CLI against the loopback fake): the short
 * session id in the header, /new, /sessions, /resume with the picker in place of the prompt, the earlier transcript
 * replayed into the scrollback and the conversation continued upstream. Synchronised on screen content only.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cleanup.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { cleanEnv } from '../support/cli.js';
import { startPty, type PtyTerminal } from './terminal.js';

let fake: FakeOpenAI;
const running: PtyTerminal[] = [];
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  for (const t of running) t.kill();
  await fake?.close();
});

/** What the first upstream request since the last reset sent, without the system prompt. */
function firstRequestTexts(): string[] {
  return (fake.requests[0]?.body.messages as Array<{ role: string; content: string }>)
    .filter((m) => m.role !== 'system')
    .map((m) => m.content);
}

/** The CLI's environment with its config and state under `home` (two runs share them). */
function env(home: string): NodeJS.ProcessEnv {
  return cleanEnv({
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_STATE_HOME: join(home, 'state'),
    OPENAI_API_KEY: 'test',
  });
}

describe('sessions in a real terminal', () => {
  it('chat --resume without an id opens the picker; the chosen session is replayed and continued', async () => {
    const home = tempDir('agentor-pty-resume-');
    const once = startPty(['chat', '--base-url', fake.url, 'name a prime number'], {
      env: env(home),
      cols: 80,
      rows: 24,
      cwd: home,
    });
    running.push(once);
    fake.enqueue({ text: ['Seven is prime.'] });
    await once.waitFor('Seven is prime.');
    expect((await once.exit).exitCode).toBe(0);

    const t = startPty(['chat', '--resume', '--base-url', fake.url], { env: env(home), cols: 80, rows: 24, cwd: home });
    running.push(t);
    await t.waitFor('Resume a session');
    await t.waitFor(/❯ name a prime number\s+just now · 1 msg/);
    t.write('\r');
    await t.waitFor('── resumed ──');
    await t.waitFor('Seven is prime.');
    await t.waitFor('↑↓ history');
    fake.requests.length = 0;
    fake.enqueue({ text: ['Eleven.'] });
    t.write('another one?\r');
    await t.waitFor('Eleven.');
    const sent = firstRequestTexts();
    expect(sent).toEqual(['name a prime number', 'Seven is prime.', 'another one?']);
    t.write('\x04');
    expect((await t.exit).exitCode).toBe(0);
  });

  it('/new, /sessions and /resume with the picker: the old transcript comes back and the conversation goes on', async () => {
    const home = tempDir('agentor-pty-sessions-');
    const state = join(home, 'state');
    const t = startPty(['chat', '--base-url', fake.url], {
      env: env(home),
      cols: 80,
      rows: 24,
      cwd: home,
    });
    running.push(t);
    await t.waitFor(/session [0-9a-f]{8}/);
    const first = /session ([0-9a-f]{8})/.exec(t.text())?.[1] as string;

    fake.enqueue({ text: ['The capital of France is **Paris**.'] });
    t.write('capital of France?');
    t.write('\r');
    await t.waitFor('The capital of France is Paris.');

    t.write('/new\r');
    await t.waitFor(`the previous one is kept: /resume ${first}`);
    // The header comes again, with the new session's id, right above that notice.
    const second = new RegExp(`session ([0-9a-f]{8})\\n+\\s*new session \\1 · the previous one is kept`).exec(
      t.logicalText(),
    )?.[1];
    expect(second).toMatch(/^[0-9a-f]{8}$/);
    expect(second).not.toBe(first);
    fake.enqueue({ text: ['Hello there.'] });
    t.write('just saying hi\r');
    await t.waitFor('Hello there.');

    t.write('/sessions\r');
    await t.waitFor('Sessions of this directory (2; * is this one):');
    await t.waitFor(new RegExp(`  ${first}  just now\\s+1 msg  capital of France\\?`));

    t.write('/resume\r');
    await t.waitFor('Resume a session');
    await t.waitFor('❯ capital of France?');
    t.write('\r');
    await t.waitFor(`resumed session ${first} · 1 message`);
    await t.waitFor('── resumed ──');
    expect(t.logicalText().split(`session ${first}\n`).length - 1).toBe(2); // the first header, and the one now

    fake.requests.length = 0;
    fake.enqueue({ text: ['About 2.1 million people.'] });
    t.write('and its population?\r');
    await t.waitFor('About 2.1 million people.');
    const sent = firstRequestTexts();
    expect(sent).toEqual(['capital of France?', 'The capital of France is **Paris**.', 'and its population?']);

    t.write('\x04');
    expect((await t.exit).exitCode).toBe(0);
    // Both sessions are kept; no lock is left behind.
    const files = readdirSync(join(state, 'agentor', 'sessions')).sort();
    expect(files.filter((f) => f.endsWith('.jsonl'))).toHaveLength(2);
    expect(files.filter((f) => f.endsWith('.lock'))).toEqual([]);
  });
});
