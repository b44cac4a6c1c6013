/**
 * Incoming W3C trace context on the A2A and WebSocket endpoints: a `traceparent` sent by the official @a2a-js/sdk
 * client (as an A2A service parameter, i.e. an HTTP header of the JSON-RPC request), on the `/ws` upgrade, or in a
 * `chat` frame makes the run's `invoke_agent` span a child of the caller's span, with its `chat` span under it; spans
 * are read by an in-test OTLP receiver.
 */
import { ClientFactory } from '@a2a-js/sdk/client';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { A2AProvider } from '../../src/core/providers/a2a.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { startTracing, type Tracing } from '../../src/observability/tracing.js';
import { serve, type RunningServer } from '../../src/server/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { sendRequest } from './serve-support.js';

const TOKEN = 'trace-context-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Traced {
  fake: FakeOpenAI;
  server: RunningServer;
  tracing: Tracing;
  receiver: OtlpReceiver;
}

async function start(): Promise<Traced> {
  const receiver = await startOtlpReceiver();
  cleanups.push(() => receiver.close());
  const tracing = await startTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
  if (!tracing) throw new Error('tracing did not start');
  cleanups.push(() => tracing.shutdown(1000));
  const fake = await startFakeOpenAI();
  cleanups.push(() => fake.close());
  const agent = new Agent({
    name: 'tracer',
    instructions: 'be brief',
    model: 'fake-model',
    provider: new OpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0 }),
  });
  const server = await serve(agent, { port: 0, token: TOKEN, shutdownGraceMs: 2_000, telemetry: { tracing } });
  cleanups.push(() => server.close());
  return { fake, server, tracing, receiver };
}

/** A fresh caller context: random ids, so each test's spans are found by their own trace id. */
function callerContext(): { traceId: string; spanId: string; traceparent: string } {
  const hex = (bytes: number): string => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The run's spans in the caller's trace: invoke_agent is the caller's child, the model call is the run's. */
async function expectJoined(t: Traced, traceId: string, callerSpan: string, protocol: string): Promise<ReceivedSpan> {
  await t.tracing.flush(2000);
  const spans = await t.receiver.waitForSpans(2, (s) => s.traceId === traceId);
  const run = spans.find((s) => s.name === 'invoke_agent tracer');
  expect(run, `spans received: ${spans.map((s) => s.name).join(', ')}`).toBeDefined();
  expect(run!.parentSpanId).toBe(callerSpan);
  expect(run!.attributes['agentor.protocol']).toBe(protocol);
  const chat = spans.find((s) => s.name === 'chat fake-model');
  expect(chat?.parentSpanId).toBe(run!.spanId);
  // The upstream request carried the chat span as its parent: the caller's trace continues past agentor.
  const upstream = t.fake.requests.filter((q) => q.path.endsWith('/chat/completions')).at(-1);
  expect(upstream?.headers['traceparent']).toBe(`00-${traceId}-${chat!.spanId}-01`);
  return run!;
}

describe('incoming traceparent on A2A', () => {
  it('message/send from the official client with a traceparent service parameter joins the trace', async () => {
    const t = await start();
    t.fake.enqueue({ text: ['hello'] });
    const caller = callerContext();
    const client = await new ClientFactory().createFromUrl(t.server.url);
    await client.sendMessage(sendRequest('hi'), { serviceParameters: { ...AUTH, traceparent: caller.traceparent } });
    const run = await expectJoined(t, caller.traceId, caller.spanId, 'a2a');
    expect(typeof run.attributes['gen_ai.conversation.id']).toBe('string');
  });

  it('message/stream joins the trace too', async () => {
    const t = await start();
    t.fake.enqueue({ text: ['streamed', ' answer'] });
    const caller = callerContext();
    const client = await new ClientFactory().createFromUrl(t.server.url);
    const stream = client.sendMessageStream(sendRequest('hi'), {
      serviceParameters: { ...AUTH, traceparent: caller.traceparent, tracestate: 'vendor=1' },
    });
    for await (const _ of stream) void _;
    await expectJoined(t, caller.traceId, caller.spanId, 'a2a');
  });

  it('without a traceparent the run starts its own trace', async () => {
    const t = await start();
    t.fake.enqueue({ text: ['hello'] });
    const client = await new ClientFactory().createFromUrl(t.server.url);
    await client.sendMessage(sendRequest('hi'), { serviceParameters: AUTH });
    await t.tracing.flush(2000);
    const [run] = await t.receiver.waitForSpans(1, (s) => s.name === 'invoke_agent tracer');
    expect(run?.parentSpanId).toBeFalsy();
  });
});

describe('outgoing trace context to a remote A2A agent', () => {
  it('a traced run calling a remote agent (--a2a) makes the remote run a child of its chat span', async () => {
    const t = await start();
    t.fake.enqueue({ text: ['from afar'] });
    const caller = callerContext();
    const local = new Agent({
      name: 'local',
      provider: new A2AProvider({ url: t.server.url, headers: AUTH, env: {} }),
    });
    const run = t.tracing.observeRun({ protocol: 'cli', carrier: { traceparent: caller.traceparent } });
    for await (const _ of local.streamChat('ask the remote', { observer: run })) void _;
    await t.tracing.flush(2000);
    const spans = await t.receiver.waitForSpans(4, (s) => s.traceId === caller.traceId);
    const localRun = spans.find((s) => s.name === 'invoke_agent local')!;
    expect(localRun.parentSpanId).toBe(caller.spanId);
    const localChat = spans.find((s) => s.kind === 3 && s.parentSpanId === localRun.spanId)!;
    expect(localChat.attributes['gen_ai.provider.name']).toBe('a2a');
    // The remote (served) run joined the same trace under the call that asked for it.
    const remoteRun = spans.find((s) => s.name === 'invoke_agent tracer')!;
    expect(remoteRun.parentSpanId).toBe(localChat.spanId);
    expect(remoteRun.attributes['agentor.protocol']).toBe('a2a');
  });
});

/** Opens /ws with `headers` and runs one chat frame to its run_end. */
async function wsRun(server: RunningServer, headers: Record<string, string>, frame: Record<string, unknown>) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, { headers: { ...AUTH, ...headers } });
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const end = new Promise<Record<string, unknown>>((resolve) =>
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as Record<string, unknown>;
      if (f['type'] === 'run_end' || f['type'] === 'error') resolve(f);
    }),
  );
  ws.send(JSON.stringify({ type: 'chat', id: 'r1', input: 'hi', ...frame }));
  return end;
}

describe('incoming traceparent on WebSocket runs', () => {
  it('a traceparent header on the /ws upgrade is the parent of every run on the socket', async () => {
    const t = await start();
    t.fake.enqueue({ text: ['over ws'] });
    const caller = callerContext();
    expect(await wsRun(t.server, { traceparent: caller.traceparent }, {})).toMatchObject({ status: 'completed' });
    await expectJoined(t, caller.traceId, caller.spanId, 'ws');
  });

  it("a chat frame's own traceparent wins over the upgrade's (a browser cannot set upgrade headers)", async () => {
    const t = await start();
    t.fake.enqueue({ text: ['framed'] });
    const socketCaller = callerContext();
    const frameCaller = callerContext();
    const end = await wsRun(
      t.server,
      { traceparent: socketCaller.traceparent },
      { traceparent: frameCaller.traceparent },
    );
    expect(end).toMatchObject({ status: 'completed' });
    await expectJoined(t, frameCaller.traceId, frameCaller.spanId, 'ws');
    expect(t.receiver.spans.some((s) => s.traceId === socketCaller.traceId)).toBe(false);
  });

  it('a malformed traceparent is ignored: the run starts its own trace', async () => {
    const t = await start();
    t.fake.enqueue({ text: ['fresh'] });
    expect(await wsRun(t.server, { traceparent: '00-not-a-trace-01' }, {})).toMatchObject({ status: 'completed' });
    await t.tracing.flush(2000);
    const [run] = await t.receiver.waitForSpans(1, (s) => s.name === 'invoke_agent tracer');
    expect(run?.parentSpanId).toBeFalsy();
  });
});
