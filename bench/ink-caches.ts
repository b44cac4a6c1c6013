/**
 * `npm run bench -- ui-caches`: what Ink's text caches keep. Ink memoises every distinct text it measures and wraps;
 * the bundle bounds both caches (scripts/ink-text-caches.mjs). Ink renders a line that changes N times (a streamed
 * answer draws a new line at every token) in a process built once as Ink ships and once as agentor bundles it; the
 * heap each keeps after a full GC is compared. Counts bytes, not time: load on the machine does not change it.
 *
 *   node --import tsx bench/ink-caches.ts [lines]
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { boundedInkTextCaches } from '../scripts/ink-text-caches.mjs';
import { benchTempDir, type BenchRow } from './lib.js';

const ROOT = resolve(import.meta.dirname, '..');

/** Renders a <Text> whose content changes `lines` times, then prints the heap kept (after a GC) before and after. */
const ENTRY = `
import { createElement } from 'react';
import { render, Text } from 'ink';
import { Writable } from 'node:stream';
const lines = Number(process.argv[2]);
const stdout = Object.assign(new Writable({ write: (_c, _e, done) => done() }), { columns: 80, rows: 24 });
const line = (i) => 'line ' + i + ': a streamed answer draws new text at every token, wrapped at the width of the terminal';
const app = render(createElement(Text, null, line(-1)), { stdout, debug: true, patchConsole: false, exitOnCtrlC: false });
const heap = () => (globalThis.gc(), globalThis.gc(), process.memoryUsage().heapUsed);
const before = heap();
for (let i = 0; i < lines; i++) app.rerender(createElement(Text, null, line(i)));
const after = heap();
app.unmount();
process.stdout.write(JSON.stringify({ before, after }) + '\\n');
`;

/** Ink imports its dev tools only when DEV=true; inlined here (no code splitting), an empty stand-in will do. */
const noDevtools: Plugin = {
  name: 'no-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'devtools', namespace: 'no-devtools' }));
    b.onLoad({ filter: /.*/, namespace: 'no-devtools' }, () => ({ contents: 'export default {};', loader: 'js' }));
  },
};

async function bundle(dir: string, bounded: boolean): Promise<string> {
  const outfile = join(dir, bounded ? 'bounded.mjs' : 'shipped.mjs');
  await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'js' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    plugins: [noDevtools, ...(bounded ? [boundedInkTextCaches(ROOT)] : [])],
  });
  return outfile;
}

/** MB of heap the render of `lines` changing lines left behind. */
function kept(file: string, lines: number): number {
  const out = execFileSync(process.execPath, ['--expose-gc', file, String(lines)], { encoding: 'utf8' });
  const { before, after } = JSON.parse(out) as { before: number; after: number };
  return (after - before) / 1024 / 1024;
}

export async function inkCachesBench(lines = 10_000): Promise<BenchRow> {
  const dir = benchTempDir('agentor-bench-ink-caches-');
  const shipped = kept(await bundle(dir, false), lines);
  const bounded = kept(await bundle(dir, true), lines);
  const perThousand = (mb: number) => ((mb * 1024) / (lines / 1000)).toFixed(1);
  return {
    measure: `Ink heap kept after drawing ${lines.toLocaleString('en')} distinct lines (after GC)`,
    floor: `Ink as shipped: ${shipped.toFixed(1)} MB (${perThousand(shipped)} KB per 1,000 lines)`,
    value: `${bounded.toFixed(1)} MB (the bounded caches full)`,
    ratio: `${(bounded / shipped).toFixed(2)}x`,
    budget: '≤ 2 MB, whatever the number of lines',
    ok: bounded <= 2,
    raw: { lines, shippedMb: shipped, boundedMb: bounded },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const row = await inkCachesBench(Number(process.argv[2]) || undefined);
  process.stdout.write(`${JSON.stringify(row, null, 2)}\n`);
}
