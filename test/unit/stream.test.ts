import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/events.js';
import {
  coalesceText,
  collect,
  filterEvents,
  fromArray,
  mergeStreams,
  serializeEvents,
} from '../../src/core/stream.js';

const base = (seq: number, run = 'r1', agent = 'a') => ({ run_id: run, seq, ts: 0, agent });
const delta = (seq: number, text: string, turn = 1, run = 'r1'): AgentEvent => ({
  type: 'text_delta',
  text,
  turn,
  ...base(seq, run),
});
const end = (seq: number, run = 'r1'): AgentEvent => ({
  type: 'run_end',
  status: 'completed',
  text: '',
  usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
  duration_ms: 0,
  ...base(seq, run),
});

describe('stream operators', () => {
  it('filterEvents keeps only the listed types, everything when the list is empty', async () => {
    const events = [delta(0, 'a'), end(1)];
    expect((await collect(filterEvents(fromArray(events), ['run_end']))).map((e) => e.type)).toEqual(['run_end']);
    expect(await collect(filterEvents(fromArray(events), []))).toHaveLength(2);
  });

  it('coalesceText merges consecutive deltas of a turn without changing the text', async () => {
    const events = [delta(0, 'Hel'), delta(1, 'lo'), delta(2, ' world'), delta(3, 'next', 2), end(4)];
    const out = await collect(coalesceText(fromArray(events), 1000));
    expect(out.map((e) => (e.type === 'text_delta' ? e.text : e.type))).toEqual(['Hello world', 'next', 'run_end']);
    expect(out.map((e) => e.seq)).toEqual([0, 3, 4]);
  });

  it('coalesceText flushes when the window passes even if the source is idle', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* source(): AsyncGenerator<AgentEvent> {
      yield delta(0, 'a');
      yield delta(1, 'b');
      await gate; // the source stalls: the pending text must still come out
      yield end(2);
    }
    const it = coalesceText(source(), 5)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toMatchObject({ type: 'text_delta', text: 'ab' });
    release();
    expect((await it.next()).value).toMatchObject({ type: 'run_end' });
    expect((await it.next()).done).toBe(true);
  });

  it('mergeStreams interleaves sources and keeps each source in order', async () => {
    const a = fromArray([delta(0, 'a1', 1, 'A'), delta(1, 'a2', 1, 'A'), end(2, 'A')]);
    const b = fromArray([delta(0, 'b1', 1, 'B'), end(1, 'B')]);
    const out = await collect(mergeStreams(a, b));
    expect(out).toHaveLength(5);
    for (const run of ['A', 'B']) {
      const seqs = out.filter((e) => e.run_id === run).map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
  });

  it('serializeEvents yields compact JSON', async () => {
    const [line] = await collect(serializeEvents(fromArray([delta(0, 'x')])));
    expect(line).toBe(JSON.stringify(delta(0, 'x')));
    expect(line).not.toContain('\n');
  });
});
