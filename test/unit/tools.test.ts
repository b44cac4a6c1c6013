import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeTime, getTime } from '../../src/core/tools/get-time.js';
import { parseToolArguments, parseToolCall, ToolRunner } from '../../src/core/tools/runner.js';
import { tool, toolSpec } from '../../src/core/tools/tool.js';

const signal = new AbortController().signal;
const run = { runId: 'r', signal };
/** A model's tool call with its arguments as JSON. */
const call = (name: string, args: unknown = {}) => parseToolCall({ id: '1', name, arguments: JSON.stringify(args) });

describe('tool()', () => {
  it('turns a zod schema into JSON Schema and validates arguments before execute', async () => {
    const add = tool({
      name: 'add',
      description: 'adds',
      parameters: z.object({ a: z.number(), b: z.number() }),
      execute: ({ a, b }) => a + b,
    });
    expect(toolSpec(add).function.parameters).toMatchObject({ type: 'object', required: ['a', 'b'] });
    expect(toolSpec(add).function.parameters).not.toHaveProperty('$schema');
    const runner = new ToolRunner([add]);
    expect(await runner.run(call('add', { a: 2, b: 3 }), run)).toMatchObject({ result: '5', is_error: false });
    const bad = await runner.run(call('add', { a: 'x' }), run);
    expect(bad.is_error).toBe(true);
    expect(bad.result).toMatch(/invalid arguments/);
  });

  it('rejects names the API would refuse', () => {
    expect(() => tool({ name: 'has space', description: '', execute: () => 1 })).toThrow(/invalid tool name/);
  });
});

describe('ToolRunner', () => {
  it('enforces the per-call timeout and aborts the tool signal', async () => {
    let aborted = false;
    const slow = tool({
      name: 'slow',
      description: '',
      timeoutMs: 30,
      execute: (_args, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve('late');
          });
        }),
    });
    const out = await new ToolRunner([slow]).run(call('slow'), run);
    expect(out).toMatchObject({ is_error: true, result: 'Error: timed out after 30 ms' });
    expect(aborted).toBe(true);
  });

  it('cancels a running tool when the run is aborted', async () => {
    const controller = new AbortController();
    const never = tool({ name: 'never', description: '', execute: () => new Promise(() => undefined) });
    const pending = new ToolRunner([never]).run(call('never'), { runId: 'r', signal: controller.signal });
    controller.abort();
    expect(await pending).toMatchObject({ is_error: true, result: 'Error: cancelled' });
  });

  it('JSON-encodes non-string results', async () => {
    const obj = tool({ name: 'obj', description: '', execute: () => ({ ok: true }) });
    expect((await new ToolRunner([obj]).run(call('obj'), run)).result).toBe('{"ok":true}');
  });

  it.each([
    ['', {}, undefined],
    ['{"a":1}', { a: 1 }, undefined],
    ['[1]', {}, 'arguments must be a JSON object'],
    ['{"a":', {}, 'arguments are not valid JSON'],
  ])('parses arguments %j', (raw, args, error) => {
    const r = parseToolArguments(raw);
    expect(r.args).toEqual(args);
    if (error) expect(r.error).toContain(error);
    else expect(r.error).toBeUndefined();
  });
});

describe('get_time', () => {
  it('formats a given instant in an IANA zone', () => {
    const out = JSON.parse(describeTime(new Date('2026-01-02T03:04:05Z'), 'Asia/Tokyo')) as Record<string, string>;
    expect(out).toMatchObject({ timezone: 'Asia/Tokyo', iso_utc: '2026-01-02T03:04:05.000Z' });
    expect(out['local']).toMatch(/January 2, 2026 at 12:04:05 PM GMT\+9/);
  });

  it('explains an unknown zone', () => {
    expect(() => describeTime(new Date(), 'Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
  });

  it('defaults to the local zone', () => {
    expect(JSON.parse(getTime.execute({}, { signal, run_id: 'r', call_id: 'c' }) as string)).toHaveProperty('timezone');
  });
});
