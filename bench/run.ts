/**
 * `npm run bench`: every measure against loopback fakes, A/B runs interleaved, floors measured in the same run.
 * Prints a markdown table and writes JSON to bench/results/. Not part of `npm test` (benchmarks are not timed tests).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startFakeOpenAI, type FakeOpenAI } from '../test/support/fake-openai.js';
import { benchTempDir, interleave, median, timedSpawn, type BenchRow } from './lib.js';
import { extraBenchmarks } from './extra.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/agentor.js');
const BARE = join(ROOT, 'bench/bare-client.mjs');
const NODE = process.execPath;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const only = process.argv.slice(2);

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = benchTempDir('agentor-bench-');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: join(home, 'c'),
    XDG_STATE_HOME: join(home, 's'),
    OPENAI_API_KEY: 'test',
    ...extra,
  };
  delete env['OPENAI_BASE_URL'];
  delete env['AGENTOR_MODEL'];
  return env;
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

/** Another Node release to measure on (its own `node -e 0` floor); `label` names it in the row. */
interface OtherNode {
  node: string;
  label: string;
}

async function startup(flag: string, budget: number, on?: OtherNode): Promise<BenchRow> {
  const env = cliEnv();
  const node = on?.node ?? NODE;
  const r = await interleave(
    RUNS,
    () => timedSpawn(node, ['-e', '0'], { env }).then((x) => x.ms),
    () => timedSpawn(node, [BIN, flag], { env }).then((x) => x.ms),
  );
  const floor = median(r.a);
  const value = median(r.b);
  return {
    measure: `\`agentor ${flag}\` cold start${on ? `, ${on.label}` : ''}`,
    floor: `\`node -e 0\` ${fmt(floor)}`,
    value: fmt(value),
    ratio: ratio(value, floor),
    budget: `≤ ${budget}x`,
    ok: value / floor <= budget,
    raw: { floor: r.a, value: r.b },
  };
}

async function firstToken(fake: FakeOpenAI, on?: OtherNode): Promise<BenchRow> {
  fake.enqueue(); // fallback reply is set by the caller
  const env = cliEnv();
  const node = on?.node ?? NODE;
  const isDelta = (s: string): boolean => s.includes('"type":"text_delta"');
  const r = await interleave(
    RUNS,
    () => timedSpawn(node, [BARE, fake.url], { env, until: isDelta }).then((x) => x.firstMatchMs ?? NaN),
    () =>
      timedSpawn(node, [BIN, 'chat', '--json', '--base-url', fake.url, 'hi'], { env, until: isDelta }).then(
        (x) => x.firstMatchMs ?? NaN,
      ),
  );
  const floor = median(r.a);
  const value = median(r.b);
  return {
    measure: `spawn → first \`text_delta\` line (\`--json\`)${on ? `, ${on.label}` : ''}`,
    floor: `bare fetch+SSE client ${fmt(floor)}`,
    value: fmt(value),
    ratio: ratio(value, floor),
    budget: '≤ 1.2x',
    ok: value / floor <= 1.2,
    raw: { floor: r.a, value: r.b },
  };
}

async function bigAnswer(fake: FakeOpenAI): Promise<BenchRow> {
  const env = cliEnv();
  const n = Math.max(5, Math.round(RUNS / 2));
  const r = await interleave(
    n,
    () => timedSpawn(NODE, [BARE, fake.url], { env }).then((x) => x.ms),
    () => timedSpawn(NODE, [BIN, 'chat', '--json', '--base-url', fake.url, 'hi'], { env }).then((x) => x.ms),
  );
  const floor = median(r.a);
  const value = median(r.b);
  return {
    measure: '20k-token answer, `--json`, wall time',
    floor: `bare client ${fmt(floor)}`,
    value: fmt(value),
    ratio: ratio(value, floor),
    budget: '≤ 1.3x',
    ok: value / floor <= 1.3,
    raw: { floor: r.a, value: r.b },
  };
}

async function sigintToExit(fake: FakeOpenAI): Promise<BenchRow> {
  const env = cliEnv();
  const times: number[] = [];
  let allEnded = true;
  for (let i = 0; i < RUNS; i++) {
    fake.enqueue({ fault: 'hang', text: ['partial'] });
    const ms = await new Promise<number>((resolveRun, reject) => {
      const child = spawn(NODE, [BIN, 'chat', '--json', '--base-url', fake.url, 'hi'], {
        env,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let out = '';
      let t0 = 0;
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (t0 === 0 && out.includes('"type":"text_delta"')) {
          t0 = performance.now();
          child.kill('SIGINT');
        }
      });
      child.on('error', reject);
      child.on('close', () => {
        const last = out.trim().split('\n').at(-1) ?? '';
        if (!last.includes('"type":"run_end"') || !last.includes('"cancelled"')) allEnded = false;
        resolveRun(performance.now() - t0);
      });
    });
    times.push(ms);
  }
  const value = median(times);
  return {
    measure: 'SIGINT → exit, final `run_end` written',
    floor: '–',
    value: fmt(value),
    ratio: '–',
    budget: '≤ 100 ms',
    ok: value <= 100 && allEnded,
    raw: { times, allEnded },
  };
}

/**
 * Node 24 for the startup and first-token rows (BENCH_NODE24, else fetched by scripts/fetch-node.mjs). Its first run
 * of the CLI makes its own code cache: the interleaved warm-up run, not a measured one.
 */
function node24(): OtherNode | undefined {
  try {
    const node =
      process.env['BENCH_NODE24'] ||
      join(execFileSync(NODE, [join(ROOT, 'scripts/fetch-node.mjs'), '24'], { encoding: 'utf8' }).trim(), 'bin/node');
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    return { node, label: `Node ${version.slice(1)}` };
  } catch (e) {
    process.stderr.write(`bench: no Node 24 rows: ${e instanceof Error ? e.message : String(e)}\n`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  const want = (name: string): boolean => only.length === 0 || only.includes(name);
  const on24 = want('startup') || want('first-token') ? node24() : undefined;
  const fake = await startFakeOpenAI({ fallback: { text: Array.from({ length: 40 }, (_, i) => `tok${i} `) } });
  try {
    if (want('startup')) {
      rows.push(await startup('--version', 1.2));
      rows.push(await startup('--help', 1.3));
      if (on24) rows.push(await startup('--version', 1.2, on24), await startup('--help', 1.3, on24));
    }
    if (want('first-token')) rows.push(await firstToken(fake));
    if (want('first-token') && on24) rows.push(await firstToken(fake, on24));
    if (want('sigint')) rows.push(await sigintToExit(fake));
  } finally {
    await fake.close();
  }
  if (want('big')) {
    const big = await startFakeOpenAI({ fallback: { text: Array.from({ length: 20_000 }, (_, i) => `w${i % 100} `) } });
    try {
      rows.push(await bigAnswer(big));
    } finally {
      await big.close();
    }
  }
  rows.push(...(await extraBenchmarks({ root: ROOT, bin: BIN, runs: RUNS, want, cliEnv })));

  const table = [
    '| measure | floor | agentor | ratio | budget | met |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.measure} | ${r.floor} | ${r.value} | ${r.ratio} | ${r.budget} | ${r.ok === null ? '–' : r.ok ? 'yes' : '**no**'} |`,
    ),
  ].join('\n');
  process.stdout.write(`${table}\n`);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const file = join(ROOT, 'bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify({ date: new Date().toISOString(), node: process.version, runs: RUNS, rows }, null, 2),
  );
  process.stderr.write(`results written to ${file}\n`);
}

await main();
