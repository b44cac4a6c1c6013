import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../src/core/events.js';
import type { RunObserver } from '../../src/core/observer.js';
import { startTracing, tracingConfig, type Tracing } from '../../src/observability/tracing.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';

const OTEL_VARS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_TRACES_EXPORTER',
  'OTEL_SERVICE_NAME',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
];
const saved = Object.fromEntries(OTEL_VARS.map((k) => [k, process.env[k]]));
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const k of OTEL_VARS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

/** Tracing exporting to a fresh receiver (the SDK reads the standard variables from process.env). */
async function traced(vars: Record<string, string> = {}): Promise<{ tracing: Tracing; receiver: OtlpReceiver }> {
  const receiver = await startOtlpReceiver();
  cleanups.push(() => receiver.close());
  Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'agentor-test', ...vars });
  const tracing = await startTracing({ version: '9.9.9' });
  if (!tracing) throw new Error('tracing did not start');
  cleanups.push(() => tracing.shutdown());
  return { tracing, receiver };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

/** Drives an observer the way the turn loop does: a tool-calling turn, then an answer. */
function scriptedRun(observer: RunObserver): {
  modelHeaders: Array<Record<string, string>>;
  toolHeaders: Record<string, string>;
} {
  let seq = 0;
  const emit = (payload: EventPayload): void =>
    observer.event?.({ ...payload, run_id: 'run_abc', seq: seq++, ts: Date.now(), agent: 'helper' });
  const modelHeaders: Array<Record<string, string>> = [];
  emit({ type: 'run_start', model: 'gpt-test', input: 'What is 2+2? secret-prompt' });
  const call1 = observer.modelCall?.({
    turn: 1,
    model: 'gpt-test',
    provider: 'openai',
    endpoint: 'http://127.0.0.1:9999/v1',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'What is 2+2? secret-prompt' },
    ],
  });
  modelHeaders.push({ ...call1?.headers });
  call1?.end({
    usage: { input_tokens: 20, output_tokens: 7, total_tokens: 27 },
    finishReason: 'tool_calls',
    responseModel: 'gpt-test-2024',
    text: '',
    toolCalls: [{ id: 'call_1', name: 'calculator', arguments: '{"expression":"2+2"}' }],
    aborted: false,
  });
  emit({ type: 'tool_call', call_id: 'call_1', name: 'calculator', args: { expression: '2+2' }, turn: 1 });
  const tool = observer.toolCall?.({ turn: 1, call_id: 'call_1', name: 'calculator', args: { expression: '2+2' } });
  const toolHeaders = { ...tool?.headers };
  tool?.end({ result: '4', is_error: false, duration_ms: 3 });
  emit({
    type: 'tool_result',
    call_id: 'call_1',
    name: 'calculator',
    result: '4',
    is_error: false,
    duration_ms: 3,
    turn: 1,
  });
  const call2 = observer.modelCall?.({ turn: 2, model: 'gpt-test', provider: 'openai', messages: [] });
  modelHeaders.push({ ...call2?.headers });
  emit({ type: 'text_delta', text: 'It is 4.', turn: 2 });
  call2?.end({
    usage: { input_tokens: 30, output_tokens: 4, total_tokens: 34 },
    text: 'It is 4.',
    toolCalls: [],
    aborted: false,
  });
  emit({ type: 'message', text: 'It is 4.', turn: 2 });
  emit({
    type: 'run_end',
    status: 'completed',
    text: 'It is 4.',
    usage: { input_tokens: 50, output_tokens: 11, total_tokens: 61 },
    duration_ms: 5,
  });
  return { modelHeaders, toolHeaders };
}

const byName = (spans: ReceivedSpan[], name: string): ReceivedSpan => {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0] as ReceivedSpan;
};

describe('tracing configuration from the standard variables', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
  ])('%j → enabled %s', (env, enabled) => {
    expect(tracingConfig(env).enabled).toBe(enabled);
  });

  it('picks the exporter from the protocol, says what it cannot honour, and captures content only when asked', () => {
    expect(tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).exporter).toBe('http/protobuf');
    expect(tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).exporter).toBe(
      'http/json',
    );
    expect(tracingConfig({ OTEL_TRACES_EXPORTER: 'console' }).exporter).toBe('console');
    const grpc = tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(grpc).toMatchObject({ enabled: true, exporter: 'http/protobuf' });
    expect(grpc.warnings.join()).toMatch(/grpc is not supported.*http\/protobuf/);
    expect(tracingConfig({ OTEL_TRACES_EXPORTER: 'zipkin' })).toMatchObject({ enabled: false });
    expect(tracingConfig({ OTEL_TRACES_EXPORTER: 'zipkin' }).warnings.join()).toMatch(/zipkin is not supported/);
    expect(tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).captureContent).toBe(false);
    expect(
      tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' })
        .captureContent,
    ).toBe(true);
  });

  it('loads no SDK when off', async () => {
    expect(await startTracing({ env: {} })).toBeUndefined();
  });
});

describe.each(['http/protobuf', 'http/json'])('spans exported over OTLP %s', (protocol) => {
  it('a run becomes invoke_agent with chat and execute_tool spans under the incoming traceparent', async () => {
    const { tracing, receiver } = await traced({ OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
    const run = tracing.observeRun({
      protocol: 'chat',
      carrier: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
      requestId: 'req-42',
      conversationId: 'session-7',
    });
    const { modelHeaders, toolHeaders } = scriptedRun(run);
    expect(run.traceId).toBe(TRACE_ID);
    await tracing.flush();
    const spans = await receiver.waitForSpans(4);
    expect(spans.every((s) => s.encoding === (protocol === 'http/json' ? 'json' : 'protobuf'))).toBe(true);
    const agent = byName(spans, 'invoke_agent helper');
    const chats = spans.filter((s) => s.name === 'chat gpt-test');
    const tool = byName(spans, 'execute_tool calculator');
    expect(chats).toHaveLength(2);
    for (const s of spans) expect(s.traceId).toBe(TRACE_ID);
    expect(agent.parentSpanId).toBe(PARENT_ID);
    for (const s of [...chats, tool]) expect(s.parentSpanId).toBe(agent.spanId);
    expect(agent.kind).toBe(1);
    expect(agent.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'helper',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-test',
      'gen_ai.conversation.id': 'session-7',
      'gen_ai.usage.input_tokens': 50,
      'gen_ai.usage.output_tokens': 11,
      'agentor.request.id': 'req-42',
      'agentor.run.id': 'run_abc',
      'agentor.run.status': 'completed',
    });
    expect(agent.resource).toMatchObject({ 'service.name': 'agentor-test', 'service.version': '9.9.9' });
    const [first, second] = chats.sort((a, b) => Number(a.startNs - b.startNs)) as [ReceivedSpan, ReceivedSpan];
    expect(first.kind).toBe(3);
    expect(first.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-test',
      'gen_ai.response.model': 'gpt-test-2024',
      'gen_ai.usage.input_tokens': 20,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'server.address': '127.0.0.1',
      'server.port': 9999,
    });
    expect(second.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(typeof second.attributes['gen_ai.response.time_to_first_chunk']).toBe('number');
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'calculator',
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.tool.type': 'function',
    });
    // Each outgoing request carries its own span as the parent.
    expect(modelHeaders[0]?.['traceparent']).toBe(`00-${TRACE_ID}-${first.spanId}-01`);
    expect(modelHeaders[1]?.['traceparent']).toBe(`00-${TRACE_ID}-${second.spanId}-01`);
    expect(toolHeaders['traceparent']).toBe(`00-${TRACE_ID}-${tool.spanId}-01`);
    // No content unless opted in.
    const all = JSON.stringify(spans, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(all).not.toContain('secret-prompt');
    expect(all).not.toContain('gen_ai.input.messages');
  });
});

describe('tracing details', () => {
  it('records prompt, completion and tool content only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true', async () => {
    const { tracing, receiver } = await traced({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
    });
    scriptedRun(tracing.observeRun({ protocol: 'cli' }));
    await tracing.flush();
    const spans = await receiver.waitForSpans(4);
    const chat = spans.find((s) => s.name === 'chat gpt-test' && s.attributes['gen_ai.system_instructions']);
    expect(JSON.parse(chat?.attributes['gen_ai.system_instructions'] as string)).toEqual([
      { type: 'text', content: 'be brief' },
    ]);
    expect(JSON.parse(chat?.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'What is 2+2? secret-prompt' }] },
    ]);
    expect(JSON.parse(chat?.attributes['gen_ai.output.messages'] as string)).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'call_1', name: 'calculator', arguments: '{"expression":"2+2"}' }],
        finish_reason: 'tool_calls',
      },
    ]);
    const tool = spans.find((s) => s.name === 'execute_tool calculator');
    expect(tool?.attributes).toMatchObject({
      'gen_ai.tool.call.arguments': '{"expression":"2+2"}',
      'gen_ai.tool.call.result': '4',
    });
    // Without an incoming traceparent the run is a new trace's root.
    expect(spans.find((s) => s.name === 'invoke_agent helper')?.parentSpanId).toBe('');
  });

  it('marks failures with a low-cardinality error.type and ERROR status; a cancelled run is no error', async () => {
    const { tracing, receiver } = await traced({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    const failing = tracing.observeRun({ protocol: 'chat' });
    let seq = 0;
    const emit = (o: RunObserver, payload: EventPayload): void =>
      o.event?.({ ...payload, run_id: 'r', seq: seq++, ts: Date.now(), agent: 'helper' });
    emit(failing, { type: 'run_start', model: 'm', input: '' });
    const call = failing.modelCall?.({ turn: 1, model: 'm', provider: 'openai', messages: [] });
    call?.end({
      text: '',
      toolCalls: [],
      aborted: false,
      error: { message: 'upstream answered 503: overloaded', code: 'upstream_unavailable', retryable: true },
    });
    const tool = failing.toolCall?.({ turn: 1, call_id: 'c', name: 'fetch', args: {} });
    tool?.end({ result: 'Error: boom', is_error: true, duration_ms: 1 });
    emit(failing, {
      type: 'run_end',
      status: 'failed',
      text: '',
      usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
      error: { message: 'upstream answered 503: overloaded', code: 'upstream_unavailable', retryable: true },
      duration_ms: 1,
    });
    const cancelled = tracing.observeRun({ protocol: 'ws' });
    emit(cancelled, { type: 'run_start', model: 'm', input: '' });
    emit(cancelled, {
      type: 'run_end',
      status: 'cancelled',
      text: '',
      usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
      duration_ms: 1,
    });
    await tracing.flush();
    const spans = await receiver.waitForSpans(4);
    const [run, chat, toolSpan] = ['invoke_agent helper', 'chat m', 'execute_tool fetch'].map((n) =>
      spans.find((s) => s.name === n && s.attributes['agentor.run.status'] !== 'cancelled'),
    );
    expect(run?.status.code).toBe(2);
    expect(run?.attributes['error.type']).toBe('upstream_unavailable');
    expect(chat?.status.code).toBe(2);
    expect(chat?.attributes['error.type']).toBe('upstream_unavailable');
    expect(toolSpan?.attributes['error.type']).toBe('tool_error');
    const cancelledSpan = spans.find((s) => s.attributes['agentor.run.status'] === 'cancelled');
    expect(cancelledSpan?.status.code).toBe(0);
    expect(JSON.stringify(spans, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(
      'overloaded',
    );
  });

  it('a collector that is down is reported, and flush gives up in time', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // The exporter retries a refused connection until its timeout: keep that short here.
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
    });
    const warnings: string[] = [];
    const reported = new Promise<void>((resolve) => {
      void startTracing({
        warn: (m) => {
          warnings.push(m);
          resolve();
        },
      }).then((tracing) => {
        if (!tracing) throw new Error('tracing did not start');
        cleanups.push(() => tracing.shutdown(500));
        scriptedRun(tracing.observeRun({ protocol: 'chat' }));
        const started = Date.now();
        void tracing.flush(2_000).then(() => expect(Date.now() - started).toBeLessThan(5_000));
      });
    });
    await reported;
    expect(warnings[0]).toMatch(
      new RegExp(`could not export \\d+ spans to http://127\\.0\\.0\\.1:${closed}/v1/traces`),
    );
  });
});
