/** The agent loop, driven by an in-memory model (test/support/fake-provider.ts); the wire is openai-provider.test.ts's. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { Agent, Conversation, type AgentOptions } from '../../src/core/agent.js';
import { ConfigError, resolveConfig } from '../../src/core/config.js';
import type { AgentEvent, MessageEvent, RunEndEvent } from '../../src/core/events.js';
import { DemoProvider } from '../../src/core/providers/demo.js';
import { collect } from '../../src/core/stream.js';
import { BUILTIN_TOOLS } from '../../src/core/tools/builtins.js';
import { tool } from '../../src/core/tools/tool.js';
import { agentOn as agent, FakeProvider, type FakeTurn } from '../support/fake-provider.js';

/** Runs one prompt against a model scripted with `turns`. */
async function runWith(turns: FakeTurn[], prompt = 'q', extra: Partial<AgentOptions> = {}) {
  const model = new FakeProvider(...turns);
  const events = await collect(agent(model, extra).streamChat(prompt));
  return { model, events, end: expectWellFormed(events) };
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
  // Deltas of each turn concatenate exactly to that turn's message, and every turn that streamed text has one.
  const messages = events.filter((e): e is MessageEvent => e.type === 'message');
  const turnsWithText = new Set(events.flatMap((e) => (e.type === 'text_delta' ? [e.turn] : [])));
  for (const turn of turnsWithText) expect(messages.filter((m) => m.turn === turn)).toHaveLength(1);
  for (const m of messages) {
    const text = events
      .filter((e) => e.type === 'text_delta' && e.turn === m.turn)
      .map((e) => (e.type === 'text_delta' ? e.text : ''))
      .join('');
    expect(text).toBe(m.text);
  }
  return last;
}

const types = (events: AgentEvent[]): string[] => events.map((e) => e.type);
const texts = (events: AgentEvent[], type: 'message' | 'text_delta' | 'reasoning_delta'): string[] =>
  events.flatMap((e) => (e.type === type ? [e.text] : []));

describe('the agent loop', () => {
  it('streams text deltas, one message and a completed run_end with the reported usage', async () => {
    const { model, events, end } = await runWith(
      [{ text: ['Hel', 'lo', ' there', '!'], usage: { input_tokens: 11, output_tokens: 4, total_tokens: 15 } }],
      'Hi',
    );
    expect(types(events)).toEqual([
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
    expect(model.calls[0]).toMatchObject({
      model: 'fake-model',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'Hi' },
      ],
      tools: ['calculator', 'get_time'],
    });
  });

  it('takes a batch of chunks (one network read) like single chunks', async () => {
    const { events, end } = await runWith([{ text: ['a', 'b', 'c'], batch: true }]);
    expect(texts(events, 'text_delta')).toEqual(['a', 'b', 'c']);
    expect(end.text).toBe('abc');
  });

  it('runs parallel tool calls and returns their results to the model in call order', async () => {
    const { model, events, end } = await runWith([
      {
        text: 'Let me check.',
        toolCalls: [
          { id: 'c1', name: 'calculator', arguments: { expression: '6*7' } },
          { id: 'c2', name: 'get_time', arguments: { timezone: 'UTC' } },
        ],
      },
      { text: 'It is 42.' },
    ]);
    expect(end.status).toBe('completed');
    const calls = events.filter((e) => e.type === 'tool_call');
    expect(calls.map((c) => (c.type === 'tool_call' ? [c.name, c.args, c.turn] : []))).toEqual([
      ['calculator', { expression: '6*7' }, 1],
      ['get_time', { timezone: 'UTC' }, 1],
    ]);
    expect(events.find((r) => r.type === 'tool_result' && r.name === 'calculator')).toMatchObject({
      result: '42',
      is_error: false,
    });
    expect(texts(events, 'message')).toEqual(['Let me check.', 'It is 42.']);
    const second = model.calls[1]?.messages ?? [];
    expect(second.slice(2).map((m) => [m.role, m.role === 'tool' ? m.tool_call_id : m.content])).toEqual([
      ['assistant', 'Let me check.'],
      ['tool', 'c1'],
      ['tool', 'c2'],
    ]);
    expect(second[2]).toMatchObject({
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'calculator', arguments: '{"expression":"6*7"}' } },
        { id: 'c2', type: 'function', function: { name: 'get_time' } },
      ],
    });
    expect(second[3]).toMatchObject({ content: '42' });
  });

  it('joins the turns of run_end.text with exactly one blank line', async () => {
    const call = { name: 'calculator', arguments: { expression: '1+1' } };
    const { end } = await runWith([
      { text: 'first', toolCalls: [call] },
      { toolCalls: [call] },
      { text: 'second\n', toolCalls: [call] },
      { text: 'third' },
    ]);
    expect(end.text).toBe('first\n\nsecond\n\nthird');
  });

  it('turns an unknown tool and unparsable arguments into error results the model sees', async () => {
    const { model, events, end } = await runWith([
      {
        toolCalls: [
          { name: 'nope', arguments: '{}' },
          { name: 'calculator', arguments: '{"expression": ' },
        ],
      },
      { text: 'sorry' },
    ]);
    expect(end.status).toBe('completed');
    const results = events.filter((e) => e.type === 'tool_result');
    expect(results.every((r) => r.type === 'tool_result' && r.is_error)).toBe(true);
    const toolMessages = (model.calls[1]?.messages ?? []).filter((m) => m.role === 'tool');
    expect(toolMessages[0]?.content).toMatch(/unknown tool "nope"/);
    expect(toolMessages[1]?.content).toMatch(/not valid JSON/);
    // A turn with only tool calls has no message.
    expect(events.filter((e) => e.type === 'message' && e.turn === 1)).toHaveLength(0);
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
    const flakyCall = { toolCalls: [{ name: 'flaky', arguments: {} }] };
    const { model, events, end } = await runWith([flakyCall, flakyCall, flakyCall, { text: 'giving up' }], 'go', {
      tools: [flaky],
    });
    expect(end.status).toBe('completed');
    expect(calls).toBe(2);
    const results = events.flatMap((e) => (e.type === 'tool_result' ? [e.result] : []));
    expect(results[0]).toBe('Error: boom');
    expect(results[2]).toMatch(/disabled after 2 failures/);
    expect(model.calls.map((c) => c.tools)).toEqual([['flaky'], ['flaky'], [], []]);
  });

  it('ends with max_turns when the model keeps calling tools', async () => {
    const loop = { toolCalls: [{ name: 'calculator', arguments: { expression: '1+1' } }] };
    const { model, end } = await runWith([loop, loop, loop], 'loop', { maxTurns: 3 });
    expect(end).toMatchObject({ status: 'max_turns', error: { code: 'max_turns' } });
    expect(model.calls).toHaveLength(3);
  });

  it('streams reasoning deltas separately from the answer', async () => {
    const { events, end } = await runWith([{ reasoning: ['think', 'ing'], text: 'done' }]);
    expect(texts(events, 'reasoning_delta')).toEqual(['think', 'ing']);
    expect(end.text).toBe('done');
  });

  it("turns a provider's notices into error events and goes on", async () => {
    const notice = { message: 'upstream answered 429; retrying', code: '429', retryable: true };
    const { events, end } = await runWith([{ notices: [notice], text: 'ok now' }]);
    expect(events.filter((e) => e.type === 'error')).toEqual([expect.objectContaining({ error: notice })]);
    expect(end).toMatchObject({ status: 'completed', text: 'ok now' });
  });

  it('estimates output tokens when the provider reports no usage', async () => {
    const { end } = await runWith([{ text: 'twelve chars' }]);
    expect(end.usage).toEqual({ input_tokens: 0, output_tokens: 3, total_tokens: 3 });
  });

  it('fails with the provider error when the call fails before any text (no message)', async () => {
    const { events, end } = await runWith([{ fault: 'error', error: new Error('cannot reach the model') }]);
    expect(end).toMatchObject({ status: 'failed', text: '', error: { message: 'cannot reach the model' } });
    expect(types(events)).toEqual(['run_start', 'run_end']);
  });
});

describe('a turn cut short', () => {
  it('cancel: aborts the model call, and the turn still gets its message with the partial text', async () => {
    const model = new FakeProvider({ fault: 'hang', text: ['partial ', 'answer'] });
    const controller = new AbortController();
    const conversation = new Conversation();
    const events: AgentEvent[] = [];
    const run = (async () => {
      for await (const e of agent(model).streamChat('wait', { signal: controller.signal, conversation }))
        events.push(e);
    })();
    await model.waitForHang();
    controller.abort();
    await model.waitForAbort();
    await run;
    const end = expectWellFormed(events);
    expect(end).toMatchObject({ status: 'cancelled', text: 'partial answer' });
    expect(types(events).slice(-2)).toEqual(['message', 'run_end']);
    expect(texts(events, 'message')).toEqual(['partial answer']);
    expect(model.calls[0]?.signal.aborted).toBe(true);
    // The conversation keeps what the user saw, so a follow-up has the same context.
    expect(conversation.messages).toEqual([
      { role: 'user', content: 'wait' },
      { role: 'assistant', content: 'partial answer' },
    ]);
  });

  it('timeout: ends with status timeout, the partial text in its message and in run_end', async () => {
    const { events, end } = await (async () => {
      const model = new FakeProvider({ fault: 'hang', text: ['slow'] });
      const events = await collect(agent(model).streamChat('x', { timeoutMs: 50 }));
      return { events, end: expectWellFormed(events) };
    })();
    expect(end).toMatchObject({ status: 'timeout', text: 'slow', error: { code: 'timeout', retryable: true } });
    expect(end.error?.message).toMatch(/timed out after 50 ms/);
    expect(texts(events, 'message')).toEqual(['slow']);
  });

  it('a dropped stream: fails, the partial text in its message and in run_end', async () => {
    const { events, end } = await runWith([{ fault: 'drop', text: ['kept ', 'text'] }]);
    expect(end).toMatchObject({ status: 'failed', text: 'kept text', error: { code: 'stream_incomplete' } });
    expect(texts(events, 'message')).toEqual(['kept text']);
  });

  it('a cut in a later turn reports only that turn, once', async () => {
    const { events, end } = await runWith([
      { text: 'Checking.', toolCalls: [{ name: 'calculator', arguments: { expression: '2+2' } }] },
      { fault: 'drop', text: ['The answer'] },
    ]);
    expect(end).toMatchObject({ status: 'failed', text: 'Checking.\n\nThe answer' });
    expect(events.flatMap((e) => (e.type === 'message' ? [[e.turn, e.text]] : []))).toEqual([
      [1, 'Checking.'],
      [2, 'The answer'],
    ]);
  });

  it('cancel while a tool runs: the tool sees the abort, its result says cancelled, the run ends cancelled', async () => {
    const controller = new AbortController();
    let toolStarted!: () => void;
    const started = new Promise<void>((resolve) => (toolStarted = resolve));
    const wait = tool({
      name: 'wait',
      description: 'waits for its signal',
      execute: (_args, { signal }) =>
        new Promise((_, reject) => {
          toolStarted();
          signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true });
        }),
    });
    const model = new FakeProvider({ text: 'On it.', toolCalls: [{ name: 'wait', arguments: {} }] });
    const events: AgentEvent[] = [];
    const run = (async () => {
      for await (const e of agent(model, { tools: [wait] }).streamChat('go', { signal: controller.signal }))
        events.push(e);
    })();
    await started;
    controller.abort();
    await run;
    const end = expectWellFormed(events);
    expect(end).toMatchObject({ status: 'cancelled', text: 'On it.' });
    expect(events.find((e) => e.type === 'tool_result')).toMatchObject({ is_error: true, result: 'Error: cancelled' });
    expect(texts(events, 'message')).toEqual(['On it.']);
  });

  it('a consumer that stops reading aborts the model call', async () => {
    const model = new FakeProvider({ fault: 'hang', text: ['a'] });
    for await (const e of agent(model).streamChat('x')) if (e.type === 'text_delta') break;
    expect(model.calls[0]?.signal.aborted).toBe(true);
    expect(model.calls[0]?.signal.reason).toMatchObject({ message: 'the consumer stopped reading the run' });
  });
});

describe('runs and their options', () => {
  it('continues a conversation across runs', async () => {
    const conversation = new Conversation();
    const model = new FakeProvider({ text: 'first answer' }, { text: 'second answer' });
    const a = agent(model);
    await a.chat('one', { conversation });
    const result = await a.chat('two', { conversation });
    expect(result.text).toBe('second answer');
    expect(model.calls[1]?.messages.map((m) => `${m.role}:${String(m.content)}`)).toEqual([
      'system:be brief',
      'user:one',
      'assistant:first answer',
      'user:two',
    ]);
    expect(conversation.messages).toHaveLength(4);
  });

  it('a run starts when it is first read, not when streamChat is called', async () => {
    const conversation = new Conversation();
    const model = new FakeProvider({ text: 'ok' });
    const stream = agent(model).streamChat('now', { conversation });
    conversation.messages.push({ role: 'user', content: 'earlier' }, { role: 'assistant', content: 'noted' });
    expect(model.calls).toHaveLength(0);
    await collect(stream);
    expect(model.calls[0]?.messages.map((m) => m.content)).toEqual(['be brief', 'earlier', 'noted', 'now']);
  });

  it('takes a whole conversation as input and reports its last user message', async () => {
    const model = new FakeProvider({ text: 'Paris' });
    const events = await collect(
      agent(model).streamChat([
        { role: 'user', content: 'Capital of France?' },
        { role: 'assistant', content: 'Which country?' },
        { role: 'user', content: 'France' },
      ]),
    );
    expect(events[0]).toMatchObject({ type: 'run_start', input: 'France' });
    expect(model.calls[0]?.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('serialize: true yields the same events as JSON lines; chat() returns the result', async () => {
    const model = new FakeProvider({ text: 'json' }, { text: 'result' });
    const lines = await collect(agent(model).streamChat('x', { serialize: true }));
    const parsed = lines.map((l) => JSON.parse(l) as AgentEvent);
    expect(expectWellFormed(parsed).text).toBe('json');
    const result = await agent(model).chat('x');
    expect(result).toMatchObject({ text: 'result', status: 'completed' });
    expect(result.events.at(-1)?.type).toBe('run_end');
  });

  it('applies event filtering and coalescing without changing the text', async () => {
    const model = new FakeProvider({ text: ['a', 'b', 'c', 'd'] });
    const events = await collect(agent(model).streamChat('x', { events: ['text_delta', 'run_end'], bufferMs: 10_000 }));
    expect(types(events)).toEqual(['text_delta', 'run_end']);
    expect(events[0]).toMatchObject({ text: 'abcd' });
  });

  it('per-run model, max turns and run id override the agent', async () => {
    const loop = { toolCalls: [{ name: 'calculator', arguments: { expression: '1' } }] };
    const model = new FakeProvider(loop);
    const events = await collect(agent(model).streamChat('x', { model: 'other', maxTurns: 1, runId: 'run_mine' }));
    expect(model.calls[0]?.model).toBe('other');
    expect(expectWellFormed(events)).toMatchObject({ status: 'max_turns', run_id: 'run_mine' });
  });
});

describe('an Agent built without a provider', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  /** A process environment with no provider settings and a config dir of its own (removed after the test). */
  function isolatedEnv(config?: Record<string, string>): NodeJS.ProcessEnv {
    const home = mkdtempSync(join(tmpdir(), 'agentor-agent-config-'));
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    if (config) {
      mkdirSync(join(home, 'agentor'));
      writeFileSync(join(home, 'agentor', 'config.json'), JSON.stringify(config));
    }
    for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'AGENTOR_MODEL', 'MY_KEY']) vi.stubEnv(name, '');
    vi.stubEnv('XDG_CONFIG_HOME', home);
    return process.env;
  }

  it('fails the run with the message the CLI exits with when no provider is configured', async () => {
    const env = isolatedEnv();
    const cliMessage = (() => {
      try {
        resolveConfig({}, env);
      } catch (e) {
        return (e as ConfigError).message;
      }
    })();
    expect(cliMessage).toMatch(/no model provider is configured/);
    const events = await collect(new Agent().streamChat('hi'));
    const end = expectWellFormed(events);
    expect(end).toMatchObject({ status: 'failed', error: { message: cliMessage, code: 'not_configured' } });
  });

  it("names the config file's unset apiKeyEnv, as the CLI does", async () => {
    isolatedEnv({ apiKeyEnv: 'MY_KEY' });
    const result = await new Agent({ model: 'some-model' }).chat('hi');
    expect(result).toMatchObject({ status: 'failed' });
    expect(result.error?.message).toMatch(/"apiKeyEnv": "MY_KEY", but MY_KEY is not set/);
  });

  it("takes the config file's model, and its demo, like the CLI", async () => {
    isolatedEnv({ model: 'demo' });
    const demo = new Agent({ tools: BUILTIN_TOOLS });
    expect(demo.model).toBe('demo');
    expect(demo.isDemo).toBe(true);
    vi.stubEnv('AGENTOR_MODEL', 'env-model');
    expect(new Agent().model).toBe('env-model');
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
