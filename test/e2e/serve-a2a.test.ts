/** A2A over the official @a2a-js/sdk clients (1.0 and legacy 0.3) and raw JSON-RPC, against the fake upstream. */
import { request } from 'node:http';
import { AgentCard, TaskState, type StreamResponse, type Task } from '@a2a-js/sdk';
import {
  Client,
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
} from '@a2a-js/sdk/client';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FakeOpenAI } from '../support/fake-openai.js';
import {
  disconnectedWithin,
  disconnectedWithin1s,
  isolated,
  postJson,
  SECRET_INSTRUCTIONS,
  sendRequest,
  sharedServer,
  startServer,
} from './serve-support.js';

const shared = sharedServer();
const TOKEN = 'a2a-token-0123456789abcdef';

/** The A2A 1.0 AgentCard in its JSON form (strict: a field of the SDK's internal shape fails it). */
const Interface = z.strictObject({
  url: z.string().url(),
  protocolBinding: z.string().min(1),
  protocolVersion: z.string().min(1),
  tenant: z.string().optional(),
});
const AgentCardJson = z.strictObject({
  name: z.string().min(1),
  description: z.string().min(1),
  supportedInterfaces: z.array(Interface).min(1),
  provider: z.strictObject({ url: z.string(), organization: z.string() }).optional(),
  version: z.string().min(1),
  documentationUrl: z.string().optional(),
  capabilities: z.strictObject({
    streaming: z.boolean().optional(),
    pushNotifications: z.boolean().optional(),
    extensions: z.array(z.unknown()).optional(),
    extendedAgentCard: z.boolean().optional(),
  }),
  securitySchemes: z
    .record(
      z.string(),
      z.union([
        z.strictObject({
          httpAuthSecurityScheme: z.strictObject({
            scheme: z.string(),
            description: z.string().optional(),
            bearerFormat: z.string().optional(),
          }),
        }),
        z.strictObject({ apiKeySecurityScheme: z.record(z.string(), z.unknown()) }),
        z.strictObject({ oauth2SecurityScheme: z.record(z.string(), z.unknown()) }),
        z.strictObject({ openIdConnectSecurityScheme: z.record(z.string(), z.unknown()) }),
        z.strictObject({ mtlsSecurityScheme: z.record(z.string(), z.unknown()) }),
      ]),
    )
    .optional(),
  securityRequirements: z
    .array(z.strictObject({ schemes: z.record(z.string(), z.strictObject({ list: z.array(z.string()).optional() })) }))
    .optional(),
  defaultInputModes: z.array(z.string()).min(1),
  defaultOutputModes: z.array(z.string()).min(1),
  skills: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        name: z.string().min(1),
        description: z.string().min(1),
        tags: z.array(z.string()).min(1),
        examples: z.array(z.string()).optional(),
        inputModes: z.array(z.string()).optional(),
        outputModes: z.array(z.string()).optional(),
        securityRequirements: z.array(z.unknown()).optional(),
      }),
    )
    .min(1),
  signatures: z.array(z.unknown()).optional(),
  iconUrl: z.string().optional(),
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
  const stream = client.sendMessageStream(sendRequest('long job'));
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
/** Every chunk belongs to one artifact: the first starts it, the rest append, only the last says so. */
function expectOneArtifact(chunks: ReturnType<typeof artifactChunks>): void {
  expect(new Set(chunks.map((c) => c.artifact?.artifactId)).size).toBe(1);
  expect(chunks.map((c) => c.append)).toEqual(chunks.map((_, i) => i > 0));
  expect(chunks.map((c) => c.lastChunk)).toEqual(chunks.map((_, i) => i === chunks.length - 1));
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

  it('serves the v0.3-shaped card only to clients asking for 0.3 (or the pre-0.3 path)', async () => {
    const legacy = {
      name: 'tester',
      protocolVersion: '0.3',
      url: `${shared.server.url}/a2a/jsonrpc`,
      preferredTransport: 'JSONRPC',
      capabilities: { streaming: true },
    };
    const asked = await fetch(`${shared.server.url}/.well-known/agent-card.json`, {
      headers: { 'A2A-Version': '0.3' },
    });
    expect(await asked.json()).toMatchObject(legacy);
    expect(await (await fetch(`${shared.server.url}/.well-known/agent.json`)).json()).toMatchObject(legacy);
    const unasked = (await (await fetch(`${shared.server.url}/.well-known/agent-card.json`)).json()) as object;
    expect(unasked).not.toHaveProperty('protocolVersion');
    expect(unasked).toHaveProperty('supportedInterfaces');
  });

  it('without A2A-Version the card is the 1.0 card in the spec JSON form, bearer scheme included', async () => {
    const secured = await startServer(shared.fake, { token: TOKEN });
    try {
      for (const server of [shared.server, secured]) {
        const res = await fetch(`${server.url}/.well-known/agent-card.json`);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        const card = (await res.json()) as Record<string, unknown>;
        expect(() => AgentCardJson.parse(card)).not.toThrow();
        expect(JSON.stringify(card)).not.toContain('$case');
        expect(AgentCard.toJSON(AgentCard.fromJSON(card))).toEqual(card);
      }
      const card = AgentCardJson.parse(await (await fetch(`${secured.url}/.well-known/agent-card.json`)).json());
      expect(card.securitySchemes).toEqual({
        bearer: { httpAuthSecurityScheme: { scheme: 'Bearer', description: 'Authorization: Bearer <token>' } },
      });
      expect(card.securityRequirements).toEqual([{ schemes: { bearer: {} } }]);
      // The SDK's 1.0 client reads it as a bearer scheme.
      const resolved = await new DefaultAgentCardResolver().resolve(secured.url);
      expect(resolved.securitySchemes['bearer']?.scheme).toMatchObject({
        $case: 'httpAuthSecurityScheme',
        value: { scheme: 'Bearer' },
      });
    } finally {
      await secured.close();
    }
  });

  it('never advertises 0.0.0.0, and --public-url wins', async () => {
    // Behind a token any Host is accepted (without one, 0.0.0.0 is refused like every name but localhost's).
    const secured = await startServer(shared.fake, { token: TOKEN });
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: secured.port,
          path: '/.well-known/agent-card.json',
          headers: { host: `0.0.0.0:${secured.port}`, 'a2a-version': '1.0' },
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
    await secured.close();
    expect(body).not.toContain('0.0.0.0');
    expect(JSON.parse(body).supportedInterfaces[0].url).toBe(`http://127.0.0.1:${secured.port}/a2a/jsonrpc`);

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
    const events = await collect(client.sendMessageStream(sendRequest('hi')));
    expect(events[0]?.payload?.$case).toBe('task');
    const chunks = artifactChunks(events);
    expect(chunks.map((c) => textOf(c.artifact?.parts)).join('')).toBe('Hello world');
    // Deltas of one network read travel as one chunk: here the whole answer came in one read.
    expectOneArtifact(chunks);
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

  it('deltas that arrive apart are separate chunks, the last one marked', async () => {
    shared.fake.enqueue({ text: ['one ', 'two ', 'three'], delayMs: 30 });
    const client = await v1Client(shared.server.url);
    const chunks = artifactChunks(await collect(client.sendMessageStream(sendRequest('count'))));
    expect(chunks.map((c) => textOf(c.artifact?.parts)).join('')).toBe('one two three');
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expectOneArtifact(chunks);
  });

  it('metadata keys are camelCase', async () => {
    shared.fake.enqueue({ toolCalls: [{ name: 'calculator', arguments: { expression: '6 * 7' } }] }, { text: '42' });
    const client = await v1Client(shared.server.url);
    const events = await collect(client.sendMessageStream(sendRequest('compute')));
    const metadata = events.flatMap((e) => (e.payload?.$case === 'statusUpdate' ? [e.payload.value.metadata] : []));
    expect(metadata).toContainEqual({
      agentor: expect.objectContaining({ type: 'tool_call', callId: expect.any(String) }),
    });
    expect(metadata).toContainEqual({
      agentor: expect.objectContaining({ type: 'tool_result', isError: false, durationMs: expect.any(Number) }),
    });
    expect(metadata.at(-1)).toMatchObject({
      agentor: { runId: expect.any(String), status: 'completed', usage: { inputTokens: expect.any(Number) } },
    });
    expect(JSON.stringify(metadata)).not.toMatch(/"[a-z]+_[a-z_]+":/);
  });

  it('keeps tool results out of the answer artifact', async () => {
    shared.fake.enqueue(
      { toolCalls: [{ name: 'calculator', arguments: { expression: '1234 * 5678' } }] },
      { text: ['Computed', ' it.'] },
    );
    const client = await v1Client(shared.server.url);
    const events = await collect(client.sendMessageStream(sendRequest('compute')));
    const answer = artifactChunks(events)
      .map((c) => textOf(c.artifact?.parts))
      .join('');
    expect(answer).toBe('Computed it.');
    expect(JSON.stringify(events)).not.toContain('7006652');
    expect(shared.fake.requests[1]?.body.messages.at(-1)).toMatchObject({ role: 'tool', content: '7006652' });
    expect(finalState(events)).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('a failed run is a failed task with a message in general terms (details in the server log)', async () => {
    shared.fake.enqueue({ fault: 'status', status: 400, message: 'the model refused' });
    const client = await v1Client(shared.server.url);
    const result = (await client.sendMessage(sendRequest('x'))) as Task;
    expect(result.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(textOf(result.status?.message?.parts)).toBe('the model provider answered HTTP 400');
    expect(JSON.stringify(result)).not.toContain(shared.fake.url);
    expect(shared.server.logs.join('\n')).toContain('the model refused');
  });

  it('contextId continues the conversation', async () => {
    shared.fake.enqueue({ text: 'Noted, Ada.' }, { text: 'You are Ada.' });
    const client = await v1Client(shared.server.url);
    const first = (await client.sendMessage(sendRequest('My name is Ada.'))) as Task;
    expect(first.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const second = (await client.sendMessage(sendRequest('Who am I?', { contextId: first.contextId }))) as Task;
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
});

describe('A2A: a dropped stream is not a cancel while someone may still listen', () => {
  /** Starts a streaming task on a hanging upstream; resolves with its id and a way to drop the connection. */
  async function startHanging(t: { fake: FakeOpenAI }, client: Client) {
    t.fake.enqueue({ fault: 'hang', text: ['partial '] });
    const controller = new AbortController();
    const stream = client.sendMessageStream(sendRequest('x'), { signal: controller.signal });
    const taskId = ((await stream.next()).value as StreamResponse & { payload: { value: Task } }).payload.value.id;
    await t.fake.waitForStreamStarted();
    return {
      taskId,
      drop: async () => {
        controller.abort();
        await stream.return(undefined).catch(() => undefined);
      },
    };
  }

  it('nobody back within the grace period: the run is cancelled and the task canceled', async () => {
    const t = await isolated({ a2aResubscribeGraceMs: 100 });
    try {
      const client = await v1Client(t.server.url);
      const { taskId, drop } = await startHanging(t, client);
      await drop();
      await disconnectedWithin(t.fake, 2000);
      await expect
        .poll(async () => (await client.getTask({ tenant: '', id: taskId })).status?.state)
        .toBe(TaskState.TASK_STATE_CANCELED);
    } finally {
      await t.close();
    }
  });

  it('a client that resubscribes within the grace period gets the rest of the answer', async () => {
    const t = await isolated();
    try {
      const client = await v1Client(t.server.url);
      const { taskId, drop } = await startHanging(t, client);
      await drop();
      const resumed = client.resubscribeTask({ tenant: '', id: taskId });
      const first = await resumed.next();
      expect(first.value?.payload?.$case).toBe('task');
      t.fake.release();
      const rest = await collect(resumed);
      expect(finalState(rest)).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(t.fake.disconnects).toBe(0);
      const task = await client.getTask({ tenant: '', id: taskId });
      expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(textOf(task.artifacts[0]?.parts)).toBe('partial ');
    } finally {
      await t.close();
    }
  });

  it('another subscriber keeps the task running when the first stream drops', async () => {
    const t = await isolated({ a2aResubscribeGraceMs: 1 });
    try {
      const client = await v1Client(t.server.url);
      const { taskId, drop } = await startHanging(t, client);
      const second = client.resubscribeTask({ tenant: '', id: taskId });
      await second.next();
      await drop();
      t.fake.release();
      expect(finalState(await collect(second))).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(t.fake.disconnects).toBe(0);
    } finally {
      await t.close();
    }
  });
});

describe('A2A 0.3 client (legacy compatibility)', () => {
  it('streams, gets the task, and continues a context', async () => {
    shared.fake.enqueue({ text: ['Leg', 'acy'] }, { text: 'again' });
    const client = await legacyClient(shared.server.url);
    const events = await collect(client.sendMessageStream(sendRequest('hi')));
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
    await collect(client.sendMessageStream(sendRequest('more', { contextId: task.contextId })));
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

  it('a Content-Type other than JSON → -32005, whatever the body', async () => {
    for (const body of [
      '{not json',
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'x' } }),
    ]) {
      const res = await postJson(`${shared.server.url}/a2a/jsonrpc`, body, {
        'content-type': 'text/plain',
        'A2A-Version': '1.0',
      });
      expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32005 } });
    }
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

describe('HTTP+JSON errors use the AIP-193 shape', () => {
  const rest = (path: string, init: RequestInit = {}) =>
    fetch(`${shared.server.url}/a2a/rest${path}`, {
      ...init,
      headers: { 'A2A-Version': '1.0', 'content-type': 'application/json', ...init.headers },
    });
  const expectAip = async (res: Response, status: number, reason: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/a2a\+json/);
    const body = (await res.json()) as { error: { code: number; status: string; message: string; details: unknown[] } };
    expect(body.error).toMatchObject({
      code: status,
      status: expect.stringMatching(/^[A-Z_]+$/),
      message: expect.any(String),
    });
    expect(body.error.details).toContainEqual(
      expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason }),
    );
  };

  it('malformed JSON → 400 INVALID_JSON', async () => {
    await expectAip(await rest('/message:send', { method: 'POST', body: '{bad' }), 400, 'INVALID_JSON');
  });

  it('an unknown path → 404 NOT_FOUND, an unknown task → 404 TASK_NOT_FOUND', async () => {
    await expectAip(await rest('/no/such/route'), 404, 'NOT_FOUND');
    await expectAip(await rest('/tasks/no-such-task'), 404, 'TASK_NOT_FOUND');
  });

  it('a body over the limit → 413 PAYLOAD_TOO_LARGE', async () => {
    await expectAip(
      await rest('/message:send', { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('a wrong Content-Type → CONTENT_TYPE_NOT_SUPPORTED', async () => {
    await expectAip(
      await rest('/message:send', { method: 'POST', body: '{bad', headers: { 'content-type': 'text/plain' } }),
      400,
      'CONTENT_TYPE_NOT_SUPPORTED',
    );
  });
});
