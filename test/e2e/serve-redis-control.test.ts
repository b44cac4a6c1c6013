/**
 * Run control across replicas on one real redis-server: two `serve()` servers in this process, each with its own
 * Redis store (so each is a replica with its own id, lease and subscriptions). A /ws `cancel` naming a session stops
 * the run on the other replica; an approval answer — `POST /chat/approvals`, a /ws `approval` frame with `run_id`, or
 * an A2A message on the task — sent to the replica that does not run the question's run is forwarded to the one that
 * does; a client following an A2A task from the other replica keeps its run alive.
 */
import { TaskState, type StreamResponse, type Task } from '@a2a-js/sdk';
import { ClientFactory, type Client } from '@a2a-js/sdk/client';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { AgentEvent } from '../../src/core/events.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { openStore, serve, type RunningServer, type ServeOptions } from '../../src/server/index.js';
import { resolveStore } from '../../src/server/store-url.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { disconnectedWithin1s, noteTool, postJson, sendRequest, taskStates } from './serve-support.js';

const notes: string[] = [];
const writeNote = noteTool(notes);

let fake: FakeOpenAI;
let redis: RedisServer;
beforeAll(async () => {
  [fake, redis] = await Promise.all([startFakeOpenAI(), startRedisServer()]);
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  notes.length = 0;
});

/** A replica: a server on its own connection to the shared Redis. */
async function replica(options: ServeOptions = {}): Promise<RunningServer> {
  const store = await openStore(resolveStore(redis.url, {}), { log: () => undefined });
  const agent = new Agent({
    name: 'scribe',
    instructions: 'Write notes.',
    model: 'fake-model',
    provider: new OpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0 }),
    tools: [writeNote],
  });
  const server = await serve(agent, { port: 0, shutdownGraceMs: 2_000, log: () => undefined, store, ...options });
  onTestFinished(async () => {
    await server.close();
    await store.close();
  });
  return server;
}

/** A WebSocket to `url`'s /ws, open, with every frame it receives. */
async function socket(url: string): Promise<{ ws: WebSocket; frames: Array<Record<string, unknown>> }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
  onTestFinished(() => ws.close());
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames };
}

/** Resolves with the first frame `frames` gets that matches. */
async function frame(
  ws: WebSocket,
  frames: Array<Record<string, unknown>>,
  match: (f: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  for (;;) {
    const found = frames.find(match);
    if (found) return found;
    await new Promise((resolve) => ws.once('message', resolve));
  }
}

const scriptNote = (): void =>
  fake.enqueue(
    { toolCalls: [{ id: 'call_1', name: 'write_note', arguments: { text: 'buy milk' } }] },
    { text: 'done' },
  );

describe('/ws cancel across replicas', () => {
  it('a cancel frame naming the session, sent to B, stops the run on A: upstream closed within 1 s', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const onA = await socket(a.url);
    fake.enqueue({ fault: 'hang', text: ['working '] });
    onA.ws.send(JSON.stringify({ type: 'chat', id: 'long', input: 'go', session_id: 's-cancel' }));
    await frame(onA.ws, onA.frames, (f) => f['type'] === 'text_delta');
    const onB = await socket(b.url);
    const closed = disconnectedWithin1s(fake);
    onB.ws.send(JSON.stringify({ type: 'cancel', id: 'stop', session_id: 's-cancel' }));
    expect(await frame(onB.ws, onB.frames, (f) => f['id'] === 'stop')).toEqual({
      type: 'cancelled',
      id: 'stop',
      session_id: 's-cancel',
    });
    await closed;
    expect(await frame(onA.ws, onA.frames, (f) => f['type'] === 'run_end')).toMatchObject({
      id: 'long',
      status: 'cancelled',
    });
  });

  it('a cancel for a session no replica runs is not_found, at once', async () => {
    const [, b] = await Promise.all([replica(), replica()]);
    const onB = await socket(b.url);
    onB.ws.send(JSON.stringify({ type: 'cancel', id: 'x', session_id: 'nobody' }));
    expect(await frame(onB.ws, onB.frames, (f) => f['id'] === 'x')).toMatchObject({
      type: 'error',
      error: { code: 'not_found', message: 'no run of session "nobody" is in progress' },
    });
  });
});

describe('approval answers forwarded to the replica running the run', () => {
  it('POST /chat/approvals on B answers the question of a /chat run on A', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    scriptNote();
    const res = await fetch(`${a.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ input: 'note: buy milk' }),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let body = '';
    let question: Extract<AgentEvent, { type: 'tool_approval_request' }> | undefined;
    while (!question) {
      body += new TextDecoder().decode((await reader.read()).value);
      const line = body.split('\n').find((l) => l.includes('"tool_approval_request"') && l.startsWith('data: '));
      if (line) question = JSON.parse(line.slice(6)) as typeof question;
    }
    const wrong = await postJson(`${b.url}/chat/approvals`, {
      run_id: question.run_id,
      call_id: 'no-such-call',
      decision: 'allowed',
    });
    expect(wrong.status).toBe(404);
    const answered = await postJson(`${b.url}/chat/approvals`, {
      run_id: question.run_id,
      call_id: question.call_id,
      decision: 'allowed',
    });
    expect(answered.status, answered.text).toBe(200);
    for (let r = await reader.read(); !r.done; r = await reader.read()) body += new TextDecoder().decode(r.value);
    expect(body).toContain('"status":"completed"');
    expect(notes).toEqual(['buy milk']);
  });

  it('a /ws approval frame with run_id on B answers the question of a /ws run on A', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    scriptNote();
    const onA = await socket(a.url);
    onA.ws.send(JSON.stringify({ type: 'chat', id: 'r1', input: 'note: buy milk' }));
    const question = await frame(onA.ws, onA.frames, (f) => f['type'] === 'tool_approval_request');
    const onB = await socket(b.url);
    onB.ws.send(
      JSON.stringify({
        type: 'approval',
        id: 'answer',
        run_id: question['run_id'],
        call_id: question['call_id'],
        decision: 'denied',
        reason: 'not now',
      }),
    );
    expect(await frame(onA.ws, onA.frames, (f) => f['type'] === 'run_end')).toMatchObject({ status: 'completed' });
    expect(onA.frames.find((f) => f['type'] === 'tool_approval')).toMatchObject({ decision: 'denied', by: 'user' });
    expect(onB.frames).toEqual([]);
    expect(notes).toEqual([]);
  });
});

describe('A2A across replicas', () => {
  const client = (url: string): Promise<Client> => new ClientFactory().createFromUrl(url);

  it('"yes" sent through B to a task waiting on A runs the call there; B streams the rest to the end', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    scriptNote();
    const first: StreamResponse[] = [];
    for await (const e of (await client(a.url)).sendMessageStream(sendRequest('note: buy milk'))) first.push(e);
    expect(taskStates(first).at(-1)).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const task = first[0]?.payload?.$case === 'task' ? first[0].payload.value : undefined;
    const onB = await client(b.url);
    await expect(
      onB.sendMessage(sendRequest('what?', { taskId: task!.id, contextId: task!.contextId })),
    ).rejects.toThrow(/takes only the answer to the tool approval it waits for/);
    const second: StreamResponse[] = [];
    for await (const e of onB.sendMessageStream(sendRequest('yes', { taskId: task!.id, contextId: task!.contextId })))
      second.push(e);
    expect(taskStates(second).at(-1)).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(notes).toEqual(['buy milk']);
    expect((await onB.getTask({ tenant: '', id: task!.id })).status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('a blocking send of the answer through B returns the finished task', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    scriptNote();
    const paused = (await (await client(a.url)).sendMessage(sendRequest('note: buy milk'))) as Task;
    expect(paused.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const done = (await (
      await client(b.url)
    ).sendMessage(sendRequest('yes', { taskId: paused.id, contextId: paused.contextId }))) as Task;
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(notes).toEqual(['buy milk']);
  });

  it('a client following the task from B keeps its run on A going after the first client left', async () => {
    const [a, b] = await Promise.all([replica({ a2aResubscribeGraceMs: 300 }), replica()]);
    const pieces = Array.from({ length: 120 }, (_, i) => `p${i} `);
    fake.enqueue({ text: pieces, delayMs: 10 });
    const controller = new AbortController();
    const stream = (await client(a.url)).sendMessageStream(sendRequest('long'), { signal: controller.signal });
    const firstEvent = await stream.next();
    const taskId = firstEvent.value?.payload?.$case === 'task' ? firstEvent.value.payload.value.id : '';
    const fromB: StreamResponse[] = [];
    const following = (async () => {
      for await (const e of (await client(b.url)).resubscribeTask({ tenant: '', id: taskId })) fromB.push(e);
    })();
    await expect.poll(() => fromB.length).toBeGreaterThan(1);
    controller.abort(); // A's own client leaves; without B's follower the run would be cancelled after 300 ms
    await following;
    expect(taskStates(fromB).at(-1)).toBe(TaskState.TASK_STATE_COMPLETED);
  });
});
