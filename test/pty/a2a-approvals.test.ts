/**
 * The approval panel for a remote agent's tool call: `agentor chat --a2a URL` in a real terminal (node-pty + headless
 * xterm, 80x24) against `agentor serve` (in process, its model the loopback fake) whose write_note needs approval. The
 * remote task goes input-required; the panel asks; `y` sends the decision back on the same task and the answer follows.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { serve, type RunningServer } from '../../src/server/index.js';
import { tempDir } from '../support/cleanup.js';
import { cleanEnv } from '../support/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { noteTool } from '../e2e/serve-support.js';
import { startPty } from './terminal.js';

const notes: string[] = [];
let fake: FakeOpenAI;
let remote: RunningServer;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const agent = new Agent({
    name: 'scribe',
    instructions: 'Write notes.',
    model: 'fake-model',
    provider: new OpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0 }),
    tools: [noteTool(notes)],
  });
  remote = await serve(agent, { port: 0, shutdownGraceMs: 2_000, log: () => undefined });
});
afterAll(async () => {
  await remote.close();
  await fake.close();
});

/** The remote's model asks for write_note, then answers `answer`. */
function scriptNote(answer: string, text: string): void {
  fake.enqueue({ toolCalls: [{ id: 'call_1', name: 'write_note', arguments: { text } }] }, { text: answer });
}

describe('interactive chat --a2a', () => {
  it('shows the approval panel for the remote call; y sends the decision back and the answer follows', async () => {
    const dir = tempDir('agentor-a2a-approvals-');
    const t = startPty(['chat', '--a2a', remote.url], {
      env: cleanEnv({
        XDG_CONFIG_HOME: join(dir, 'config'),
        XDG_STATE_HOME: join(dir, 'state'),
        TERM: 'xterm-256color',
      }),
      cols: 80,
      rows: 24,
      cwd: dir,
    });
    onTestFinished(() => t.kill());
    await t.waitFor('❯');
    scriptNote('Noted milk.', 'milk');
    t.write('note milk\r');
    await t.waitFor('⏸ waiting for your approval: run write_note?');
    await t.waitFor('text: milk');
    await t.waitFor('the remote agent asks before it runs "write_note"');
    expect(notes).toEqual([]);
    t.write('y');
    await t.waitFor('✓ allowed write_note once');
    await t.waitFor('Noted milk.');
    expect(notes).toEqual(['milk']);
  });
});
