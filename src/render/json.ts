/** The NDJSON consumer (`--json`): one compact JSON event per line on stdout, nothing else there. */
import type { Writable } from 'node:stream';
import type { AgentEvent, AgentEventType, RunEndEvent } from '../core/events.js';
import { eventJson } from '../core/event-json.js';
import { keptTypes } from '../core/stream.js';
import { batchedWriter } from './output.js';

/**
 * Writes every event (of the `types` kept, when given) as a line; returns every run's real run_end, also when the
 * filter hides it, since the exit code comes from how the runs really ended.
 */
export async function renderJson(
  events: AsyncIterable<AgentEvent>,
  out: Writable,
  types?: readonly AgentEventType[],
): Promise<RunEndEvent[]> {
  const out$ = batchedWriter(out);
  const keep = keptTypes(types);
  const ends: RunEndEvent[] = [];
  for await (const event of events) {
    if (event.type === 'run_end') ends.push(event);
    if (keep && !keep.has(event.type)) continue;
    // JSON escapes every control character, so model text cannot reach the terminal raw here. A recorded run's line
    // is the one its session log just made (eventJson), not serialized a second time.
    await out$.write(eventJson(event) + '\n');
  }
  await out$.flush();
  return ends;
}
