/**
 * The MCP bridge: servers declared in the common `mcpServers` JSON format become Tools the agent loop runs like
 * built-ins. One McpPool owns the connections of a chat session or a server process: it connects each distinct server
 * once (several agents may share it), supervises them (a crashed server is restarted with backoff, see
 * mcp-connection.ts), reports their state (`health()`, `notices`), and `close()` stops every one of them.
 *
 * A server that fails to start never fails the run: its failure is reported as an `error` event at the start of each
 * run (the toolset's `notices`, given to the Agent), and it is retried in the background; once it is up, `latest()`
 * gives the toolset with its tools, so an agent that reads its tools per turn offers them from the next turn. The SDK is imported lazily, so commands that never touch MCP
 * (`agentor agents`, `--version`) do not pay for it.
 */
import type { ErrorInfo } from '../events.js';
import type { McpConnection, McpServerHealth, McpServerTool } from './mcp-connection.js';
import type { McpServerConfig, McpServersConfig } from './mcp-config.js';
import type { Tool } from './tool.js';

export { envReferences, expandEnv, loadMcpConfigFile, parseMcpServers } from './mcp-config.js';
export type {
  McpEnvReference,
  McpHttpServerConfig,
  McpServerConfig,
  McpServersConfig,
  McpStdioServerConfig,
} from './mcp-config.js';
export { meaningfulStderr } from './mcp-stderr.js';
export type { McpServerHealth, McpServerTool } from './mcp-connection.js';

const TOOL_NAME_OK = /^[a-zA-Z0-9_-]{1,64}$/;

/** Makes an MCP tool name acceptable to the model API (letters, digits, "_", "-", at most 64). */
export function safeToolName(name: string): string {
  if (TOOL_NAME_OK.test(name)) return name;
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
  return cleaned || 'tool';
}

/** The tools of a set of servers, ready for an Agent, plus the failures to report. */
export interface McpToolset {
  tools: Tool[];
  /** One per server that failed to start. */
  errors: ErrorInfo[];
  /** Server name → the names its tools got (after namespacing); failed servers have an empty list. */
  servers: Record<string, string[]>;
  /**
   * What these servers' problems are right now (failed to start, down and restarting): the Agent's `notices` option,
   * so each run reports them as `error` events.
   */
  notices: () => readonly ErrorInfo[];
  /**
   * The toolset as it is now: servers that failed to start and have come up since add their tools (a name that is
   * taken becomes `server__tool`; names already given never change) and leave `errors`. The same object while nothing
   * changed, so callers can compare by identity.
   */
  latest: () => McpToolset;
}

/** Settings of a pool. */
export interface McpPoolOptions {
  /** How long a server may take to start and list its tools (default 30 s; a server's `startupTimeout` overrides it). */
  startupTimeoutMs?: number;
  /** Default per-call timeout of MCP tools (default 60 s); a server's `timeout` overrides it. */
  callTimeoutMs?: number;
  /** Environment for `${VAR}` expansion (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Directory stdio servers start in when their config has no `cwd` (default process.cwd()). */
  cwd?: string;
  /** Told when a server goes down, fails a restart, or is back (e.g. to log it); runs see it through `notices`. */
  onNotice?: (notice: ErrorInfo) => void;
}

/** Options of one `connect()`. */
export interface McpConnectOptions {
  /** Names that stay as they are (e.g. the built-ins): MCP tools that clash with them become `server__tool`. */
  reserved?: readonly string[];
  /** Cancels start-up: servers still starting are stopped and reported as not started. */
  signal?: AbortSignal;
}

/**
 * Owns MCP connections for a session: `connect()` starts servers (each distinct one once) and returns their tools;
 * `close()` stops them all. Safe to call `close()` more than once.
 */
export class McpPool {
  private readonly connections = new Map<string, { conn: McpConnection; started: Promise<void> }>();
  private readonly opts: Required<Omit<McpPoolOptions, 'env' | 'onNotice'>> &
    Pick<McpPoolOptions, 'onNotice'> & { env: NodeJS.ProcessEnv };
  private closed = false;

  constructor(opts: McpPoolOptions = {}) {
    this.opts = {
      startupTimeoutMs: opts.startupTimeoutMs ?? 30_000,
      callTimeoutMs: opts.callTimeoutMs ?? 60_000,
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? process.cwd(),
      ...(opts.onNotice ? { onNotice: opts.onNotice } : {}),
    };
  }

  /**
   * Starts the servers (concurrently; ones already started by this pool are reused) and returns their tools.
   * Names that clash with `reserved` (e.g. the built-ins) or with another server's tools become `server__tool`.
   */
  async connect(servers: McpServersConfig, { reserved = [], signal }: McpConnectOptions = {}): Promise<McpToolset> {
    if (this.closed) throw new Error('the MCP pool is closed');
    const conns = await Promise.all(
      Object.entries(servers).map(async ([name, cfg]) => {
        const entry = await this.connection(name, cfg, signal);
        await entry.started;
        return entry.conn;
      }),
    );
    return toolsetOf(conns, reserved);
  }

  /** Every server of the pool: connected or not, and why not (for readiness checks). */
  health(): McpServerHealth[] {
    return [...this.connections.values()].map((e) => e.conn.health());
  }

  /**
   * Stops every server and any restart in progress. A stdio server gets 100 ms to exit once its input ends, then
   * SIGTERM; with `now` (the user interrupted) SIGTERM comes at once.
   */
  async close(opts: { now?: boolean } = {}): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((e) => e.conn.close(opts)));
  }

  private async connection(
    name: string,
    cfg: McpServerConfig,
    signal: AbortSignal | undefined,
  ): Promise<{ conn: McpConnection; started: Promise<void> }> {
    const key = `${name}\0${JSON.stringify(cfg)}`;
    let entry = this.connections.get(key);
    if (!entry) {
      const { McpConnection } = await import('./mcp-connection.js');
      entry = this.connections.get(key);
      if (!entry) {
        if (this.closed) throw new Error('the MCP pool is closed');
        const conn = new McpConnection(name, cfg, this.opts);
        entry = { conn, started: conn.start(signal) };
        this.connections.set(key, entry);
      }
    }
    return entry;
  }
}

/** The toolset of connected servers, growing (through `latest()`) as servers that failed to start come up. */
function toolsetOf(conns: readonly McpConnection[], reserved: readonly string[]): McpToolset {
  const taken = new Set(reserved);
  const joined = new Set<McpConnection>();
  const notices = (): readonly ErrorInfo[] => conns.flatMap((c) => c.notice() ?? []);
  const add = (set: McpToolset, c: McpConnection, clashes: (plain: string) => boolean): void => {
    joined.add(c);
    const names: string[] = [];
    for (const t of c.tools) {
      const plain = safeToolName(t.name);
      const name = clashes(plain) ? safeToolName(`${c.name}__${t.name}`) : plain;
      if (taken.has(name)) continue; // a server listing the same tool twice
      taken.add(name);
      names.push(name);
      set.tools.push(toTool(c, t, name));
    }
    set.servers[c.name] = names;
  };
  const make = (tools: Tool[], servers: Record<string, string[]>): McpToolset => ({
    tools,
    errors: conns.flatMap((c) => c.startError ?? []),
    servers,
    notices,
    latest,
  });

  // At connect time a name offered by several servers is qualified for all of them.
  const counts = new Map<string, number>();
  for (const c of conns)
    for (const t of c.tools) counts.set(safeToolName(t.name), (counts.get(safeToolName(t.name)) ?? 0) + 1);
  let current = make([], Object.fromEntries(conns.map((c) => [c.name, []])));
  for (const c of conns)
    if (!c.startError) add(current, c, (plain) => taken.has(plain) || (counts.get(plain) ?? 0) > 1);

  function latest(): McpToolset {
    const late = conns.filter((c) => !joined.has(c) && !c.startError);
    if (late.length === 0) return current;
    const next = make([...current.tools], { ...current.servers });
    for (const c of late) add(next, c, (plain) => taken.has(plain));
    current = next;
    return current;
  }
  return current;
}

function toTool(conn: McpConnection, t: McpServerTool, name: string): Tool {
  const description = t.description
    ? `${t.description} (MCP server "${conn.name}")`
    : `Tool "${t.name}" of MCP server "${conn.name}"`;
  return {
    name,
    description,
    parameters: normaliseSchema(t.inputSchema),
    timeoutMs: conn.callTimeoutMs,
    readOnly: t.readOnly,
    server: conn.name,
    execute: async (args, ctx) => {
      const result = await conn.call(t.name, args, ctx.signal, ctx.headers);
      const text = formatToolResult(result);
      if (result['isError'] === true) throw new Error(text || `the MCP tool "${t.name}" reported an error`);
      return text;
    },
  };
}

/** Model APIs want an object schema with `properties`; MCP servers sometimes omit it. */
function normaliseSchema(schema: McpServerTool['inputSchema']): McpServerTool['inputSchema'] {
  const s = { ...schema };
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

/** A field of an MCP content part as text (parts from a misbehaving server may hold anything). */
function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
}
