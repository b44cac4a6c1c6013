/**
 * Small operators over AgentEvent streams. Each takes and returns an AsyncIterable so outputs compose:
 * `serializeEvents(coalesceText(filterEvents(agent.streamChat(q), types), 50))`.
 * Filtering and coalescing keep `seq` strictly increasing but may leave gaps.
 */
import { AsyncQueue } from './async-queue.js';
import type { AgentEvent, AgentEventType, RunEndEvent, TextDeltaEvent } from './events.js';

/** The event types a filter keeps, or undefined when it keeps everything (an empty or missing list). */
export function keptTypes(types: readonly AgentEventType[] | undefined): ReadonlySet<AgentEventType> | undefined {
  return types && types.length > 0 ? new Set(types) : undefined;
}

/** Keeps only events whose type is listed (an empty or missing list keeps everything). */
export async function* filterEvents(
  source: AsyncIterable<AgentEvent>,
  types: readonly AgentEventType[] | undefined,
): AsyncGenerator<AgentEvent> {
  const keep = keptTypes(types);
  if (!keep) {
    yield* source;
    return;
  }
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

/** What goes between an answer's text so far and a new turn's text: exactly one blank line, counting its own. */
function blankLineAfter(before: string): string {
  if (before === '' || before.endsWith('\n\n')) return '';
  return before.endsWith('\n') ? '\n' : '\n\n';
}

/**
 * One run's turns as one answer, with exactly one blank line between turns that have text: the rule every output that
 * shows a single answer follows (`run_end.text`, plain text, the OpenAI-compatible and A2A answers).
 */
export class TurnJoiner {
  private turn = 0;
  private tail = ''; // the answer's last two characters: all the separator rule looks at

  /** The text to append for `text` of `turn`: itself, after the separating blank line when it opens a new turn. */
  append(turn: number, text: string): string {
    if (text === '') return text;
    const out = this.turn !== 0 && turn !== this.turn ? blankLineAfter(this.tail) + text : text;
    this.turn = turn;
    this.tail = (this.tail + out).slice(-2);
    return out;
  }
}

/**
 * For outputs that show each run as one answer: the first text delta of a later turn carries the blank line that
 * separates it from the turn before, so concatenating a run's deltas gives exactly its `run_end.text`. (Deltas of a
 * turn then no longer add up to that turn's `message`; consumers that need the turns use the stream as it is.)
 */
export async function* joinTurns(source: AsyncIterable<AgentEvent>): AsyncGenerator<AgentEvent> {
  const runs = new Map<string, TurnJoiner>();
  for await (const event of source) {
    if (event.type === 'text_delta') {
      let joiner = runs.get(event.run_id);
      if (!joiner) runs.set(event.run_id, (joiner = new TurnJoiner()));
      const text = joiner.append(event.turn, event.text);
      yield text === event.text ? event : { ...event, text };
      continue;
    }
    if (event.type === 'run_end') runs.delete(event.run_id);
    yield event;
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
