import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { AgentEvent, ErrorInfo, ToolResultEvent } from '../../src/core/events.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { collect } from '../../src/core/stream.js';
import { BUILTIN_TOOLS } from '../../src/core/tools/builtins.js';
import {
  envReferences,
  expandEnv,
  formatToolResult,
  McpPool,
  meaningfulStderr,
  parseMcpServers,
  type McpPoolOptions,
} from '../../src/core/tools/mcp.js';
import type { ToolContext } from '../../src/core/tools/tool.js';
import { isRunning, listenForFixture } from '../support/mcp-notify.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { loadAgentFromFlags } from '../../src/commands/load-agents.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { join } from 'node:path';
import { tempDir } from '../support/cleanup.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = resolve(ROOT, 'test/support/mcp-stdio-server.ts');
const fixture = (extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: ['--import', 'tsx', FIXTURE],
  ...extra,
});
const builtinNames = BUILTIN_TOOLS.map((t) => t.name);
const ctx = (signal = new AbortController().signal): ToolContext => ({ signal, run_id: 'r', call_id: 'c' });

/** A pool of its own for one test (closed when it ends) and the notices it announces, as promises. */
function supervisedPool(opts: McpPoolOptions = {}) {
  const notices: ErrorInfo[] = [];
  const waiters = new Set<() => void>();
  const own = new McpPool({
    cwd: ROOT,
    startupTimeoutMs: 20_000,
    ...opts,
    onNotice: (n) => {
      notices.push(n);
      for (const w of [...waiters]) w();
    },
  });
  onTestFinished(() => own.close());
  /** The n-th notice with this code (1-based), once announced. */
  const notice = (code: string, nth = 1): Promise<ErrorInfo> =>
    new Promise((resolve) => {
      const check = (): void => {
        const found = notices.filter((n) => n.code === code)[nth - 1];
        if (!found) return;
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      check();
    });
  return { pool: own, notices, notice };
}

let fake: FakeOpenAI;
let pool: McpPool;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  pool = new McpPool({ cwd: ROOT, startupTimeoutMs: 20_000 });
});
afterAll(async () => {
  await pool.close();
  await fake.close();
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('MCP over stdio', () => {
  it('offers the server tools, namespacing the one that clashes with a built-in', async () => {
    const set = await pool.connect({ fixture: fixture() }, { reserved: builtinNames });
    expect(set.errors).toEqual([]);
    expect(set.servers['fixture']).toEqual(['add', 'echo', 'fixture__calculator', 'pid', 'slow', 'fail', 'write_note']);
    const add = set.tools.find((t) => t.name === 'add');
    expect(add?.description).toContain('Adds two numbers');
    // The approval policy reads these: readOnlyHint from the tool's annotations, and the server it came from.
    expect(add).toMatchObject({ readOnly: true, server: 'fixture' });
    expect(set.tools.find((t) => t.name === 'write_note')).toMatchObject({ readOnly: false, server: 'fixture' });
    expect(add?.parameters).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
    });
  });

  it('a tool result reaches the model through the agent loop', async () => {
    const set = await pool.connect({ fixture: fixture() }, { reserved: builtinNames });
    fake.requests.length = 0;
    fake.enqueue({ toolCalls: [{ name: 'add', arguments: { a: 19, b: 23 } }] }, { text: ['The sum is ', '42.'] });
    const agent = new Agent({
      name: 'mcp',
      model: 'fake',
      provider: new OpenAIProvider({ apiKey: 'k', baseURL: fake.url }),
      tools: [...BUILTIN_TOOLS, ...set.tools],
    });
    const events = await collect(agent.streamChat('add 19 and 23'));
    const result = events.find((e): e is ToolResultEvent => e.type === 'tool_result');
    expect(result).toMatchObject({ name: 'add', result: '42', is_error: false });
    // The model was offered the MCP tools, and its second request carries the server's answer.
    const offered = (fake.requests[0]?.body.tools as Array<{ function: { name: string } }>).map((t) => t.function.name);
    expect(offered).toEqual(expect.arrayContaining(['calculator', 'add', 'fixture__calculator']));
    const messages = fake.requests[1]?.body.messages as Array<{ role: string; content: string }>;
    expect(messages.at(-1)).toMatchObject({ role: 'tool', content: '42' });
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'The sum is 42.' });
  });

  it('turns an isError result into an error result and enforces the per-call timeout', async () => {
    const set = await pool.connect({ timed: fixture({ timeout: 300 }) }, { reserved: builtinNames });
    const byName = new Map(set.tools.map((t) => [t.name, t]));
    fake.enqueue(
      {
        toolCalls: [
          { name: 'fail', arguments: {} },
          { name: 'slow', arguments: { ms: 20_000 } },
        ],
      },
      { text: 'ok' },
    );
    const agent = new Agent({
      name: 'mcp',
      model: 'fake',
      provider: new OpenAIProvider({ apiKey: 'k', baseURL: fake.url }),
      tools: [byName.get('fail')!, byName.get('slow')!],
    });
    const started = Date.now();
    const results = (await collect(agent.streamChat('go'))).filter(
      (e): e is ToolResultEvent => e.type === 'tool_result',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(results.find((r) => r.name === 'fail')).toMatchObject({
      is_error: true,
      result: 'Error: the fixture failed on purpose',
    });
    expect(results.find((r) => r.name === 'slow')).toMatchObject({ is_error: true });
    expect(results.find((r) => r.name === 'slow')?.result).toBe('Error: timed out after 300 ms');
    expect(results.find((r) => r.name === 'slow')?.duration_ms).toBeLessThan(5000);
  });

  it('reports a server that fails to start as an error event, and the run goes on without it', async () => {
    // A pool of its own: the failed servers are retried in the background until it is closed.
    const { pool } = supervisedPool();
    const set = await pool.connect(
      {
        missing: { command: '/nonexistent/agentor-mcp' },
        exits: fixture({ env: { MCP_FIXTURE_EXIT: '1' } }),
        fixture: fixture(),
      },
      { reserved: builtinNames },
    );
    expect(set.errors).toHaveLength(2);
    expect(set.errors[0]?.message).toMatch(/MCP server "missing" failed to start .*ENOENT/);
    expect(set.errors[1]?.message).toMatch(/MCP server "exits" failed to start .*stderr: fixture: refusing to start/);
    expect(set.servers['fixture']).toContain('echo');
    fake.enqueue({ toolCalls: [{ name: 'echo', arguments: { text: 'hi' } }] }, { text: 'done' });
    const provider = new OpenAIProvider({ apiKey: 'k', baseURL: fake.url });
    const agent = new Agent({ name: 'mcp', model: 'fake', provider, tools: set.tools, notices: set.notices });
    const events: AgentEvent[] = await collect(agent.streamChat('echo hi'));
    expect(events.map((e) => e.type).slice(0, 3)).toEqual(['run_start', 'error', 'error']);
    expect(events.filter((e) => e.type === 'error')).toHaveLength(2); // once per run, not once per model call
    expect(events.find((e) => e.type === 'tool_result')).toMatchObject({ result: 'echo: hi', is_error: false });
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed' });
  });

  it('shuts the server processes down on close()', async () => {
    const own = new McpPool({ cwd: ROOT });
    const set = await own.connect({ fixture: fixture() });
    const pidTool = set.tools.find((t) => t.name === 'pid')!;
    const pid = Number(await pidTool.execute({}, { signal: new AbortController().signal, run_id: 'r', call_id: 'c' }));
    expect(isAlive(pid)).toBe(true);
    await own.close();
    await expect.poll(() => isAlive(pid), { timeout: 5000 }).toBe(false);
    await expect(
      pidTool.execute({}, { signal: new AbortController().signal, run_id: 'r', call_id: 'c' }),
    ).rejects.toThrow();
  });
});

describe('supervision of stdio servers', () => {
  it('a server killed with kill -9 fails its call in flight at once, is reported, fails calls clearly, and is restarted', async () => {
    const fx = await listenForFixture();
    onTestFinished(() => fx.close());
    const { pool: own, notice } = supervisedPool();
    const set = await own.connect({ fixture: fixture({ env: { MCP_FIXTURE_NOTIFY: fx.address } }) });
    const tool = (name: string) => set.tools.find((t) => t.name === name)!;
    const pid = Number(await tool('pid').execute({}, ctx()));
    expect(own.health()).toEqual([{ name: 'fixture', connected: true }]);

    const inFlight = Promise.resolve(tool('slow').execute({ ms: 60_000 }, ctx()));
    await fx.next('slow');
    const started = Date.now();
    process.kill(pid, 'SIGKILL');
    await expect(inFlight).rejects.toThrow(/MCP server "fixture" stopped during the call \(killed by SIGKILL\)/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await notice('mcp_server_down')).message).toMatch(
      /^MCP server "fixture" stopped \(".*mcp-stdio-server\.ts"\): killed by SIGKILL\. Restarting it, next try at (\S+Z) \(after 0\.5 s\)/,
    );
    // The log line and the health check name the same delay and moment.
    const due = /next try at (\S+Z \(after 0\.5 s\))/.exec((await notice('mcp_server_down')).message)?.[1];
    expect(own.health()).toEqual([
      { name: 'fixture', connected: false, error: expect.stringMatching(/is down \(killed by SIGKILL\)/) },
    ]);
    expect(own.health()[0]?.error).toContain(`restarting it; next try at ${due}`);
    await expect(Promise.resolve(tool('echo').execute({ text: 'x' }, ctx()))).rejects.toThrow(
      /MCP server "fixture" is down \(killed by SIGKILL\); restarting it; next try at /,
    );
    expect(set.notices()).toEqual([expect.objectContaining({ code: 'mcp_server_down', retryable: true })]);

    expect((await notice('mcp_server_restarted')).message).toBe(
      'MCP server "fixture" is back (restarted after: killed by SIGKILL).',
    );
    expect(own.health()).toEqual([{ name: 'fixture', connected: true }]);
    expect(await tool('echo').execute({ text: 'again' }, ctx())).toBe('echo: again');
    expect(Number(await tool('pid').execute({}, ctx()))).not.toBe(pid);
    expect(set.notices()).toEqual([]);
    expect(isRunning(pid)).toBe(false);
  });

  it('a run reports the crash: the tool result says what happened, the next model call is preceded by an error event', async () => {
    const fx = await listenForFixture();
    onTestFinished(() => fx.close());
    const { pool: own } = supervisedPool();
    const set = await own.connect({ fixture: fixture({ env: { MCP_FIXTURE_NOTIFY: fx.address } }) });
    const pid = (await fx.next('started')).pid;
    fake.enqueue({ toolCalls: [{ name: 'slow', arguments: { ms: 60_000 } }] }, { text: 'the tool broke' });
    const agent = new Agent({
      name: 'mcp',
      model: 'fake',
      provider: new OpenAIProvider({ apiKey: 'k', baseURL: fake.url }),
      tools: set.tools,
      notices: set.notices,
    });
    const run = collect(agent.streamChat('wait'));
    await fx.next('slow');
    process.kill(pid, 'SIGKILL');
    const events = await run;
    const types = events.map((e) => e.type).filter((t) => t !== 'text_delta');
    expect(types).toEqual(['run_start', 'tool_call', 'tool_result', 'error', 'message', 'run_end']);
    // The notice comes before the second model call's answer.
    expect(events.findIndex((e) => e.type === 'error')).toBeLessThan(events.findIndex((e) => e.type === 'text_delta'));
    expect(events[2]).toMatchObject({ is_error: true, result: expect.stringMatching(/stopped during the call/) });
    expect(events[3]).toMatchObject({ error: { code: 'mcp_server_down' } });
    expect(events.at(-1)).toMatchObject({ status: 'completed' });
  });

  it('start-up is cancellable: the server and what it started are stopped, and it is reported as not started', async () => {
    const fx = await listenForFixture();
    onTestFinished(() => fx.close());
    const { pool: own } = supervisedPool();
    const controller = new AbortController();
    const env = { MCP_FIXTURE_NOTIFY: fx.address, MCP_FIXTURE_HANG: '1', MCP_FIXTURE_GRANDCHILD: '1' };
    const connecting = own.connect({ slow: fixture({ env }) }, { signal: controller.signal });
    const { pid, grandchild } = await fx.next('started');
    const started = Date.now();
    controller.abort();
    const set = await connecting;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(set.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^MCP server "slow" failed to start \(.*\): start-up was interrupted\./),
    ]);
    expect(own.health()).toEqual([{ name: 'slow', connected: false, error: expect.stringMatching(/interrupted/) }]);
    // It is being stopped; close() waits for that.
    await own.close();
    expect(isRunning(pid)).toBe(false);
    await expect.poll(() => isRunning(grandchild!), { timeout: 2000 }).toBe(false);
  });

  it("a server's startupTimeout bounds its whole start-up, and the process is stopped", async () => {
    const fx = await listenForFixture();
    onTestFinished(() => fx.close());
    const { pool: own } = supervisedPool();
    // Plain node (the fixture's tsx start-up alone can take a second on a busy machine): report, then never answer.
    const [host, port] = fx.address.split(':');
    const script = `require('net').connect(${port}, '${host}', function () { this.end(JSON.stringify({ event: 'started', pid: process.pid }) + '\\n'); }); setInterval(() => {}, 1000);`;
    const connecting = own.connect(
      parseMcpServers({ mute: { command: process.execPath, args: ['-e', script], startupTimeout: '1s' } }),
    );
    const { pid } = await fx.next('started');
    const started = Date.now();
    const set = await connecting;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(set.errors[0]?.message).toMatch(/failed to start .*: no answer within 1 s \(start-up timeout\)/);
    await own.close();
    expect(isRunning(pid)).toBe(false);
  });

  it('a server that fails its first start is retried quietly; once up, the next turn offers its tools', async () => {
    const fx = await listenForFixture();
    onTestFinished(() => fx.close());
    const dir = tempDir('agentor-mcp-late-');
    const flag = join(dir, 'ready');
    const { pool: own, notices, notice } = supervisedPool();
    // The gate holds each start until the test releases it; the fixture exits there unless `flag` exists.
    const late = fixture({
      env: { MCP_FIXTURE_NOTIFY: fx.address, MCP_FIXTURE_GATE: '1', MCP_FIXTURE_EXIT_UNLESS: flag },
    });
    const connecting = own.connect({ late }, { reserved: builtinNames });
    await fx.next('started');
    fx.release();
    const set = await connecting;
    expect(set.tools).toEqual([]);
    expect(set.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /^MCP server "late" failed to start \(.*\): exited with code 3 — stderr: fixture: not starting until .* exists\. Continuing without its tools; retrying it in the background\.$/,
      ),
    ]);
    expect(own.health()).toEqual([
      {
        name: 'late',
        connected: false,
        error: expect.stringMatching(
          /^failed to start \(.*\): exited with code 3 .*; retrying it, next try at \S+Z \(after 0\.5 s\)$/,
        ),
      },
    ]);
    // The same agent wiring the commands use, sharing the pool's connection: its tools are read at each turn.
    writeFileSync(join(dir, 'mcp.json'), JSON.stringify({ mcpServers: { late } }));
    const loaded = await loadAgentFromFlags(
      { model: 'fake', baseUrl: fake.url, cwd: dir },
      { mcp: own, env: { ...process.env, OPENAI_API_KEY: 'k', XDG_CONFIG_HOME: join(dir, 'config') } },
    );
    onTestFinished(() => loaded.close());
    const names = () => loaded.agents[0]!.tools.map((t) => t.name);
    expect(names()).not.toContain('echo');

    // A failed retry is not announced again (the third start means the second one's failure was handled).
    await fx.next('started', 2);
    fx.release();
    await fx.next('started', 3);
    expect(notices).toEqual([]);
    expect(own.health()[0]?.error).toMatch(/retrying it, next try at \S+Z \(after 1 s\)$|trying again now$/);
    expect(set.notices()).toEqual(set.errors); // the one report, the same object at each run

    // A run whose first turn waits on a tool while the server comes up: the second turn offers the server's tools.
    let proceed!: () => void;
    const waiting = new Promise<void>((resolve) => (proceed = resolve));
    const hold = {
      name: 'hold',
      description: 'Waits for the test',
      parameters: { type: 'object', properties: {} },
      execute: async () => {
        await waiting;
        return 'held';
      },
    };
    const agent = new Agent({
      name: 'late',
      model: 'fake',
      provider: new OpenAIProvider({ apiKey: 'k', baseURL: fake.url }),
      tools: () => [hold, ...set.latest().tools],
      notices: set.notices,
    });
    fake.requests.length = 0;
    fake.enqueue(
      { toolCalls: [{ name: 'hold', arguments: {} }] },
      { toolCalls: [{ name: 'echo', arguments: { text: 'late' } }] },
      { text: 'done' },
    );
    const run = collect(agent.streamChat('go'));
    writeFileSync(flag, '');
    fx.release();
    expect((await notice('mcp_server_started')).message).toMatch(
      /^MCP server "late" is up \(it had failed to start: exited with code 3 .*\); its tools are offered from the next turn\.$/,
    );
    proceed();
    const events = await run;
    const offered = fake.requests.map((r) =>
      (r.body.tools as Array<{ function: { name: string } }>).map((t) => t.function.name),
    );
    expect(offered[0]).toEqual(['hold']);
    expect(offered[1]).toEqual(['hold', 'add', 'echo', 'late__calculator', 'pid', 'slow', 'fail', 'write_note']);
    expect(events.find((e) => e.type === 'tool_result' && e.name === 'echo')).toMatchObject({
      result: 'echo: late',
      is_error: false,
    });
    expect(events.filter((e) => e.type === 'error')).toHaveLength(1); // the start failure, reported once
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed' });

    expect(own.health()).toEqual([{ name: 'late', connected: true }]);
    expect(set.latest().errors).toEqual([]);
    expect(set.latest()).toBe(set.latest());
    expect(set.notices()).toEqual([]);
    expect(names()).toEqual(expect.arrayContaining(['echo', 'late__calculator', 'calculator']));
  });

  it('a server whose configuration cannot work is not retried', async () => {
    const { pool: own } = supervisedPool({ env: {} });
    const set = await own.connect({ needsVar: { url: 'http://127.0.0.1:9/mcp', headers: { a: '${MISSING_TOKEN}' } } });
    expect(set.errors[0]?.message).toMatch(/MISSING_TOKEN is not set.*Continuing without its tools\.$/);
    expect(own.health()[0]?.error).toMatch(/; not retried$/);
  });

  it("a failed start shows the server's meaningful stderr lines, not Node's footer", async () => {
    const { pool: own } = supervisedPool();
    const set = await own.connect({ broken: { command: process.execPath, args: ['/nonexistent/agentor/server.js'] } });
    const message = set.errors[0]?.message ?? '';
    expect(message).toMatch(
      /failed to start .*: exited with code 1 — stderr: Error: Cannot find module '\/nonexistent\/agentor\/server\.js'\. Continuing/,
    );
    expect(message).not.toMatch(/Node\.js v|requireStack|at Module/);
  });
});

describe('MCP over streamable HTTP', () => {
  let http: Server;
  let url: string;
  const seenAuth: string[] = [];
  beforeAll(async () => {
    // Stateless: a fresh server and transport per request, the SDK's documented pattern.
    http = createServer((req, res) => {
      seenAuth.push(String(req.headers['authorization'] ?? ''));
      const server = new McpServer({ name: 'web', version: '1.0.0' });
      server.registerTool(
        'shout',
        { description: 'Upper-cases text', inputSchema: { text: z.string() } },
        ({ text }) => ({ content: [{ type: 'text', text: text.toUpperCase() }] }),
      );
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close());
      void server.connect(transport).then(() => transport.handleRequest(req, res));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  });

  it('lists and calls tools, sending headers with ${VAR} expanded from the environment', async () => {
    const own = new McpPool({ env: { MCP_TOKEN: 'abc' } });
    try {
      const set = await own.connect({ web: { url, headers: { Authorization: 'Bearer ${MCP_TOKEN}' } } });
      expect(set.errors).toEqual([]);
      expect(set.servers).toEqual({ web: ['shout'] });
      const shout = set.tools[0]!;
      expect(
        await shout.execute({ text: 'hi' }, { signal: new AbortController().signal, run_id: 'r', call_id: 'c' }),
      ).toBe('HI');
      expect(seenAuth.length).toBeGreaterThan(0);
      expect(seenAuth.every((a) => a === 'Bearer abc')).toBe(true);
    } finally {
      await own.close();
    }
  });

  it('an unreachable HTTP server or a missing variable is a start failure, not a crash', async () => {
    const own = new McpPool({ env: {}, startupTimeoutMs: 5000 });
    try {
      const set = await own.connect({
        gone: { url: 'http://127.0.0.1:9/mcp' },
        needsVar: { url, headers: { Authorization: 'Bearer ${MISSING_TOKEN}' } },
      });
      expect(set.tools).toEqual([]);
      expect(set.errors.map((e) => e.message)).toEqual([
        expect.stringMatching(/^MCP server "gone" failed to start \(http:\/\/127\.0\.0\.1:9\/mcp\)/),
        expect.stringMatching(/^MCP server "needsVar" failed to start .*environment variable MISSING_TOKEN is not set/),
      ]);
    } finally {
      await own.close();
    }
  });
});

describe('supervision of HTTP servers', () => {
  /** A streamable HTTP MCP server whose `die` tool kills the server in the middle of the call. */
  async function mortalServer(port = 0) {
    const http = createServer((req, res) => {
      // Resolves once the response has started on the socket: the call's event stream is open at the client.
      let streamed = (): void => {};
      const started = new Promise<void>((r) => (streamed = r));
      const write = res.write.bind(res) as (...args: unknown[]) => boolean;
      res.write = ((...args: unknown[]) => {
        const ok = write(...args);
        // Node corks a response's socket until the next tick: after that the bytes are on their way.
        setImmediate(streamed);
        return ok;
      }) as typeof res.write;
      const server = new McpServer({ name: 'mortal', version: '1.0.0' }, { capabilities: { logging: {} } });
      server.registerTool('die', { description: 'Kills the server mid-call' }, async (extra) => {
        // A log message opens the call's event stream; then every connection is cut and the listener is gone: what a
        // client sees when the server process dies mid-call.
        await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'dying' } });
        await started;
        http.closeAllConnections();
        http.close();
        return await new Promise<never>(() => {});
      });
      server.registerTool('ping', { description: 'Answers' }, () => ({ content: [{ type: 'text', text: 'pong' }] }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close());
      void server.connect(transport).then(() => transport.handleRequest(req, res));
    });
    await new Promise<void>((r) => http.listen(port, '127.0.0.1', () => r()));
    onTestFinished(async () => {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    });
    return { http, port: (http.address() as AddressInfo).port };
  }

  it('a server dying mid-call is noticed at once, reported, and reconnected when it is back', async () => {
    const first = await mortalServer();
    const url = `http://127.0.0.1:${first.port}/mcp`;
    const { pool: own, notice } = supervisedPool();
    const set = await own.connect({ mortal: { url } });
    const tool = (name: string) => set.tools.find((t) => t.name === name)!;
    expect(await tool('ping').execute({}, ctx())).toBe('pong');

    const started = Date.now();
    await expect(Promise.resolve(tool('die').execute({}, ctx()))).rejects.toThrow(
      /MCP server "mortal" stopped during the call \(the connection broke/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await notice('mcp_server_down')).message).toMatch(
      /^MCP server "mortal" stopped \(http:\/\/127\.0\.0\.1:\d+\/mcp\)/,
    );
    expect(own.health()).toEqual([{ name: 'mortal', connected: false, error: expect.stringMatching(/is down/) }]);
    await expect(Promise.resolve(tool('ping').execute({}, ctx()))).rejects.toThrow(/MCP server "mortal" is down/);

    // Restarts fail while nothing listens; once the server is back on its port, the next one succeeds.
    await notice('mcp_server_down', 2);
    await mortalServer(first.port);
    await notice('mcp_server_restarted');
    expect(own.health()).toEqual([{ name: 'mortal', connected: true }]);
    expect(await tool('ping').execute({}, ctx())).toBe('pong');
  });
});

describe('agents with MCP servers', () => {
  it('front matter servers join ./mcp.json servers; tools: limits what the model is offered; close() stops them', async () => {
    const cwd = tempDir('agentor-mcp-');
    mkdirSync(join(cwd, 'agents'));
    const server = (name: string) =>
      `  ${name}: { command: ${JSON.stringify(process.execPath)}, args: [--import, tsx, ${JSON.stringify(FIXTURE)}], cwd: ${JSON.stringify(ROOT)} }`;
    writeFileSync(
      join(cwd, 'agents', 'math.md'),
      `---\nname: math\ntools: [own__add, shared__echo, get_time, calculator]\nmcpServers:\n${server('own')}\n---\nUse add.\n`,
    );
    writeFileSync(
      join(cwd, 'mcp.json'),
      JSON.stringify({
        mcpServers: { shared: { command: process.execPath, args: ['--import', 'tsx', FIXTURE], cwd: ROOT } },
      }),
    );
    const env = { ...process.env, XDG_CONFIG_HOME: join(cwd, 'config') };
    const loaded = await loadAgentFromFlags(
      { agent: ['math'], model: 'fake', baseUrl: fake.url, cwd },
      { env: { ...env, OPENAI_API_KEY: 'k' } },
    );
    try {
      const agent = loaded.agents[0]!;
      expect(agent.name).toBe('math');
      expect(agent.instructions).toBe('Use add.');
      // Both servers offer the same tools, so every one is namespaced; "calculator" stays the built-in.
      expect(agent.tools.map((t) => t.name)).toEqual(['own__add', 'shared__echo', 'get_time', 'calculator']);
      fake.requests.length = 0;
      fake.enqueue({ toolCalls: [{ name: 'own__add', arguments: { a: 2, b: 3 } }] }, { text: 'five' });
      const events = await collect(agent.streamChat('2+3'));
      expect(events.find((e) => e.type === 'tool_result')).toMatchObject({
        name: 'own__add',
        result: '5',
        is_error: false,
      });
      const offered = (fake.requests[0]?.body.tools as Array<{ function: { name: string } }>).map(
        (t) => t.function.name,
      );
      expect(offered).toEqual(['own__add', 'shared__echo', 'get_time', 'calculator']);
    } catch (e) {
      await loaded.close();
      throw e;
    }
    await loaded.close();
  });

  it('a tool name offered by several servers must be qualified', async () => {
    const cwd = tempDir('agentor-mcp-');
    mkdirSync(join(cwd, 'agents'));
    const entry = { command: process.execPath, args: ['--import', 'tsx', FIXTURE], cwd: ROOT };
    writeFileSync(join(cwd, 'agents', 'a.md'), '---\nname: a\ntools: [echo]\n---\n');
    writeFileSync(join(cwd, 'servers.json'), JSON.stringify({ mcpServers: { one: entry, two: entry } }));
    await expect(
      loadAgentFromFlags(
        { agent: 'a', demo: true, cwd, mcpConfig: 'servers.json' },
        { env: { ...process.env, XDG_CONFIG_HOME: join(cwd, 'c') } },
      ),
    ).rejects.toThrow(/"tools" "echo" is ambiguous: several MCP servers offer it; name one of one__echo, two__echo/);
  });

  it('an unknown tool name is a configuration error naming the file and the field', async () => {
    const cwd = tempDir('agentor-mcp-');
    mkdirSync(join(cwd, 'agents'));
    writeFileSync(join(cwd, 'agents', 'a.md'), '---\nname: a\ntools: [calculator, web_search]\n---\n');
    await expect(
      loadAgentFromFlags({ agent: 'a', demo: true, cwd }, { env: { XDG_CONFIG_HOME: join(cwd, 'c') } }),
    ).rejects.toThrow(/agents\/a\.md: "tools" names an unknown tool "web_search"/);
  });
});

describe('mcpServers config', () => {
  it('accepts stdio and HTTP entries and drops disabled ones', () => {
    expect(
      parseMcpServers({
        fs: { command: 'npx', args: ['-y', 'srv', 3], env: { A: 1 } },
        web: { url: 'http://127.0.0.1:1/mcp', headers: { X: 'y' }, timeout: 5000 },
        old: { url: 'http://127.0.0.1:1/sse', type: 'sse' },
        off: { command: 'x', disabled: true },
      }),
    ).toEqual({
      fs: { command: 'npx', args: ['-y', 'srv', '3'], env: { A: '1' } },
      web: { url: 'http://127.0.0.1:1/mcp', headers: { X: 'y' }, timeout: 5000 },
      old: { url: 'http://127.0.0.1:1/sse', type: 'sse' },
    });
  });

  it('names the server and field of a bad entry', () => {
    expect(() => parseMcpServers({ fs: {} }, 'mcp.json: mcpServers')).toThrow(
      'mcp.json: mcpServers.fs needs "command"',
    );
    expect(() => parseMcpServers({ 'bad name': { command: 'x' } })).toThrow(/server names use/);
    expect(() => parseMcpServers({ fs: { command: 'x', timeout: -1 } })).toThrow(/fs\.timeout must be/);
    expect(() => parseMcpServers({ web: { url: 'http://x', type: 'ws' } })).toThrow(/web\.type must be "http"/);
  });

  it('timeouts are durations; a number is milliseconds, and a small one is refused as a likely slip', () => {
    expect(
      parseMcpServers({
        a: { command: 'x', timeout: '60s', startupTimeout: '2m' },
        b: { url: 'http://127.0.0.1:1/mcp', timeout: 5000 },
        c: { command: 'x', timeout: '500ms' },
      }),
    ).toEqual({
      a: { command: 'x', args: [], timeout: 60_000, startupTimeout: 120_000 },
      b: { url: 'http://127.0.0.1:1/mcp', timeout: 5000 },
      c: { command: 'x', args: [], timeout: 500 },
    });
    expect(() => parseMcpServers({ a: { command: 'x', timeout: 60 } })).toThrow(
      'mcpServers.a.timeout is 60: a number is milliseconds, so that is 60 ms; write "60s" for seconds',
    );
    expect(() => parseMcpServers({ a: { command: 'x', timeout: '60' } })).toThrow(
      /a\.timeout must be a duration with its unit/,
    );
    expect(() => parseMcpServers({ a: { command: 'x', startupTimeout: '5 parsecs' } })).toThrow(
      /a\.startupTimeout: invalid duration "5 parsecs"/,
    );
  });

  it('lists the ${VAR} references of a server, with their defaults', () => {
    expect(
      envReferences({
        command: 'npx',
        args: ['-y', 'srv', '--root=${ROOT_DIR:-.}'],
        env: { DEBUG: '${DEBUG:-}', TOKEN: '${API_TOKEN}' },
      }),
    ).toEqual([
      { name: 'ROOT_DIR', field: 'args[2]', fallback: '.' },
      { name: 'DEBUG', field: 'env.DEBUG', fallback: '' },
      { name: 'API_TOKEN', field: 'env.TOKEN' },
    ]);
    expect(envReferences({ url: 'https://${HOST}/mcp', headers: { Authorization: 'Bearer ${SEARCH_TOKEN}' } })).toEqual(
      [
        { name: 'HOST', field: 'url' },
        { name: 'SEARCH_TOKEN', field: 'headers.Authorization' },
      ],
    );
  });

  it("keeps the error lines of a server's stderr and drops stack frames, echoed source and Node's footer", () => {
    const node = [
      'node:internal/modules/cjs/loader:1210',
      '  throw err;',
      '  ^',
      '',
      "Error: Cannot find module '/srv/index.js'",
      '    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15)',
      '    at node:internal/main/run_main_module:28:49 {',
      "  code: 'MODULE_NOT_FOUND',",
      '  requireStack: []',
      '}',
      '',
      'Node.js v20.20.2',
    ].join('\n');
    expect(meaningfulStderr(node)).toEqual(["Error: Cannot find module '/srv/index.js'"]);
    const python = [
      'Traceback (most recent call last):',
      '  File "/srv/server.py", line 3, in <module>',
      '    import mcpx',
      "ModuleNotFoundError: No module named 'mcpx'",
    ].join('\n');
    expect(meaningfulStderr(python)).toEqual(["ModuleNotFoundError: No module named 'mcpx'"]);
    expect(meaningfulStderr('starting\nlistening on stdio\n\u001b[31mbye\u001b[0m\n')).toEqual([
      'starting',
      'listening on stdio',
      'bye',
    ]);
  });

  it('expands ${VAR} and ${VAR:-default}, and names a missing variable', () => {
    expect(expandEnv('Bearer ${TOKEN}', { TOKEN: 't0k' })).toBe('Bearer t0k');
    expect(expandEnv('${HOST:-localhost}:1', {})).toBe('localhost:1');
    expect(() => expandEnv('${NOPE}', {})).toThrow('environment variable NOPE is not set');
  });

  it('formats result content for the model', () => {
    expect(
      formatToolResult({
        content: [
          { type: 'text', text: 'a' },
          { type: 'image', data: 'x', mimeType: 'image/png' },
          { type: 'resource', resource: { uri: 'file:///x', text: 'body' } },
        ],
      }),
    ).toBe('a\n[image: image/png]\nbody');
    expect(formatToolResult({ content: [], structuredContent: { n: 1 } })).toBe('{"n":1}');
  });
});
