/**
 * A2A streaming against `/chat` on the same `agentor serve` process and the same upstream (the fake, in its own
 * process, no token delay): three rounds of K concurrent streams × N tokens each way, the server's CPU per token and its
 * RSS measured per phase. Both sides are read by lean raw-HTTP clients (SSE over node:http), so the client's own cost
 * does not crowd the server on a small machine. Budget: A2A CPU per token ≤ 1.3x `/chat`, and A2A's RSS flat across
 * rounds (the last round's peak within 10% of the first's); the heap after a full GC is reported per round.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent as HttpAgent, request } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { BenchContext } from './extra.js';
import { cpuSeconds, median, rssMb, waitForLine, type BenchRow } from './lib.js';

const STREAMS = Number(process.env['BENCH_A2A_CHAT_STREAMS'] ?? 200);
const TOKENS = Number(process.env['BENCH_A2A_CHAT_TOKENS'] ?? 2000);
const ROUNDS = 3;
const CPU_BUDGET = 1.3;
const RSS_GROWTH_BUDGET = 1.1;

/**
 * POSTs `body` and reads the SSE answer to its end; resolves with whether `done` matches what followed the last
 * `marker` (the final event).
 */
function streamOnce(
  url: URL,
  body: string,
  headers: Record<string, string>,
  agent: HttpAgent,
  marker: string,
  done: RegExp,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let tail = '';
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          tail += d;
          const at = tail.lastIndexOf(marker);
          tail = at === -1 ? tail.slice(-marker.length) : tail.slice(at);
        });
        res.on('end', () => resolve(done.test(tail)));
        res.on('error', () => resolve(false));
      },
    );
    req.on('error', () => resolve(false));
    req.end(body);
  });
}

interface Phase {
  cpuMs: number;
  peakRssMb: number;
  /** V8 heap in use after a full collection at the end of the phase. */
  heapAfterGcMb: number;
  complete: number;
}

/** The server's V8 heap after a full GC, over the inspector protocol (the server runs with --inspect on port 0). */
function heapInspector(url: string): Promise<{ heapAfterGcMb(): Promise<number>; close(): void }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let id = 0;
    const pending = new Map<number, (result: unknown) => void>();
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
      if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
    });
    const call = (method: string): Promise<unknown> =>
      new Promise((done) => {
        pending.set(++id, done);
        ws.send(JSON.stringify({ id, method }));
      });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        heapAfterGcMb: async () => {
          await call('HeapProfiler.collectGarbage');
          const usage = (await call('Runtime.getHeapUsage')) as { usedSize: number };
          return usage.usedSize / (1024 * 1024);
        },
        close: () => ws.close(),
      }),
    );
  });
}

/** Runs K concurrent streams against the server (on fresh connections), sampling its RSS. */
async function phase(
  pid: number,
  heap: () => Promise<number>,
  run: (agent: HttpAgent) => Promise<boolean>,
): Promise<Phase> {
  // Fresh connections each phase: a pooled one the server closed while idle would fail the first request on it.
  const agent = new HttpAgent({ keepAlive: true, maxSockets: STREAMS + 10 });
  let peak = rssMb(pid).rss;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid).rss);
    } catch {
      // process gone
    }
  }, 50);
  const c0 = cpuSeconds(pid);
  const results = await Promise.all(Array.from({ length: STREAMS }, () => run(agent)));
  const c1 = cpuSeconds(pid);
  clearInterval(sampler);
  agent.destroy();
  return {
    cpuMs: (c1.user - c0.user + c1.system - c0.system) * 1000,
    peakRssMb: Math.max(peak, rssMb(pid).rss),
    heapAfterGcMb: await heap(),
    complete: results.filter(Boolean).length,
  };
}

export async function a2aVsChatBench(ctx: BenchContext): Promise<BenchRow[]> {
  const reply = JSON.stringify({ text: Array.from({ length: TOKENS }, (_, i) => `t${i} `) });
  const children: ChildProcess[] = [];
  try {
    const fake = spawn(process.execPath, ['--import', 'tsx', join(ctx.root, 'test/support/fake-openai-server.ts')], {
      env: { ...process.env, FAKE_REPLY: reply, FAKE_TOKEN_DELAY_MS: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(fake);
    const fakeUrl = (await waitForLine(fake, 'stdout', /READY (\S+)/))[1] as string;
    const serve = spawn(
      process.execPath,
      ['--inspect=127.0.0.1:0', ctx.bin, 'serve', '--port', '0', '--base-url', fakeUrl],
      {
        env: ctx.cliEnv(),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(serve);
    const [inspectorUrl, base] = await Promise.all([
      waitForLine(serve, 'stderr', /Debugger listening on (ws:\S+)/).then((m) => m[1] as string),
      waitForLine(serve, 'stderr', /listening on (http:\/\/127\.0\.0\.1:\d+)/).then((m) => m[1] as string),
    ]);
    const inspector = await heapInspector(inspectorUrl);
    const heap = (): Promise<number> => inspector.heapAfterGcMb();
    const pid = serve.pid as number;
    let seq = 0;
    const chat = (agent: HttpAgent): Promise<boolean> =>
      streamOnce(
        new URL(`${base}/chat`),
        JSON.stringify({ input: 'hi', stream: true }),
        {},
        agent,
        'event: run_end',
        /^event: run_end\ndata: \{[^\n]*"status":"completed"/,
      );
    const a2a = (agent: HttpAgent): Promise<boolean> =>
      streamOnce(
        new URL(`${base}/a2a/jsonrpc`),
        JSON.stringify({
          jsonrpc: '2.0',
          id: ++seq,
          method: 'SendStreamingMessage',
          params: { message: { messageId: `bench-${seq}`, role: 'ROLE_USER', parts: [{ text: 'hi' }] } },
        }),
        { 'a2a-version': '1.0' },
        agent,
        'data: ',
        /"state":"TASK_STATE_COMPLETED"/,
      );

    // A warm-up of each, then rounds alternating which goes first.
    await phase(pid, heap, chat);
    await phase(pid, heap, a2a);
    const chats: Phase[] = [];
    const a2as: Phase[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        chats.push(await phase(pid, heap, chat));
        a2as.push(await phase(pid, heap, a2a));
      } else {
        a2as.push(await phase(pid, heap, a2a));
        chats.push(await phase(pid, heap, chat));
      }
    }
    inspector.close();
    const perToken = (p: Phase[]): number => (median(p.map((x) => x.cpuMs)) * 1000) / (STREAMS * TOKENS);
    const chatUs = perToken(chats);
    const a2aUs = perToken(a2as);
    const ratio = a2aUs / chatUs;
    const rss = (p: Phase[]): string => p.map((x) => x.peakRssMb.toFixed(0)).join(' → ');
    const heaps = (p: Phase[]): string => p.map((x) => x.heapAfterGcMb.toFixed(0)).join(' → ');
    // Flat: the last round's peak RSS within 10% of the first's. The heap after GC is shown too: it grows by what is
    // kept on purpose (each task's answer for GetTask, each context's conversation), up to the store's limits.
    const flat = (p: Phase[]): boolean => (p.at(-1)?.peakRssMb ?? NaN) <= (p[0]?.peakRssMb ?? NaN) * RSS_GROWTH_BUDGET;
    const complete = [...chats, ...a2as].every((p) => p.complete === STREAMS);
    return [
      {
        measure: `\`serve\` A2A vs \`/chat\`: CPU per token and RSS, ${ROUNDS} rounds of ${STREAMS} streams × ${TOKENS.toLocaleString('en-US')} tokens`,
        floor: `\`/chat\`: ${chatUs.toFixed(1)} µs/token; heap after GC per round ${heaps(chats)} MB, peak RSS ${rss(chats)} MB`,
        value: `A2A: ${a2aUs.toFixed(1)} µs/token; heap after GC per round ${heaps(a2as)} MB, peak RSS ${rss(a2as)} MB${complete ? '' : ' (some streams incomplete)'}`,
        ratio: `${ratio.toFixed(2)}x`,
        budget: `≤ ${CPU_BUDGET}x CPU; RSS flat across rounds (≤ ${RSS_GROWTH_BUDGET}x)`,
        ok: complete && ratio <= CPU_BUDGET && flat(a2as),
        raw: { streams: STREAMS, tokens: TOKENS, chat: chats, a2a: a2as, chatUsPerToken: chatUs, a2aUsPerToken: a2aUs },
      },
    ];
  } finally {
    for (const c of children.reverse()) c.kill('SIGTERM');
  }
}
