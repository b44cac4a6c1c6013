/**
 * The MCP bridge: servers declared in the common `mcpServers` JSON format become Tools the agent loop runs like
 * built-ins. One McpPool owns the connections of a chat session or a server process: it connects each distinct server
 * once (several agents may share it), and `close()` shuts every one of them down when the session ends.
 *
 * A server that fails to start never fails the run: its failure comes back as an ErrorInfo, which `withNotices` turns
 * into an `error` event at the start of each run. The SDK is imported lazily, so commands that never touch MCP
 * (`agentor agents`, `--version`) do not pay for it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { ConfigError } from '../config.js';
import type { ErrorInfo } from '../events.js';
import type { ModelChunk, ModelProvider, ModelRequest } from '../providers/types.js';
import type { JSONSchema, Tool } from './tool.js';

/** A server started as a child process speaking MCP over stdio. */
export interface McpStdioServerConfig {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Per-call timeout in ms for this server's tools. */
  timeout?: number;
}

/** A server reached over HTTP (streamable HTTP, or the older SSE transport with `type: "sse"`). */
export interface McpHttpServerConfig {
  url: string;
  headers?: Record<string, string>;
  type?: 'http' | 'streamable-http' | 'sse';
  /** Per-call timeout in ms for this server's tools. */
  timeout?: number;
}

/** One entry of `mcpServers`. */
export type McpServerConfig = McpStdioServerConfig | McpHttpServerConfig;

/** The `mcpServers` map: server name → how to reach it. */
export type McpServersConfig = Record<string, McpServerConfig>;

const SERVER_NAME = /^[a-zA-Z0-9_-]{1,32}$/;

function stringMap(value: unknown, where: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${where} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new ConfigError(`${where}.${k} must be a string`);
    out[k] = String(v);
  }
  return out;
}

/**
 * Validates an `mcpServers` map (the value of the key, not the whole file). `where` prefixes error messages, e.g.
 * "mcp.json: mcpServers". Entries with `"disabled": true` are dropped.
 */
export function parseMcpServers(value: unknown, where = 'mcpServers'): McpServersConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(
      `${where} must be an object mapping server names to {"command", "args", "env"} or {"url", "headers"}`,
    );
  }
  const out: McpServersConfig = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const at = `${where}.${name}`;
    if (!SERVER_NAME.test(name)) throw new ConfigError(`${at}: server names use 1-32 letters, digits, "_" or "-"`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new ConfigError(`${at} must be an object with "command" or "url"`);
    const entry = raw as Record<string, unknown>;
    if (entry['disabled'] === true) continue;
    const timeout = entry['timeout'];
    if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0)))
      throw new ConfigError(`${at}.timeout must be a number of milliseconds > 0`);
    if (typeof entry['command'] === 'string' && entry['command']) {
      const args = entry['args'] ?? [];
      if (!Array.isArray(args) || args.some((a) => typeof a !== 'string' && typeof a !== 'number'))
        throw new ConfigError(`${at}.args must be a list of strings`);
      const cfg: McpStdioServerConfig = { command: entry['command'], args: args.map(String) };
      if (entry['env'] !== undefined) cfg.env = stringMap(entry['env'], `${at}.env`);
      if (entry['cwd'] !== undefined) {
        if (typeof entry['cwd'] !== 'string') throw new ConfigError(`${at}.cwd must be a string`);
        cfg.cwd = entry['cwd'];
      }
      if (typeof timeout === 'number') cfg.timeout = timeout;
      out[name] = cfg;
    } else if (typeof entry['url'] === 'string' && entry['url']) {
      const type = entry['type'] ?? entry['transport'];
      if (
        type !== undefined &&
        type !== 'http' &&
        type !== 'streamable-http' &&
        type !== 'streamableHttp' &&
        type !== 'sse'
      ) {
        throw new ConfigError(`${at}.type must be "http" (streamable HTTP) or "sse", not ${JSON.stringify(type)}`);
      }
      const cfg: McpHttpServerConfig = { url: entry['url'] };
      if (type === 'sse') cfg.type = 'sse';
      if (entry['headers'] !== undefined) cfg.headers = stringMap(entry['headers'], `${at}.headers`);
      if (typeof timeout === 'number') cfg.timeout = timeout;
      out[name] = cfg;
    } else {
      throw new ConfigError(`${at} needs "command" (a stdio server) or "url" (an HTTP server)`);
    }
  }
  return out;
}

/** Reads an MCP config file: `{"mcpServers": {…}}` (also accepted: `{"servers": {…}}`). */
export function loadMcpConfigFile(path: string): McpServersConfig {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `${path}: ${code === 'ENOENT' ? 'no such MCP config file' : `cannot be read (${(e as Error).message})`}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError(`${path} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${path} must hold {"mcpServers": {…}}`);
  const obj = value as Record<string, unknown>;
  const servers = obj['mcpServers'] ?? obj['servers'];
  if (servers === undefined) throw new ConfigError(`${path} has no "mcpServers" object`);
  return parseMcpServers(servers, `${path}: mcpServers`);
}

/** The servers from `--mcp-config <file>`, else from `./mcp.json` when it exists, else none. */
export function mcpServersFromFlags(flags: { mcpConfig?: string }, cwd: string = process.cwd()): McpServersConfig {
  if (flags.mcpConfig) return loadMcpConfigFile(resolve(cwd, flags.mcpConfig));
  const local = resolve(cwd, 'mcp.json');
  return existsSync(local) ? loadMcpConfigFile(local) : {};
}

/** Expands `${VAR}` and `${VAR:-default}` from the environment; a missing variable is an error naming it. */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new Error(`environment variable ${name} is not set`);
    },
  );
}

const TOOL_NAME_OK = /^[a-zA-Z0-9_-]{1,64}$/;

/** Makes an MCP tool name acceptable to the model API (letters, digits, "_", "-", at most 64). */
export function safeToolName(name: string): string {
  if (TOOL_NAME_OK.test(name)) return name;
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
  return cleaned || 'tool';
}

/** What one server offers. */
export interface McpServerTool {
  /** The name the server knows it by. */
  name: string;
  description: string;
  inputSchema: JSONSchema;
  /** The server's `readOnlyHint` annotation: only a tool marked read-only runs without approval. */
  readOnly: boolean;
}

interface Connection {
  name: string;
  timeoutMs: number;
  client?: McpClient;
  tools: McpServerTool[];
  error?: ErrorInfo;
}

/** The tools of a set of servers, ready for an Agent, plus the failures to report. */
export interface McpToolset {
  tools: Tool[];
  /** One per server that failed to start. */
  errors: ErrorInfo[];
  /** Server name → the names its tools got (after namespacing); failed servers have an empty list. */
  servers: Record<string, string[]>;
}

/** Settings of a pool. */
export interface McpPoolOptions {
  /** How long a server may take to start and list its tools (default 30 s). */
  startupTimeoutMs?: number;
  /** Default per-call timeout of MCP tools (default 60 s); a server's `timeout` overrides it. */
  callTimeoutMs?: number;
  /** Environment for `${VAR}` expansion and for stdio servers (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Directory stdio servers start in when their config has no `cwd` (default process.cwd()). */
  cwd?: string;
}

/**
 * Owns MCP connections for a session: `connect()` starts servers (each distinct one once) and returns their tools;
 * `close()` shuts them all down. Safe to call `close()` more than once.
 */
export class McpPool {
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly opts: Required<Omit<McpPoolOptions, 'env'>> & { env: NodeJS.ProcessEnv };
  private closed = false;

  constructor(opts: McpPoolOptions = {}) {
    this.opts = {
      startupTimeoutMs: opts.startupTimeoutMs ?? 30_000,
      callTimeoutMs: opts.callTimeoutMs ?? 60_000,
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? process.cwd(),
    };
  }

  /**
   * Starts the servers (concurrently; ones already started by this pool are reused) and returns their tools.
   * Names that clash with `reserved` (e.g. the built-ins) or with another server's tools become `server__tool`.
   */
  async connect(servers: McpServersConfig, reserved: readonly string[] = []): Promise<McpToolset> {
    if (this.closed) throw new Error('the MCP pool is closed');
    const conns = await Promise.all(Object.entries(servers).map(([name, cfg]) => this.connection(name, cfg)));
    const counts = new Map<string, number>();
    for (const c of conns)
      for (const t of c.tools) counts.set(safeToolName(t.name), (counts.get(safeToolName(t.name)) ?? 0) + 1);
    const taken = new Set(reserved);
    const result: McpToolset = { tools: [], errors: [], servers: {} };
    for (const c of conns) {
      result.servers[c.name] = [];
      if (c.error) {
        result.errors.push(c.error);
        continue;
      }
      for (const t of c.tools) {
        const plain = safeToolName(t.name);
        let name = plain;
        if (taken.has(plain) || (counts.get(plain) ?? 0) > 1) name = safeToolName(`${c.name}__${t.name}`);
        if (taken.has(name)) continue; // a server listing the same tool twice
        taken.add(name);
        result.servers[c.name]!.push(name);
        result.tools.push(this.toTool(c, t, name));
      }
    }
    return result;
  }

  /** Shuts every server down (stdio children are terminated). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      all.map(async (p) => {
        const c = await p.catch(() => undefined);
        if (!c?.client) return;
        await withTimeout(c.client.close(), 3000).catch(() => undefined);
      }),
    );
  }

  private connection(name: string, cfg: McpServerConfig): Promise<Connection> {
    const key = `${name}\0${JSON.stringify(cfg)}`;
    let p = this.connections.get(key);
    if (!p) {
      p = this.start(name, cfg);
      this.connections.set(key, p);
    }
    return p;
  }

  private async start(name: string, cfg: McpServerConfig): Promise<Connection> {
    const conn: Connection = { name, timeoutMs: cfg.timeout ?? this.opts.callTimeoutMs, tools: [] };
    let stderrTail = '';
    let client: McpClient | undefined;
    try {
      const [{ Client }, transport] = await Promise.all([
        import('@modelcontextprotocol/sdk/client/index.js'),
        this.transport(cfg, (chunk) => {
          stderrTail = (stderrTail + chunk).slice(-2000);
        }),
      ]);
      client = new Client({ name: 'agentor', version: '0.1.0' });
      await withTimeout(client.connect(transport, { timeout: this.opts.startupTimeoutMs }), this.opts.startupTimeoutMs);
      const tools: McpServerTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.opts.startupTimeoutMs });
        for (const t of page.tools) {
          tools.push({
            name: t.name,
            description: t.description ?? t.title ?? '',
            inputSchema: t.inputSchema ?? { type: 'object', properties: {} },
            readOnly: t.annotations?.readOnlyHint === true,
          });
        }
        cursor = page.nextCursor;
      } while (cursor);
      conn.client = client;
      conn.tools = tools;
      if (this.closed) await client.close().catch(() => undefined);
    } catch (e) {
      await client?.close().catch(() => undefined);
      const tail = stderrTail.trim().split('\n').slice(-3).join(' | ');
      const what = 'command' in cfg ? `"${[cfg.command, ...(cfg.args ?? [])].join(' ')}"` : cfg.url;
      conn.error = {
        message: `MCP server "${name}" failed to start (${what}): ${(e as Error).message}${tail ? ` — stderr: ${tail}` : ''}. Continuing without its tools.`,
        code: 'mcp_server_failed',
        retryable: false,
      };
    }
    return conn;
  }

  private async transport(cfg: McpServerConfig, onStderr: (chunk: string) => void) {
    const env = this.opts.env;
    if ('command' in cfg) {
      const { StdioClientTransport, getDefaultEnvironment } = await import('@modelcontextprotocol/sdk/client/stdio.js');
      const extra: Record<string, string> = {};
      for (const [k, v] of Object.entries(cfg.env ?? {})) extra[k] = expandEnv(v, env);
      const t = new StdioClientTransport({
        command: expandEnv(cfg.command, env),
        args: (cfg.args ?? []).map((a) => expandEnv(a, env)),
        env: { ...getDefaultEnvironment(), ...extra },
        cwd: cfg.cwd ? resolve(this.opts.cwd, expandEnv(cfg.cwd, env)) : this.opts.cwd,
        // Piped, never inherited: a server's logs must not garble the answer or the terminal UI.
        stderr: 'pipe',
      });
      t.stderr?.on('data', (d: Buffer | string) => onStderr(d.toString()));
      return t;
    }
    const url = new URL(expandEnv(cfg.url, env));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(cfg.headers ?? {})) headers[k] = expandEnv(v, env);
    if (cfg.type === 'sse') {
      const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
      return new SSEClientTransport(url, { requestInit: { headers } });
    }
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    return new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  }

  private toTool(conn: Connection, t: McpServerTool, name: string): Tool {
    const description = t.description
      ? `${t.description} (MCP server "${conn.name}")`
      : `Tool "${t.name}" of MCP server "${conn.name}"`;
    return {
      name,
      description,
      parameters: normaliseSchema(t.inputSchema),
      timeoutMs: conn.timeoutMs,
      readOnly: t.readOnly,
      server: conn.name,
      execute: async (args, ctx) => {
        const client = conn.client;
        if (!client) throw new Error(`MCP server "${conn.name}" is not connected`);
        // The runner enforces `timeoutMs` and aborts ctx.signal (the SDK then tells the server the call is cancelled);
        // the SDK's own timeout is only a backstop, so the user sees the runner's "timed out after …".
        const result = await client.callTool({ name: t.name, arguments: args }, undefined, {
          signal: ctx.signal,
          timeout: conn.timeoutMs + 1000,
        });
        const text = formatToolResult(result);
        if (result['isError'] === true) throw new Error(text || `the MCP tool "${t.name}" reported an error`);
        return text;
      },
    };
  }
}

/** Model APIs want an object schema with `properties`; MCP servers sometimes omit it. */
function normaliseSchema(schema: JSONSchema): JSONSchema {
  const s: JSONSchema = { ...schema };
  if (s['type'] === undefined) s['type'] = 'object';
  if (s['type'] === 'object' && s['properties'] === undefined) s['properties'] = {};
  return s;
}

/** The text the model sees for an MCP tool result. */
export function formatToolResult(result: Record<string, unknown>): string {
  if ('toolResult' in result && !('content' in result))
    return typeof result['toolResult'] === 'string' ? result['toolResult'] : JSON.stringify(result['toolResult']);
  const parts: string[] = [];
  const content = Array.isArray(result['content']) ? (result['content'] as Array<Record<string, unknown>>) : [];
  for (const c of content) {
    switch (c['type']) {
      case 'text':
        parts.push(text(c['text']));
        break;
      case 'image':
      case 'audio':
        parts.push(`[${text(c['type'])}: ${text(c['mimeType']) || 'binary'}]`);
        break;
      case 'resource': {
        const r = (c['resource'] ?? {}) as Record<string, unknown>;
        parts.push(typeof r['text'] === 'string' ? r['text'] : `[resource: ${text(r['uri'])}]`);
        break;
      }
      case 'resource_link':
        parts.push(`[resource link: ${text(c['uri'])}${c['name'] ? ` (${text(c['name'])})` : ''}]`);
        break;
      default:
        parts.push(JSON.stringify(c));
    }
  }
  if (parts.length === 0 && result['structuredContent'] !== undefined)
    return JSON.stringify(result['structuredContent']);
  return parts.join('\n');
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Wraps a provider so each run starts by reporting `notices` (e.g. MCP servers that failed to start) as `error`
 * events. A run's first model call is the one whose last message is the user's.
 */
export function withNotices(provider: ModelProvider, notices: readonly ErrorInfo[]): ModelProvider {
  if (notices.length === 0) return provider;
  return {
    id: provider.id,
    ...(provider.isDemo ? { isDemo: true } : {}),
    async *stream(req: ModelRequest): AsyncGenerator<ModelChunk | readonly ModelChunk[]> {
      if (req.messages[req.messages.length - 1]?.role === 'user') {
        for (const error of notices) yield { type: 'notice', error };
      }
      yield* provider.stream(req);
    },
  };
}

/** A field of an MCP content part as text (parts from a misbehaving server may hold anything). */
function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
}
