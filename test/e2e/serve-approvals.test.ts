/**
 * Tool approvals over `agentor serve`: SSE `tool_approval_request` answered by `POST /chat/approvals`, the WebSocket
 * `approval` frame, A2A `input-required` answered on the same task by the official @a2a-js/sdk client, and a question
 * nobody answers turning into a denial after the (short, configured) approval timeout.
 */
import { TaskState, type StreamResponse, type Task } from '@a2a-js/sdk';
import { ClientFactory, type Client } from '@a2a-js/sdk/client';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { AgentEvent } from '../../src/core/events.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { BUILTIN_TOOLS } from '../../src/core/tools/builtins.js';
import { serve, type RunningServer, type ServeOptions } from '../../src/server/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { dataPart, noteTool, postJson, sendRequest, taskStates, userMessage } from './serve-support.js';

/** What write_note wrote: a call that was denied never gets here. */
const notes: string[] = [];
const writeNote = noteTool(notes);

let fake: FakeOpenAI;
let server: RunningServer;

async function start(fakeUpstream: FakeOpenAI, options: ServeOptions = {}): Promise<RunningServer> {
  const agent = new Agent({
    name: 'scribe',
    instructions: 'Write notes.',
    model: 'fake-model',
    provider: new OpenAIProvider({ apiKey: 'sk-test', baseURL: fakeUpstream.url, maxRetries: 0 }),
    tools: [...BUILTIN_TOOLS, writeNote],
  });
  return serve(agent, { port: 0, shutdownGraceMs: 2_000, log: () => undefined, ...options });
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  server = await start(fake);
});
afterAll(async () => {
  await server.close();
  await fake.close();
});
beforeEach(() => {
  notes.length = 0;
  fake.requests.length = 0;
});

/** The model asks for write_note, then answers "done" whatever the tool said. */
function scriptNote(text = 'buy milk'): void {
  fake.enqueue({ toolCalls: [{ id: 'call_1', name: 'write_note', arguments: { text } }] }, { text: 'done' });
}

/** What the model was told the tool returned (the tool message of its second request). */
function toolMessageSeen(): string {
  const messages = fake.requests[1]?.body.messages as Array<{ role: string; content: string }>;
  return messages.find((m) => m.role === 'tool')?.content ?? '';
}

/** Reads an SSE response frame by frame as it arrives. */
async function* sseEvents(res: Response): AsyncGenerator<AgentEvent> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      if (data) yield JSON.parse(data.slice(6)) as AgentEvent;
    }
  }
}

/** Streams a /chat run, answering its approval requests with `answer`; resolves with every event. */
async function chatAnswering(
  url: string,
  answer: (e: Extract<AgentEvent, { type: 'tool_approval_request' }>) => Record<string, unknown> | undefined,
): Promise<AgentEvent[]> {
  const res = await fetch(`${url}/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ input: 'note: buy milk' }),
  });
  expect(res.status).toBe(200);
  const events: AgentEvent[] = [];
  for await (const e of sseEvents(res)) {
    events.push(e);
    if (e.type !== 'tool_approval_request') continue;
    const body = answer(e);
    if (!body) continue;
    const r = await postJson(`${url}/chat/approvals`, { run_id: e.run_id, call_id: e.call_id, ...body });
    expect(r.status, r.text).toBe(200);
  }
  return events;
}

const types = (events: AgentEvent[]): string[] => events.map((e) => e.type).filter((t) => t !== 'text_delta');

describe('SSE /chat and POST /chat/approvals', () => {
  it('asks, runs the call once it is allowed, and the run completes', async () => {
    scriptNote();
    const events = await chatAnswering(server.url, () => ({ decision: 'allowed' }));
    expect(types(events)).toEqual([
      'run_start',
      'tool_call',
      'tool_approval_request',
      'tool_approval',
      'tool_result',
      'message',
      'run_end',
    ]);
    expect(events.find((e) => e.type === 'tool_approval_request')).toMatchObject({
      call_id: 'call_1',
      name: 'write_note',
      args: { text: 'buy milk' },
      reason: '"write_note" may change things',
    });
    expect(events.find((e) => e.type === 'tool_approval')).toMatchObject({
      decision: 'allowed',
      by: 'user',
      scope: 'once',
    });
    expect(events.find((e) => e.type === 'tool_result')).toMatchObject({ is_error: false, result: 'noted: buy milk' });
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'done' });
    expect(notes).toEqual(['buy milk']);
  });

  it('a denial with a reason reaches the model as an error result, and the run goes on', async () => {
    scriptNote();
    const events = await chatAnswering(server.url, () => ({ decision: 'denied', reason: 'not on my list' }));
    expect(events.find((e) => e.type === 'tool_approval')).toMatchObject({
      decision: 'denied',
      by: 'user',
      reason: 'not on my list',
    });
    expect(events.find((e) => e.type === 'tool_result')).toMatchObject({ is_error: true });
    expect(toolMessageSeen()).toBe('Error: the user denied this call: not on my list');
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed' });
    expect(notes).toEqual([]);
  });

  it('answers what it cannot take with 400 or 404, saying why', async () => {
    const missing = await postJson(`${server.url}/chat/approvals`, { run_id: 'r', call_id: 'c', decision: 'allowed' });
    expect(missing.status).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'approval_not_found' });
    const bad = await postJson(`${server.url}/chat/approvals`, { run_id: 'r', call_id: 'c', decision: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toContain('"decision" must be "allowed" or "denied"');
    const get = await fetch(`${server.url}/chat/approvals`);
    expect(get.status).toBe(405);
  });
});

describe('approval timeout', () => {
  it('a question nobody answers counts as denied by the policy', async () => {
    const upstream = await startFakeOpenAI();
    const quick = await start(upstream, { approvalTimeoutMs: 100 });
    onTestFinished(async () => {
      await quick.close();
      await upstream.close();
    });
    upstream.enqueue({ toolCalls: [{ id: 'call_1', name: 'write_note', arguments: { text: 'x' } }] }, { text: 'ok' });
    const events = await chatAnswering(quick.url, () => undefined);
    expect(events.find((e) => e.type === 'tool_approval')).toMatchObject({
      decision: 'denied',
      by: 'policy',
      reason: 'no answer to the approval request within 100 ms',
    });
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed' });
    expect(notes).toEqual([]);
  });
});

describe('WebSocket approval frame', () => {
  it('answers the question of the run with that id', async () => {
    scriptNote();
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
    onTestFinished(() => ws.close());
    const frames: Array<Record<string, unknown>> = [];
    const ended = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Record<string, unknown>;
        frames.push(frame);
        if (frame['type'] === 'tool_approval_request') {
          // A wrong call_id first: an error frame, and the question still waits.
          ws.send(JSON.stringify({ type: 'approval', id: 'r1', call_id: 'nope', decision: 'allowed' }));
          ws.send(JSON.stringify({ type: 'approval', id: 'r1', call_id: frame['call_id'], decision: 'allowed' }));
        }
        if (frame['type'] === 'run_end') resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'chat', id: 'r1', input: 'note: buy milk' }));
    await ended;
    expect(frames.find((f) => f['type'] === 'error')).toMatchObject({
      id: 'r1',
      error: { code: 'approval_not_found' },
    });
    expect(frames.find((f) => f['type'] === 'tool_approval')).toMatchObject({ id: 'r1', decision: 'allowed' });
    expect(frames.at(-1)).toMatchObject({ type: 'run_end', status: 'completed' });
    expect(notes).toEqual(['buy milk']);
  });
});

describe('A2A input-required', () => {
  const client = (): Promise<Client> => new ClientFactory().createFromUrl(server.url);
  const callOf = (task: Task): Record<string, unknown> | undefined => {
    const part = task.status?.message?.parts.find((p) => p.content?.$case === 'data');
    return part?.content?.$case === 'data' ? (part.content.value as Record<string, unknown>) : undefined;
  };

  it('the task waits in input-required with the call described; "yes" on the same task runs it and completes', async () => {
    scriptNote();
    const a2a = await client();
    const paused = (await a2a.sendMessage(sendRequest('note: buy milk'))) as Task;
    expect(paused.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(callOf(paused)).toMatchObject({
      type: 'tool_approval_request',
      call_id: 'call_1',
      name: 'write_note',
      args: { text: 'buy milk' },
    });
    expect(notes).toEqual([]);
    // Something that is not an answer is refused, and the task still waits.
    await expect(
      a2a.sendMessage(sendRequest('what?', { taskId: paused.id, contextId: paused.contextId })),
    ).rejects.toThrow(/reply "yes", "always", "no"/);
    const done = (await a2a.sendMessage(
      sendRequest('yes', { taskId: paused.id, contextId: paused.contextId }),
    )) as Task;
    expect(done.id).toBe(paused.id);
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(notes).toEqual(['buy milk']);
  });

  it('streaming: the first stream ends at input-required; a data part {call_id, decision} answers it', async () => {
    scriptNote();
    const a2a = await client();
    const first: StreamResponse[] = [];
    for await (const e of a2a.sendMessageStream(sendRequest('note: buy milk'))) first.push(e);
    expect(taskStates(first).at(-1)).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const task = first[0]?.payload?.$case === 'task' ? first[0].payload.value : undefined;
    expect(task).toBeDefined();
    const second: StreamResponse[] = [];
    const answer = userMessage([dataPart({ call_id: 'call_1', decision: 'denied', reason: 'no notes today' })], {
      taskId: task!.id,
      contextId: task!.contextId,
    });
    for await (const e of a2a.sendMessageStream(sendRequest(answer))) second.push(e);
    expect(taskStates(second).at(-1)).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(toolMessageSeen()).toBe('Error: the user denied this call: no notes today');
    expect(notes).toEqual([]);
    const stored = await a2a.getTask({ tenant: '', id: task!.id, historyLength: undefined });
    expect(stored.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });
});
