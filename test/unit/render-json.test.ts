import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AgentEvent, EventPayload } from '../../src/core/events.js';
import { fromArray } from '../../src/core/stream.js';
import { renderJson } from '../../src/render/json.js';

const usage = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
const events: AgentEvent[] = (
  [
    { type: 'run_start', model: 'm', input: 'q' },
    { type: 'tool_call', call_id: 'c', name: 'calculator', args: {}, turn: 1 },
    { type: 'tool_result', call_id: 'c', name: 'calculator', result: '2', is_error: false, duration_ms: 1, turn: 1 },
    { type: 'text_delta', text: 'done', turn: 2 },
    { type: 'run_end', status: 'completed', text: 'done', usage, duration_ms: 1 },
  ] satisfies EventPayload[]
).map((p, seq) => ({ ...p, run_id: 'r1', seq, ts: 0, agent: 'a' }));

function sink(): { out: Writable; lines: () => Array<{ type: string }> } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString('utf8');
      cb();
    },
  });
  return {
    out,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string }),
  };
}

describe('renderJson', () => {
  it('writes one JSON line per event and returns the run_ends', async () => {
    const { out, lines } = sink();
    const ends = await renderJson(fromArray(events), out);
    expect(lines()).toEqual(events);
    expect(ends.map((e) => e.status)).toEqual(['completed']);
  });

  it('with --events, writes only those types but still returns the real run_end', async () => {
    const { out, lines } = sink();
    const ends = await renderJson(fromArray(events), out, ['tool_call', 'tool_result']);
    expect(lines().map((e) => e.type)).toEqual(['tool_call', 'tool_result']);
    expect(ends).toEqual([events.at(-1)]);
  });
});
