/** Benchmarks of the UI and the server; each is skipped with a reason when its component is not built. */
import type { BenchRow } from './lib.js';

/** What the extra benchmarks get from the runner. */
export interface BenchContext {
  root: string;
  bin: string;
  runs: number;
  want: (name: string) => boolean;
  cliEnv: (extra?: Record<string, string>) => NodeJS.ProcessEnv;
}

export async function extraBenchmarks(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  if (ctx.want('ui')) {
    const { uiBench } = await import('./ui.js');
    rows.push(...(await uiBench(ctx)));
  }
  if (ctx.want('ui-caches')) {
    const { inkCachesBench } = await import('./ink-caches.js');
    rows.push(await inkCachesBench());
  }
  if (ctx.want('serve')) {
    const { serveBench } = await import('./serve.js');
    rows.push(...(await serveBench(ctx)));
  } else if (ctx.want('serve-obs')) {
    // Only when asked for by name: the full serve bench already has this row.
    const { serveObservabilityBench } = await import('./serve.js');
    rows.push(...(await serveObservabilityBench(ctx)));
  }
  if (ctx.want('signals')) {
    const { signalsBench } = await import('./signals.js');
    rows.push(...(await signalsBench(ctx)));
  }
  if (ctx.want('sessions')) {
    const { sessionsBench } = await import('./sessions.js');
    rows.push(...(await sessionsBench(ctx)));
  } else if (ctx.want('session-recording')) {
    // Only when asked for by name: the sessions bench already has this row.
    const { sessionRecordingBench } = await import('./sessions.js');
    rows.push(...(await sessionRecordingBench(ctx)));
  }
  if (ctx.want('a2a')) {
    const { a2aBench } = await import('./a2a.js');
    rows.push(...(await a2aBench(ctx)));
  }
  return rows;
}
