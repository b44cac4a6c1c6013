/**
 * The approval panel in a real terminal (node-pty + headless xterm, 80x24), with the real MCP stdio fixture whose
 * write_note is not read-only and appends to a file: `y` runs the call once, `n` with a typed reason denies it (the
 * model is told the reason), Esc cancels the run, `a` allows the tool for the rest of the session (the next call runs
 * without asking). Synchronised on screen content and the fake's requests, never on sleeps.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cleanup.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { cleanEnv } from '../support/cli.js';
import { startPty, type PtyTerminal } from './terminal.js';

const FIXTURE = resolve(import.meta.dirname, '../support/mcp-stdio-server.ts');
let fake: FakeOpenAI;
let t: PtyTerminal | undefined;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  t?.kill();
  await fake?.close();
});

const note = (text: string, answer: string) =>
  fake.enqueue({ toolCalls: [{ id: `call_${text}`, name: 'write_note', arguments: { text } }] }, { text: answer });

/** What the model was told write_note returned, in its latest request. */
function lastToolMessage(): string {
  const messages = fake.requests.at(-1)?.body.messages as Array<{ role: string; content: string }>;
  return messages.filter((m) => m.role === 'tool').at(-1)?.content ?? '';
}

describe('the approval panel', () => {
  it('y once, n with a reason, Esc cancels, a always', async () => {
    const dir = tempDir('agentor-pty-approvals-');
    const notes = join(dir, 'notes.txt');
    const mcp = join(dir, 'mcp.json');
    writeFileSync(
      mcp,
      JSON.stringify({
        mcpServers: {
          fixture: {
            command: process.execPath,
            args: ['--import', 'tsx', FIXTURE],
            cwd: resolve(import.meta.dirname, '../..'),
            env: { MCP_FIXTURE_NOTES: notes },
          },
        },
      }),
    );
    t = startPty(['chat', '--base-url', fake.url, '--mcp-config', mcp], {
      env: cleanEnv({
        XDG_CONFIG_HOME: join(dir, 'config'),
        XDG_STATE_HOME: join(dir, 'state'),
        OPENAI_API_KEY: 'test',
        TERM: 'xterm-256color',
      }),
      cols: 80,
      rows: 24,
      cwd: dir,
    });
    const wrote = (): string => (existsSync(notes) ? readFileSync(notes, 'utf8') : '');
    await t.waitFor('❯');

    // y: allowed once.
    note('milk', 'Noted milk.');
    t.write('note milk\r');
    await t.waitFor('⏸ waiting for your approval: run write_note?');
    await t.waitFor('text: milk');
    await t.waitFor('y allow once · a always allow write_note in this session · n deny · esc cancel');
    expect(wrote()).toBe('');
    t.write('y');
    await t.waitFor('✓ allowed write_note once');
    await t.waitFor('Noted milk.');
    expect(wrote()).toBe('milk\n');

    // Enter and y in one write: the y was typed at the prompt before the question was on screen, so it does not
    // answer it; it stays in the prompt. The question waits for a key of its own.
    note('bread', 'Noted bread.');
    t.write('note bread\ry');
    await t.waitFor('text: bread');
    await t.waitFor('y allow once · a always allow write_note in this session · n deny · esc cancel');
    expect(wrote()).toBe('milk\n');
    expect(t.screen()).not.toContain('Noted bread.');
    t.write('y');
    await t.waitFor('Noted bread.');
    expect(wrote()).toBe('milk\nbread\n');
    await t.waitFor(/│ ❯ y +│/);
    t.write('\x15');
    await t.waitFor(/│ ❯ +│/);

    // n + a reason: denied, and the model reads why.
    note('eggs', 'Understood.');
    t.write('note eggs\r');
    await t.waitFor('text: eggs');
    t.write('n');
    await t.waitFor('why not? (for the model, optional) ❯');
    t.write('no eggs today');
    await t.waitFor('no eggs today█');
    t.write('\r');
    await t.waitFor('✗ denied write_note: no eggs today');
    await t.waitFor('Understood.');
    expect(lastToolMessage()).toBe('Error: the user denied this call: no eggs today');
    expect(wrote()).toBe('milk\nbread\n');

    // Esc: the run is cancelled while it waits.
    fake.enqueue({ toolCalls: [{ id: 'call_jam', name: 'write_note', arguments: { text: 'jam' } }] });
    t.write('note jam\r');
    await t.waitFor('text: jam');
    t.write('\x1b');
    await t.waitFor('⏹ cancelled');
    expect(t.screen()).not.toContain('waiting for your approval');
    expect(wrote()).toBe('milk\nbread\n');

    // a: allowed for the session; the next call of the tool runs without asking.
    note('tea', 'Noted tea.');
    t.write('note tea\r');
    await t.waitFor('text: tea');
    t.write('a');
    await t.waitFor('✓ allowed write_note for this session');
    await t.waitFor('Noted tea.');
    note('honey', 'Noted honey.');
    t.write('note honey\r');
    await t.waitFor('Noted honey.');
    // Asked about milk, bread, eggs, jam and tea; honey ran without a question (no decision line of its own).
    expect(t.text().match(/✓ allowed write_note/g)).toHaveLength(3);
    expect(t.screen()).not.toContain('waiting for your approval');
    expect(wrote()).toBe('milk\nbread\ntea\nhoney\n');
  });
});
