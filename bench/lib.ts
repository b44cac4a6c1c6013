/** Benchmark helpers: timed spawns, interleaved A/B runs, medians and percentiles. Never used by tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const benchDirs = new Set<string>();
const removeBenchDirs = (): void => {
  for (const dir of benchDirs) rmSync(dir, { recursive: true, force: true });
  benchDirs.clear();
};
process.once('exit', removeBenchDirs);
// A bench stopped by Ctrl+C or `timeout` leaves nothing behind either (a signal skips 'exit' unless handled).
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.once(signal, () => {
    removeBenchDirs();
    process.exit(code);
  });

/** A new temp dir, removed when the bench process ends, however it ends. */
export function benchTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  benchDirs.add(dir);
  return dir;
}

/** Removes a dir made by benchTempDir now (a bench that makes many). */
export function removeBenchTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  benchDirs.delete(dir);
}

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

/** Resolves with the first match of `pattern` in a child's output; rejects if the child exits first. */
export function waitForLine(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const src = stream === 'stdout' ? child.stdout : child.stderr;
    src?.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      const m = pattern.exec(text);
      if (m) resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`process exited (${code}) before printing ${pattern}: ${text}`)));
  });
}

/** CPU seconds (user, system) a process has used so far, from /proc/<pid>/stat (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces); utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}
const CLK_TCK = 100;

/** Resident memory (MB) of a process now and at its peak, from /proc/<pid>/status. */
export function rssMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}
