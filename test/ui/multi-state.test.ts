import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/events.js';
import { initialMultiState, multiReducer, totalTokens, type MultiState } from '../../src/ui/multi-state.js';
import { ORDER, RUNS, T0, interleave } from './multi-script.js';
import { end } from './script.js';

const AGENTS = [
  { name: 'alpha', model: 'configured-a', isDemo: false },
  { name: 'beta', model: 'configured-b', isDemo: false },
];
const EVENTS = interleave(RUNS, ORDER);

function after(n: number, state: MultiState = multiReducer(initialMultiState(AGENTS, T0), { type: 'start', prompt: 'q', now: T0 })): MultiState {
  return multiReducer(state, { type: 'events', events: EVENTS.slice(0, n) });
}

describe('multiReducer', () => {
  it('starts with a header, the prompt, and one waiting panel per agent with its configured model', () => {
    const s = after(0);
    expect(s.history.map((h) => h.kind)).toEqual(['header', 'user']);
    expect(s.live.map((p) => [p.agent, p.model, p.run_id])).toEqual([
      ['alpha', 'configured-a', undefined],
      ['beta', 'configured-b', undefined],
    ]);
  });

  it('routes interleaved events to each agent’s panel, with the model from its run_start', () => {
    const s = after(6); // both started and streaming; alpha's tool call is running
    expect(s.live).toHaveLength(2);
    const [alpha, beta] = s.live;
    expect(alpha).toMatchObject({ agent: 'alpha', model: 'gpt-alpha', run_id: 'run_alpha', text: '' });
    expect(alpha!.blocks).toEqual([{ kind: 'text', text: 'Let me **compute** that.' }]);
    expect(alpha!.tools.map((t) => t.name)).toEqual(['calculator']);
    expect(beta).toMatchObject({ agent: 'beta', model: 'gpt-beta', text: 'Beta thinks\x1b]0;pwned\x07 about ' });
    expect(beta!.tools).toEqual([]);
  });

  it('turns a tool result into a finished block of the same panel only', () => {
    const s = after(8);
    const [alpha, beta] = s.live;
    expect(alpha!.tools).toEqual([]);
    expect(alpha!.blocks.at(-1)).toMatchObject({ kind: 'tool', tool: { name: 'calculator', result: '42', is_error: false, args: { expression: '6*7' } } });
    expect(alpha!.toolsRun).toBe(1);
    expect(beta!.text).toBe('Beta thinks\x1b]0;pwned\x07 about it.');
    expect(beta!.blocks).toEqual([]);
  });

  it('moves a panel to history whole when its run ends, with the status and the sanitised error', () => {
    const s = after(9);
    expect(s.live.map((p) => p.agent)).toEqual(['alpha']);
    const item = s.history.at(-1);
    expect(item?.kind).toBe('panel');
    if (item?.kind !== 'panel') return;
    expect(item.panel.agent).toBe('beta');
    expect(item.panel.end).toMatchObject({ status: 'failed', message: 'upstream 500: boom', output_tokens: 42 });
    expect(item.panel.blocks.at(-1)).toEqual({ kind: 'text', text: 'Beta thinks\x1b]0;pwned\x07 about it.' });
  });

  it('after the last run ended: no live panel, every end in order, and a summary', () => {
    const s = after(EVENTS.length);
    expect(s.live).toEqual([]);
    expect(s.ends.map((e) => e.status)).toEqual(['failed', 'completed']);
    const alpha = s.history.find((h) => h.kind === 'panel' && h.panel.agent === 'alpha');
    expect(alpha?.kind === 'panel' && alpha.panel.blocks.map((b) => b.kind)).toEqual(['text', 'tool', 'text']);
    expect(s.history.at(-1)).toMatchObject({ kind: 'summary', tokens: 84, duration_ms: 1000 });
    expect(totalTokens(s)).toBe(84);
  });

  it('splits long answers at safe markdown boundaries into finished blocks, keeping a short live tail', () => {
    const s = multiReducer(after(2), {
      type: 'events',
      events: [{ type: 'text_delta', run_id: 'run_alpha', seq: 1, ts: T0, agent: 'alpha', text: '# One\n\nPara one.\n\n```\ncode\n\nmore\n```\n\nTail', turn: 1 }],
    });
    const alpha = s.live[0]!;
    expect(alpha.blocks).toEqual([{ kind: 'text', text: '# One\n\nPara one.\n\n```\ncode\n\nmore\n```' }]);
    expect(alpha.text).toBe('Tail');
  });

  it('tells apart two agents with the same name by run_id', () => {
    let s = multiReducer(initialMultiState([AGENTS[0]!, AGENTS[0]!], T0), { type: 'start', prompt: 'q', now: T0 });
    const ev = (run_id: string, seq: number, p: object): AgentEvent => ({ run_id, seq, ts: T0, agent: 'alpha', ...p }) as AgentEvent;
    s = multiReducer(s, {
      type: 'events',
      events: [
        ev('r1', 0, { type: 'run_start', model: 'm', input: 'q' }),
        ev('r2', 0, { type: 'run_start', model: 'm', input: 'q' }),
        ev('r2', 1, { type: 'text_delta', text: 'second', turn: 1 }),
        ev('r1', 1, { type: 'text_delta', text: 'first', turn: 1 }),
        ev('r3', 0, { type: 'text_delta', text: 'from nowhere', turn: 1 }),
      ],
    });
    expect(s.live.map((p) => [p.run_id, p.text])).toEqual([
      ['r1', 'first'],
      ['r2', 'second'],
    ]);
  });

  it('marks cancelling, and shows tools cut short by a cancelled run as interrupted', () => {
    let s = multiReducer(after(6), { type: 'cancel' });
    expect(s.cancelling).toBe(true);
    const cancelled = (agent: string, seq: number): AgentEvent => ({ run_id: `run_${agent}`, seq, ts: T0 + 5000, agent, ...end('cancelled') }) as AgentEvent;
    s = multiReducer(s, { type: 'events', events: [cancelled('alpha', 5), cancelled('beta', 3)] });
    expect(s.live).toEqual([]);
    expect(s.ends.map((e) => e.status)).toEqual(['cancelled', 'cancelled']);
    const alpha = s.history.find((h) => h.kind === 'panel' && h.panel.agent === 'alpha');
    expect(alpha?.kind === 'panel' && alpha.panel.blocks.at(-1)).toMatchObject({ kind: 'tool', tool: { result: 'interrupted', is_error: true } });
  });

  it('ends panels that never reported as failed when the stream stops early', () => {
    const s = multiReducer(after(3), { type: 'abandon', message: 'stream broke', now: T0 + 500 });
    expect(s.live).toEqual([]);
    expect(s.ends).toEqual([
      expect.objectContaining({ status: 'failed', message: 'stream broke' }),
      expect.objectContaining({ status: 'failed', message: 'stream broke' }),
    ]);
  });
});
