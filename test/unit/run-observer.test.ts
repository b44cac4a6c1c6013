/** The run observer hook: what the turn loop tells metrics and traces, and the headers it hands to calls. */
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { AgentEvent } from '../../src/core/events.js';
import type { ModelCallEnd, ModelCallStart, RunObserver, ToolCallEnd, ToolCallStart } from '../../src/core/observer.js';
import { combineObservers } from '../../src/core/observer.js';
import type { ModelChunk, ModelRequest } from '../../src/core/providers/types.js';
import { ProviderError } from '../../src/core/providers/types.js';
import { collect } from '../../src/core/stream.js';
import { tool } from '../../src/core/tools/tool.js';
import { FakeProvider, type FakeTurn } from '../support/fake-provider.js';

/** Records everything the loop tells it, in order, and hands out numbered headers. */
class Recorder implements RunObserver {
  readonly log: string[] = [];
  readonly events: AgentEvent[] = [];
  readonly modelStarts: ModelCallStart[] = [];
  readonly modelEnds: ModelCallEnd[] = [];
  readonly toolStarts: ToolCallStart[] = [];
  readonly toolEnds: ToolCallEnd[] = [];
  private n = 0;
  event(e: AgentEvent): void {
    this.events.push(e);
    this.log.push(e.type);
  }
  modelCall(call: ModelCallStart) {
    this.modelStarts.push(call);
    this.log.push(`model_call ${call.turn}`);
    const headers = { traceparent: `model-${++this.n}` };
    return {
      headers,
      end: (r: ModelCallEnd) => {
        this.modelEnds.push(r);
        this.log.push(`model_end ${r.error ? `error:${r.error.code}` : r.aborted ? 'aborted' : 'ok'}`);
      },
    };
  }
  toolCall(call: ToolCallStart) {
    this.toolStarts.push(call);
    this.log.push(`tool_call_start ${call.name}`);
    return {
      headers: { traceparent: `tool-${call.call_id}` },
      end: (r: ToolCallEnd) => {
        this.toolEnds.push(r);
        this.log.push(`tool_end ${r.is_error ? 'error' : 'ok'}`);
      },
    };
  }
}

/** A fake turn that records the headers its request carried and says how it finished, as the OpenAI provider does. */
function turnSeeing(seen: Array<ModelRequest['headers']>, chunks: ModelChunk[]): FakeTurn {
  return async function* (req: ModelRequest) {
    seen.push(req.headers);
    yield chunks;
  };
}

describe('the run observer', () => {
  it('sees the events the consumer sees, each model call with its usage and finish, and each tool call', async () => {
    const seenHeaders: Array<ModelRequest['headers']> = [];
    const toolHeaders: unknown[] = [];
    const lookup = tool({
      name: 'lookup',
      description: 'looks up',
      execute: (_args, ctx) => {
        toolHeaders.push(ctx.headers);
        return 'found';
      },
    });
    const model = new FakeProvider(
      turnSeeing(seenHeaders, [
        { type: 'text', text: 'Let me check.' },
        { type: 'usage', usage: { input_tokens: 10, output_tokens: 3, total_tokens: 13 } },
        { type: 'finish', reason: 'tool_calls', model: 'fake-model-2024', id: 'resp_1' },
        { type: 'tool_calls', calls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"x"}' }] },
      ]),
      turnSeeing(seenHeaders, [
        { type: 'text', text: 'Found it.' },
        { type: 'usage', usage: { input_tokens: 20, output_tokens: 2, total_tokens: 22 } },
      ]),
    );
    const agent = new Agent({ name: 'a', model: 'fake-model', instructions: 'sys', provider: model, tools: [lookup] });
    const recorder = new Recorder();
    const events = await collect(agent.streamChat('question', { observer: recorder, events: ['run_end'] }));

    expect(events.map((e) => e.type)).toEqual(['run_end']);
    expect(recorder.events.map((e) => e.type)).toEqual([
      'run_start',
      'text_delta',
      'message',
      'tool_call',
      'tool_result',
      'text_delta',
      'message',
      'run_end',
    ]);
    expect(recorder.events.at(-1)).toBe(events[0]);
    expect(recorder.log).toEqual([
      'run_start',
      'model_call 1',
      'text_delta',
      'model_end ok',
      'message',
      'tool_call',
      'tool_call_start lookup',
      'tool_end ok',
      'tool_result',
      'model_call 2',
      'text_delta',
      'model_end ok',
      'message',
      'run_end',
    ]);
    expect(recorder.modelStarts[0]).toMatchObject({ turn: 1, model: 'fake-model', provider: 'fake' });
    expect(recorder.modelStarts[0]?.messages).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'question' },
    ]);
    expect(recorder.modelEnds[0]).toEqual({
      usage: { input_tokens: 10, output_tokens: 3, total_tokens: 13 },
      finishReason: 'tool_calls',
      responseModel: 'fake-model-2024',
      responseId: 'resp_1',
      text: 'Let me check.',
      toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"x"}' }],
      aborted: false,
    });
    expect(recorder.modelEnds[1]).toMatchObject({ usage: { input_tokens: 20 }, text: 'Found it.', aborted: false });
    expect(recorder.modelEnds[1]?.finishReason).toBeUndefined();
    expect(recorder.toolStarts).toEqual([{ turn: 1, call_id: 'c1', name: 'lookup', args: { q: 'x' } }]);
    expect(recorder.toolEnds[0]).toMatchObject({ result: 'found', is_error: false });
    // Each call's request carried the headers its observer handed out.
    expect(seenHeaders).toEqual([{ traceparent: 'model-1' }, { traceparent: 'model-2' }]);
    expect(toolHeaders).toEqual([{ traceparent: 'tool-c1' }]);
  });

  it('is shown only the first text delta of each model call and no reasoning delta: its cost is per call, not per token', async () => {
    const model = new FakeProvider(
      {
        reasoning: ['think', 'ing'],
        text: ['one', ' two', ' three'],
        toolCalls: [{ id: 'c1', name: 'get_time', arguments: {} }],
      },
      { text: ['four', ' five'] },
    );
    const agent = new Agent({
      model: 'm',
      provider: model,
      tools: [tool({ name: 'get_time', description: 't', execute: () => 'noon' })],
    });
    const recorder = new Recorder();
    const events = await collect(agent.streamChat('q', { observer: recorder }));
    // The consumer still gets every delta.
    expect(events.filter((e) => e.type === 'text_delta').map((e) => e.text)).toEqual([
      'one',
      ' two',
      ' three',
      'four',
      ' five',
    ]);
    expect(events.filter((e) => e.type === 'reasoning_delta')).toHaveLength(2);
    const deltas = recorder.events.filter((e) => e.type === 'text_delta' || e.type === 'reasoning_delta');
    expect(deltas.map((e) => (e.type === 'text_delta' ? e.text : e.type))).toEqual(['one', 'four']);
    expect(recorder.modelEnds.map((m) => m.text)).toEqual(['one two three', 'four five']);
    expect(recorder.events.at(-1)).toBe(events.at(-1));
  });

  it('tells a failed call from a cancelled one and from a consumer that stopped reading', async () => {
    const failing = new Recorder();
    await collect(
      new Agent({
        model: 'm',
        provider: new FakeProvider({
          fault: 'error',
          error: new ProviderError('upstream answered 503', { code: '503', retryable: true }),
        }),
      }).streamChat('q', { observer: failing }),
    );
    expect(failing.modelEnds).toEqual([
      {
        text: '',
        toolCalls: [],
        error: { message: 'upstream answered 503', code: '503', retryable: true },
        aborted: false,
      },
    ]);

    const model = new FakeProvider({ fault: 'hang', text: ['par', 'tial'] });
    const controller = new AbortController();
    const cancelled = new Recorder();
    const run = collect(
      new Agent({ model: 'm', provider: model }).streamChat('q', { observer: cancelled, signal: controller.signal }),
    );
    await model.waitForHang();
    controller.abort();
    await run;
    expect(cancelled.modelEnds).toEqual([{ text: 'partial', toolCalls: [], aborted: true }]);
    expect(cancelled.events.at(-1)).toMatchObject({ type: 'run_end', status: 'cancelled' });

    const left = new Recorder();
    const stream = new Agent({ model: 'm', provider: new FakeProvider({ text: ['a', 'b', 'c'] }) }).streamChat('q', {
      observer: left,
    });
    for await (const e of stream) if (e.type === 'text_delta') break;
    expect(left.modelEnds).toEqual([{ text: 'a', toolCalls: [], aborted: true }]);
  });

  it('combines observers: each sees everything, and their headers are merged', () => {
    const a = new Recorder();
    const b = new Recorder();
    expect(combineObservers(undefined, a)).toBe(a);
    expect(combineObservers()).toBeUndefined();
    const both = combineObservers(a, { toolCall: () => ({ headers: { tracestate: 'x=1' }, end: () => undefined }) }, b);
    const watch = both?.modelCall?.({ turn: 1, model: 'm', provider: 'p', messages: [] });
    expect(watch?.headers).toEqual({ traceparent: 'model-1' });
    watch?.end({ text: '', toolCalls: [], aborted: false });
    const toolWatch = both?.toolCall?.({ turn: 1, call_id: 'c', name: 't', args: {} });
    expect(toolWatch?.headers).toEqual({ traceparent: 'tool-c', tracestate: 'x=1' });
    expect(a.modelEnds).toHaveLength(1);
    expect(b.modelEnds).toHaveLength(1);
  });
});
