/**
 * `agentor chat` with the OpenTelemetry variables set exports its runs (flushed before it exits) to an in-test OTLP
 * receiver; without them it loads no tracing code.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../support/cli.js';
import { startFakeOpenAI } from '../support/fake-openai.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('agentor chat, traced', () => {
  it('exports invoke_agent, chat and execute_tool spans before exiting, and the upstream sees its chat span', async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const fake = await startFakeOpenAI();
    cleanups.push(() => fake.close());
    fake.enqueue(
      { toolCalls: [{ id: 'call_1', name: 'calculator', arguments: { expression: '6*7' } }] },
      { text: ['42'], usage: { prompt_tokens: 12, completion_tokens: 1 } },
    );
    const r = await runCli(['chat', '--json', '--base-url', fake.url, '-m', 'fake-model', 'What is 6 * 7?'], {
      env: cleanEnv({
        OPENAI_API_KEY: 'sk-chat-tracing-key',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'chat-test',
      }),
    });
    expect(r.code).toBe(0);
    // The spans arrived before the process exited: nothing is awaited after it.
    const names = receiver.spans.map((s) => s.name).sort();
    expect(names).toEqual(['chat fake-model', 'chat fake-model', 'execute_tool calculator', 'invoke_agent assistant']);
    const run = receiver.spans.find((s) => s.name.startsWith('invoke_agent'))!;
    expect(run.parentSpanId).toBe('');
    expect(run.attributes['agentor.protocol']).toBe('cli');
    expect(run.resource['service.name']).toBe('chat-test');
    for (const s of receiver.spans) {
      expect(s.traceId).toBe(run.traceId);
      if (s !== run) expect(s.parentSpanId).toBe(run.spanId);
    }
    const last = receiver.spans
      .filter((s) => s.name.startsWith('chat '))
      .find((s) => s.attributes['gen_ai.usage.input_tokens'] === 12);
    expect(last?.attributes['gen_ai.usage.output_tokens']).toBe(1);
    const upstream = fake.requests.filter((q) => q.path.endsWith('/chat/completions'));
    expect(upstream.every((q) => String(q.headers['traceparent']).includes(run.traceId))).toBe(true);
  });
});
