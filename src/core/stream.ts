/**
 * Small operators over AgentEvent streams. Each takes and returns an AsyncIterable so outputs compose:
 * `serializeEvents(coalesceText(filterEvents(agent.streamChat(q), types), 50))`.
 * Filtering and coalescing keep `seq` strictly increasing but may leave gaps.
 */
import { AsyncQueue } from './async-queue.js';
import type { AgentEvent, AgentEventType, RunEndEvent, TextDeltaEvent } from './events.js';

/** Keeps only events whose type is listed (an empty or missing list keeps everything). */
export async function* filterEvents(
  source: AsyncIterable<AgentEvent>,
  types: readonly AgentEventType[] | undefined,
): AsyncGenerator<AgentEvent> {
  if (!types || types.length === 0) {
    yield* source;
    return;
  }
  const keep = new Set(types);
  for await (const event of source) if (keep.has(event.type)) yield event;
}

/**
 * Merges consecutive text deltas of the same run and turn that arrive within `windowMs` of the first one into a
 * single delta, for fewer and larger writes. The concatenated text is unchanged, and any other event flushes the
 * pending text first, so order is preserved. `windowMs <= 0` passes the stream through untouched.
 */
export async function* coalesceText(source: AsyncIterable<AgentEvent>, windowMs: number): AsyncGenerator<AgentEvent> {
  if (!(windowMs > 0)) {
    yield* source;
    return;
  }
  const it = source[Symbol.asyncIterator]();
  let pending: TextDeltaEvent | undefined;
  let deadline = 0;
  let next: Promise<IteratorResult<AgentEvent>> | undefined;
  try {
    for (;;) {
      next ??= it.next();
      let result: IteratorResult<AgentEvent> | 'flush';
      if (pending) {
        let timer: NodeJS.Timeout | undefined;
        const flush = new Promise<'flush'>((resolve) => {
          timer = setTimeout(() => resolve('flush'), Math.max(0, deadline - Date.now()));
        });
        result = await Promise.race([next, flush]);
        clearTimeout(timer);
      } else {
        result = await next;
      }
      if (result === 'flush') {
        yield pending as TextDeltaEvent;
        pending = undefined;
        continue;
      }
      next = undefined;
      if (result.done) break;
      const event = result.value;
      if (event.type === 'text_delta') {
        if (pending && pending.run_id === event.run_id && pending.turn === event.turn) {
          pending = { ...pending, text: pending.text + event.text };
          continue;
        }
        if (pending) yield pending;
        pending = event;
        deadline = Date.now() + windowMs;
        continue;
      }
      if (pending) {
        yield pending;
        pending = undefined;
      }
      yield event;
    }
    if (pending) yield pending;
  } finally {
    // Not awaited: a source blocked on the network would hold the consumer; cancellation travels by AbortSignal.
    void it.return?.();
  }
}

/**
 * Interleaves several event streams into one, in arrival order, keeping each source's own order. Used for
 * multi-agent runs: every event still carries its own `agent` and `run_id`.
 */
export async function* mergeStreams<T>(...sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  const queue = new AsyncQueue<T>();
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  let open = iterators.length;
  if (open === 0) return;
  for (const it of iterators) {
    void (async () => {
      try {
        for (;;) {
          const r = await it.next();
          if (r.done) break;
          queue.push(r.value);
        }
      } catch (error) {
        queue.fail(error);
      } finally {
        if (--open === 0) queue.close();
      }
    })();
  }
  try {
    yield* queue;
  } finally {
    for (const it of iterators) void it.return?.();
  }
}

/** One compact JSON document per event (no trailing newline), e.g. for NDJSON or SSE `data:` lines. */
export async function* serializeEvents(source: AsyncIterable<AgentEvent>): AsyncGenerator<string> {
  for await (const event of source) yield JSON.stringify(event);
}

/** Collects a whole stream into an array (tests, non-streaming endpoints). */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

/** Reads a run's events to the end and returns its run_end (which every run emits last; its absence is a bug). */
export async function runEndOf(events: AsyncIterable<AgentEvent>): Promise<RunEndEvent> {
  let end: RunEndEvent | undefined;
  for await (const e of events) if (e.type === 'run_end') end = e;
  if (!end) throw new Error('the run ended without run_end');
  return end;
}

/** Turns an array into an async stream (tests, replays). */
export async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
