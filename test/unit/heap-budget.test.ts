/**
 * holdHeapSmall() in a process of its own (V8 flags are process-wide), under an allocation pattern like a streamed
 * answer's: most objects die young, some survive a while, the event loop turns between bursts. Held once the young
 * generation has reached the cap (as at the chat's start), it grows no more; V8's defaults let it grow on, and so does
 * it once released.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { YOUNG_CAP_BYTES } from '../../src/ui/heap-budget.js';

const MODULE = pathToFileURL(join(import.meta.dirname, '../../src/ui/heap-budget.ts')).href;

/** Young generation sizes (bytes): when the cap was reached, after more work (held or not), after release and more. */
function youngSizes(hold: boolean): { atCap: number; after: number; released: number } {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { holdHeapSmall } from ${JSON.stringify(MODULE)};
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const keep = [];
    const round = async () => {
      const batch = [];
      for (let i = 0; i < 5000; i++) batch.push({ text: 'token ' + i + ' '.repeat(i % 40), n: i });
      keep.push(batch.slice(0, 500));
      if (keep.length > 20) keep.shift();
      await new Promise((r) => setImmediate(r));
    };
    while (young() < ${YOUNG_CAP_BYTES}) await round();
    const atCap = young();
    const release = ${hold} ? holdHeapSmall() : () => {};
    for (let i = 0; i < 40; i++) await round();
    const after = young();
    release();
    for (let i = 0; i < 60; i++) await round();
    process.stdout.write(JSON.stringify({ atCap, after, released: young() }));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { atCap: number; after: number; released: number };
}

describe('holdHeapSmall', () => {
  it('stops the young generation growing while held; by default and once released, it grows on', () => {
    const held = youngSizes(true);
    expect(held.after).toBe(held.atCap);
    expect(held.released).toBeGreaterThan(held.atCap);
    const free = youngSizes(false);
    expect(free.after).toBeGreaterThan(free.atCap);
  }, 120_000);
});
