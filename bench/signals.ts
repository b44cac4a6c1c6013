/**
 * Signal → exit, measured where users meet it: at any moment of a streamed answer (not only at its first token), with
 * an MCP tool call in flight, and while an MCP server is still starting. Each run checks the contract too: the last
 * NDJSON line is the one `run_end`, cancelled. Timed from the parent's kill() to the child's exit.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { listenForFixture, type FixtureEvents } from '../test/support/mcp-notify.js';
import type { BenchContext } from './extra.js';
import { benchTempDir, median, removeBenchTempDir, type BenchRow } from './lib.js';

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

/** One CLI run: `arm` decides when to send SIGINT (it may watch stdout); resolves with ms from the signal to exit. */
function interruptedRun(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  arm: (fire: () => void, stdout: NodeJS.ReadableStream) => void,
): Promise<{ ms: number; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    let t0 = 0;
    const fire = (): void => {
      if (t0 !== 0) return;
      t0 = performance.now();
      child.kill('SIGINT');
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    arm(fire, child.stdout);
    child.on('error', reject);
    child.on('close', () => {
      const lines = out.trim().split('\n');
      const ends = lines.filter((l) => l.includes('"type":"run_end"'));
      const last = lines.at(-1) ?? '';
      resolve({
        ms: performance.now() - t0,
        ended: ends.length === 1 && last.includes('"type":"run_end"') && last.includes('"cancelled"'),
      });
    });
  });
}

/** The first token held back this long: SIGINT lands while the model is "thinking" (headers and role chunk sent). */
const HELD_BACK_MS = 10_000;

/**
 * Ctrl+C at several moments of a streamed answer: while its first token is awaited (the request has reached the
 * upstream, which holds the answer back), then at and after the first token. The worst of the per-moment medians.
 */
async function anyMoment(ctx: BenchContext): Promise<BenchRow> {
  const words = Array.from({ length: 400 }, (_, i) => `w${i} `);
  // Each request announces itself, so the pre-token moment fires when the upstream has it, not on a guessed delay.
  let arrived: (() => void) | undefined;
  let pending = false;
  const fake = await startFakeOpenAI({
    fallback: () => {
      arrived?.();
      return pending ? { text: words, delayMs: HELD_BACK_MS } : { text: words };
    },
    tokenDelayMs: 5,
  });
  const offsets = [0, 25, 50, 100, 200, 400, 800];
  const moments = ['before first token', ...offsets.map((o) => `+${o}ms`)];
  const perMoment = Math.max(3, Math.round(ctx.runs / 3));
  const env = ctx.cliEnv();
  const medians: Record<string, number> = {};
  let allEnded = true;
  try {
    for (const moment of moments) {
      const times: number[] = [];
      pending = moment === 'before first token';
      const offset = pending ? 0 : Number(moment.slice(1, -2));
      for (let i = 0; i < perMoment; i++) {
        const r = await interruptedRun(ctx.bin, ['chat', '--json', '--base-url', fake.url, 'hi'], env, (fire, out) => {
          if (pending) {
            arrived = () => {
              arrived = undefined;
              fire();
            };
            return;
          }
          let seen = '';
          const onData = (d: string): void => {
            seen += d;
            if (!seen.includes('"type":"text_delta"')) return;
            out.off('data', onData);
            if (offset === 0) fire();
            else setTimeout(fire, offset);
          };
          out.on('data', onData);
        });
        allEnded &&= r.ended;
        times.push(r.ms);
      }
      medians[moment] = median(times);
    }
  } finally {
    await fake.close();
  }
  const worst = Math.max(...Object.values(medians));
  const at = Object.entries(medians).find(([, v]) => v === worst)?.[0] ?? '';
  return {
    measure: `SIGINT → exit at any moment of an answer (${moments.length} moments: awaiting the first token, then ${offsets.length} after it; worst median)`,
    floor: '–',
    value: `${fmt(worst)} (${at}); ${Object.entries(medians)
      .map(([m, v]) => `${m} ${v.toFixed(0)}`)
      .join(', ')}`,
    ratio: '–',
    budget: '≤ 50 ms',
    ok: worst <= 50 && allEnded,
    raw: { medians, perMoment, allEnded },
  };
}

/**
 * The test fixture as one plain JavaScript file: run through tsx, its start-up and its exit on SIGTERM (100–150 ms on
 * a busy machine) would be measured as agentor's.
 */
async function bundledFixture(root: string, dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(dir, 'mcp-fixture.mjs');
  await build({
    entryPoints: [join(root, 'test/support/mcp-stdio-server.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'error',
    // Bundled CommonJS dependencies call require().
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return outfile;
}

/** An MCP config naming the bundled fixture, with the given environment for it. */
function fixtureConfig(
  fixture: string,
  fx: FixtureEvents,
  vars: Record<string, string>,
): { file: string; dir: string } {
  const dir = benchTempDir('agentor-bench-mcp-');
  const file = join(dir, 'mcp.json');
  const entry = {
    command: process.execPath,
    args: [fixture],
    env: { MCP_FIXTURE_NOTIFY: fx.address, ...vars },
  };
  writeFileSync(file, JSON.stringify({ mcpServers: { fixture: entry } }));
  return { file, dir };
}

/** Ctrl+C with an MCP server involved: during its start-up, or during one of its calls. */
async function withMcp(ctx: BenchContext, fixture: string, phase: 'startup' | 'call'): Promise<BenchRow> {
  const fake = await startFakeOpenAI({ fallback: { toolCalls: [{ name: 'slow', arguments: { ms: 60_000 } }] } });
  const runs = Math.max(3, Math.round(ctx.runs / 2));
  const times: number[] = [];
  let allEnded = true;
  try {
    for (let i = 0; i < runs; i++) {
      const fx = await listenForFixture();
      const config = fixtureConfig(fixture, fx, phase === 'startup' ? { MCP_FIXTURE_HANG: '1' } : {});
      try {
        const args = ['chat', '--json', '--base-url', fake.url, '--mcp-config', config.file, 'go'];
        const r = await interruptedRun(ctx.bin, args, ctx.cliEnv(), (fire) => {
          void fx.next(phase === 'startup' ? 'started' : 'slow').then(fire);
        });
        allEnded &&= r.ended;
        times.push(r.ms);
      } finally {
        await fx.close();
        removeBenchTempDir(config.dir);
      }
    }
  } finally {
    await fake.close();
  }
  const value = median(times);
  return {
    measure:
      phase === 'startup'
        ? 'SIGINT → exit while an MCP server starts (server stopped, one `run_end`)'
        : 'SIGINT → exit with an MCP tool call in flight (server stopped, one `run_end`)',
    floor: '–',
    value: fmt(value),
    ratio: '–',
    budget: '≤ 200 ms',
    ok: value <= 200 && allEnded,
    raw: { times, allEnded },
  };
}

export async function signalsBench(ctx: BenchContext): Promise<BenchRow[]> {
  const fixture = await bundledFixture(ctx.root, benchTempDir('agentor-bench-fixture-'));
  return [await anyMoment(ctx), await withMcp(ctx, fixture, 'call'), await withMcp(ctx, fixture, 'startup')];
}
