/**
 * The hook that runs several agents on one prompt: one AbortController for all of them (Esc/Ctrl+C abort every
 * run, and each still ends with its own run_end), stream-sanitised text per run, and events handed to the reducer in
 * batches at frame cadence, never per token.
 */
import { useCallback, useRef, type Dispatch } from 'react';
import type { Agent } from '../core/agent.js';
import { emptyUsage, type AgentEvent, type RunEndEvent } from '../core/events.js';
import { streamAgents } from '../core/multi-agent.js';
import { createStreamSanitizer } from '../render/sanitize.js';
import type { MultiAction } from './multi-state.js';
import { FRAME_MS, type RunOptions } from './use-run.js';

type Sanitizer = ReturnType<typeof createStreamSanitizer>;

/** Runs `agents` concurrently on one prompt, reporting to `dispatch`; `start` resolves with every run's run_end. */
export function useAgents(agents: readonly Agent[], dispatch: Dispatch<MultiAction>, options: RunOptions) {
  const controller = useRef(new AbortController());

  const start = useCallback(
    async (prompt: string): Promise<RunEndEvent[]> => {
      const signal = controller.current.signal;
      dispatch({ type: 'start', prompt, now: Date.now() });
      // Escape sequences may be split across deltas: each text channel of each run gets a stateful sanitiser.
      const channels = new Map<string, Sanitizer>();
      const clean = (e: AgentEvent & { text: string }): string => {
        const key = `${e.run_id}:${e.type}`;
        let s = channels.get(key);
        if (!s) channels.set(key, (s = createStreamSanitizer()));
        return s.write(e.text);
      };
      let batch: AgentEvent[] = [];
      let timer: NodeJS.Timeout | undefined;
      const flush = (): void => {
        timer = undefined;
        if (batch.length === 0) return;
        const events = batch;
        batch = [];
        dispatch({ type: 'events', events });
      };
      const ends: RunEndEvent[] = [];
      let failure = 'the run ended without reporting';
      try {
        const events = streamAgents(agents, prompt, {
          signal,
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          ...(options.maxTurns !== undefined ? { maxTurns: options.maxTurns } : {}),
        });
        for await (const e of events) {
          batch.push(e.type === 'text_delta' || e.type === 'reasoning_delta' ? { ...e, text: clean(e) } : e);
          if (e.type === 'run_end') ends.push(e);
          timer ??= setTimeout(flush, FRAME_MS);
        }
      } catch (error) {
        // streamAgents reports failures as events; this only guards against a bug, so every panel still ends.
        failure = (error as Error)?.message ?? String(error);
      } finally {
        clearTimeout(timer);
        flush();
      }
      if (ends.length < agents.length) {
        dispatch({ type: 'abandon', message: failure, now: Date.now() });
        for (const agent of agents.slice(ends.length)) {
          ends.push({
            type: 'run_end', run_id: 'local', seq: 0, ts: Date.now(), agent: agent.name, status: 'failed', text: '',
            usage: emptyUsage(), duration_ms: 0, error: { message: failure, retryable: false },
          });
        }
      }
      return ends;
    },
    [agents, dispatch, options.timeoutMs, options.maxTurns],
  );

  /** Cancels every run; false when they were already cancelled. */
  const cancel = useCallback((): boolean => {
    if (controller.current.signal.aborted) return false;
    controller.current.abort(new Error('cancelled by the user'));
    dispatch({ type: 'cancel' });
    return true;
  }, [dispatch]);

  return { start, cancel };
}
