/**
 * UI rows of the benchmark table: frame cost vs history length, Ink-in-a-pty CPU vs plain, bytes written per streamed
 * token, interactive idle RSS and RSS after a long session.
 */
import { spawn } from 'node:child_process';
import { startPty } from '../test/pty/terminal.js';
import type { BenchContext } from './extra.js';
import { median, rssMb, type BenchRow } from './lib.js';
import { compareFrames } from './ui-frame.js';
import { measureAnswerCpu } from './ui-pty.js';
import { measureBytesPerToken, measureSessionRss } from './ui-session.js';

/** RSS of a bare idle node process: the floor for the interactive UI's idle footprint. */
async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("ready\\n"); setInterval(() => {}, 1000)'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const rss = rssMb(child.pid as number).rss;
  child.kill();
  return rss;
}

async function interactiveIdleRss(ctx: BenchContext): Promise<number> {
  const t = startPty(['chat', '--demo'], { env: { ...ctx.cliEnv(), TERM: 'xterm-256color' }, cols: 100, rows: 30 });
  try {
    await t.waitFor('/help for commands', 15_000);
    return rssMb(t.pty.pid).rss;
  } finally {
    t.kill();
  }
}

/** Spawn → the interactive prompt on screen, in a pty; the floor is `node -e` printing a line in the same kind of pty. */
async function interactiveStart(ctx: BenchContext): Promise<{ floor: number[]; value: number[] }> {
  const env = { ...ctx.cliEnv(), TERM: 'xterm-256color' };
  const time = async (args: string[], marker: string, command?: string[]): Promise<number> => {
    const t0 = performance.now();
    const t = startPty(args, { env, cols: 100, rows: 30, command });
    try {
      await t.waitFor(marker, 15_000);
      return performance.now() - t0;
    } finally {
      t.kill();
    }
  };
  const floor: number[] = [];
  const value: number[] = [];
  for (let i = 0; i < 9; i++) {
    floor.push(await time(['-e', 'process.stdout.write("ready\\n")'], 'ready', [process.execPath]));
    value.push(await time(['chat', '--demo'], '/help for commands'));
  }
  return { floor, value };
}

export async function uiBench(ctx: BenchContext): Promise<BenchRow[]> {
  const frames = await compareFrames();
  const a = frames.small;
  const b = frames.large;
  const cpu = await measureAnswerCpu(20_000);
  const floorRss = await bareNodeRss();
  const idle = await interactiveIdleRss(ctx);
  const start = await interactiveStart(ctx);
  const bytes = await measureBytesPerToken();
  const session = await measureSessionRss(60, 2000);
  return [
    {
      measure: 'interactive start: spawn → prompt on screen (pty)',
      floor: `\`node -e\` printing a line ${median(start.floor).toFixed(1)} ms`,
      value: `${median(start.value).toFixed(1)} ms`,
      ratio: `${(median(start.value) / median(start.floor)).toFixed(2)}x`,
      budget: 'report',
      ok: null,
      raw: start,
    },
    {
      measure: 'Ink frame cost (CPU time), 1,000 vs 10 prior messages',
      floor: `10 messages ${a.toFixed(2)} ms`,
      value: `${b.toFixed(2)} ms (wall ${frames.largeWall.toFixed(2)} vs ${frames.smallWall.toFixed(2)} ms)`,
      ratio: `${(b / a).toFixed(2)}x`,
      budget: '≤ 1.2x',
      ok: b / a <= 1.2,
      raw: frames.raw,
    },
    {
      measure: '20k-token answer CPU, Ink in a pty vs `--plain`',
      floor: `plain ${cpu.plain.toFixed(0)} ms`,
      value: `${cpu.pty.toFixed(0)} ms`,
      ratio: `${cpu.ratio.toFixed(2)}x`,
      budget: '≤ 2.0x',
      ok: cpu.ratio <= 2,
      raw: cpu,
    },
    {
      measure: 'bytes written per streamed token, Ink in an 80x24 pty vs `--plain`',
      floor: `plain ${bytes.plain.toFixed(1)} B`,
      value: `${bytes.ink.toFixed(1)} B`,
      ratio: `${(bytes.ink / bytes.plain).toFixed(2)}x`,
      budget: 'report',
      ok: null,
      raw: bytes,
    },
    {
      measure: 'interactive RSS after 60 turns of 2,000-token answers',
      floor: `at the prompt ${session.start.toFixed(0)} MB`,
      value: `${session.end.toFixed(0)} MB`,
      ratio: `+${(session.end - session.start).toFixed(0)} MB`,
      budget: '≤ 120 MB',
      ok: session.end <= 120,
      raw: session,
    },
    {
      measure: 'interactive idle RSS (`chat --demo` at the prompt)',
      floor: `\`node\` idle ${floorRss.toFixed(0)} MB`,
      value: `${idle.toFixed(0)} MB`,
      ratio: `+${(idle - floorRss).toFixed(0)} MB`,
      budget: '≤ 80 MB',
      ok: idle <= 80,
      raw: { idleMb: idle, floorMb: floorRss },
    },
  ];
}
