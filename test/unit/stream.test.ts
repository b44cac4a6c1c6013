import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/events.js';
import {
  coalesceText,
  collect,
  filterEvents,
  fromArray,
  joinTurns,
  mergeStreams,
  serializeEvents,
  TurnJoiner,
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

describe('turns joined into one answer', () => {
  it('puts exactly one blank line between turns that have text, counting the line breaks already there', () => {
    const join = (...turns: string[]): string => {
      const j = new TurnJoiner();
      return turns.map((t, i) => j.append(i + 1, t)).join('');
    };
    expect(join('one', 'two')).toBe('one\n\ntwo');
    expect(join('one\n', 'two')).toBe('one\n\ntwo');
    expect(join('one\n\n', 'two')).toBe('one\n\ntwo');
    expect(join('one', '', 'three')).toBe('one\n\nthree');
    expect(join('', 'two')).toBe('two');
  });

  it('a turn streamed in pieces gets the separator once, on its first piece', () => {
    const j = new TurnJoiner();
    expect([j.append(1, 'a'), j.append(1, 'b\n'), j.append(2, 'c'), j.append(2, 'd')]).toEqual([
      'a',
      'b\n',
      '\nc',
      'd',
    ]);
  });

  it('joinTurns prefixes the first delta of a later turn, per run, and leaves every other event alone', async () => {
    const events = [
      delta(0, 'A1', 1, 'A'),
      delta(0, 'B1', 1, 'B'),
      delta(1, 'A2', 2, 'A'),
      end(2, 'A'),
      delta(1, 'more', 1, 'B'),
      delta(2, 'B2', 3, 'B'),
      end(3, 'B'),
    ];
    const out = await collect(joinTurns(fromArray(events)));
    expect(out.map((e) => (e.type === 'text_delta' ? `${e.run_id}:${e.text}` : `${e.run_id}:${e.type}`))).toEqual([
      'A:A1',
      'B:B1',
      'A:\n\nA2',
      'A:run_end',
      'B:more',
      'B:\n\nB2',
      'B:run_end',
    ]);
    expect(out[0]).toBe(events[0]);
  });
});
