/** A2A over the official @a2a-js/sdk clients (1.0 and legacy 0.3) and raw JSON-RPC, against the fake upstream. */
import { request } from 'node:http';
import { Role, TaskState, type Message, type StreamResponse, type Task } from '@a2a-js/sdk';
import {
  Client,
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
} from '@a2a-js/sdk/client';
import { describe, expect, it } from 'vitest';
import type { FakeOpenAI } from '../support/fake-openai.js';
import {
  disconnectedWithin1s,
  isolated,
  postJson,
  SECRET_INSTRUCTIONS,
  sharedServer,
  startServer,
} from './serve-support.js';

const shared = sharedServer();

function userMessage(text: string, extra: Partial<Message> = {}): Message {
  return {
    messageId: `m-${Math.random().toString(36).slice(2)}`,
    role: Role.ROLE_USER,
    parts: [{ content: { $case: 'text', value: text }, mediaType: 'text/plain', filename: '', metadata: undefined }],
    contextId: '',
    taskId: '',
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
    ...extra,
  };
}
const send = (text: string, extra: Partial<Message> = {}) => ({
  tenant: '',
  message: userMessage(text, extra),
  configuration: undefined,
  metadata: undefined,
});

async function v1Client(url: string): Promise<Client> {
  return new ClientFactory().createFromUrl(url);
}

/** A client that speaks v0.3 JSON-RPC, chosen the way the SDK does it for a v0.3 interface of the card. */
/**
 * Starts a streaming task on a hanging upstream and cancels it: the cancel answers canceled, closes the upstream
 * request within 1 s, and the stream ends canceled. Resolves with the task id.
 */
async function cancelWhileStreaming(fake: FakeOpenAI, client: Client): Promise<string> {
  fake.enqueue({ fault: 'hang', text: ['partial'] });
  const stream = client.sendMessageStream(send('long job'));
  const first = await stream.next();
  const taskId = (first.value as StreamResponse & { payload: { value: Task } }).payload.value.id;
  await fake.waitForStreamStarted();
  const rest = collect(stream);
  const cancelled = await client.cancelTask({ tenant: '', id: taskId, metadata: undefined });
  expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  await disconnectedWithin1s(fake);
  expect(finalState(await rest)).toBe(TaskState.TASK_STATE_CANCELED);
  return taskId;
}

async function legacyClient(url: string): Promise<Client> {
  const card = await new DefaultAgentCardResolver({ legacyCompat: { enabled: true } }).resolve(url);
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ legacyCompat: { enabled: true } })],
      preferredTransports: ['JSONRPC'],
    }),
  );
  const client = await factory.createFromAgentCard({
    ...card,
    supportedInterfaces: card.supportedInterfaces.filter(
      (i) => i.protocolVersion === '0.3' && i.protocolBinding === 'JSONRPC',
    ),
  });
  expect(client.protocolVersion).toBe('0.3');
  return client;
}

function textOf(parts: Array<{ content?: { $case: string; value?: unknown } }> | undefined): string {
  return (parts ?? []).map((p) => (p.content?.$case === 'text' ? String(p.content.value) : '')).join('');
}

async function collect(stream: AsyncGenerator<StreamResponse>): Promise<StreamResponse[]> {
  const out: StreamResponse[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

function artifactChunks(events: StreamResponse[]) {
  return events.flatMap((e) => (e.payload?.$case === 'artifactUpdate' ? [e.payload.value] : []));
}
function finalState(events: StreamResponse[]): TaskState | undefined {
  const statuses = events.flatMap((e) => (e.payload?.$case === 'statusUpdate' ? [e.payload.value.status?.state] : []));
  return statuses.at(-1);
}

describe('agent card', () => {
  it('describes the agent (never its instructions), its tools as skills, streaming, and reachable URLs', async () => {
    const res = await fetch(`${shared.server.url}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(SECRET_INSTRUCTIONS);
    const card = JSON.parse(text);
    expect(card).toMatchObject({
      name: 'tester',
      description: 'An agent for tests',
      capabilities: { streaming: true },
    });
    expect(card.skills.map((s: { id: string }) => s.id)).toEqual(['calculator', 'get_time']);
    const urls: string[] = card.supportedInterfaces.map((i: { url: string }) => i.url);
    expect(urls).toContain(`${shared.server.url}/a2a/jsonrpc`);
    expect(urls).toContain(`${shared.server.url}/a2a/rest`);
    expect(new Set(card.supportedInterfaces.map((i: { protocolVersion: string }) => i.protocolVersion))).toEqual(
      new Set(['1.0', '0.3']),
    );
  });

  it('serves a v0.3-shaped card to legacy clients', async () => {
    const card = (await (await fetch(`${shared.server.url}/.well-known/agent-card.json`)).json()) as Record<
      string,
      unknown
    >;
    expect(card).toMatchObject({
      name: 'tester',
      protocolVersion: '0.3',
      url: `${shared.server.url}/a2a/jsonrpc`,
      preferredTransport: 'JSONRPC',
      capabilities: { streaming: true },
    });
  });

  it('never advertises 0.0.0.0, and --public-url wins', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: shared.server.port,
          path: '/.well-known/agent-card.json',
          headers: { host: `0.0.0.0:${shared.server.port}`, 'a2a-version': '1.0' },
        },
        (res) => {
          let b = '';
          res
            .setEncoding('utf8')
            .on('data', (d: string) => (b += d))
            .on('end', () => resolve(b));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(body).not.toContain('0.0.0.0');
    expect(JSON.parse(body).supportedInterfaces[0].url).toBe(`http://127.0.0.1:${shared.server.port}/a2a/jsonrpc`);

    const pub = await startServer(shared.fake, { publicUrl: 'https://agents.example.com/' });
    try {
      const card = (await (
        await fetch(`${pub.url}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } })
      ).json()) as { supportedInterfaces: Array<{ url: string }> };
      expect(card.supportedInterfaces[0]?.url).toBe('https://agents.example.com/a2a/jsonrpc');
    } finally {
      await pub.close();
    }
  });
});

describe('A2A 1.0 client', () => {
  it('streams token deltas as chunks of one answer artifact and completes the task', async () => {
    shared.fake.enqueue({ text: ['Hel', 'lo ', 'world'] });
    const client = await v1Client(shared.server.url);
    expect(client.protocolVersion).toBe('1.0');
    const events = await collect(client.sendMessageStream(send('hi')));
    expect(events[0]?.payload?.$case).toBe('task');
    const chunks = artifactChunks(events);
    expect(chunks.map((c) => textOf(c.artifact?.parts)).join('')).toBe('Hello world');
    expect(chunks.map((c) => [c.append, c.lastChunk])).toEqual([
      [false, false],
      [true, false],
      [true, true],
    ]);
    expect(new Set(chunks.map((c) => c.artifact?.artifactId)).size).toBe(1);
    expect(finalState(events)).toBe(TaskState.TASK_STATE_COMPLETED);

    const taskId = (events[0]?.payload as { value: Task }).value.id;
    const task = await client.getTask({ tenant: '', id: taskId });
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(task.artifacts).toHaveLength(1);
    expect(task.artifacts[0]?.parts).toHaveLength(1);
    expect(textOf(task.artifacts[0]?.parts)).toBe('Hello world');

    const listed = (
      await postJson(
        `${shared.server.url}/a2a/jsonrpc`,
        { jsonrpc: '2.0', id: 9, method: 'ListTasks', params: { contextId: task.contextId } },
        { 'A2A-Version': '1.0' },
      )
    ).json();
    expect(listed.result.tasks.map((t: { id: string }) => t.id)).toEqual([taskId]);
  });

  it('keeps tool results out of the answer artifact', async () => {
    shared.fake.enqueue(
      { toolCalls: [{ name: 'calculator', arguments: { expression: '1234 * 5678' } }] },
      { text: ['Computed', ' it.'] },
    );
    const client = await v1Client(shared.server.url);
    const events = await collect(client.sendMessageStream(send('compute')));
    const answer = artifactChunks(events)
      .map((c) => textOf(c.artifact?.parts))
      .join('');
    expect(answer).toBe('Computed it.');
    expect(JSON.stringify(events)).not.toContain('7006652');
    expect(shared.fake.requests[1]?.body.messages.at(-1)).toMatchObject({ role: 'tool', content: '7006652' });
    expect(finalState(events)).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('a failed run is a failed task with a message', async () => {
    shared.fake.enqueue({ fault: 'status', status: 400, message: 'the model refused' });
    const client = await v1Client(shared.server.url);
    const result = (await client.sendMessage(send('x'))) as Task;
    expect(result.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(textOf(result.status?.message?.parts)).toContain('the model refused');
  });

  it('contextId continues the conversation', async () => {
    shared.fake.enqueue({ text: 'Noted, Ada.' }, { text: 'You are Ada.' });
    const client = await v1Client(shared.server.url);
    const first = (await client.sendMessage(send('My name is Ada.'))) as Task;
    expect(first.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const second = (await client.sendMessage(send('Who am I?', { contextId: first.contextId }))) as Task;
    expect(second.contextId).toBe(first.contextId);
    expect(textOf(second.artifacts[0]?.parts)).toBe('You are Ada.');
    const messages = (shared.fake.requests[1]?.body.messages as Array<{ role: string; content: string }>).filter(
      (m) => m.role !== 'system',
    );
    expect(messages).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'Noted, Ada.' },
      { role: 'user', content: 'Who am I?' },
    ]);
  });

  it('cancelling the task aborts the run: upstream closed within 1 s, task canceled', async () => {
    const t = await isolated();
    try {
      const client = await v1Client(t.server.url);
      const taskId = await cancelWhileStreaming(t.fake, client);
      expect((await client.getTask({ tenant: '', id: taskId })).status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    } finally {
      await t.close();
    }
  });

  it('a streaming client that disconnects aborts its run', async () => {
    const t = await isolated();
    try {
      t.fake.enqueue({ fault: 'hang', text: ['partial'] });
      const client = await v1Client(t.server.url);
      const controller = new AbortController();
      const stream = client.sendMessageStream(send('x'), { signal: controller.signal });
      await stream.next();
      await t.fake.waitForStreamStarted();
      controller.abort();
      await stream.return(undefined).catch(() => undefined);
      await disconnectedWithin1s(t.fake);
    } finally {
      await t.close();
    }
  });
});

describe('A2A 0.3 client (legacy compatibility)', () => {
  it('streams, gets the task, and continues a context', async () => {
    shared.fake.enqueue({ text: ['Leg', 'acy'] }, { text: 'again' });
    const client = await legacyClient(shared.server.url);
    const events = await collect(client.sendMessageStream(send('hi')));
    expect(
      artifactChunks(events)
        .map((c) => textOf(c.artifact?.parts))
        .join(''),
    ).toBe('Legacy');
    expect(artifactChunks(events).at(-1)?.lastChunk).toBe(true);
    expect(finalState(events)).toBe(TaskState.TASK_STATE_COMPLETED);
    const task = (events[0]?.payload as { value: Task }).value;
    const got = await client.getTask({ tenant: '', id: task.id });
    expect(got.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(got.artifacts[0]?.parts)).toBe('Legacy');
    await collect(client.sendMessageStream(send('more', { contextId: task.contextId })));
    expect(
      (shared.fake.requests[1]?.body.messages as Array<{ role: string }>).filter((m) => m.role !== 'system'),
    ).toHaveLength(3);
  });

  it('cancels a running task', async () => {
    const t = await isolated();
    try {
      await cancelWhileStreaming(t.fake, await legacyClient(t.server.url));
    } finally {
      await t.close();
    }
  });

  it('answers a raw v0.3 message/send (no A2A-Version header)', async () => {
    shared.fake.enqueue({ text: 'raw ok' });
    const res = await postJson(`${shared.server.url}/a2a/jsonrpc`, {
      jsonrpc: '2.0',
      id: 7,
      method: 'message/send',
      params: {
        message: { kind: 'message', messageId: 'raw-1', role: 'user', parts: [{ kind: 'text', text: 'hello' }] },
      },
    });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ jsonrpc: '2.0', id: 7, result: { kind: 'task', status: { state: 'completed' } } });
    // The streamed chunks are stored merged: one text part holding the whole answer.
    expect(body.result.artifacts[0].parts).toEqual([expect.objectContaining({ kind: 'text', text: 'raw ok' })]);
  });
});

describe('JSON-RPC errors', () => {
  const rpc = (body: unknown) => postJson(`${shared.server.url}/a2a/jsonrpc`, body, { 'A2A-Version': '1.0' });

  it('malformed JSON → -32700', async () => {
    const res = await rpc('{"jsonrpc": "2.0", "method": ');
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
  });

  it('unknown method → -32601', async () => {
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'NoSuchMethod', params: {} })).json()).toMatchObject({
      id: 1,
      error: { code: -32601 },
    });
  });

  it('invalid params → -32602', async () => {
    expect((await rpc({ jsonrpc: '2.0', id: 2, method: 'GetTask', params: { id: '' } })).json()).toMatchObject({
      id: 2,
      error: { code: -32602 },
    });
  });

  it('unknown task → -32001 (get and cancel)', async () => {
    expect(
      (await rpc({ jsonrpc: '2.0', id: 3, method: 'GetTask', params: { id: 'no-such-task' } })).json(),
    ).toMatchObject({ id: 3, error: { code: -32001 } });
    expect(
      (await rpc({ jsonrpc: '2.0', id: 4, method: 'CancelTask', params: { id: 'no-such-task' } })).json(),
    ).toMatchObject({ id: 4, error: { code: -32001 } });
  });

  it('a body over the limit → 413', async () => {
    const res = await rpc({
      jsonrpc: '2.0',
      id: 5,
      method: 'SendMessage',
      params: { pad: 'x'.repeat(1024 * 1024 + 1) },
    });
    expect(res.status).toBe(413);
  });
});
