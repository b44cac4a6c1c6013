import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentEvent } from '../../src/core/events.js';
import { FRAME_MS, deltaSanitizer, frameBatcher, localFailedEnd } from '../../src/ui/run-helpers.js';

const delta = (text: string, run_id = 'r1', type: 'text_delta' | 'reasoning_delta' = 'text_delta'): AgentEvent => ({
  type,
  run_id,
  seq: 1,
  ts: 0,
  agent: 'a',
  text,
  turn: 1,
});

afterEach(() => vi.useRealTimers());

describe('frameBatcher', () => {
  it('delivers the events of one frame together, once per frame, and the rest on close', () => {
    vi.useFakeTimers();
    const frames: AgentEvent[][] = [];
    const screen = frameBatcher((events) => frames.push(events));
    for (const t of ['a', 'b', 'c']) screen.push(delta(t));
    expect(frames).toHaveLength(0);
    vi.advanceTimersByTime(FRAME_MS);
    expect(frames.map((f) => f.length)).toEqual([3]);
    screen.push(delta('d'));
    screen.close();
    expect(frames.map((f) => f.length)).toEqual([3, 1]);
    vi.advanceTimersByTime(FRAME_MS * 3);
    expect(frames).toHaveLength(2);
  });
});

describe('deltaSanitizer', () => {
  it('removes an escape sequence split across deltas, per run and channel', () => {
    const clean = deltaSanitizer();
    const out = [
      delta('a\x1b]0;ti'),
      delta('x\x1b]0;', 'r2'),
      delta('tle\x07b'),
      delta('y', 'r2', 'reasoning_delta'),
    ].map((e) => (clean(e) as { text: string }).text);
    expect(out.join('')).not.toContain('\x1b');
    expect(out[0]! + out[2]!).toBe('ab');
  });

  it('passes other events through untouched', () => {
    const end = localFailedEnd('a', 'boom');
    expect(deltaSanitizer()(end)).toBe(end);
    expect(end).toMatchObject({
      type: 'run_end',
      status: 'failed',
      agent: 'a',
      error: { message: 'boom', retryable: false },
    });
  });
});
