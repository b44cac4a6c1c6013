/**
 * The one hook that runs a turn: one AbortController per run (Esc/Ctrl+C abort it, which closes the upstream
 * request), stream-sanitised text, and events handed to the reducer in batches at frame cadence, never per token.
 */
import { useCallback, useRef, type Dispatch } from 'react';
import type { Agent, Conversation } from '../core/agent.js';
import { emptyUsage, type AgentEvent, type RunEndEvent } from '../core/events.js';
import { createStreamSanitizer } from '../core/text/sanitize.js';
import type { UiAction } from './state.js';

/** Frame interval for handing events to the screen (~30 fps). */
export const FRAME_MS = 33;

/** Per-run options of the chat. */
export interface RunOptions {
  timeoutMs?: number;
  maxTurns?: number;
}

/** Runs turns of `agent` in `conversation`, reporting to `dispatch`. */
export function useRun(agent: Agent, conversation: Conversation, dispatch: Dispatch<UiAction>, options: RunOptions) {
  const { active, cancel, isRunning } = useActiveRun(dispatch);

  const start = useCallback(
    async (prompt: string, model?: string): Promise<RunEndEvent> => {
      const controller = new AbortController();
      active.current = controller;
      dispatch({ type: 'submit', text: prompt, now: Date.now() });
      const clean = deltaSanitizer();
      const screen = frameBatcher((events) => dispatch({ type: 'events', events }));
      let end: RunEndEvent | undefined;
      try {
        const events = agent.streamChat(prompt, {
          signal: controller.signal,
          conversation,
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          ...(options.maxTurns !== undefined ? { maxTurns: options.maxTurns } : {}),
          ...(model ? { model } : {}),
        });
        for await (const e of events) {
          screen.push(clean(e));
          if (e.type === 'run_end') end = e;
        }
      } catch (error) {
        // streamChat reports failures as events; this only guards against a bug so the prompt always comes back.
        end = localFailedEnd(agent.name, (error as Error).message ?? String(error));
        screen.push(end);
      } finally {
        screen.close();
        if (active.current === controller) active.current = null;
      }
      return end as RunEndEvent;
    },
    [agent, conversation, dispatch, options.timeoutMs, options.maxTurns],
  );

  return { start, cancel, isRunning };
}

/**
 * The run (or round of runs) in progress: its AbortController, `cancel()` (false when there is none or it was already
 * cancelled) and `isRunning()`, true from start until its last event was handed over, ahead of React's next render.
 */
export function useActiveRun(dispatch: (action: { type: 'cancel' }) => void) {
  const active = useRef<AbortController | null>(null);
  const cancel = useCallback((): boolean => {
    const controller = active.current;
    if (!controller || controller.signal.aborted) return false;
    controller.abort(new Error('cancelled by the user'));
    dispatch({ type: 'cancel' });
    return true;
  }, [dispatch]);
  const isRunning = useCallback((): boolean => active.current !== null, []);
  return { active, cancel, isRunning };
}

/** Hands events to `deliver` in batches at frame cadence, never per token; `close()` delivers what is left. */
export function frameBatcher(deliver: (events: AgentEvent[]) => void): { push(e: AgentEvent): void; close(): void } {
  let batch: AgentEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    deliver(events);
  };
  return {
    push(e) {
      batch.push(e);
      timer ??= setTimeout(flush, FRAME_MS);
    },
    close() {
      clearTimeout(timer);
      flush();
    },
  };
}

/** Sanitises streamed text: escape sequences may be split across deltas, so each run's text channel keeps its state. */
export function deltaSanitizer(): (e: AgentEvent) => AgentEvent {
  const channels = new Map<string, ReturnType<typeof createStreamSanitizer>>();
  return (e) => {
    if (e.type !== 'text_delta' && e.type !== 'reasoning_delta') return e;
    const key = `${e.run_id}:${e.type}`;
    let s = channels.get(key);
    if (!s) channels.set(key, (s = createStreamSanitizer()));
    return { ...e, text: s.write(e.text) };
  };
}

/** A run_end made by the UI for a run that could not report its own (the prompt must always come back). */
export function localFailedEnd(agent: string, message: string): RunEndEvent {
  return {
    type: 'run_end',
    run_id: 'local',
    seq: 0,
    ts: Date.now(),
    agent,
    status: 'failed',
    text: '',
    usage: emptyUsage(),
    duration_ms: 0,
    error: { message, retryable: false },
  };
}
