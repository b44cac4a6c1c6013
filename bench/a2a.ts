/**
 * `serve` A2A streaming throughput: K concurrent `sendMessageStream` calls (the SDK's own client, JSON-RPC) of an
 * N-token answer, against `agentor serve` and against the SDK's sample server with an echo executor
 * (bench/a2a-baseline-server.ts) on the same upstream (the fake, in its own process, no token delay). Each server runs
 * in its own process; rounds rotate between them. Throughput = answer tokens received (whole answers) per second of
 * wall time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Role, TaskState, type SendMessageRequest } from '@a2a-js/sdk';
import { ClientFactory, type Client } from '@a2a-js/sdk/client';
import { cpuSeconds, median, waitForLine, type BenchRow } from './lib.js';
import type { BenchContext } from './extra.js';
import { a2aVsChatBench } from './a2a-vs-chat.js';

const STREAMS = Number(process.env['BENCH_A2A_STREAMS'] ?? 50);
const TOKENS = Number(process.env['BENCH_A2A_TOKENS'] ?? 500);
const BUDGET = 1.0;

let seq = 0;
function request(): SendMessageRequest {
  return {
    tenant: '',
    message: {
      messageId: `bench-${++seq}`,
      role: Role.ROLE_USER,
      parts: [{ content: { $case: 'text', value: 'hi' }, mediaType: 'text/plain', filename: '', metadata: undefined }],
      contextId: '',
      taskId: '',
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    },
    configuration: undefined,
    metadata: undefined,
  };
}

/** The answer every stream should receive. */
const ANSWER = Array.from({ length: TOKENS }, (_, i) => `t${i} `);
const ANSWER_LENGTH = ANSWER.join('').length;

/**
 * One streamed send: how many of the answer's tokens arrived (by length: a server may send several tokens per
 * chunk, as agentor does for the deltas of one network read) and whether the task completed.
 */
async function streamOnce(client: Client): Promise<{ chunks: number; completed: boolean; problem?: string }> {
  let length = 0;
  let state: TaskState | undefined;
  try {
    for await (const e of client.sendMessageStream(request())) {
      if (e.payload?.$case === 'artifactUpdate') {
        for (const p of e.payload.value.artifact?.parts ?? [])
          if (p.content?.$case === 'text') length += p.content.value.length;
      } else if (e.payload?.$case === 'statusUpdate') state = e.payload.value.status?.state;
    }
  } catch (e) {
    return { chunks: 0, completed: false, problem: `error after ${length} characters: ${(e as Error).message}` };
  }
  const completed = state === TaskState.TASK_STATE_COMPLETED;
  const whole = length === ANSWER_LENGTH;
  return {
    chunks: whole ? TOKENS : 0,
    completed,
    ...(completed && whole
      ? {}
      : { problem: `ended ${state === undefined ? 'without a status' : TaskState[state]} after ${length} characters` }),
  };
}

/** CPU time (user + system, ms) a process has used so far; NaN where /proc is not available. */
function cpuMs(pid: number | undefined): number {
  try {
    const { user, system } = cpuSeconds(pid as number);
    return (user + system) * 1000;
  } catch {
    return NaN;
  }
}

interface Round {
  tokensPerSec: number;
  ms: number;
  /** The server process's CPU time for the round: less sensitive than wall time to other load on a shared machine. */
  serverCpuMs: number;
  complete: number;
  problems?: string[];
}

/** K concurrent streams; throughput over the round's wall time. */
async function round(client: Client, pid: number | undefined): Promise<Round> {
  const c0 = cpuMs(pid);
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: STREAMS }, () => streamOnce(client)));
  const ms = performance.now() - t0;
  const serverCpuMs = cpuMs(pid) - c0;
  const received = results.reduce((n, r) => n + r.chunks, 0);
  const complete = results.filter((r) => r.completed && r.chunks === TOKENS).length;
  const problems = results.flatMap((r) => (r.problem ? [r.problem] : []));
  return {
    tokensPerSec: (received / ms) * 1000,
    ms,
    serverCpuMs,
    complete,
    ...(problems.length ? { problems: [...new Set(problems)] } : {}),
  };
}

async function a2aThroughputBench(ctx: BenchContext): Promise<BenchRow[]> {
  const reply = JSON.stringify({ text: ANSWER });
  const children: ChildProcess[] = [];
  const start = (args: string[], env: NodeJS.ProcessEnv, out: 'stdout' | 'stderr'): ChildProcess => {
    const child = spawn(process.execPath, args, {
      env,
      stdio: ['ignore', out === 'stdout' ? 'pipe' : 'ignore', out === 'stderr' ? 'pipe' : 'inherit'],
    });
    children.push(child);
    return child;
  };
  try {
    const fake = start(
      ['--import', 'tsx', join(ctx.root, 'test/support/fake-openai-server.ts')],
      { ...process.env, FAKE_REPLY: reply, FAKE_TOKEN_DELAY_MS: '0' },
      'stdout',
    );
    const fakeUrl = (await waitForLine(fake, 'stdout', /READY (\S+)/))[1] as string;

    // The floor is the sample as documented (the SDK's InMemoryTaskStore deep-copies the whole task on every load and
    // save, so its per-token cost grows with the answer). A second copy keeps tasks by reference instead: a tighter
    // floor that shows what the transport and an executor alone cost, reported alongside.
    const baseline = start(
      ['--import', 'tsx', join(ctx.root, 'bench/a2a-baseline-server.ts')],
      { ...process.env, BASE_URL: fakeUrl, BASELINE_STORE: '' },
      'stdout',
    );
    const tight = start(
      ['--import', 'tsx', join(ctx.root, 'bench/a2a-baseline-server.ts')],
      { ...process.env, BASE_URL: fakeUrl, BASELINE_STORE: 'shared' },
      'stdout',
    );
    const serve = start([ctx.bin, 'serve', '--port', '0', '--base-url', fakeUrl], ctx.cliEnv(), 'stderr');
    const urls = await Promise.all([
      waitForLine(baseline, 'stdout', /READY (\S+)/).then((m) => m[1] as string),
      waitForLine(tight, 'stdout', /READY (\S+)/).then((m) => m[1] as string),
      waitForLine(serve, 'stderr', /(http:\/\/127\.0\.0\.1:\d+)/).then((m) => m[1] as string),
    ]);
    const factory = new ClientFactory();
    const clients = await Promise.all(urls.map((u) => factory.createFromUrl(u)));
    const pids = [baseline.pid, tight.pid, serve.pid];

    // One warm-up round each, then rounds in rotating order so drift and noise hit all three alike.
    const n = Math.max(3, Math.round(ctx.runs / 3));
    const results: Round[][] = clients.map(() => []);
    for (const [k, c] of clients.entries()) await round(c, pids[k]);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < clients.length; j++) {
        const k = (i + j) % clients.length;
        (results[k] as Round[]).push(await round(clients[k] as Client, pids[k]));
      }
    }
    const [base, tightRuns, agentor] = results as [Round[], Round[], Round[]];
    const tps = (rs: Round[]): number => median(rs.map((x) => x.tokensPerSec));
    const floor = tps(base);
    const tightFloor = tps(tightRuns);
    const value = tps(agentor);
    const complete = (rs: Round[]): boolean => rs.every((x) => x.complete === STREAMS);
    const note = (rs: Round[]): string => (complete(rs) ? '' : ' (some streams incomplete)');
    const cpu = (rs: Round[]): string =>
      `${((median(rs.map((x) => x.serverCpuMs)) / (STREAMS * TOKENS)) * 1000).toFixed(0)} ms CPU/1k tokens`;
    const fmt = (t: number, rs: Round[]): string => `${Math.round(t).toLocaleString('en-US')} tokens/s, ${cpu(rs)}`;
    return [
      {
        measure: `\`serve\` A2A streaming throughput (${STREAMS} concurrent \`sendMessageStream\` × ${TOKENS} tokens)`,
        floor: `\`@a2a-js/sdk\` sample server, echo executor, same upstream: ${fmt(floor, base)}${note(base)} (with a by-reference task store: ${fmt(tightFloor, tightRuns)}${note(tightRuns)}, agentor ${(value / tightFloor).toFixed(2)}x of it)`,
        value: `${fmt(value, agentor)}${note(agentor)}`,
        ratio: `${(value / floor).toFixed(2)}x`,
        budget: `≥ ${BUDGET.toFixed(1)}x`,
        ok: complete(agentor) && value / floor >= BUDGET,
        raw: { streams: STREAMS, tokens: TOKENS, floor: base, tightFloor: tightRuns, value: agentor },
      },
    ];
  } finally {
    for (const c of children.reverse()) c.kill('SIGTERM');
  }
}

/** The A2A group: throughput against the SDK's sample server, then A2A against `/chat` on the same server. */
export async function a2aBench(ctx: BenchContext): Promise<BenchRow[]> {
  return [...(await a2aThroughputBench(ctx)), ...(await a2aVsChatBench(ctx))];
}
