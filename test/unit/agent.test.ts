import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent, Conversation } from '../../src/core/agent.js';
import type { AgentEvent, RunEndEvent } from '../../src/core/events.js';
import { DemoProvider } from '../../src/core/providers/demo.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { collect } from '../../src/core/stream.js';
import { BUILTIN_TOOLS } from '../../src/core/tools/builtins.js';
import { tool } from '../../src/core/tools/tool.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

function agent(extra: Partial<ConstructorParameters<typeof Agent>[0]> = {}): Agent {
  return new Agent({
    name: 'tester',
    instructions: 'be brief',
    model: 'fake-model',
    provider: new OpenAIProvider({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 2 }),
    tools: BUILTIN_TOOLS,
    ...extra,
  });
}

/** The contract every run must satisfy, whatever happened. */
function expectWellFormed(events: AgentEvent[]): RunEndEvent {
  expect(events[0]?.type).toBe('run_start');
  expect(events.filter((e) => e.type === 'run_end')).toHaveLength(1);
  const last = events[events.length - 1] as RunEndEvent;
  expect(last.type).toBe('run_end');
  for (let i = 1; i < events.length; i++)
    expect((events[i] as AgentEvent).seq).toBeGreaterThan((events[i - 1] as AgentEvent).seq);
  expect(new Set(events.map((e) => e.run_id)).size).toBe(1);
  // Deltas of each turn concatenate exactly to that turn's message.
  for (const m of events.filter((e) => e.type === 'message')) {
    const text = events
      .filter((e) => e.type === 'text_delta' && e.turn === m.turn)
      .map((e) => (e.type === 'text_delta' ? e.text : ''))
      .join('');
    expect(text).toBe(m.type === 'message' ? m.text : '');
  }
  return last;
}

describe('Agent.streamChat against the fake Chat Completions server', () => {
  it('streams text deltas, one message and a completed run_end with usage', async () => {
    fake.enqueue({
      text: ['Hel', 'lo', ' there', '!'],
      usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
    });
    const events = await collect(agent().streamChat('Hi'));
    const end = expectWellFormed(events);
    expect(events.map((e) => e.type)).toEqual([
      'run_start',
      'text_delta',
      'text_delta',
      'text_delta',
      'text_delta',
      'message',
      'run_end',
    ]);
    expect(end).toMatchObject({
      status: 'completed',
      text: 'Hello there!',
      usage: { input_tokens: 11, output_tokens: 4, total_tokens: 15 },
      agent: 'tester',
    });
    expect(events[0]).toMatchObject({ model: 'fake-model', input: 'Hi' });
    const body = fake.requests[0]?.body;
    expect(body).toMatchObject({ model: 'fake-model', stream: true, stream_options: { include_usage: true } });
    expect(body.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['calculator', 'get_time']);
  });

  it('runs parallel tool calls, merges fragments by index and returns results in call order', async () => {
    fake.enqueue(
      {
        toolCalls: [
          { name: 'calculator', arguments: { expression: '6*7' }, fragments: 4 },
          { name: 'get_time', arguments: { timezone: 'UTC' } },
        ],
      },
      { text: 'It is 42.' },
    );
    const events = await collect(agent().streamChat('compute'));
    const end = expectWellFormed(events);
    expect(end.status).toBe('completed');
    const calls = events.filter((e) => e.type === 'tool_call');
    expect(calls.map((c) => (c.type === 'tool_call' ? [c.name, c.args, c.turn] : []))).toEqual([
      ['calculator', { expression: '6*7' }, 1],
      ['get_time', { timezone: 'UTC' }, 1],
    ]);
    const results = events.filter((e) => e.type === 'tool_result');
    expect(results).toHaveLength(2);
    expect(results.find((r) => r.type === 'tool_result' && r.name === 'calculator')).toMatchObject({
      result: '42',
      is_error: false,
    });
    const second = fake.requests[1]?.body.messages as Array<Record<string, unknown>>;
    const assistant = second[2] as { role: string; tool_calls: Array<{ id: string; function: { name: string } }> };
    expect(assistant.role).toBe('assistant');
    expect(assistant.tool_calls.map((c) => c.function.name)).toEqual(['calculator', 'get_time']);
    expect(second.slice(3).map((m) => [m['role'], m['tool_call_id']])).toEqual([
      ['tool', assistant.tool_calls[0]?.id],
      ['tool', assistant.tool_calls[1]?.id],
    ]);
    expect(second[3]?.['content']).toBe('42');
  });

  it('turns an unknown tool and unparsable arguments into error results the model sees', async () => {
    fake.enqueue(
      {
        toolCalls: [
          { name: 'nope', arguments: '{}' },
          { name: 'calculator', arguments: '{"expression": ' },
        ],
      },
      { text: 'sorry' },
    );
    const events = await collect(agent().streamChat('x'));
    expect(expectWellFormed(events).status).toBe('completed');
    const results = events.filter((e) => e.type === 'tool_result');
    expect(results.every((r) => r.type === 'tool_result' && r.is_error)).toBe(true);
    const toolMessages = (fake.requests[1]?.body.messages as Array<{ role: string; content: string }>).filter(
      (m) => m.role === 'tool',
    );
    expect(toolMessages[0]?.content).toMatch(/unknown tool "nope"/);
    expect(toolMessages[1]?.content).toMatch(/not valid JSON/);
  });

  it('disables a tool that keeps failing after the error budget and withdraws it from the model', async () => {
    let calls = 0;
    const flaky = tool({
      name: 'flaky',
      description: 'always fails',
      execute: () => {
        calls++;
        throw new Error('boom');
      },
    });
    fake.enqueue(
      { toolCalls: [{ name: 'flaky', arguments: {} }] },
      { toolCalls: [{ name: 'flaky', arguments: {} }] },
      { toolCalls: [{ name: 'flaky', arguments: {} }] },
      { text: 'giving up' },
    );
    const events = await collect(agent({ tools: [flaky] }).streamChat('go'));
    expect(expectWellFormed(events).status).toBe('completed');
    expect(calls).toBe(2);
    const results = events
      .filter((e) => e.type === 'tool_result')
      .map((e) => (e.type === 'tool_result' ? e.result : ''));
    expect(results[0]).toBe('Error: boom');
    expect(results[2]).toMatch(/disabled after 2 failures/);
    expect(fake.requests[3]?.body.tools).toBeUndefined();
  });

  it('ends with max_turns when the model keeps calling tools', async () => {
    for (let i = 0; i < 3; i++) fake.enqueue({ toolCalls: [{ name: 'calculator', arguments: { expression: '1+1' } }] });
    const events = await collect(agent({ maxTurns: 3 }).streamChat('loop'));
    const end = expectWellFormed(events);
    expect(end.status).toBe('max_turns');
    expect(fake.requests).toHaveLength(3);
  });

  it('streams reasoning deltas separately from the answer', async () => {
    fake.enqueue({ reasoning: ['think', 'ing'], text: 'done' });
    const events = await collect(agent().streamChat('q'));
    expect(
      events.filter((e) => e.type === 'reasoning_delta').map((e) => (e.type === 'reasoning_delta' ? e.text : '')),
    ).toEqual(['think', 'ing']);
    expect(expectWellFormed(events).text).toBe('done');
  });

  it('cancels: closes the upstream request within a second and keeps the partial text', async () => {
    fake.enqueue({ fault: 'hang', text: ['partial ', 'answer'] });
    const controller = new AbortController();
    const events: AgentEvent[] = [];
    const run = (async () => {
      for await (const e of agent().streamChat('wait', { signal: controller.signal })) events.push(e);
    })();
    await fake.waitForStreamStarted();
    await expect.poll(() => events.filter((e) => e.type === 'text_delta').length).toBe(2);
    const before = fake.disconnects;
    const t0 = Date.now();
    controller.abort();
    await fake.waitForDisconnect();
    expect(Date.now() - t0).toBeLessThan(1000);
    await run;
    const end = expectWellFormed(events);
    expect(end).toMatchObject({ status: 'cancelled', text: 'partial answer' });
    expect(fake.disconnects).toBeGreaterThan(before);
  });

  it('closes the upstream request when the consumer stops reading', async () => {
    fake.enqueue({ fault: 'hang', text: ['a'] });
    for await (const e of agent().streamChat('x')) if (e.type === 'text_delta') break;
    await fake.waitForDisconnect();
  });

  it('times out with status timeout', async () => {
    fake.enqueue({ fault: 'hang', text: ['slow'] });
    const events = await collect(agent().streamChat('x', { timeoutMs: 150 }));
    const end = expectWellFormed(events);
    expect(end).toMatchObject({ status: 'timeout', text: 'slow', error: { code: 'timeout' } });
    await fake.waitForDisconnect();
  });

  it('retries a 429 honouring Retry-After and announces it as a retryable error event', async () => {
    fake.enqueue({ fault: 'status', status: 429, retryAfter: 0 }, { text: 'ok now' });
    const events = await collect(agent().streamChat('x'));
    const end = expectWellFormed(events);
    expect(end).toMatchObject({ status: 'completed', text: 'ok now' });
    const notices = events.filter((e) => e.type === 'error');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ error: { code: '429', retryable: true } });
    expect(fake.requests).toHaveLength(2);
  });

  it('fails after retries are exhausted on 500', async () => {
    for (let i = 0; i < 3; i++) fake.enqueue({ fault: 'status', status: 500, retryAfter: 0 });
    const events = await collect(agent().streamChat('x'));
    const end = expectWellFormed(events);
    expect(end.status).toBe('failed');
    expect(end.error?.message).toMatch(/500/);
    expect(events.filter((e) => e.type === 'error')).toHaveLength(2);
  });

  it('explains a rejected key without leaking it', async () => {
    fake.enqueue({ fault: 'status', status: 401 });
    const events = await collect(agent().streamChat('x'));
    const end = expectWellFormed(events);
    expect(end.status).toBe('failed');
    expect(end.error?.message).toMatch(/OPENAI_API_KEY/);
    expect(JSON.stringify(events)).not.toContain('test-key');
  });

  it.each(['drop', 'malformed'] as const)('a %s stream fails with the partial text kept', async (fault) => {
    fake.enqueue({ fault, text: ['kept ', 'text'] });
    const events = await collect(agent().streamChat('x'));
    const end = expectWellFormed(events);
    expect(end).toMatchObject({ status: 'failed', text: 'kept text' });
    expect(end.error?.message).toBeTruthy();
  });

  it('continues a conversation across runs', async () => {
    const conversation = new Conversation();
    fake.enqueue({ text: 'first answer' }, { text: 'second answer' });
    const a = agent();
    await a.chat('one', { conversation });
    const result = await a.chat('two', { conversation });
    expect(result.text).toBe('second answer');
    expect(
      fake.requests[1]?.body.messages.map((m: { role: string; content: string }) => `${m.role}:${m.content}`),
    ).toEqual(['system:be brief', 'user:one', 'assistant:first answer', 'user:two']);
    expect(conversation.messages).toHaveLength(4);
  });

  it('serialize: true yields the same events as JSON lines; chat() returns the result', async () => {
    fake.enqueue({ text: 'json' });
    const lines = await collect(agent().streamChat('x', { serialize: true }));
    const parsed = lines.map((l) => JSON.parse(l) as AgentEvent);
    expect(expectWellFormed(parsed).text).toBe('json');
    fake.enqueue({ text: 'result' });
    const result = await agent().chat('x');
    expect(result).toMatchObject({ text: 'result', status: 'completed' });
    expect(result.events.at(-1)?.type).toBe('run_end');
  });

  it('applies --events filtering and --buffer-ms coalescing without changing the text', async () => {
    fake.enqueue({ text: ['a', 'b', 'c', 'd'] });
    const events = await collect(agent().streamChat('x', { events: ['text_delta', 'run_end'], bufferMs: 10_000 }));
    expect(events.map((e) => e.type)).toEqual(['text_delta', 'run_end']);
    expect(events[0]).toMatchObject({ text: 'abcd' });
  });
});

describe('the demo provider', () => {
  it('runs through the real loop: markdown, a real calculator call, an answer with the real result', async () => {
    const demo = new Agent({
      name: 'demo',
      model: 'demo',
      provider: new DemoProvider({ tokenDelayMs: 0 }),
      tools: BUILTIN_TOOLS,
    });
    expect(demo.isDemo).toBe(true);
    const events = await collect(demo.streamChat('What is 12 * 12?'));
    const end = expectWellFormed(events);
    expect(end.status).toBe('completed');
    expect(events.find((e) => e.type === 'tool_call')).toMatchObject({
      name: 'calculator',
      args: { expression: '12 * 12' },
    });
    expect(events.find((e) => e.type === 'tool_result')).toMatchObject({ result: '144', is_error: false });
    expect(end.text).toContain('**144**');
    expect(end.text).toMatch(/Demo mode/);
  });
});

describe('demo expression extraction', () => {
  it.each([
    ['What is (17 * 23) + sqrt(144)?', '(17 * 23) + sqrt(144)'],
    ['what is 2+2*3', '2+2*3'],
    ['please add 40 + 2 for me', '40 + 2'],
    ['hello there', '(17 * 23) + sqrt(144)'],
  ])('%s → %s', async (prompt, expected) => {
    const { expressionFrom } = await import('../../src/core/providers/demo.js');
    expect(expressionFrom(prompt)).toBe(expected);
  });
});
