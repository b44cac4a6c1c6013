/** A scripted, interleaved two-agent event stream for the multi-agent UI tests. */
import type { AgentEvent, EventPayload } from '../../src/core/events.js';
import { end } from './script.js';

export const T0 = 1_000_000;

/** Stamps each agent's payloads as its own run, then interleaves them in the order `order` names the agents. */
export function interleave(runs: Record<string, EventPayload[]>, order: string[], stepMs = 100): AgentEvent[] {
  const next = new Map(Object.keys(runs).map((a) => [a, 0]));
  return order.map((agent, i) => {
    const seq = next.get(agent) ?? 0;
    next.set(agent, seq + 1);
    const payload = runs[agent]?.[seq];
    if (!payload) throw new Error(`no event ${seq} left for ${agent}`);
    return { run_id: `run_${agent}`, seq, ts: T0 + i * stepMs, agent, ...payload };
  });
}

/** alpha calls a tool and completes; beta streams and fails. */
export const RUNS: Record<string, EventPayload[]> = {
  alpha: [
    { type: 'run_start', model: 'gpt-alpha', input: 'q' },
    { type: 'text_delta', text: 'Let me **compute** that.', turn: 1 },
    { type: 'message', text: 'Let me **compute** that.', turn: 1 },
    { type: 'tool_call', call_id: 'c1', name: 'calculator', args: { expression: '6*7' }, turn: 1 },
    { type: 'tool_result', call_id: 'c1', name: 'calculator', result: '42', is_error: false, duration_ms: 12, turn: 1 },
    { type: 'text_delta', text: 'The answer is 42.', turn: 2 },
    end('completed', 'Let me compute that.\n\nThe answer is 42.', { duration_ms: 900 }),
  ],
  beta: [
    { type: 'run_start', model: 'gpt-beta', input: 'q' },
    { type: 'text_delta', text: 'Beta thinks\x1b]0;pwned\x07 about ', turn: 1 },
    { type: 'text_delta', text: 'it.', turn: 1 },
    end('failed', 'Beta thinks about it.', {
      error: { message: 'upstream 500: boom', retryable: false },
      duration_ms: 700,
    }),
  ],
};

/** The order of the interleaving: both start, both stream, alpha's tool runs while beta streams, beta fails first. */
export const ORDER = ['alpha', 'beta', 'alpha', 'beta', 'alpha', 'alpha', 'beta', 'alpha', 'beta', 'alpha', 'alpha'];
