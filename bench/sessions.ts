/**
 * What sessions cost. Recording: a 20k-token `--json` answer with the session recorded vs the same run with
 * `--no-session` (the floor), interleaved, wall and CPU time. Resuming: `chat --resume` of a 1,000-turn session
 * (written by the real recorder) reaching its prompt in an 80x24 pty vs a fresh interactive start (the floor),
 * interleaved.
 *
 *   npm run build && npm run bench -- sessions             (both rows)
 *   npm run build && npm run bench -- session-recording    (the recording row alone)
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Agent } from '../src/core/agent.js';
import type { ModelChunk, ModelProvider } from '../src/core/providers/types.js';
import { FileSessionStore } from '../src/core/sessions/file-store.js';
import { Session } from '../src/core/sessions/session.js';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { startPty } from '../test/pty/terminal.js';
import type { BenchContext } from './extra.js';
import { interleave, median, type BenchRow } from './lib.js';

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
/** The model of the agent the bench chats with (the CLI's default agent, as `--resume` loads it again). */
const MODEL = 'gpt-4.1-mini';

/** A provider answering every request at once with ~60 tokens of text, in 20 chunks. */
function quickProvider(): ModelProvider {
  return {
    id: 'bench',
    async *stream(): AsyncGenerator<ModelChunk> {
      for (let i = 0; i < 20; i++) yield { type: 'text', text: `word${i} another${i} more${i} ` };
      yield { type: 'usage', usage: { input_tokens: 50, output_tokens: 60, total_tokens: 110 } };
    },
  };
}

/** Writes a session of `turns` exchanges through the real recorder into `dir`; resolves with its id. */
export async function writeLongSession(dir: string, turns: number, cwd: string): Promise<string> {
  const store = new FileSessionStore(dir);
  const agent = new Agent({ name: 'assistant', model: MODEL, provider: quickProvider() });
  const session = await Session.create({ agents: [{ name: agent.name, model: MODEL }], cwd }, { store });
  for (let i = 0; i < turns; i++) {
    for await (const _ of agent.streamChat(`question number ${i}: tell me something about item ${i}`, { session }));
    // Not piling the whole session up in memory before it is written.
    if (i % 100 === 99) await session.flush();
  }
  await session.close();
  await store.close();
  return session.id;
}

/** The child's side of `cpuTimedSpawn`. */
const CPU_AT_EXIT = new URL('./cpu-at-exit.mjs', import.meta.url).href;

/** Runs node with `args` (stdout read and dropped); resolves with its wall time and the CPU time it used, in ms. */
function cpuTimedSpawn(args: string[], env: NodeJS.ProcessEnv): Promise<{ wallMs: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', CPU_AT_EXIT, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'ignore', 'pipe'],
    });
    let cpu = '';
    child.stdout?.resume();
    (child.stdio[3] as Readable).setEncoding('utf8').on('data', (d: string) => (cpu += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0 || cpu === '') reject(new Error(`node ${args.join(' ')} exited with ${code}`));
      else resolve({ wallMs, cpuMs: Number(cpu) / 1000 });
    });
  });
}

/**
 * Recording vs `--no-session` on the same 20k-token answer: interleaved pairs (order alternating), medians. The
 * measure is wall time, as the budget says; each run's own CPU time goes into `raw` too, since on a loaded machine
 * the CPU ratio is the steadier one.
 */
async function recordingOverhead(ctx: BenchContext): Promise<BenchRow> {
  const fake = await startFakeOpenAI({ fallback: { text: Array.from({ length: 20_000 }, (_, i) => `w${i % 100} `) } });
  try {
    const env = ctx.cliEnv();
    const n = Math.max(10, ctx.runs);
    const run = (extra: string[]) => () =>
      cpuTimedSpawn([ctx.bin, 'chat', '--json', ...extra, '--base-url', fake.url, 'hi'], env);
    const r = await interleave(n, run(['--no-session']), run([]));
    const floor = median(r.a.map((x) => x.wallMs));
    const value = median(r.b.map((x) => x.wallMs));
    const floorCpu = median(r.a.map((x) => x.cpuMs));
    const valueCpu = median(r.b.map((x) => x.cpuMs));
    return {
      measure: `session recording, 20k-token answer \`--json\`, wall time (median of ${n} interleaved pairs)`,
      floor: `\`--no-session\` ${fmt(floor)} (CPU ${fmt(floorCpu)})`,
      value: `${fmt(value)} (CPU ${fmt(valueCpu)}, ${(valueCpu / floorCpu).toFixed(2)}x)`,
      ratio: `${(value / floor).toFixed(2)}x`,
      budget: '≤ 1.05x',
      ok: value / floor <= 1.05,
      raw: {
        floor: r.a.map((x) => x.wallMs),
        value: r.b.map((x) => x.wallMs),
        floorCpuMs: r.a.map((x) => x.cpuMs),
        valueCpuMs: r.b.map((x) => x.cpuMs),
        cpuRatio: valueCpu / floorCpu,
        loadavg: loadavg(),
      },
    };
  } finally {
    await fake.close();
  }
}

/** Spawns the chat in an 80x24 pty; resolves with the time until its prompt is up, after it has exited again. */
async function toPrompt(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const t0 = performance.now();
  const t = startPty(args, { env, cols: 80, rows: 24, cwd });
  try {
    await t.waitFor('↑↓ history', 30_000);
    return performance.now() - t0;
  } finally {
    // Killed, not Ctrl+D: keys sent before the prompt listens would be lost. A lock left behind is stale (its process
    // is gone) and taken over by the next resume.
    t.kill();
    await t.exit;
  }
}

async function resumeToPrompt(ctx: BenchContext, turns: number): Promise<BenchRow> {
  const fake = await startFakeOpenAI();
  try {
    const env: NodeJS.ProcessEnv = { ...ctx.cliEnv(), TERM: 'xterm-256color' };
    for (const k of ['NO_COLOR', 'CI']) delete env[k];
    const state = env['XDG_STATE_HOME'] as string;
    const cwd = join(state, '..');
    const id = await writeLongSession(join(state, 'agentor', 'sessions'), turns, cwd);
    const n = Math.max(5, Math.round(ctx.runs / 2));
    const r = await interleave(
      n,
      () => toPrompt(['chat', '--base-url', fake.url], env, cwd),
      () => toPrompt(['chat', '--resume', id, '--base-url', fake.url], env, cwd),
    );
    const floor = median(r.a);
    const value = median(r.b);
    return {
      measure: `\`chat --resume\` of a ${turns.toLocaleString('en')}-turn session to the prompt (80x24 pty)`,
      floor: `fresh \`chat\` ${fmt(floor)}`,
      value: fmt(value),
      ratio: `${(value / floor).toFixed(2)}x`,
      budget: '≤ 1.5x',
      ok: value / floor <= 1.5,
      raw: { floor: r.a, value: r.b },
    };
  } finally {
    await fake.close();
  }
}

/** The session rows of `npm run bench`. */
export async function sessionsBench(ctx: BenchContext): Promise<BenchRow[]> {
  return [await recordingOverhead(ctx), await resumeToPrompt(ctx, 1000)];
}

/** The recording row alone (`npm run bench -- session-recording`). */
export async function sessionRecordingBench(ctx: BenchContext): Promise<BenchRow[]> {
  return [await recordingOverhead(ctx)];
}
