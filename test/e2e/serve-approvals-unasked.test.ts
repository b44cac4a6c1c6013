/**
 * Endpoints that cannot ask their client (non-streaming `/chat`, `/v1/chat/completions` with and without `stream`):
 * a call needing approval is denied at once — it never runs and nothing waits — the model is told why and how a
 * client gets it allowed, and the response lists it (`denied_tool_calls`); `allow_tools` allows it in advance, never
 * past `--approve never` — on the streaming `/chat` and the WebSocket `chat` frame too, which could ask. Raw fetch,
 * the official `openai` client and a `ws` client.
 */
import OpenAI from 'openai';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { BUILTIN_TOOLS } from '../../src/core/tools/builtins.js';
import type { ApprovalPolicy } from '../../src/core/tools/approval.js';
import { serve, type RunningServer } from '../../src/server/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { noteTool, parseSse, postJson } from './serve-support.js';

/** What write_note wrote: a call that was denied never gets here. */
const notes: string[] = [];
let fake: FakeOpenAI;
let server: RunningServer;
let strict: RunningServer;

function start(approval?: ApprovalPolicy): Promise<RunningServer> {
  const agent = new Agent({
    name: 'scribe',
    instructions: 'Write notes.',
    model: 'fake-model',
    provider: new OpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0 }),
    tools: [...BUILTIN_TOOLS, noteTool(notes)],
    ...(approval ? { approval } : {}),
  });
  // The default approval timeout (5 min): were a question waiting for an answer, the test would time out.
  return serve(agent, { port: 0, shutdownGraceMs: 2_000, log: () => undefined });
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  [server, strict] = await Promise.all([start(), start({ mode: 'never' })]);
});
afterAll(async () => {
  await Promise.all([server.close(), strict.close()]);
  await fake.close();
});
beforeEach(() => {
  notes.length = 0;
  fake.clearQueue();
  fake.requests.length = 0;
});

/** The model asks for write_note, then answers "done" whatever the tool said. */
function scriptNote(): void {
  fake.enqueue(
    { toolCalls: [{ id: 'call_1', name: 'write_note', arguments: { text: 'buy milk' } }] },
    { text: 'done' },
  );
}

/** What the model was told the tool returned (the tool message of its second request). */
function toolMessageSeen(): string {
  const messages = fake.requests[1]?.body.messages as Array<{ role: string; content: string }>;
  return messages.find((m) => m.role === 'tool')?.content ?? '';
}

const deniedCall = (endpoint: RegExp) => ({
  call_id: 'call_1',
  name: 'write_note',
  reason: expect.stringMatching(endpoint) as unknown,
});

describe('non-streaming POST /chat', () => {
  it('denies the call at once, tells the model why and how to allow it, and lists it in the answer', async () => {
    scriptNote();
    const res = await postJson(`${server.url}/chat`, { input: 'note: buy milk', stream: false });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      text: 'done',
      status: 'completed',
      denied_tool_calls: [deniedCall(/needs approval and a non-streaming POST \/chat cannot ask for it/)],
    });
    expect(notes).toEqual([]);
    expect(toolMessageSeen()).toMatch(
      /^Error: denied by the approval policy: "write_note" may change things; it needs approval and a non-streaming POST \/chat cannot ask for it: the client can allow it in advance with "allow_tools"/,
    );
  });

  it('"allow_tools" allows it in advance: the call runs and nothing is listed as denied', async () => {
    scriptNote();
    const res = await postJson(`${server.url}/chat`, { input: 'note', stream: false, allow_tools: ['write_note'] });
    expect(res.status).toBe(200);
    expect(res.json().denied_tool_calls).toBeUndefined();
    expect(notes).toEqual(['buy milk']);
    expect(toolMessageSeen()).toBe('noted: buy milk');
  });

  it('"allow_tools" never overrides --approve never', async () => {
    scriptNote();
    const res = await postJson(`${strict.url}/chat`, { input: 'note', stream: false, allow_tools: ['*'] });
    expect(res.json().denied_tool_calls).toEqual([deniedCall(/refuses such calls \(never\)/)]);
    expect(notes).toEqual([]);
  });

  it('a malformed "allow_tools" is a 400 that says what is accepted', async () => {
    for (const allow of ['write_note', ['../x'], [1]]) {
      const res = await postJson(`${server.url}/chat`, { input: 'note', stream: false, allow_tools: allow });
      expect(res.status).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_request', message: /allow_tools/ });
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('a streaming /chat takes "allow_tools" too: allowed by the user in advance, nobody is asked', async () => {
    scriptNote();
    const res = await postJson(`${server.url}/chat`, { input: 'note', stream: true, allow_tools: ['write_note'] });
    const events = parseSse(res.text).map((f) => JSON.parse(f.data) as { type: string });
    expect(events.map((e) => e.type)).not.toContain('tool_approval_request');
    expect(events.find((e) => e.type === 'tool_approval')).toMatchObject({ decision: 'allowed', by: 'user' });
    expect(notes).toEqual(['buy milk']);
  });
});

describe('POST /v1/chat/completions', () => {
  const v1 = (body: Record<string, unknown>) =>
    postJson(`${server.url}/v1/chat/completions`, {
      model: 'scribe',
      messages: [{ role: 'user', content: 'note' }],
      ...body,
    });

  it('raw: denied at once, finish_reason stop, the denial listed beside the choices', async () => {
    scriptNote();
    const res = await v1({});
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'done' }, finish_reason: 'stop' });
    expect(body.denied_tool_calls).toEqual([deniedCall(/POST \/v1\/chat\/completions cannot ask for it/)]);
    expect(notes).toEqual([]);
    expect(toolMessageSeen()).toMatch(/POST \/v1\/chat\/completions cannot ask for it: .*"allow_tools"/);
  });

  it('raw, streaming: the last chunk (the one with finish_reason) lists the denial', async () => {
    scriptNote();
    const res = await v1({ stream: true });
    const frames = parseSse(res.text).map((f) => f.data);
    expect(frames.at(-1)).toBe('[DONE]');
    const last = JSON.parse(frames.at(-2) as string);
    expect(last.choices[0].finish_reason).toBe('stop');
    expect(last.denied_tool_calls).toEqual([deniedCall(/POST \/v1\/chat\/completions cannot ask for it/)]);
    expect(frames.slice(0, -2).every((f) => !f.includes('denied_tool_calls'))).toBe(true);
    expect(notes).toEqual([]);
  });

  const client = (): OpenAI => new OpenAI({ apiKey: 'unused', baseURL: `${server.url}/v1`, maxRetries: 0 });
  // An agentor extension field: the official client sends unknown body fields as they are.
  const allowing = { allow_tools: ['write_note'] } as Record<string, unknown>;

  it('the openai client: denied without allow_tools, the call runs with it', async () => {
    scriptNote();
    const denied = await client().chat.completions.create({
      model: 'scribe',
      messages: [{ role: 'user', content: 'note' }],
    });
    expect(denied.choices[0]?.message.content).toBe('done');
    expect((denied as unknown as { denied_tool_calls: unknown }).denied_tool_calls).toEqual([
      deniedCall(/cannot ask for it/),
    ]);
    expect(notes).toEqual([]);

    scriptNote();
    const allowed = await client().chat.completions.create({
      model: 'scribe',
      messages: [{ role: 'user', content: 'note' }],
      ...allowing,
    });
    expect(allowed.choices[0]?.finish_reason).toBe('stop');
    expect((allowed as unknown as { denied_tool_calls?: unknown }).denied_tool_calls).toBeUndefined();
    expect(notes).toEqual(['buy milk']);
  });

  it('the openai client, streaming: the chunks end normally; allow_tools lets the call run', async () => {
    scriptNote();
    const chunks: Array<Record<string, unknown>> = [];
    for await (const c of await client().chat.completions.create({
      model: 'scribe',
      messages: [{ role: 'user', content: 'note' }],
      stream: true,
    }))
      chunks.push(c as unknown as Record<string, unknown>);
    expect(chunks.at(-1)).toMatchObject({
      choices: [{ finish_reason: 'stop' }],
      denied_tool_calls: [deniedCall(/cannot ask for it/)],
    });
    expect(notes).toEqual([]);

    scriptNote();
    let text = '';
    for await (const c of await client().chat.completions.create({
      model: 'scribe',
      messages: [{ role: 'user', content: 'note' }],
      stream: true,
      ...allowing,
    }))
      text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('done');
    expect(notes).toEqual(['buy milk']);
  });
});

describe('the WebSocket chat frame', () => {
  /** Sends one chat frame on a fresh socket; resolves with the frames of that id up to its run_end or error frame. */
  async function wsChat(
    target: RunningServer,
    frame: Record<string, unknown>,
  ): Promise<Array<Record<string, unknown>>> {
    const ws = new WebSocket(`${target.url.replace('http', 'ws')}/ws`);
    onTestFinished(() => ws.close());
    const frames: Array<Record<string, unknown>> = [];
    const done = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const f = JSON.parse(String(data)) as Record<string, unknown>;
        frames.push(f);
        if (f['type'] === 'run_end' || f['type'] === 'error') resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'chat', id: 'w1', input: 'note', ...frame }));
    await done;
    return frames;
  }

  it('"allow_tools" allows the call in advance: nobody is asked, it runs, the run completes', async () => {
    scriptNote();
    const frames = await wsChat(server, { allow_tools: ['write_note'] });
    expect(frames.map((f) => f['type'])).not.toContain('tool_approval_request');
    expect(frames.find((f) => f['type'] === 'tool_approval')).toMatchObject({
      id: 'w1',
      decision: 'allowed',
      by: 'user',
    });
    expect(frames.at(-1)).toMatchObject({ type: 'run_end', id: 'w1', status: 'completed', text: 'done' });
    expect(notes).toEqual(['buy milk']);
    expect(toolMessageSeen()).toBe('noted: buy milk');
  });

  it('"allow_tools" with a pattern (server__* or *) never overrides --approve never', async () => {
    scriptNote();
    const frames = await wsChat(strict, { allow_tools: ['*'] });
    expect(frames.find((f) => f['type'] === 'tool_approval')).toMatchObject({ decision: 'denied', by: 'policy' });
    expect(frames.at(-1)).toMatchObject({ type: 'run_end', status: 'completed' });
    expect(notes).toEqual([]);
  });

  it('a malformed "allow_tools" is an error frame that says what is accepted; nothing runs', async () => {
    for (const allow of ['write_note', ['../x'], [1]]) {
      const frames = await wsChat(server, { allow_tools: allow });
      expect(frames).toEqual([
        {
          type: 'error',
          id: 'w1',
          error: { code: 'invalid_request', message: expect.stringMatching(/allow_tools/), retryable: false },
        },
      ]);
    }
    expect(fake.requests).toHaveLength(0);
  });
});
