/**
 * One MCP server, supervised. It starts once, within its start-up deadline and cancellable; then it is kept up: a stdio
 * server that exits, or an HTTP server whose connection breaks (a response stream cut mid-call, a refused connection),
 * is marked down at once, the calls in flight and every call until it is back fail with the reason, the change is
 * announced, and it is restarted with backoff (0.5 s doubling to 30 s) until it is back or the pool closes. A server that
 * fails its first start is retried the same way (an HTTP service may come up after agentor does), quietly: its failure
 * is reported once, and when it comes up it says so and its tools join the toolset (see McpPool.connect).
 *
 * Loaded lazily by the pool (mcp.ts): this module pulls in the MCP SDK.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { resolve } from 'node:path';
import type { ErrorInfo } from '../events.js';
import { expandEnv, type McpServerConfig } from './mcp-config.js';
import { StdioTransport } from './mcp-stdio.js';
import type { JSONSchema } from './tool.js';

/** What one server offers. */
export interface McpServerTool {
  /** The name the server knows it by. */
  name: string;
  description: string;
  inputSchema: JSONSchema;
  /** The server's `readOnlyHint` annotation: only a tool marked read-only runs without approval. */
  readOnly: boolean;
}

/** A server's state as health checks see it. */
export interface McpServerHealth {
  name: string;
  connected: boolean;
  /** Why it is not connected (starting, failed to start, down and restarting, closed). */
  error?: string;
}

/** Settings of one connection (the pool's, plus where `${VAR}` and relative paths resolve). */
export interface ConnectionOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  startupTimeoutMs: number;
  callTimeoutMs: number;
  /** Told when the server goes down, fails a restart, or is back. */
  onNotice?: (notice: ErrorInfo) => void;
}

type Phase = 'starting' | 'up' | 'failed' | 'down' | 'closed';

/** Restart delays: quick for a one-off crash, patient with one that keeps failing. */
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 16_000, 30_000];
/** Up this long, a server that exits again starts over from the shortest delay. */
const STABLE_MS = 60_000;

// Environment a stdio server inherits besides its own `env` (as the MCP SDK does, after sudo): never the API keys.
const INHERITED_ENV =
  process.platform === 'win32'
    ? [
        'APPDATA',
        'HOMEDRIVE',
        'HOMEPATH',
        'LOCALAPPDATA',
        'PATH',
        'PROCESSOR_ARCHITECTURE',
        'SYSTEMDRIVE',
        'SYSTEMROOT',
      ].concat(['TEMP', 'USERNAME', 'USERPROFILE', 'PROGRAMFILES'])
    : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];

const seconds = (ms: number): string => `${+(ms / 1000).toFixed(1)} s`;

/** An open session with the server. */
interface Session {
  client: Client;
  transport: Transport;
}

/** One server of a pool; see the module comment. */
export class McpConnection {
  readonly name: string;
  readonly callTimeoutMs: number;
  /** The tools it listed when it first came up (a restart keeps the agent's tool list as it was). */
  tools: McpServerTool[] = [];
  /** Set while it has never come up: what to report at the start of each run (the same object until it is up). */
  startError: ErrorInfo | undefined;
  /** Why its latest start attempt failed (while it has never come up). */
  private startFailure = '';
  private phase: Phase = 'starting';
  private session: Session | undefined;
  /** While down: what happened, as announced; the current state for calls, health and runs. */
  private downNotice: ErrorInfo | undefined;
  private downReason = '';
  private attempt = 0;
  private upSince = 0;
  private retryAt = 0;
  private retryDelay = 0;
  /** A server that failed its first start is being retried. */
  private retrying = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly stopped = new AbortController();
  private closing: Promise<void> | undefined;
  /** A start or restart in progress (close() waits for it, so no process outlives the pool). */
  private opening: Promise<unknown> | undefined;
  /** Abandoned start-ups still being stopped (close() waits for them too). */
  private readonly abandoned = new Set<Promise<void>>();

  constructor(
    name: string,
    private readonly cfg: McpServerConfig,
    private readonly opts: ConnectionOptions,
  ) {
    this.name = name;
    this.callTimeoutMs = cfg.timeout ?? opts.callTimeoutMs;
  }

  /** What the server is, for messages: its command line, quoted, or its URL. */
  private get what(): string {
    return 'command' in this.cfg ? `"${[this.cfg.command, ...(this.cfg.args ?? [])].join(' ')}"` : this.cfg.url;
  }

  /**
   * First start. Never throws: a failure is kept in `startError` (the run goes on without the server's tools) and the
   * server is retried in the background, unless `signal` cancelled the start or its configuration cannot work.
   */
  async start(signal?: AbortSignal): Promise<void> {
    try {
      const { session, tools } = await this.open(signal);
      if (this.phase === 'closed') return; // open() stops it
      this.tools = tools;
      this.adopt(session);
    } catch (e) {
      if (this.phase === 'closed') return;
      this.phase = 'failed';
      this.startFailure = (e as Error).message;
      const retry = !signal?.aborted && !(e instanceof ConfigurationError);
      this.startError = {
        message:
          `MCP server "${this.name}" failed to start (${this.what}): ${this.startFailure}. Continuing without its tools` +
          (retry ? '; retrying it in the background.' : '.'),
        code: 'mcp_server_failed',
        retryable: false,
      };
      if (retry) {
        this.retrying = true;
        this.scheduleRestart();
      }
    }
  }

  /**
   * Calls a tool; fails at once with the reason while the server is down. `headers` is the run's trace context
   * (`traceparent`, `tracestate`): it goes in the call's `_meta` (where MCP carries it on any transport) and, over
   * HTTP, as the request's own headers.
   */
  async call(
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    headers?: Readonly<Record<string, string>>,
  ): Promise<Record<string, unknown>> {
    const session = this.session;
    if (this.phase !== 'up' || !session) throw new Error(this.unavailable());
    const meta = traceMeta(headers);
    try {
      // The runner enforces the call's timeout and aborts `signal` (the SDK then tells the server the call is
      // cancelled); the SDK's own timeout is only a backstop, so the user sees the runner's "timed out after …".
      return await session.client.callTool(
        { name: tool, arguments: args, ...(meta ? { _meta: meta } : {}) },
        undefined,
        {
          signal,
          timeout: this.callTimeoutMs + 1000,
        },
      );
    } catch (e) {
      if (signal.aborted) throw e;
      if (this.session === session && isConnectionFailure(e)) this.lost(session, describeNetworkError(e));
      if (this.session !== session)
        throw new Error(`MCP server "${this.name}" stopped during the call (${this.downReason}); restarting it`, {
          cause: e,
        });
      throw e;
    }
  }

  /** Connected or not, and why not. */
  health(): McpServerHealth {
    if (this.phase === 'up') return { name: this.name, connected: true };
    const error =
      this.phase === 'starting'
        ? 'starting'
        : this.phase === 'closed'
          ? 'closed'
          : this.phase === 'failed'
            ? `failed to start (${this.what}): ${this.startFailure}; ${this.startRetry()}`
            : this.unavailable();
    return { name: this.name, connected: false, error };
  }

  /** What a run should report about this server now (failed to start, or down), if anything. */
  notice(): ErrorInfo | undefined {
    return this.phase === 'failed' ? this.startError : this.phase === 'down' ? this.downNotice : undefined;
  }

  /**
   * Stops the server (and any restart in progress); `now` skips the grace a stdio server gets to exit on its own (the
   * user interrupted). Idempotent.
   */
  close(opts: { now?: boolean } = {}): Promise<void> {
    if (this.closing) return this.closing;
    this.phase = 'closed';
    clearTimeout(this.retry);
    this.stopped.abort(new Error('the MCP pool was closed'));
    const session = this.session;
    this.session = undefined;
    this.closing = (async () => {
      await Promise.all([session && closeSession(session, opts.now === true), this.opening]);
      await Promise.all(this.abandoned);
    })().catch(() => undefined);
    return this.closing;
  }

  private unavailable(): string {
    if (this.phase === 'failed') return `MCP server "${this.name}" is not available: it failed to start`;
    if (this.phase === 'closed') return `MCP server "${this.name}" is not available: it was shut down`;
    const next = this.retryAt > Date.now() ? `; ${this.nextTry()}` : ' now';
    return `MCP server "${this.name}" is down (${this.downReason}); restarting it${next}. Its tools fail until it is back`;
  }

  /** Whether a server that never came up is tried again, and when. */
  private startRetry(): string {
    if (!this.retrying) return 'not retried';
    return this.retry ? `retrying it, ${this.nextTry()}` : 'trying again now';
  }

  /**
   * When the pending restart happens, said the same way in the log line that announces it and in health checks read
   * later: the delay it was scheduled with and the moment it is due (a countdown would disagree with the log).
   */
  private nextTry(): string {
    return `next try at ${new Date(this.retryAt).toISOString()} (after ${seconds(this.retryDelay)})`;
  }

  private adopt(session: Session): void {
    this.session = session;
    this.phase = 'up';
    this.upSince = Date.now();
    session.client.onclose = () => {
      const t = session.transport;
      this.lost(session, t instanceof StdioTransport ? t.describeExit({ errorsOnly: true }) : 'the connection closed');
    };
  }

  /** The server went away: fail what is in flight, announce it, restart it after a delay. */
  private lost(session: Session, reason: string): void {
    if (this.session !== session || this.phase !== 'up') return;
    this.session = undefined;
    this.phase = 'down';
    this.downReason = reason;
    // Closing the client rejects its calls in flight at once (an HTTP stream cut mid-call would otherwise wait for the
    // call's timeout) and stops whatever is left of the process.
    void session.client.close().catch(() => undefined);
    if (Date.now() - this.upSince > STABLE_MS) this.attempt = 0;
    this.scheduleRestart();
    this.announce(
      `MCP server "${this.name}" stopped (${this.what}): ${reason}. Restarting it, ${this.nextTry()}; its tools fail until it is back.`,
      'mcp_server_down',
    );
  }

  private scheduleRestart(): void {
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] as number;
    this.attempt++;
    this.retryDelay = delay;
    this.retryAt = Date.now() + delay;
    // Unref'd: a pending restart never keeps a finished command alive.
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void (this.phase === 'failed' ? this.retryStart() : this.restart());
    }, delay).unref();
  }

  /** Another try at a server that has never come up: silent until it works (its failure was reported once). */
  private async retryStart(): Promise<void> {
    try {
      const { session, tools } = await this.open();
      if (this.phase !== 'failed') return; // closed meanwhile: open() stops it
      this.tools = tools;
      const failure = this.startFailure;
      this.startError = undefined;
      this.startFailure = '';
      this.attempt = 0;
      this.adopt(session);
      this.opts.onNotice?.({
        message: `MCP server "${this.name}" is up (it had failed to start: ${failure}); its tools are offered from the next turn.`,
        code: 'mcp_server_started',
        retryable: false,
      });
    } catch (e) {
      if (this.phase !== 'failed') return;
      this.startFailure = (e as Error).message;
      this.scheduleRestart();
    }
  }

  private async restart(): Promise<void> {
    if (this.phase !== 'down') return;
    try {
      const { session } = await this.open();
      if (this.phase !== 'down') return; // closed meanwhile: open() stops it
      this.adopt(session);
      this.downNotice = undefined;
      this.opts.onNotice?.({
        message: `MCP server "${this.name}" is back (restarted after: ${this.downReason}).`,
        code: 'mcp_server_restarted',
        retryable: false,
      });
    } catch (e) {
      if (this.phase !== 'down') return;
      this.scheduleRestart();
      this.announce(
        `MCP server "${this.name}" is down (${this.downReason}); restart attempt ${this.attempt - 1} failed: ` +
          `${(e as Error).message}; ${this.nextTry()}.`,
        'mcp_server_down',
      );
    }
  }

  private announce(message: string, code: string): void {
    this.downNotice = { message, code, retryable: true };
    this.opts.onNotice?.(this.downNotice);
  }

  /**
   * Starts a session and lists the tools, within the start-up deadline; `signal` cancels it (the process is stopped).
   * A session that comes up after close() is stopped here, and close() waits for that.
   */
  private open(signal?: AbortSignal): Promise<{ session: Session; tools: McpServerTool[] }> {
    const opening = this.connectAndList(signal);
    this.opening = opening.then(
      ({ session }) => (this.phase === 'closed' ? closeSession(session, true) : undefined),
      () => undefined,
    );
    return opening;
  }

  private async connectAndList(signal?: AbortSignal): Promise<{ session: Session; tools: McpServerTool[] }> {
    const limitMs = this.cfg.startupTimeout ?? this.opts.startupTimeoutMs;
    const deadline = AbortSignal.timeout(limitMs);
    const abort = AbortSignal.any([this.stopped.signal, deadline, ...(signal ? [signal] : [])]);
    if (signal?.aborted) throw new Error('start-up was interrupted');
    abort.throwIfAborted();
    let session: Session | undefined;
    const why = (e: unknown): Error => {
      if (deadline.aborted) return new Error(`no answer within ${seconds(limitMs)} (start-up timeout)`);
      if (signal?.aborted || this.stopped.signal.aborted) return new Error('start-up was interrupted');
      const t = session?.transport;
      if (t instanceof StdioTransport)
        return new Error(t.exit ? t.describeExit() : `${(e as Error).message}${t.stderrSuffix()}`);
      return new Error(describeNetworkError(e));
    };
    let transport: Transport;
    try {
      transport = this.transport();
    } catch (e) {
      throw new ConfigurationError((e as Error).message);
    }
    try {
      session = { client: new Client({ name: 'agentor', version: '0.1.0' }), transport };
      const options = { signal: abort, timeout: limitMs };
      await session.client.connect(session.transport, options);
      const tools: McpServerTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await session.client.listTools(cursor ? { cursor } : undefined, options);
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
      return { session, tools };
    } catch (e) {
      const error = why(e);
      if (session && abort.aborted) {
        // Abandoned (interrupted, timed out): stopped at once and in the background, so an interrupted chat ends its
        // run meanwhile; close() waits for it, so no process outlives the pool.
        const stopping = closeSession(session, true);
        this.abandoned.add(stopping);
        void stopping.then(() => this.abandoned.delete(stopping));
      } else if (session) {
        await closeSession(session, false);
      }
      throw error;
    }
  }

  private transport(): Transport {
    const env = this.opts.env;
    const cfg = this.cfg;
    if ('command' in cfg) {
      const inherited: Record<string, string> = {};
      for (const k of INHERITED_ENV) {
        const v = process.env[k];
        if (v !== undefined && !v.startsWith('()')) inherited[k] = v;
      }
      const extra: Record<string, string> = {};
      for (const [k, v] of Object.entries(cfg.env ?? {})) extra[k] = expandEnv(v, env);
      return new StdioTransport({
        command: expandEnv(cfg.command, env),
        args: (cfg.args ?? []).map((a) => expandEnv(a, env)),
        env: { ...inherited, ...extra },
        cwd: cfg.cwd ? resolve(this.opts.cwd, expandEnv(cfg.cwd, env)) : this.opts.cwd,
      });
    }
    const url = new URL(expandEnv(cfg.url, env));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(cfg.headers ?? {})) headers[k] = expandEnv(v, env);
    const fetch = watchStreams((error) => {
      const s = this.session;
      if (s && s.transport === transport) this.lost(s, `the connection broke (${describeNetworkError(error)})`);
    });
    const transport: Transport =
      cfg.type === 'sse'
        ? new SSEClientTransport(url, { requestInit: { headers }, fetch })
        : new StreamableHTTPClientTransport(url, { requestInit: { headers }, fetch });
    return transport;
  }
}

/** A server whose configuration cannot work (a missing variable, a bad URL): trying again would not help. */
class ConfigurationError extends Error {}

/** Ends a session; `now` stops a stdio server without waiting for it to exit on its own. */
async function closeSession(session: Session, now: boolean): Promise<void> {
  if (now && session.transport instanceof StdioTransport) await session.transport.close({ now });
  await session.client.close().catch(() => undefined);
}

const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;
const TRACE_KEYS = ['traceparent', 'tracestate'] as const;

/** The W3C trace context among `headers`, for a call's `_meta`; undefined without a valid `traceparent`. */
function traceMeta(headers: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  const parent = headers?.['traceparent'];
  if (!parent || !TRACEPARENT.test(parent)) return undefined;
  const state = headers['tracestate'];
  return { traceparent: parent, ...(state ? { tracestate: state } : {}) };
}

/**
 * The trace context a JSON-RPC request body carries in `params._meta` (see `McpConnection.call`), as HTTP headers: an
 * MCP server behind an HTTP gateway or instrumented by OpenTelemetry's HTTP instrumentation joins the run's trace.
 */
function withTraceHeaders(init: RequestInit | undefined): RequestInit | undefined {
  const body = init?.body;
  if (typeof body !== 'string' || !body.includes('"traceparent"')) return init;
  let meta: unknown;
  try {
    meta = (JSON.parse(body) as { params?: { _meta?: unknown } }).params?._meta;
  } catch {
    return init;
  }
  if (typeof meta !== 'object' || meta === null) return init;
  const headers = new Headers(init?.headers);
  for (const key of TRACE_KEYS) {
    const value = (meta as Record<string, unknown>)[key];
    if (typeof value === 'string' && (key !== 'traceparent' || TRACEPARENT.test(value))) headers.set(key, value);
  }
  return { ...init, headers };
}

/**
 * A fetch that reports a server-sent event stream breaking mid-way (the server died, the connection was reset): the
 * SDK would otherwise leave the call waiting for a response that cannot come until its timeout.
 */
function watchStreams(onBroken: (error: unknown) => void): FetchLike {
  return async (url, requested) => {
    const init = withTraceHeaders(requested);
    const res = await fetch(url, init);
    if (!res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) return res;
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (e) {
          // Our own abort (closing the transport) is not a broken connection.
          if (!init?.signal?.aborted) onBroken(e);
          controller.error(e);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** undici's "terminated" / "fetch failed" with the socket error that caused it. */
function describeNetworkError(error: unknown): string {
  const e = error as Partial<Error> & { cause?: { code?: string; message?: string } };
  const message = e.message ?? String(error);
  const cause = e.cause?.message ?? e.cause?.code;
  return cause && !message.includes(cause) ? `${message}: ${cause}` : message;
}

/** A failure of the connection (it closed, the server is unreachable), as opposed to an error the server answered. */
function isConnectionFailure(error: unknown): boolean {
  if (error instanceof McpError) return error.code === Number(ErrorCode.ConnectionClosed);
  const status = (error as { code?: unknown }).code;
  // Streamable HTTP status errors: 404 is an expired session (a restarted server), 5xx a server in trouble.
  if (typeof status === 'number') return status === 404 || status >= 500;
  return true;
}
