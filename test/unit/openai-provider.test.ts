/**
 * The OpenAI provider through the agent loop, over the wire: the loopback fake Chat Completions server
 * (test/support/fake-openai.ts) answers, so request shape, SSE parsing, SDK retries and closed connections are real.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { AgentEvent, RunEndEvent } from '../../src/core/events.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { collect } from '../../src/core/stream.js';
import { BUILTIN_TOOLS } from '../../src/core/tools/builtins.js';
import { useFakeOpenAI } from '../support/cleanup.js';

const fake = useFakeOpenAI();

function agent(): Agent {
  return new Agent({
    name: 'tester',
    instructions: 'be brief',
    model: 'fake-model',
    provider: new OpenAIProvider({ apiKey: 'test-key', baseURL: fake().url, maxRetries: 2 }),
    tools: BUILTIN_TOOLS,
  });
}

function endOf(events: AgentEvent[]): RunEndEvent {
  expect(events.filter((e) => e.type === 'run_end')).toHaveLength(1);
  return events.at(-1) as RunEndEvent;
}

describe('OpenAIProvider over the wire', () => {
  it('sends a streaming request with usage, the messages and the tools, and streams the answer', async () => {
    fake().enqueue({
      text: ['Hel', 'lo'],
      usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 },
    });
    const end = endOf(await collect(agent().streamChat('Hi')));
    expect(end).toMatchObject({
      status: 'completed',
      text: 'Hello',
      usage: { input_tokens: 11, output_tokens: 2, total_tokens: 13 },
    });
    const body = fake().requests[0]?.body;
    expect(body).toMatchObject({ model: 'fake-model', stream: true, stream_options: { include_usage: true } });
    expect(body.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['calculator', 'get_time']);
  });

  it('merges tool-call fragments by index into whole calls', async () => {
    fake().enqueue(
      {
        toolCalls: [
          { name: 'calculator', arguments: { expression: '6*7' }, fragments: 4 },
          { name: 'get_time', arguments: { timezone: 'UTC' } },
        ],
      },
      { text: 'It is 42.' },
    );
    const events = await collect(agent().streamChat('compute'));
    expect(endOf(events).status).toBe('completed');
    expect(events.flatMap((e) => (e.type === 'tool_call' ? [[e.name, e.args]] : []))).toEqual([
      ['calculator', { expression: '6*7' }],
      ['get_time', { timezone: 'UTC' }],
    ]);
    expect(fake().requests[1]?.body.messages[3]).toMatchObject({ role: 'tool', content: '42' });
  });

  it('cancel: closes the upstream request within a second and keeps the partial text', async () => {
    fake().enqueue({ fault: 'hang', text: ['partial ', 'answer'] });
    const controller = new AbortController();
    const events: AgentEvent[] = [];
    const run = (async () => {
      for await (const e of agent().streamChat('wait', { signal: controller.signal })) events.push(e);
    })();
    await fake().waitForStreamStarted();
    await expect.poll(() => events.filter((e) => e.type === 'text_delta').length).toBe(2);
    const t0 = Date.now();
    controller.abort();
    await fake().waitForDisconnect();
    expect(Date.now() - t0).toBeLessThan(1000);
    await run;
    expect(endOf(events)).toMatchObject({ status: 'cancelled', text: 'partial answer' });
    expect(events.filter((e) => e.type === 'message')).toEqual([expect.objectContaining({ text: 'partial answer' })]);
  });

  it('closes the upstream request when the consumer stops reading', async () => {
    fake().enqueue({ fault: 'hang', text: ['a'] });
    for await (const e of agent().streamChat('x')) if (e.type === 'text_delta') break;
    await fake().waitForDisconnect();
  });

  it('a timeout closes the upstream request too', async () => {
    fake().enqueue({ fault: 'hang', text: ['slow'] });
    const end = endOf(await collect(agent().streamChat('x', { timeoutMs: 150 })));
    expect(end).toMatchObject({ status: 'timeout', text: 'slow', error: { code: 'timeout' } });
    await fake().waitForDisconnect();
  });

  it('retries a 429 honouring Retry-After and announces it as a retryable error event', async () => {
    fake().enqueue({ fault: 'status', status: 429, retryAfter: 0 }, { text: 'ok now' });
    const events = await collect(agent().streamChat('x'));
    expect(endOf(events)).toMatchObject({ status: 'completed', text: 'ok now' });
    const notices = events.filter((e) => e.type === 'error');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ error: { code: '429', retryable: true } });
    expect(fake().requests).toHaveLength(2);
  });

  it('fails after retries are exhausted on 500', async () => {
    for (let i = 0; i < 3; i++) fake().enqueue({ fault: 'status', status: 500, retryAfter: 0 });
    const events = await collect(agent().streamChat('x'));
    const end = endOf(events);
    expect(end.status).toBe('failed');
    expect(end.error?.message).toMatch(/500/);
    expect(events.filter((e) => e.type === 'error')).toHaveLength(2);
  });

  it('explains a rejected key without leaking it', async () => {
    fake().enqueue({ fault: 'status', status: 401 });
    const events = await collect(agent().streamChat('x'));
    const end = endOf(events);
    expect(end.status).toBe('failed');
    expect(end.error?.message).toMatch(/OPENAI_API_KEY/);
    expect(JSON.stringify(events)).not.toContain('test-key');
  });

  it.each(['drop', 'malformed'] as const)('a %s stream fails with the partial text kept', async (fault) => {
    fake().enqueue({ fault, text: ['kept ', 'text'] });
    const events = await collect(agent().streamChat('x'));
    const end = endOf(events);
    expect(end).toMatchObject({ status: 'failed', text: 'kept text' });
    expect(end.error?.message).toBeTruthy();
    expect(events.filter((e) => e.type === 'message')).toEqual([expect.objectContaining({ text: 'kept text' })]);
  });
});

describe('an Agent built without a provider', () => {
  it("reaches the config file's base URL with the key from OPENAI_API_KEY, as the CLI would", async () => {
    const home = mkdtempSync(join(tmpdir(), 'agentor-provider-config-'));
    onTestFinished(() => {
      vi.unstubAllEnvs();
      rmSync(home, { recursive: true, force: true });
    });
    mkdirSync(join(home, 'agentor'));
    writeFileSync(
      join(home, 'agentor', 'config.json'),
      JSON.stringify({ baseUrl: fake().url, model: 'file-model', apiKeyEnv: 'UNSET_KEY' }),
    );
    vi.stubEnv('XDG_CONFIG_HOME', home);
    vi.stubEnv('OPENAI_API_KEY', 'env-key');
    vi.stubEnv('OPENAI_BASE_URL', '');
    vi.stubEnv('AGENTOR_MODEL', '');
    fake().enqueue({ text: 'configured' });
    const result = await new Agent().chat('hi');
    expect(result).toMatchObject({ status: 'completed', text: 'configured' });
    expect(fake().requests[0]?.body.model).toBe('file-model');
    expect(fake().requests[0]?.headers.authorization).toBe('Bearer env-key');
  });
});
