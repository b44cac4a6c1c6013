/** Benchmark helpers: timed spawns, interleaved A/B runs, medians and percentiles. Never used by tests. */
import { spawn } from 'node:child_process';

export const median = (xs: number[]): number => percentile(xs, 50);
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx] as number;
}

/** Spawns a command and resolves with its wall time (ms) and output; `until` can end timing early on a stdout match. */
export function timedSpawn(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; until?: (stdout: string) => boolean } = {},
): Promise<{ ms: number; firstMatchMs: number | undefined; stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let firstMatchMs: number | undefined;
    let out = '';
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (firstMatchMs === undefined && opts.until?.(out)) firstMatchMs = performance.now() - t0;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t0, firstMatchMs, stdout: out, code }));
  });
}

/** Runs A and B alternately `n` times (after one warm-up each) so drift and noise hit both equally. */
export async function interleave<T>(n: number, a: () => Promise<T>, b: () => Promise<T>): Promise<{ a: T[]; b: T[] }> {
  await a();
  await b();
  const ra: T[] = [];
  const rb: T[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      ra.push(await a());
      rb.push(await b());
    } else {
      rb.push(await b());
      ra.push(await a());
    }
  }
  return { a: ra, b: rb };
}

/** One row of the results table. */
export interface BenchRow {
  measure: string;
  floor: string;
  value: string;
  ratio: string;
  budget: string;
  ok: boolean | null;
  raw?: Record<string, unknown>;
}
