/**
 * `serve` under load: N concurrent SSE streams of T tokens at D ms/token from the fake upstream (in its own process),
 * through `agentor serve` (its own process), read by this process. The floor is the same client reading the fake
 * directly, so timer jitter of the fake itself is not charged to agentor.
 * BENCH_SERVE_NODE_ARGS passes extra node flags to the serve process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p");
 * BENCH_SERVE_BIN runs another build of the CLI (e.g. a copy of the previous build, for A/B comparisons).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent as HttpAgent, request } from 'node:http';
import { cpuSeconds, percentile, rssMb, waitForLine, type BenchRow } from './lib.js';
import type { BenchContext } from './extra.js';

const STREAMS = Number(process.env['BENCH_STREAMS'] ?? 1000);
const TOKENS = 200;
const DELAY = 20;

/** Streams one SSE response; returns the arrival times (ms) of every token event and whether it ended properly. */
function streamOnce(
  url: URL,
  body: string,
  agent: HttpAgent,
  tokenMarker: string,
  endMarker: string,
): Promise<{ times: number[]; ended: boolean }> {
  return new Promise((resolve) => {
    const times: number[] = [];
    let ended = false;
    let tail = '';
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'text/event-stream' } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          const now = performance.now();
          const text = tail + d;
          let idx = text.indexOf(tokenMarker);
          while (idx !== -1) {
            times.push(now);
            idx = text.indexOf(tokenMarker, idx + tokenMarker.length);
          }
          if (text.includes(endMarker)) ended = true;
          tail = text.slice(-Math.max(tokenMarker.length, endMarker.length));
        });
        res.on('end', () => resolve({ times, ended }));
        res.on('error', () => resolve({ times, ended }));
      },
    );
    req.on('error', () => resolve({ times, ended }));
    req.end(body);
  });
}

function gaps(runs: Array<{ times: number[] }>): number[] {
  const out: number[] = [];
  for (const r of runs)
    for (let i = 1; i < r.times.length; i++) out.push((r.times[i] as number) - (r.times[i - 1] as number));
  return out;
}

export async function serveBench(ctx: BenchContext): Promise<BenchRow[]> {
  const reply = JSON.stringify({ text: Array.from({ length: TOKENS }, (_, i) => `t${i} `) });
  const fakeProc = spawn(process.execPath, ['--import', 'tsx', join(ctx.root, 'test/support/fake-openai-server.ts')], {
    env: { ...process.env, FAKE_REPLY: reply, FAKE_TOKEN_DELAY_MS: String(DELAY) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let serveProc: ChildProcess | undefined;
  try {
    const fakeUrl = (await waitForLine(fakeProc, 'stdout', /READY (\S+)/))[1] as string;
    const agent = new HttpAgent({ keepAlive: true, maxSockets: STREAMS + 10 });

    // Floor: the same client, same concurrency, straight to the fake upstream.
    const direct = await Promise.all(
      Array.from({ length: STREAMS }, () =>
        streamOnce(
          new URL(`${fakeUrl}/chat/completions`),
          JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
          agent,
          '"content":"t',
          '[DONE]',
        ),
      ),
    );

    const nodeArgs = [
      ...(process.env['BENCH_SERVE_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
      process.env['BENCH_SERVE_BIN'] || ctx.bin,
      'serve',
      '--port',
      '0',
      '--base-url',
      fakeUrl,
    ];
    serveProc = spawn(process.execPath, nodeArgs, {
      env: ctx.cliEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const port = (await waitForLine(serveProc, 'stderr', /http:\/\/127\.0\.0\.1:(\d+)/))[1] as string;
    // serve logs a line per request and per run; an unread pipe would fill and block it (stderr pipes are synchronous).
    serveProc.stderr?.resume();
    const pid = serveProc.pid as number;
    const idle = rssMb(pid);
    let peak = idle.rss;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssMb(pid).rss);
      } catch {
        // process gone
      }
    }, 100);
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    const served = await Promise.all(
      Array.from({ length: STREAMS }, () =>
        streamOnce(
          new URL(`http://127.0.0.1:${port}/chat`),
          JSON.stringify({ input: 'hi', stream: true }),
          agent,
          'event: text_delta',
          'event: run_end',
        ),
      ),
    );
    const wall = performance.now() - t0;
    const cpu1 = cpuSeconds(pid);
    clearInterval(sampler);
    agent.destroy();

    const completed = served.filter((r) => r.ended && r.times.length === TOKENS).length;
    const p99Direct = percentile(gaps(direct), 99);
    const p99Served = percentile(gaps(served), 99);
    const added = Math.max(0, p99Served - p99Direct);
    // CPU of the serve process per streamed token: steadier than latency on a shared machine.
    const cpuUserS = cpu1.user - cpu0.user;
    const cpuSysS = cpu1.system - cpu0.system;
    const cpuPerTokenUs = ((cpuUserS + cpuSysS) * 1e6) / (STREAMS * TOKENS);
    const redisRows = await redisStoreRow(ctx, fakeUrl, cpuPerTokenUs);
    return [
      {
        measure: `\`serve\`: ${STREAMS} concurrent SSE streams × ${TOKENS} tokens @ ${DELAY} ms`,
        floor: `direct to upstream: p99 gap ${p99Direct.toFixed(1)} ms`,
        value: `${completed}/${STREAMS} complete; p99 gap ${p99Served.toFixed(1)} ms (+${added.toFixed(1)} ms); peak RSS ${peak.toFixed(0)} MB; CPU ${cpuPerTokenUs.toFixed(1)} µs/token (user ${cpuUserS.toFixed(2)} s + sys ${cpuSysS.toFixed(2)} s); wall ${(wall / 1000).toFixed(1)} s`,
        ratio: '–',
        budget: 'all complete; +p99 ≤ 50 ms; RSS ≤ 300 MB',
        ok: completed === STREAMS && added <= 50 && peak <= 300,
        raw: {
          completed,
          p99Direct,
          p99Served,
          added,
          peakRssMb: peak,
          idleRssMb: idle.rss,
          wallMs: wall,
          cpuUserS,
          cpuSysS,
          cpuPerTokenUs,
        },
      },
      ...redisRows,
    ];
  } finally {
    serveProc?.kill('SIGTERM');
    fakeProc.kill('SIGTERM');
  }
}

/**
 * The same streams through `serve --store redis://…` (a real redis-server on a free loopback port, no persistence),
 * each with its own `session_id` so every run takes, renews and writes back its session in Redis. Measured against the
 * memory store's CPU per token of the same run; Redis commands per token from the server's own counter. Skipped
 * (no row) when redis-server is not installed.
 */
async function redisStoreRow(ctx: BenchContext, fakeUrl: string, memoryCpuPerTokenUs: number): Promise<BenchRow[]> {
  if (spawnSync('redis-server', ['--version']).status !== 0) return [];
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let serveProc: ChildProcess | undefined;
  try {
    await waitForLine(redis, 'stdout', /Ready to accept connections/);
    redis.stdout?.resume();
    const commands = (): number =>
      Number(
        /total_commands_processed:(\d+)/.exec(
          execFileSync('redis-cli', ['-p', String(port), 'INFO', 'stats'], { encoding: 'utf8' }),
        )?.[1] ?? NaN,
      );
    serveProc = spawn(
      process.execPath,
      [ctx.bin, 'serve', '--port', '0', '--base-url', fakeUrl, '--store', `redis://127.0.0.1:${port}/0`],
      { env: ctx.cliEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const servePort = (await waitForLine(serveProc, 'stderr', /http:\/\/127\.0\.0\.1:(\d+)/))[1] as string;
    serveProc.stderr?.resume();
    const pid = serveProc.pid as number;
    const agent = new HttpAgent({ keepAlive: true, maxSockets: STREAMS + 10 });
    const cpu0 = cpuSeconds(pid);
    const commands0 = commands();
    const served = await Promise.all(
      Array.from({ length: STREAMS }, (_, i) =>
        streamOnce(
          new URL(`http://127.0.0.1:${servePort}/chat`),
          JSON.stringify({ input: 'hi', stream: true, session_id: `bench-${i}` }),
          agent,
          'event: text_delta',
          'event: run_end',
        ),
      ),
    );
    const cpu1 = cpuSeconds(pid);
    const commandsRun = commands() - commands0 - 1; // not the INFO that read the counter
    agent.destroy();
    const completed = served.filter((r) => r.ended && r.times.length === TOKENS).length;
    const tokens = STREAMS * TOKENS;
    const cpuPerTokenUs = ((cpu1.user - cpu0.user + cpu1.system - cpu0.system) * 1e6) / tokens;
    const ratio = cpuPerTokenUs / memoryCpuPerTokenUs;
    return [
      {
        measure: `\`serve --store redis\`: the same streams, each with its own session_id`,
        floor: `memory store: CPU ${memoryCpuPerTokenUs.toFixed(1)} µs/token`,
        value: `${completed}/${STREAMS} complete; CPU ${cpuPerTokenUs.toFixed(1)} µs/token; ${(commandsRun / tokens).toFixed(3)} Redis commands/token (${commandsRun} for ${STREAMS} runs)`,
        ratio: `${ratio.toFixed(2)}x`,
        budget: 'all complete; CPU ≤ 1.15x memory',
        ok: completed === STREAMS && ratio <= 1.15,
        raw: { completed, cpuPerTokenUs, memoryCpuPerTokenUs, ratio, redisCommands: commandsRun, tokens },
      },
    ];
  } finally {
    serveProc?.kill('SIGTERM');
    redis.kill('SIGKILL');
  }
}

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
