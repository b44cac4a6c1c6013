/** Builds scripted AgentEvent arrays for UI tests (run_id/seq/ts/agent filled in). */
import type { AgentEvent, EventPayload } from '../../src/core/events.js';

/** Stamps payloads as one run's events; `ts` advances by `stepMs` per event from `t0`. */
export function script(
  payloads: EventPayload[],
  opts: { runId?: string; t0?: number; stepMs?: number } = {},
): AgentEvent[] {
  const t0 = opts.t0 ?? 1_000_000;
  return payloads.map((p, seq) => ({
    run_id: opts.runId ?? 'run_test',
    seq,
    ts: t0 + seq * (opts.stepMs ?? 10),
    agent: 'assistant',
    ...p,
  }));
}

/** A run_end payload with defaults. */
export function end(
  status: 'completed' | 'cancelled' | 'failed' | 'timeout' | 'max_turns',
  text = '',
  extra: Partial<EventPayload & { type: 'run_end' }> = {},
): EventPayload {
  return {
    type: 'run_end',
    status,
    text,
    usage: { input_tokens: 10, output_tokens: 42, total_tokens: 52 },
    duration_ms: 1234,
    ...extra,
  };
}
