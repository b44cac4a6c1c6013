/** The NDJSON consumer (`--json`): one compact JSON event per line on stdout, nothing else there. */
import type { Writable } from 'node:stream';
import type { AgentEvent, RunEndEvent } from '../core/events.js';
import { batchedWriter } from './output.js';

/** Writes every event as a line; returns the run_end events seen (one per run). */
export async function renderJson(events: AsyncIterable<AgentEvent>, out: Writable): Promise<RunEndEvent[]> {
  const out$ = batchedWriter(out);
  const ends: RunEndEvent[] = [];
  for await (const event of events) {
    if (event.type === 'run_end') ends.push(event);
    // JSON.stringify escapes every control character, so model text cannot reach the terminal raw here.
    await out$.write(JSON.stringify(event) + '\n');
  }
  await out$.flush();
  return ends;
}
