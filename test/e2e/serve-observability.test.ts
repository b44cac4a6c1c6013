/**
 * A served agent, observed: a scripted set of runs (completed, failed upstream, cancelled, a tool error) and then a
 * `/metrics` scrape whose counters and histogram counts are asserted exactly; a run under an incoming `traceparent`
 * exported to an in-test OTLP receiver; request and run log lines with the request id and without any secret.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { tool } from '../../src/core/tools/tool.js';
import { createLogger } from '../../src/observability/log.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { startTracing } from '../../src/observability/tracing.js';
import { serve, type RunningServer, type ServeOptions } from '../../src/server/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { parsePrometheusText, sampleValue, samplesOf } from '../support/prom-text.js';

const TOKEN = 'observability-test-token-0123456789';
const API_KEY = 'sk-observability-secret-key';
const PROMPT = 'a private question about invoices';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function testAgent(fake: FakeOpenAI): Agent {
  const echo = tool({ name: 'echo', description: 'echoes', execute: (args) => JSON.stringify(args) });
  const boom = tool({
    name: 'boom',
    description: 'always fails',
    execute: () => {
      throw new Error('the tool broke');
    },
  });
  return new Agent({
    name: 'tester',
    instructions: 'be brief',
    model: 'fake-model',
    provider: new OpenAIProvider({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0 }),
    tools: [echo, boom],
  });
}

async function start(options: ServeOptions = {}): Promise<{ fake: FakeOpenAI; server: RunningServer }> {
  const fake = await startFakeOpenAI();
  cleanups.push(() => fake.close());
  const server = await serve(testAgent(fake), { port: 0, token: TOKEN, shutdownGraceMs: 2_000, ...options });
  cleanups.push(() => server.close());
  return { fake, server };
}

async function chat(url: string, input: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH, ...headers },
    body: JSON.stringify({ input }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

async function scrape(url: string) {
  const res = await fetch(`${url}/metrics`, { headers: AUTH });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('GET /metrics after scripted runs', () => {
  it('counts runs, tokens, tools, upstream errors and requests exactly', async () => {
    const metrics = await createMetrics({ version: '9.9.9' });
    const { fake, server } = await start({ telemetry: { metrics } });

    // 1. completed, 2. failed upstream (HTTP 500), 3. a tool error (the run still completes).
    fake.enqueue({ text: ['Hello', ' there'], usage: { prompt_tokens: 11, completion_tokens: 4 } });
    expect((await chat(server.url, 'hi')).body['status']).toBe('completed');
    fake.enqueue({ fault: 'status', status: 500, message: 'upstream broke' });
    const failed = await chat(server.url, 'hi');
    expect(failed.body['status']).toBe('failed');
    expect(failed.body['error'].code).toBe('500');
    fake.enqueue(
      { toolCalls: [{ id: 'c1', name: 'boom', arguments: {} }], usage: { prompt_tokens: 20, completion_tokens: 3 } },
      { text: ['It failed.'], usage: { prompt_tokens: 30, completion_tokens: 5 } },
    );
    expect((await chat(server.url, 'use boom')).body['status']).toBe('completed');

    // 4. cancelled: the client leaves a streaming run mid-answer.
    fake.enqueue({ fault: 'hang', text: ['partial'] });
    const leave = new AbortController();
    const res = await fetch(`${server.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...AUTH },
      body: JSON.stringify({ input: 'hang' }),
      signal: leave.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('text_delta')) seen += new TextDecoder().decode((await reader.read()).value);
    leave.abort();
    await fake.waitForDisconnect();

    // The cancelled run and its request are recorded when the server has finished them.
    await expect
      .poll(async () => sampleValue(await scrape(server.url), 'agentor_runs_total', { status: 'cancelled' }))
      .toBe(1);
    await expect
      .poll(async () =>
        sampleValue(await scrape(server.url), 'agentor_http_requests_total', { route: '/chat', status: '200' }),
      )
      .toBe(4);

    const m = await scrape(server.url);
    const runs = (status: string) =>
      sampleValue(m, 'agentor_runs_total', { agent: 'tester', status, protocol: 'chat' });
    expect([runs('completed'), runs('failed'), runs('cancelled')]).toEqual([2, 1, 1]);
    expect(samplesOf(m, 'agentor_runs_total')).toHaveLength(3);
    const durations = (status: string) =>
      sampleValue(m, 'agentor_run_duration_seconds_count', { agent: 'tester', status });
    expect([durations('completed'), durations('failed'), durations('cancelled')]).toEqual([2, 1, 1]);
    // First tokens: the completed run, the tool run's answer, the cancelled run's partial text.
    expect(sampleValue(m, 'agentor_time_to_first_token_seconds_count', { agent: 'tester' })).toBe(3);
    expect(sampleValue(m, 'agentor_tokens_total', { agent: 'tester', direction: 'input' })).toBe(11 + 20 + 30);
    // The cancelled run's "partial" never got a usage chunk: the core counts it as an estimate (2 tokens).
    expect(sampleValue(m, 'agentor_tokens_total', { agent: 'tester', direction: 'output' })).toBe(4 + 3 + 5 + 2);
    expect(sampleValue(m, 'agentor_active_runs', { agent: 'tester' })).toBe(0);
    expect(sampleValue(m, 'agentor_tool_calls_total', { tool: 'boom', status: 'error' })).toBe(1);
    expect(samplesOf(m, 'agentor_tool_calls_total')).toHaveLength(1);
    expect(sampleValue(m, 'agentor_tool_call_duration_seconds_count', { tool: 'boom' })).toBe(1);
    expect(sampleValue(m, 'agentor_upstream_errors_total', { code: '500' })).toBe(1);
    expect(samplesOf(m, 'agentor_upstream_errors_total')).toHaveLength(1);
    expect(sampleValue(m, 'agentor_http_requests_total', { route: '/chat', method: 'POST', status: '200' })).toBe(4);
    expect(sampleValue(m, 'agentor_http_request_duration_seconds_count', { route: '/chat', method: 'POST' })).toBe(4);
    expect(sampleValue(m, 'agentor_build_info', { version: '9.9.9' })).toBe(1);
    expect(m.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(m.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    // No label value is a run id, a prompt or a key.
    for (const family of m.values())
      for (const sample of family.samples)
        for (const value of Object.values(sample.labels)) expect(value).not.toMatch(/^run_|hang|boom me|sk-/);

    // Behind the token; a path a scanner probes is counted as "other", never as itself.
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    await fetch(`${server.url}/wp-admin/setup.php`, { headers: AUTH });
    await expect
      .poll(async () => sampleValue(await scrape(server.url), 'agentor_http_requests_total', { route: 'other' }))
      .toBe(1);
  });

  it('is not served on the main port when metrics go to their own listener, nor without metrics', async () => {
    const metrics = await createMetrics({ processMetrics: false });
    const off = await start({ telemetry: { metrics, metricsRoute: false } });
    expect((await fetch(`${off.server.url}/metrics`, { headers: AUTH })).status).toBe(404);
    const none = await start();
    expect((await fetch(`${none.server.url}/metrics`, { headers: AUTH })).status).toBe(404);
  });
});

describe('request ids', () => {
  it('keeps a valid x-request-id, replaces an invalid one, and puts it in error bodies', async () => {
    const { fake, server } = await start();
    fake.enqueue({ text: ['ok'] });
    const kept = await chat(server.url, 'hi', { 'x-request-id': 'client-id.42' });
    expect(kept.headers.get('x-request-id')).toBe('client-id.42');
    const replaced = await fetch(`${server.url}/chat`, {
      method: 'POST',
      headers: { ...AUTH, 'x-request-id': 'bad id\twith "quotes"', 'content-type': 'application/json' },
      body: '{}',
    });
    const id = replaced.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await replaced.json()) as { error: { request_id: string } }).error.request_id).toBe(id);
    const openai = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...AUTH, 'x-request-id': 'oa-1', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(((await openai.json()) as { error: { request_id: string } }).error.request_id).toBe('oa-1');
  });
});

describe('traces of a served run', () => {
  const VARS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL'];
  afterEach(() => {
    for (const k of VARS) delete process.env[k];
  });

  it("joins the caller's trace: invoke_agent under the incoming traceparent, chat and execute_tool under it", async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const tracing = await startTracing({ env });
    if (!tracing) throw new Error('tracing did not start');
    cleanups.push(() => tracing.shutdown(1000));
    const { fake, server } = await start({ telemetry: { tracing } });
    fake.enqueue(
      { toolCalls: [{ id: 'call_9', name: 'echo', arguments: { say: 'x' } }], usage: { prompt_tokens: 7 } },
      { text: ['done'], usage: { prompt_tokens: 9, completion_tokens: 1 } },
    );
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const r = await chat(server.url, PROMPT, {
      traceparent: `00-${traceId}-${callerSpan}-01`,
      'x-request-id': 'traced-1',
    });
    expect(r.body['status']).toBe('completed');
    await tracing.flush(2000);
    const spans = await receiver.waitForSpans(4, (s) => s.traceId === traceId);
    const run = spans.find((s) => s.name === 'invoke_agent tester')!;
    expect(run.parentSpanId).toBe(callerSpan);
    expect(run.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'tester',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'fake-model',
      'agentor.request.id': 'traced-1',
      'agentor.protocol': 'chat',
    });
    const chats = spans.filter((s) => s.name === 'chat fake-model');
    expect(chats).toHaveLength(2);
    for (const c of chats) {
      expect(c.parentSpanId).toBe(run.spanId);
      expect(c.kind).toBe(3);
      expect(c.attributes['server.address']).toBe('127.0.0.1');
    }
    const toolSpan = spans.find((s) => s.name === 'execute_tool echo')!;
    expect(toolSpan.parentSpanId).toBe(run.spanId);
    expect(toolSpan.attributes).toMatchObject({ 'gen_ai.tool.name': 'echo', 'gen_ai.tool.call.id': 'call_9' });
    // Each upstream request carried its own chat span as the parent; no content without the opt-in.
    const upstream = fake.requests.filter((q) => q.path.endsWith('/chat/completions'));
    expect(upstream.map((q) => String(q.headers['traceparent']).split('-')[2]).sort()).toEqual(
      chats.map((c) => c.spanId).sort(),
    );
    expect(JSON.stringify(spans, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(PROMPT);
  });
});

describe('logs of a served agent', () => {
  it('writes one JSON line per request and per run, with the request id and no secret or text', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      name: 'agentor serve',
      format: 'json',
      sink: { write: (l: string) => lines.push(l) },
    });
    const { fake, server } = await start({ telemetry: { logger } });
    fake.enqueue({ text: ['The answer is private too'], usage: { prompt_tokens: 5, completion_tokens: 6 } });
    await chat(server.url, PROMPT, { 'x-request-id': 'log-req-1' });
    await expect.poll(() => lines.filter((l) => l.includes('"msg":"request"')).length).toBe(1);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const run = records.find((r) => r['msg'] === 'run')!;
    expect(run).toMatchObject({ level: 'info', request_id: 'log-req-1', agent: 'tester', protocol: 'chat' });
    expect(run['input_tokens']).toBe(5);
    const request = records.find((r) => r['msg'] === 'request')!;
    expect(request).toMatchObject({ request_id: 'log-req-1', method: 'POST', route: '/chat', status: 200 });
    const all = lines.join('');
    for (const secret of [TOKEN, API_KEY, PROMPT, 'private too', 'be brief']) expect(all).not.toContain(secret);
  });
});
