/**
 * `serve --sessions-dir`: `session_id` and A2A `contextId` conversations kept as session files, so they survive a
 * restart of the server (the spawned CLI, stopped and started again); one run at a time per session, across servers
 * sharing the directory too.
 */
import { readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { TaskState, type Task } from '@a2a-js/sdk';
import { ClientFactory } from '@a2a-js/sdk/client';
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/server/store.js';
import { sessionFileId, withSessionsDir } from '../../src/server/session-files.js';
import { cleanEnv, listeningUrl, runCli, startCli, type CliRun } from '../support/cli.js';
import { tempDir, useFakeOpenAI } from '../support/cleanup.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { parseSse, postJson, sendRequest, startServer } from './serve-support.js';

const fake = useFakeOpenAI();
const API_KEY = 'sk-serve-sessions-key';

async function startServe(args: string[]): Promise<{ cli: CliRun; url: string }> {
  const cli = startCli(['serve', '--port', '0', '--base-url', fake().url, ...args], {
    env: cleanEnv({ OPENAI_API_KEY: API_KEY }),
  });
  const url = await listeningUrl(cli);
  return { cli, url };
}

async function stop(cli: CliRun): Promise<void> {
  cli.child.kill('SIGTERM');
  expect((await cli.done).code).toBe(143);
}

/** The conversation of upstream request `i` without the system prompt. */
function upstreamMessages(f: FakeOpenAI, i: number): Array<{ role: string; content: unknown }> {
  return (f.requests[i]?.body.messages as Array<{ role: string; content: unknown }>)
    .filter((m) => m.role !== 'system')
    .map((m) => ({ role: m.role, content: m.content }));
}

describe('serve --sessions-dir', () => {
  it('keeps /chat session_id and A2A contextId conversations across a restart, in private files', async () => {
    const dir = join(tempDir(), 'sessions');
    const first = await startServe(['--sessions-dir', dir]);
    // Serve's log is JSON when stderr is not a terminal: the banner is one record.
    expect(first.cli.stderr()).toContain(`"sessions_dir":${JSON.stringify(dir)}`);
    fake().enqueue({ text: 'Noted, Ada.' }, { text: 'Hello, Bob.' });
    expect((await postJson(`${first.url}/chat`, { input: 'My name is Ada.', session_id: 'trip' })).json().text).toBe(
      'Noted, Ada.',
    );
    const client = await new ClientFactory().createFromUrl(first.url);
    const task = (await client.sendMessage(sendRequest('I am Bob.'))) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    await stop(first.cli);

    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir).sort();
    expect(files).toEqual([`a2a-${task.contextId}.jsonl`, 'trip.jsonl']);
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    const header = JSON.parse(readFileSync(join(dir, 'trip.jsonl'), 'utf8').split('\n')[0] as string);
    expect(header).toMatchObject({ type: 'session', id: 'trip', agents: [{ model: expect.any(String) }] });

    const second = await startServe(['--sessions-dir', dir]);
    fake().requests.length = 0;
    fake().enqueue({ text: 'You are Ada.' }, { text: 'You are Bob.' });
    const res = await postJson(`${second.url}/chat`, { input: 'Who am I?', session_id: 'trip', stream: true });
    const frames = parseSse(res.text);
    expect(JSON.parse(frames[0]?.data ?? '{}')).toMatchObject({ type: 'run_start', session_id: 'trip' });
    expect(upstreamMessages(fake(), 0)).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'Noted, Ada.' },
      { role: 'user', content: 'Who am I?' },
    ]);
    const again = await new ClientFactory().createFromUrl(second.url);
    const next = (await again.sendMessage(sendRequest('Who am I?', { contextId: task.contextId }))) as Task;
    expect(next.contextId).toBe(task.contextId);
    expect(upstreamMessages(fake(), 1)).toEqual([
      { role: 'user', content: 'I am Bob.' },
      { role: 'assistant', content: 'Hello, Bob.' },
      { role: 'user', content: 'Who am I?' },
    ]);
    await stop(second.cli);

    // The operator reads them with the sessions command.
    const shown = await runCli(['sessions', 'show', 'trip', '--dir', dir], { env: cleanEnv() });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Who am I?');
    expect(shown.stdout).toContain('You are Ada.');
  });

  it('refuses --sessions-dir with a Redis store, and a directory it cannot use', async () => {
    const withRedis = await runCli(
      ['serve', '--demo', '--port', '0', '--sessions-dir', tempDir(), '--store', 'redis://127.0.0.1:1'],
      { env: cleanEnv() },
    );
    expect(withRedis.code).toBe(2);
    expect(withRedis.stderr).toMatch(/--sessions-dir and --store redis both keep sessions/);
    const file = join(tempDir(), 'plain-file');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, '');
    const notDir = await runCli(['serve', '--demo', '--port', '0', '--sessions-dir', file], { env: cleanEnv() });
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toContain(`--sessions-dir: ${file} is not a directory`);
  });

  it('runs one request at a time per session, also between two servers on one directory (409 session_busy)', async () => {
    const dir = tempDir();
    const agent = { name: 'tester', model: 'fake-model' };
    // A fake of its own: the shared one banks the stream starts of earlier tests.
    const own = await startFakeOpenAI();
    const a = await startServer(own, { store: withSessionsDir(memoryStore(), dir, { agent }) });
    const b = await startServer(own, { store: withSessionsDir(memoryStore(), dir, { agent }) });
    const fake = (): FakeOpenAI => own;
    try {
      fake().enqueue({ fault: 'hang', text: ['slow'] });
      const running = postJson(`${a.url}/chat`, { input: 'long', session_id: 'shared' });
      await fake().waitForStreamStarted();
      for (const url of [a.url, b.url]) {
        const busy = await postJson(`${url}/chat`, { input: 'meanwhile', session_id: 'shared' });
        expect(busy.status).toBe(409);
        expect(busy.json().error.code).toBe('session_busy');
      }
      fake().release();
      expect((await running).json()).toMatchObject({ text: 'slow', status: 'completed' });
      fake().enqueue({ text: 'second' });
      expect((await postJson(`${b.url}/chat`, { input: 'now', session_id: 'shared' })).status).toBe(200);
      expect(upstreamMessages(fake(), 1).map((m) => m.content)).toEqual(['long', 'slow', 'now']);
      // Nothing left open: no lock files once the runs are over.
      expect(readdirSync(dir)).toEqual(['shared.jsonl']);
    } finally {
      await a.close();
      await b.close();
      await own.close();
    }
  });

  it('agentor sessions --dir DIR prune removes the old conversations of a running server, not the one it is running', async () => {
    const dir = tempDir();
    const agent = { name: 'tester', model: 'fake-model' };
    const own = await startFakeOpenAI();
    const server = await startServer(own, { store: withSessionsDir(memoryStore(), dir, { agent }) });
    try {
      own.enqueue({ text: 'one' }, { text: 'two' }, { fault: 'hang', text: ['three'] });
      for (const id of ['old', 'recent']) {
        expect((await postJson(`${server.url}/chat`, { input: id, session_id: id })).status).toBe(200);
        await own.waitForStreamStarted(); // one latch event per stream: this one's
      }
      const running = postJson(`${server.url}/chat`, { input: 'long', session_id: 'running' });
      await own.waitForStreamStarted();
      // Its streamed text is recorded: nothing more is written to it until the run goes on.
      await expect.poll(() => readFileSync(join(dir, 'running.jsonl'), 'utf8')).toContain('"text":"three"');
      const longAgo = new Date(Date.now() - 40 * 86_400_000);
      for (const id of ['old', 'running']) utimesSync(join(dir, `${id}.jsonl`), longAgo, longAgo);

      const listed = await runCli(['sessions', '--dir', dir, 'list', '--json']);
      expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((x) => x.id).sort()).toEqual([
        'old',
        'recent',
        'running',
      ]);
      const pruned = await runCli(['sessions', '--dir', dir, 'prune', '--older-than', '30d']);
      expect(pruned.code).toBe(0);
      expect(pruned.stderr).toBe('removed 1 session older than 30d; kept 1 in use\n');
      expect(readdirSync(dir).sort()).toEqual(['recent.jsonl', 'running.jsonl', 'running.lock']);

      own.release();
      expect((await running).json()).toMatchObject({ text: 'three', status: 'completed' });
      // A pruned conversation starts over.
      own.enqueue({ text: 'fresh' });
      expect((await postJson(`${server.url}/chat`, { input: 'again', session_id: 'old' })).status).toBe(200);
      expect(upstreamMessages(own, 3).map((m) => m.content)).toEqual(['again']);
    } finally {
      await server.close();
      await own.close();
    }
  });

  it('names files after the session id when it is a valid name, else after a hash; A2A contexts apart', () => {
    expect(sessionFileId('trip-2024_01.x')).toBe('trip-2024_01.x');
    expect(sessionFileId('a2a:ctx-1')).toBe('a2a-ctx-1');
    expect(sessionFileId('a2a-ctx-1')).toMatch(/^chat-[0-9a-f]{40}$/);
    expect(sessionFileId('user/42 ../..')).toMatch(/^chat-[0-9a-f]{40}$/);
    expect(sessionFileId('a2a:../x')).toMatch(/^a2a-[0-9a-f]{40}$/);
    expect(sessionFileId('x'.repeat(200))).toMatch(/^chat-[0-9a-f]{40}$/);
  });
});
