import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { AgentEvent, ToolResultEvent } from '../../src/core/events.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { collect } from '../../src/core/stream.js';
import { BUILTIN_TOOLS } from '../../src/core/tools/builtins.js';
import { expandEnv, formatToolResult, McpPool, parseMcpServers, withNotices } from '../../src/core/tools/mcp.js';
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
    const set = await pool.connect({ fixture: fixture() }, builtinNames);
    expect(set.errors).toEqual([]);
    expect(set.servers['fixture']).toEqual(['add', 'echo', 'fixture__calculator', 'pid', 'slow', 'fail']);
    const add = set.tools.find((t) => t.name === 'add');
    expect(add?.description).toContain('Adds two numbers');
    expect(add?.parameters).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
    });
  });

  it('a tool result reaches the model through the agent loop', async () => {
    const set = await pool.connect({ fixture: fixture() }, builtinNames);
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
    const set = await pool.connect({ timed: fixture({ timeout: 300 }) }, builtinNames);
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
    const set = await pool.connect(
      {
        missing: { command: '/nonexistent/agentor-mcp' },
        exits: fixture({ env: { MCP_FIXTURE_EXIT: '1' } }),
        fixture: fixture(),
      },
      builtinNames,
    );
    expect(set.errors).toHaveLength(2);
    expect(set.errors[0]?.message).toMatch(/MCP server "missing" failed to start .*ENOENT/);
    expect(set.errors[1]?.message).toMatch(/MCP server "exits" failed to start .*stderr: fixture: refusing to start/);
    expect(set.servers['fixture']).toContain('echo');
    fake.enqueue({ toolCalls: [{ name: 'echo', arguments: { text: 'hi' } }] }, { text: 'done' });
    const provider = withNotices(new OpenAIProvider({ apiKey: 'k', baseURL: fake.url }), set.errors);
    const agent = new Agent({ name: 'mcp', model: 'fake', provider, tools: set.tools });
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
