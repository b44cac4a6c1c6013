/**
 * Two `agentor serve` processes sharing one real redis-server (`--store redis://…`): a /chat session continued on the
 * other replica, A2A tasks read and cancelled through the replica that does not run them, a killed replica's task
 * failed within the lease, the store lost and back (readiness), and an unreachable store at start.
 */
import { TaskState, type StreamResponse, type Task } from '@a2a-js/sdk';
import { ClientFactory, type Client } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, listeningUrl, runCli, startCli, type CliRun } from '../support/cli.js';
import { useFakeOpenAI } from '../support/cleanup.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { freePort, startRedisServer, type RedisServer } from '../support/redis-server.js';
import { disconnectedWithin1s, postJson, sendRequest } from './serve-support.js';

const API_KEY = 'sk-redis-e2e-key-value';
let fake: FakeOpenAI;
let redis: RedisServer;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  redis = await startRedisServer({ password: 'hunter2-redis' });
});
afterAll(async () => {
  await fake.close();
});

interface Replica {
  cli: CliRun;
  url: string;
}

/** Starts `agentor serve` on the shared Redis; resolves once it listens. */
async function replica(extra: string[] = [], upstream = fake): Promise<Replica> {
  const cli = startCli(['serve', '--port', '0', '--base-url', upstream.url, '--store', redis.url, ...extra], {
    env: cleanEnv({ OPENAI_API_KEY: API_KEY }),
  });
  return { cli, url: await listeningUrl(cli) };
}

const client = (url: string): Promise<Client> => new ClientFactory().createFromUrl(url);

/**
 * Starts a streaming task through `on` on a hanging upstream; resolves once its first chunk arrived (the upstream is
 * streaming), with its id and the rest of its stream.
 */
async function hangingTask(on: Client, upstream: FakeOpenAI) {
  upstream.enqueue({ fault: 'hang', text: ['partial '] });
  const stream = on.sendMessageStream(sendRequest('long job'));
  const taskId = ((await stream.next()).value as StreamResponse & { payload: { value: Task } }).payload.value.id;
  for (;;) {
    const next = await stream.next();
    if (next.done || next.value.payload?.$case === 'artifactUpdate') break;
  }
  const rest = (async () => {
    const events: StreamResponse[] = [];
    try {
      for await (const e of stream) events.push(e);
    } catch {
      // the owner was killed: its stream breaks
    }
    return events;
  })();
  return { taskId, rest };
}

describe('serve --store redis (two replicas)', () => {
  let a: Replica;
  let b: Replica;
  beforeAll(async () => {
    [a, b] = await Promise.all([replica(), replica()]);
  });

  it('prints the store with its password masked and is ready with a store check', async () => {
    // Serve's log is JSON when stderr is not a terminal: the banner is one record.
    expect(a.cli.stderr()).toContain(`"store":"redis://:****@127.0.0.1:${redis.port}"`);
    expect(a.cli.stderr()).not.toContain('hunter2');
    const ready = await (await fetch(`${b.url}/readyz`)).json();
    expect(ready).toMatchObject({ status: 'ready', checks: expect.arrayContaining([{ name: 'store', ok: true }]) });
  });

  it('a /chat session continued on the other replica sends the whole history upstream', async () => {
    const session = `s-${Date.now()}`;
    fake.enqueue({ text: 'first answer' });
    expect((await postJson(`${a.url}/chat`, { input: 'first question', session_id: session })).json()).toMatchObject({
      text: 'first answer',
    });
    fake.enqueue({ text: 'second answer' });
    const before = fake.requests.length;
    expect((await postJson(`${b.url}/chat`, { input: 'second question', session_id: session })).json()).toMatchObject({
      text: 'second answer',
    });
    const messages = (fake.requests[before]?.body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(messages.filter((m) => m.role !== 'system').map((m) => m.content)).toEqual([
      'first question',
      'first answer',
      'second question',
    ]);
  });

  it('one run at a time per session across replicas: the second request gets 409', async () => {
    const session = `busy-${Date.now()}`;
    fake.enqueue({ fault: 'hang', text: ['...'] });
    const first = await fetch(`${a.url}/chat`, {
      method: 'POST',
      body: JSON.stringify({ input: 'hold it', session_id: session, stream: true }),
    });
    const reader = first.body!.getReader();
    let seen = '';
    while (!seen.includes('text_delta')) seen += new TextDecoder().decode((await reader.read()).value);
    const second = await postJson(`${b.url}/chat`, { input: 'me too', session_id: session });
    expect(second.status).toBe(409);
    expect(second.json()).toMatchObject({ error: { code: 'session_busy' } });
    fake.release();
    while (!(await reader.read()).done);
    fake.enqueue({ text: 'free again' });
    expect((await postJson(`${b.url}/chat`, { input: 'now', session_id: session })).status).toBe(200);
  });

  it('an A2A task sent through A is read and listed through B', async () => {
    fake.enqueue({ text: ['Hel', 'lo'] });
    const onA = await client(a.url);
    const result = await onA.sendMessage(sendRequest('hi'));
    const task = result as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const onB = await client(b.url);
    const read = await onB.getTask({ tenant: '', id: task.id });
    expect(read.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const text = read.artifacts[0]?.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
    expect(text).toBe('Hello');
    const listed = (
      await postJson(
        `${b.url}/a2a/jsonrpc`,
        { jsonrpc: '2.0', id: 1, method: 'ListTasks', params: { contextId: task.contextId } },
        { 'A2A-Version': '1.0' },
      )
    ).json();
    expect(listed.result.tasks.map((t: { id: string }) => t.id)).toEqual([task.id]);
  });
});

/** The answer text an event carries (artifact chunks), or undefined. */
function chunkText(e: StreamResponse): string | undefined {
  const p = e.payload;
  if (p?.$case !== 'artifactUpdate') return undefined;
  return p.value.artifact?.parts.map((part) => (part.content?.$case === 'text' ? part.content.value : '')).join('');
}

describe('serve --store redis: SubscribeToTask through the replica that does not run the task', () => {
  const fakeUpstream = useFakeOpenAI();

  it('streams the rest of the task from its snapshot: every event once, in order, ending with the final status', async () => {
    const own = fakeUpstream();
    const [a, b] = await Promise.all([replica([], own), replica([], own)]);
    const pieces = Array.from({ length: 150 }, (_, i) => `w${i} `);
    own.enqueue({ text: pieces, delayMs: 8 });
    const onA = await client(a.url);
    const stream = onA.sendMessageStream(sendRequest('a long answer'));
    const fromA: StreamResponse[] = [];
    let taskId = '';
    // Read by hand: leaving a for-await loop would close A's stream.
    for (let next = await stream.next(); !next.done; next = await stream.next()) {
      const e = next.value;
      fromA.push(e);
      if (e.payload?.$case === 'task') taskId = e.payload.value.id;
      if (chunkText(e) !== undefined) break;
    }
    const restOfA = (async () => {
      for await (const e of stream) fromA.push(e);
    })();
    const onB = await client(b.url);
    const fromB: StreamResponse[] = [];
    for await (const e of onB.resubscribeTask({ tenant: '', id: taskId })) fromB.push(e);
    await restOfA;

    expect(fromB[0]?.payload?.$case).toBe('task');
    const snapshot = fromB[0]?.payload?.$case === 'task' ? fromB[0].payload.value : undefined;
    expect(snapshot?.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    const held = snapshot?.artifacts[0]?.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')) ?? [];
    const chunksB = fromB.map(chunkText).filter((t): t is string => t !== undefined);
    // Nothing lost, nothing twice: the snapshot's text and B's chunks make the whole answer…
    expect(held.join('') + chunksB.join('')).toBe(pieces.join(''));
    // …and B's chunks are exactly the last chunks A's own client saw, in the same order.
    const chunksA = fromA.map(chunkText).filter((t): t is string => t !== undefined);
    expect(chunksB.length).toBeGreaterThan(3);
    expect(chunksA.slice(-chunksB.length)).toEqual(chunksB);
    const last = fromB.at(-1)?.payload;
    expect(last?.$case === 'statusUpdate' && last.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(fromB.filter((e) => e.payload?.$case === 'statusUpdate').length).toBe(1);
  });

  it('a finished task cannot be subscribed to on either replica (as the SDK answers on one)', async () => {
    const own = fakeUpstream();
    const [a, b] = await Promise.all([replica([], own), replica([], own)]);
    own.enqueue({ text: 'short' });
    const task = (await (await client(a.url)).sendMessage(sendRequest('hi'))) as Task;
    const onB = await client(b.url);
    await expect(
      (async () => {
        for await (const _ of onB.resubscribeTask({ tenant: '', id: task.id }));
      })(),
    ).rejects.toThrow(/terminal state/);
  });
});

describe('serve --store redis: failures', () => {
  /** An upstream of these tests alone: its disconnect events are theirs. */
  const fakeUpstream = useFakeOpenAI();

  it('CancelTask through B stops the run on A: the upstream request closes within 1 s, the task is canceled', async () => {
    const own = fakeUpstream();
    const [a, b] = await Promise.all([replica([], own), replica([], own)]);
    const { taskId, rest } = await hangingTask(await client(a.url), own);
    const onB = await client(b.url);
    expect((await onB.getTask({ tenant: '', id: taskId })).status?.state).toBe(TaskState.TASK_STATE_WORKING);
    const closed = disconnectedWithin1s(own);
    const cancelled = await onB.cancelTask({ tenant: '', id: taskId, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await closed;
    const events = await rest;
    const last = events.at(-1)?.payload;
    expect(last?.$case === 'statusUpdate' && last.value.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });

  it('kill -9 of the replica running a task: the task is failed on the other within the lease', async () => {
    const own = fakeUpstream();
    const lease = ['--store-lease', '1s'];
    const [a, b] = await Promise.all([replica(lease, own), replica(lease, own)]);
    const { taskId } = await hangingTask(await client(a.url), own);
    a.cli.child.kill('SIGKILL');
    await a.cli.done;
    const onB = await client(b.url);
    const started = Date.now();
    await expect
      .poll(async () => (await onB.getTask({ tenant: '', id: taskId })).status?.state, {
        timeout: 5_000,
        interval: 100,
      })
      .toBe(TaskState.TASK_STATE_FAILED);
    expect(Date.now() - started).toBeLessThan(3_000);
    const task = await onB.getTask({ tenant: '', id: taskId });
    const message = task.status?.message?.parts[0]?.content;
    expect(message?.$case === 'text' && message.value).toMatch(/replica running this task stopped/);
    own.release();
  });

  it('Redis lost: /readyz 503 and store requests 503 with Retry-After; back: ready, and runs save again', async () => {
    const b = await replica();
    await redis.stop();
    await expect.poll(async () => (await fetch(`${b.url}/readyz`)).status, { timeout: 10_000 }).toBe(503);
    const refused = await postJson(`${b.url}/chat`, { input: 'x', session_id: 'during-outage' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    await redis.start();
    await expect.poll(async () => (await fetch(`${b.url}/readyz`)).status, { timeout: 10_000 }).toBe(200);
    fake.enqueue({ text: 'one' }, { text: 'two' });
    await postJson(`${b.url}/chat`, { input: 'q1', session_id: 'after-outage' });
    const before = fake.requests.length;
    await postJson(`${b.url}/chat`, { input: 'q2', session_id: 'after-outage' });
    const messages = (fake.requests[before]?.body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(messages.filter((m) => m.role !== 'system').map((m) => m.content)).toEqual(['q1', 'one', 'q2']);
  });

  it('an unreachable store at start: exit 1 naming the URL with the password masked', async () => {
    const port = await freePort();
    const run = await runCli(['serve', '--port', '0', '--store', `redis://:topsecret@127.0.0.1:${port}/0`], {
      env: cleanEnv({ OPENAI_API_KEY: API_KEY }),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot reach the store at redis://:****@127.0.0.1:${port}/0`);
    expect(run.stderr).not.toContain('topsecret');
  });

  it('a store that is not a Redis URL is a usage error (exit 2)', async () => {
    const run = await runCli(['serve', '--port', '0', '--store', 'postgres://db/x', '--log-format', 'text'], {
      env: cleanEnv({ OPENAI_API_KEY: API_KEY }),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unsupported store "postgres:\/\/db\/x"; use "memory" or a Redis URL/);
  });
});
