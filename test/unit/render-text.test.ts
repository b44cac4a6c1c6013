import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AgentEvent, EventPayload } from '../../src/core/events.js';
import { fromArray } from '../../src/core/stream.js';
import { renderText } from '../../src/render/text.js';

/** A run's events from payloads: stamps run_id, seq, ts and agent the way the agent does. */
function run(payloads: EventPayload[], runId = 'r1', agent = 'a'): AgentEvent[] {
  return payloads.map((p, seq) => ({ ...p, run_id: runId, seq, ts: 0, agent }));
}

const usage = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
const end = (status: 'completed' | 'failed' = 'completed', text = ''): EventPayload => ({
  type: 'run_end',
  status,
  text,
  usage,
  duration_ms: 1,
  ...(status === 'failed' ? { error: { message: 'boom', retryable: false } } : {}),
});

/** Collects what is written; `shared` sends stdout and stderr to one place, as a terminal does. */
function sinks(): { out: Writable; err: Writable; stdout: () => string; stderr: () => string; both: () => string } {
  const parts: Array<['out' | 'err', string]> = [];
  const sink = (name: 'out' | 'err'): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        parts.push([name, chunk.toString('utf8')]);
        cb();
      },
    });
  return {
    out: sink('out'),
    err: sink('err'),
    stdout: () =>
      parts
        .filter(([n]) => n === 'out')
        .map(([, t]) => t)
        .join(''),
    stderr: () =>
      parts
        .filter(([n]) => n === 'err')
        .map(([, t]) => t)
        .join(''),
    both: () => parts.map(([, t]) => t).join(''),
  };
}

const toolTurn: EventPayload[] = [
  { type: 'run_start', model: 'm', input: 'q' },
  { type: 'text_delta', text: 'Let me compute.', turn: 1 },
  { type: 'tool_call', call_id: 'c', name: 'calculator', args: { expression: '1+1' }, turn: 1 },
  { type: 'tool_result', call_id: 'c', name: 'calculator', result: '2', is_error: false, duration_ms: 1, turn: 1 },
  { type: 'text_delta', text: 'It is ', turn: 2 },
  { type: 'text_delta', text: '2.', turn: 2 },
  end('completed', 'Let me compute.\n\nIt is 2.'),
];

describe('renderText', () => {
  it('writes each run as one answer on stdout, turns joined exactly like run_end.text', async () => {
    const io = sinks();
    const ends = await renderText(fromArray(run(toolTurn)), { out: io.out, err: io.err });
    expect(io.stdout()).toBe('Let me compute.\n\nIt is 2.\n');
    expect(io.stderr()).toMatch(/⚙ calculator\(\{"expression":"1\+1"\}\)\n✓ calculator \d+ms → 2\n/);
    expect(ends.map((e) => e.status)).toEqual(['completed']);
  });

  it('on a shared terminal, diagnostics start on a line of their own without doubling the blank line', async () => {
    const io = sinks();
    await renderText(fromArray(run(toolTurn)), { out: io.out, err: io.err, sameDestination: true });
    expect(io.both()).toMatch(/^Let me compute\.\n⚙ calculator\(.*\)\n✓ calculator .*\n\nIt is 2\.\n$/);
  });

  it('sanitises model text and reports a failed run on stderr', async () => {
    const io = sinks();
    const events = run([
      { type: 'run_start', model: 'm', input: 'q' },
      { type: 'text_delta', text: 'safe\x1b]0;title\x07 text', turn: 1 },
      end('failed', 'safe text'),
    ]);
    const ends = await renderText(fromArray(events), { out: io.out, err: io.err });
    expect(io.stdout()).toBe('safe text\n');
    expect(io.stderr()).toBe('agentor: run failed: boom\n');
    expect(ends[0]?.status).toBe('failed');
  });

  it('prefixes whole lines with the agent name when several runs interleave', async () => {
    const io = sinks();
    const a = run(
      [{ type: 'text_delta', text: 'one\ntw', turn: 1 }, { type: 'text_delta', text: 'o', turn: 2 }, end()],
      'A',
      'alpha',
    );
    const b = run([{ type: 'text_delta', text: 'beta says hi', turn: 1 }, end()], 'B', 'beta');
    const mixed = [a[0], b[0], a[1], b[1], a[2]] as AgentEvent[];
    await renderText(fromArray(mixed), { out: io.out, err: io.err, prefixAgents: true });
    expect(io.stdout().split('\n')).toEqual([
      '[alpha] one',
      '[alpha] tw',
      '[alpha]',
      '[beta] beta says hi',
      '[alpha] o',
      '',
    ]);
  });

  it('with --events, shows only those types but still returns the real run_end (a failure too)', async () => {
    const io = sinks();
    const failed = run([...toolTurn.slice(0, -1), end('failed', 'Let me compute.\n\nIt is 2.')]);
    const ends = await renderText(fromArray(failed), { out: io.out, err: io.err, events: ['tool_call'] });
    expect(io.stdout()).toBe('');
    expect(io.stderr()).toMatch(/^⚙ calculator\(.*\)\n$/);
    expect(ends.map((e) => e.status)).toEqual(['failed']);
  });
});
