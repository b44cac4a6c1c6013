/**
 * A traced run over the wire: the agent loop, the OpenAI provider against the loopback fake, a tool, and spans
 * exported to an in-test OTLP receiver. The upstream sees each model call's own span as its parent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { collect } from '../../src/core/stream.js';
import { tool } from '../../src/core/tools/tool.js';
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

describe('a traced run', () => {
  it('exports invoke_agent → chat, execute_tool, chat, and each upstream request carries its chat span', async () => {
    const fake = await startFakeOpenAI();
    cleanups.push(() => fake.close());
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    const tracing = await startTracing();
    if (!tracing) throw new Error('tracing did not start');
    cleanups.push(() => tracing.shutdown());

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
});
