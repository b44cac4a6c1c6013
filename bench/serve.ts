/**
 * `serve` under load: N concurrent SSE streams of T tokens at D ms/token from the fake upstream (in its own process),
 * through `agentor serve` (its own process), read by this process. The floor is the same client reading the fake
 * directly, so timer jitter of the fake itself is not charged to agentor.
 * BENCH_SERVE_NODE_ARGS passes extra node flags to the serve process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p");
 * BENCH_SERVE_BIN runs another build of the CLI (e.g. a copy of the previous build, for A/B comparisons);
 * BENCH_SERVE_RUNS sets the number of rounds (default 5).
 * A second row compares the CPU per token with metrics and tracing on (exporting to a local OTLP receiver) against
 * both off: the price of observability under load. `npm run bench -- serve-obs` runs that row alone (its off and
 * observed rounds only).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from '../test/support/otlp-receiver.js';
import { cpuSeconds, median, percentile, rssMb, waitForLine, type BenchRow } from './lib.js';
import type { BenchContext } from './extra.js';

const STREAMS = Number(process.env['BENCH_STREAMS'] ?? 1000);
const TOKENS = 200;
const DELAY = 20;
/** Rounds; the budgets are checked on their medians. */
const RUNS = Number(process.env['BENCH_SERVE_RUNS'] ?? 5);

/**
 * Streams one SSE response over its own socket (one request, `connection: close`); returns the arrival time (ms) of
 * every token event and whether the answer was a 200 that reached its end marker. The bytes are scanned as they
 * arrive: through node:http (its parser, the IncomingMessage stream, utf-8 decoding of every read) the bench's own
 * client took most of a core at 1,000 streams, from the same two cores the fake upstream and the server share — in the
 * floor and the served rounds alike. A marker never spans two HTTP chunks (one event per chunk) but may span two
 * reads, so the last bytes of each read are kept for the next.
 */
function streamOnce(
  url: URL,
  body: string,
  tokenMarker: string,
  endMarker: string,
): Promise<{ times: number[]; ended: boolean }> {
  const token = Buffer.from(tokenMarker);
  const end = Buffer.from(endMarker);
  const keep = Math.max(token.length, end.length) - 1;
  return new Promise((resolve) => {
    const times: number[] = [];
    let ended = false;
    let head = '';
    let tail: Buffer = Buffer.alloc(0);
    // Only a marker that starts in the kept bytes and ends in the new read: neither part can hold a whole one.
    const across = (buf: Buffer, marker: Buffer): boolean =>
      tail.length > 0 &&
      Buffer.concat([tail.subarray(-(marker.length - 1)), buf.subarray(0, marker.length - 1)]).includes(marker);
    const socket = connect(Number(url.port), url.hostname);
    socket.on('data', (buf: Buffer) => {
      const now = performance.now();
      if (head.length < 12) head += buf.subarray(0, 12).toString('latin1');
      let idx = buf.indexOf(token);
      while (idx !== -1) {
        times.push(now);
        idx = buf.indexOf(token, idx + token.length);
      }
      if (across(buf, token)) times.push(now);
      if (!ended && (buf.includes(end) || across(buf, end))) ended = true;
      tail = buf.length >= keep ? buf.subarray(buf.length - keep) : Buffer.concat([tail, buf]).subarray(-keep);
    });
    socket.on('error', () => undefined); // 'close' follows and resolves
    socket.on('close', () => resolve({ times, ended: ended && head.startsWith('HTTP/1.1 200') }));
    // Not end(): a half-closed request is one node:http servers abort.
    socket.write(
      `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
        `accept: text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}

function gaps(runs: Array<{ times: number[] }>): number[] {
  const out: number[] = [];
  for (const r of runs)
    for (let i = 1; i < r.times.length; i++) out.push((r.times[i] as number) - (r.times[i - 1] as number));
  return out;
}

/** One served round: what the client saw and what the serve process spent. */
interface Served {
  completed: number;
  p99: number;
  peakRss: number;
  idleRss: number;
  wallMs: number;
  cpuUserS: number;
  cpuSysS: number;
  cpuPerTokenUs: number;
}

/** How the serve process of a round is configured: the default (metrics on), everything off, or metrics + traces. */
type Setup = 'default' | 'off' | 'observed';

/**
 * Runs `bench` with a fake upstream streaming TOKENS tokens DELAY ms apart (in a process of its own) and a local OTLP
 * receiver; stops both after.
 */
async function withUpstream<T>(
  ctx: BenchContext,
  bench: (fakeUrl: string, receiver: OtlpReceiver) => Promise<T>,
): Promise<T> {
  const reply = JSON.stringify({ text: Array.from({ length: TOKENS }, (_, i) => `t${i} `) });
  const fakeProc = spawn(process.execPath, ['--import', 'tsx', join(ctx.root, 'test/support/fake-openai-server.ts')], {
    env: { ...process.env, FAKE_REPLY: reply, FAKE_TOKEN_DELAY_MS: String(DELAY) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const receiver = await startOtlpReceiver();
  try {
    return await bench((await waitForLine(fakeProc, 'stdout', /READY (\S+)/))[1] as string, receiver);
  } finally {
    fakeProc.kill('SIGTERM');
    await receiver.close();
  }
}

/** One round of the streams through a serve process configured as `setup`. */
function served(ctx: BenchContext, fakeUrl: string, receiver: OtlpReceiver, setup: Setup): Promise<Served> {
  return serveRound(ctx, fakeUrl, setup === 'off' ? ['--no-metrics'] : [], {
    ...(setup === 'observed' ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } : {}),
  });
}

/**
 * RUNS rounds, each measuring `floor` first and then serving the streams once per setup, in an order rotated by one
 * every round (no setup always goes first on a machine that warms up or gets busier).
 */
async function rotatedRounds<S extends Setup, F>(
  setups: readonly S[],
  serveOne: (setup: S) => Promise<Served>,
  floor: () => Promise<F>,
): Promise<Array<{ floor: F; runs: Record<S, Served> }>> {
  const rounds: Array<{ floor: F; runs: Record<S, Served> }> = [];
  for (let round = 0; round < RUNS; round++) {
    const measured = await floor();
    const runs = {} as Record<S, Served>;
    for (let k = 0; k < setups.length; k++) {
      const setup = setups[(round + k) % setups.length] as S;
      runs[setup] = await serveOne(setup);
    }
    rounds.push({ floor: measured, runs });
  }
  return rounds;
}

export function serveBench(ctx: BenchContext): Promise<BenchRow[]> {
  return withUpstream(ctx, async (fakeUrl, receiver) => {
    const directOnce = async (): Promise<number> => {
      const direct = await Promise.all(
        Array.from({ length: STREAMS }, () =>
          streamOnce(
            new URL(`${fakeUrl}/chat/completions`),
            JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
            '"content":"t',
            '[DONE]',
          ),
        ),
      );
      return percentile(gaps(direct), 99);
    };
    // Each round: the floor (the same client straight to the fake upstream), then serve as configured by default, with
    // metrics and tracing off, and with both on (exporting to a local OTLP receiver).
    const order: Setup[] = ['default', 'off', 'observed'];
    const rounds = await rotatedRounds(order, (setup) => served(ctx, fakeUrl, receiver, setup), directOnce);

    const of = (setup: Setup, pick: (s: Served) => number): number[] => rounds.map((r) => pick(r.runs[setup]));
    const completed = Math.min(...rounds.flatMap((r) => order.map((s) => r.runs[s].completed)));
    const added = rounds.map((r) => Math.max(0, r.runs.default.p99 - r.floor));
    const medAdded = median(added);
    const medDirect = median(rounds.map((r) => r.floor));
    const medServed = median(of('default', (s) => s.p99));
    const peak = median(of('default', (s) => s.peakRss));
    const maxPeak = Math.max(...of('default', (s) => s.peakRss));
    const cpu = median(of('default', (s) => s.cpuPerTokenUs));
    const wall = median(of('default', (s) => s.wallMs));
    const spans = receiver.spans.length;
    const redisRows = await redisStoreRow(ctx, fakeUrl, cpu);
    return [
      {
        measure: `\`serve\`: ${STREAMS} concurrent SSE streams × ${TOKENS} tokens @ ${DELAY} ms (median of ${RUNS})`,
        floor: `direct to upstream: p99 gap ${medDirect.toFixed(1)} ms`,
        value: `${completed}/${STREAMS} complete; p99 gap ${medServed.toFixed(1)} ms (+${medAdded.toFixed(1)} ms; rounds ${added.map((a) => a.toFixed(0)).join(', ')}); peak RSS ${peak.toFixed(0)} MB (max ${maxPeak.toFixed(0)}); CPU ${cpu.toFixed(1)} µs/token; wall ${(wall / 1000).toFixed(1)} s`,
        ratio: '–',
        budget: 'all complete; +p99 ≤ 50 ms; RSS ≤ 300 MB',
        ok: completed === STREAMS && medAdded <= 50 && peak <= 300,
        raw: { rounds },
      },
      observabilityRow(
        of('off', (s) => s.cpuPerTokenUs),
        of('observed', (s) => s.cpuPerTokenUs),
        spans,
      ),
      ...redisRows,
    ];
  });
}

/** The price of observability: CPU per token with metrics + tracing on against both off, the medians of the rounds. */
function observabilityRow(off: number[], observed: number[], spans: number): BenchRow {
  const cpuOff = median(off);
  const cpuObserved = median(observed);
  const ratio = cpuObserved / cpuOff;
  return {
    measure: `\`serve\` CPU per token, metrics + tracing (OTLP to a local receiver) vs both off, ${STREAMS} streams (median of ${off.length})`,
    floor: `\`--no-metrics\`, no OTEL_*: ${cpuOff.toFixed(1)} µs/token`,
    value: `${cpuObserved.toFixed(1)} µs/token (${spans} spans received)`,
    ratio: `${ratio.toFixed(2)}x`,
    budget: '≤ 1.05x',
    ok: ratio <= 1.05 && spans > 0,
    raw: { off, observed, spans },
  };
}

/**
 * `npm run bench -- serve-obs`: the observability row alone. Each round serves the streams with both off and with
 * metrics + tracing on (the order alternating), through the same fake upstream and receiver as the full serve bench.
 */
export function serveObservabilityBench(ctx: BenchContext): Promise<BenchRow[]> {
  return withUpstream(ctx, async (fakeUrl, receiver) => {
    const rounds = await rotatedRounds(
      ['off', 'observed'] as const,
      (setup) => served(ctx, fakeUrl, receiver, setup),
      async () => undefined,
    );
    const of = (setup: 'off' | 'observed'): number[] => rounds.map((r) => r.runs[setup].cpuPerTokenUs);
    return [observabilityRow(of('off'), of('observed'), receiver.spans.length)];
  });
}

/** One round of STREAMS streams through a fresh `agentor serve` process started with `args` and `env`. */
async function serveRound(
  ctx: BenchContext,
  fakeUrl: string,
  args: string[],
  env: Record<string, string>,
): Promise<Served> {
  const nodeArgs = [
    ...(process.env['BENCH_SERVE_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
    process.env['BENCH_SERVE_BIN'] || ctx.bin,
    'serve',
    '--port',
    '0',
    '--base-url',
    fakeUrl,
    ...args,
  ];
  const serveProc: ChildProcess = spawn(process.execPath, nodeArgs, {
    env: { ...ctx.cliEnv(), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
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
          'event: text_delta',
          'event: run_end',
        ),
      ),
    );
    const wallMs = performance.now() - t0;
    const cpu1 = cpuSeconds(pid);
    clearInterval(sampler);
    const cpuUserS = cpu1.user - cpu0.user;
    const cpuSysS = cpu1.system - cpu0.system;
    return {
      completed: served.filter((r) => r.ended && r.times.length === TOKENS).length,
      p99: percentile(gaps(served), 99),
      peakRss: peak,
      idleRss: idle.rss,
      wallMs,
      cpuUserS,
      cpuSysS,
      // CPU of the serve process per streamed token: steadier than latency on a shared machine.
      cpuPerTokenUs: ((cpuUserS + cpuSysS) * 1e6) / (STREAMS * TOKENS),
    };
  } finally {
    serveProc.kill('SIGTERM');
    await new Promise((resolve) =>
      serveProc.exitCode !== null ? resolve(undefined) : serveProc.once('exit', resolve),
    );
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
    const cpu0 = cpuSeconds(pid);
    const commands0 = commands();
    const served = await Promise.all(
      Array.from({ length: STREAMS }, (_, i) =>
        streamOnce(
          new URL(`http://127.0.0.1:${servePort}/chat`),
          JSON.stringify({ input: 'hi', stream: true, session_id: `bench-${i}` }),
          'event: text_delta',
          'event: run_end',
        ),
      ),
    );
    const cpu1 = cpuSeconds(pid);
    const commandsRun = commands() - commands0 - 1; // not the INFO that read the counter
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
