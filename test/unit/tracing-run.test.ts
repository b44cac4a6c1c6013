/**
 * A traced run over the wire: the agent loop, the OpenAI provider against the loopback fake, a tool, and spans
 * exported to an in-test OTLP receiver. The upstream sees each model call's own span as its parent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { collect } from '../../src/core/stream.js';
import { tool } from '../../src/core/tools/tool.js';
import { combineObservers } from '../../src/core/observer.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { parsePrometheusText, sampleValue } from '../support/prom-text.js';
import { startTracing } from '../../src/observability/tracing.js';
import { startFakeOpenAI } from '../support/fake-openai.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';

const VARS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL'];
const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const k of VARS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

/** A fake upstream, an OTLP receiver and tracing exporting to it (all stopped after the test). */
async function tracedSetup() {
  const fake = await startFakeOpenAI();
  cleanups.push(() => fake.close());
  const receiver = await startOtlpReceiver();
  cleanups.push(() => receiver.close());
  Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
  const tracing = await startTracing();
  if (!tracing) throw new Error('tracing did not start');
  cleanups.push(() => tracing.shutdown());
  return { fake, receiver, tracing };
}

describe('a traced run', () => {
  it('exports invoke_agent → chat, execute_tool, chat, and each upstream request carries its chat span', async () => {
    const { fake, receiver, tracing } = await tracedSetup();

    fake.enqueue(
      {
        toolCalls: [{ id: 'call_7', name: 'echo', arguments: { say: 'hi' } }],
        usage: { prompt_tokens: 30, completion_tokens: 9 },
      },
      { text: ['Done', '.'], usage: { prompt_tokens: 50, completion_tokens: 2 }, finishReason: 'length' },
    );
    const echo = tool({ name: 'echo', description: 'echoes', execute: (args) => JSON.stringify(args) });
    const agent = new Agent({
      name: 'echoer',
      model: 'fake-model',
      provider: new OpenAIProvider({ apiKey: 'sk-secret-key', baseURL: fake.url, maxRetries: 0 }),
      tools: [echo],
    });
    const events = await collect(agent.streamChat('say hi', { observer: tracing.observeRun({ protocol: 'cli' }) }));
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed' });
    await tracing.flush();
    const spans = await receiver.waitForSpans(4);

    const run = spans.find((s) => s.name === 'invoke_agent echoer');
    const chats = spans.filter((s) => s.name === 'chat fake-model').sort((a, b) => Number(a.startNs - b.startNs));
    const toolSpan = spans.find((s) => s.name === 'execute_tool echo');
    expect(run && toolSpan && chats.length === 2).toBe(true);
    for (const s of [...chats, toolSpan]) expect(s?.parentSpanId).toBe(run?.spanId);
    const port = Number(new URL(fake.url).port);
    expect(chats[0]?.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'fake-model',
      'gen_ai.response.model': 'fake-model',
      'gen_ai.usage.input_tokens': 30,
      'gen_ai.usage.output_tokens': 9,
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'server.address': '127.0.0.1',
      'server.port': port,
    });
    expect(String(chats[0]?.attributes['gen_ai.response.id'])).toMatch(/^chatcmpl-/);
    expect(chats[1]?.attributes['gen_ai.response.finish_reasons']).toEqual(['length']);
    expect(toolSpan?.attributes).toMatchObject({ 'gen_ai.tool.name': 'echo', 'gen_ai.tool.call.id': 'call_7' });
    expect(run?.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 80, 'gen_ai.usage.output_tokens': 11 });

    const parents = fake.requests.map((r) => r.headers['traceparent']);
    expect(parents).toEqual(chats.map((c) => `00-${c.traceId}-${c.spanId}-01`));
    // The key authenticates upstream and never reaches the collector.
    expect(receiver.requests.some((h) => JSON.stringify(h).includes('sk-secret-key'))).toBe(false);
    expect(JSON.stringify(spans, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(
      'sk-secret-key',
    );
  });

  it('approvals: span events on the tool span (allowed) or the run span (denied), and the approval metrics', async () => {
    const { fake, receiver, tracing } = await tracedSetup();
    const metrics = await createMetrics({ processMetrics: false });

    fake.enqueue(
      {
        toolCalls: [
          { id: 'call_a', name: 'write', arguments: { text: 'a' } },
          { id: 'call_b', name: 'write', arguments: { text: 'b' } },
        ],
      },
      { text: ['One written.'] },
    );
    const write = tool({ name: 'write', description: 'writes', readOnly: false, execute: () => 'written' });
    const agent = new Agent({
      name: 'writer',
      model: 'fake-model',
      provider: new OpenAIProvider({ apiKey: 'sk-x', baseURL: fake.url, maxRetries: 0 }),
      tools: [write],
    });
    const events = await collect(
      agent.streamChat('write twice', {
        observer: combineObservers(
          tracing.observeRun({ protocol: 'cli' }),
          metrics.observeRun({ protocol: 'cli', tools: new Set(['write']) }),
        ),
        approve: async (request) =>
          request.call_id === 'call_a'
            ? { decision: 'allowed' }
            : { decision: 'denied', reason: 'private reason the user typed' },
      }),
    );
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed' });
    await tracing.flush();
    const spans = await receiver.waitForSpans(4);
    const run = spans.find((s) => s.name === 'invoke_agent writer');
    const toolSpans = spans.filter((s) => s.name === 'execute_tool write');
    // Only the allowed call ran; its span carries when it was asked for and how it was answered.
    expect(toolSpans).toHaveLength(1);
    expect(toolSpans[0]?.attributes['gen_ai.tool.call.id']).toBe('call_a');
    expect(toolSpans[0]?.events.map((e) => e.name)).toEqual([
      'agentor.tool.approval_requested',
      'agentor.tool.approval',
    ]);
    expect(toolSpans[0]?.events[1]?.attributes).toMatchObject({
      'agentor.approval.decision': 'allowed',
      'agentor.approval.by': 'user',
      'agentor.approval.scope': 'once',
    });
    expect(typeof toolSpans[0]?.events[1]?.attributes['agentor.approval.wait_seconds']).toBe('number');
    // The denied call never ran: its events are on the run span, naming it.
    expect(run?.events.map((e) => [e.name, e.attributes['gen_ai.tool.call.id']])).toEqual([
      ['agentor.tool.approval_requested', 'call_b'],
      ['agentor.tool.approval', 'call_b'],
    ]);
    expect(run?.events[1]?.attributes).toMatchObject({
      'agentor.approval.decision': 'denied',
      'agentor.approval.by': 'user',
    });
    expect(JSON.stringify(spans, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(
      'private reason',
    );

    const families = parsePrometheusText(await metrics.render());
    expect(sampleValue(families, 'agentor_tool_approval_requests_total', { tool: 'write' })).toBe(2);
    expect(
      sampleValue(families, 'agentor_tool_approvals_total', { tool: 'write', decision: 'allowed', by: 'user' }),
    ).toBe(1);
    expect(
      sampleValue(families, 'agentor_tool_approvals_total', { tool: 'write', decision: 'denied', by: 'user' }),
    ).toBe(1);
    expect(sampleValue(families, 'agentor_tool_approval_wait_seconds_count', { decision: 'allowed', by: 'user' })).toBe(
      1,
    );
    expect(sampleValue(families, 'agentor_tool_approval_wait_seconds_count', { decision: 'denied', by: 'user' })).toBe(
      1,
    );
  });
});
