/**
 * What the hook running a round (use-chat.ts) is built from: one AbortController per round, stream-sanitised text,
 * and events handed to the reducer in batches at frame cadence, never per token.
 */
import { useCallback, useRef } from 'react';
import { emptyUsage, type AgentEvent, type RunEndEvent } from '../core/events.js';
import { createStreamSanitizer } from '../core/text/sanitize.js';

/** Frame interval for handing events to the screen (~30 fps). */
export const FRAME_MS = 33;

/** Per-run options of the chat. */
export interface RunOptions {
  timeoutMs?: number;
  maxTurns?: number;
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
