/**
 * `agentor serve` as a library: one `node:http` server exposing an agent as SSE `/chat`, WebSocket `/ws`, A2A
 * (1.0 and 0.3) and an OpenAI-compatible `/v1`, with `/livez` and `/readyz` probes. `createRequestHandler` gives the
 * handler to mount in your own server; `serve` starts one with the limits a long-running server needs. Every protocol
 * is a small consumer of `agent.streamChat`.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Agent } from '../core/agent.js';
import { REQUEST_ID_HEADER } from '../observability/request-id.js';
import { ServeTelemetry } from '../observability/serve-telemetry.js';
import type { A2AHandler } from './a2a.js';
import { PendingApprovals } from './approvals.js';
import { RunRegistry, type HandlerOptions, type ServerContext } from './context.js';
import { sendHttpError } from './error-shapes.js';
import { checkToken, createGuards, type Guards } from './guards.js';
import { createHealth } from './health.js';
import { DEFAULT_MAX_BODY, HttpError, isLoopback, sendJson } from './http.js';
import {
  checkingIntervalMs,
  checkLimits,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  defaultMaxConnections,
  limitServer,
} from './limits.js';
import { stderrLog } from './public-errors.js';
import { createRouter, requestBase, routeTemplate } from './router.js';
import { memoryStore } from './store.js';
import { createWsHandler, type WsHandler } from './ws.js';

export type { HandlerOptions, ReadinessCheck, TelemetryOptions } from './context.js';
export type { SessionOptions } from './sessions.js';
export type { ServerStore, OpenStoreOptions } from './store.js';
export { openStore, memoryStore } from './store.js';
export { resolveStore, maskUrl, type StoreConfig } from './store-url.js';
export type { ServerLog } from './public-errors.js';
export { parseSize, isLoopback } from './http.js';
export { checkToken, MIN_TOKEN_LENGTH } from './guards.js';
export { defaultMaxConnections, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from './limits.js';

/** A `(req, res)` handler for your own `http.Server`, plus what WebSockets and shutdown need. */
export interface AgentRequestHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Attach to your server's `'upgrade'` event for WebSocket `/ws`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Cancels running runs (they end with `run_end` cancelled) and waits for them, at most `graceMs`. */
  shutdown(graceMs?: number): Promise<void>;
  /** Runs in flight. */
  readonly activeRuns: number;
}

/** Options of `serve()`. */
export interface ServeOptions extends HandlerOptions {
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** Interface to bind (default 127.0.0.1). Anything but loopback requires `token`. */
  host?: string;
  /** How long shutdown waits for running streams to end (default 10 s). */
  shutdownGraceMs?: number;
  /** Time for a request's headers to arrive before it is answered 408 (default 15 s). */
  headersTimeoutMs?: number;
  /** Time for a whole request, body included, to arrive before it is answered 408 (default 60 s). */
  requestTimeoutMs?: number;
  /** Connections served at once; more are answered 503 (default: one per MB of memory, 256–16,384). */
  maxConnections?: number;
}

/** A running server. */
export interface RunningServer {
  /** e.g. `http://127.0.0.1:8000` */
  url: string;
  port: number;
  host: string;
  server: Server;
  /** Graceful stop: refuses new connections, cancels runs (run_end cancelled), waits for them, closes. */
  close(): Promise<void>;
}

/** Responses in flight, so shutdown can let their last frames out before closing sockets. */
class OpenResponses {
  private readonly open = new Set<ServerResponse>();
  private waiter: (() => void) | undefined;

  add(res: ServerResponse): void {
    this.open.add(res);
    res.once('close', () => {
      this.open.delete(res);
      if (this.open.size === 0) this.waiter?.();
    });
  }

  /** Resolves when every response has closed, or at `deadline`. */
  drained(deadline: number): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      timer.unref();
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** The WebSocket upgrade, behind the same checks as HTTP (Host, token — header or `?access_token=` —, origin). */
function upgradeHandler(ctx: ServerContext, guards: Guards, ws: WsHandler): AgentRequestHandler['handleUpgrade'] {
  return (req, socket, head) => {
    socket.on('error', () => {});
    const reject = (e: HttpError): void => {
      const requestId = ctx.telemetry.upgrade(req, e.status, '/ws');
      const body = JSON.stringify({ error: { message: e.message, code: e.code, request_id: requestId } });
      const extra = Object.entries(e.headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.end(
        `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${REQUEST_ID_HEADER}: ${requestId}\r\n${extra}Connection: close\r\n\r\n${body}`,
      );
    };
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      guards.checkHost(req);
      if (url.pathname !== '/ws')
        throw new HttpError(404, `no WebSocket endpoint at ${url.pathname}; use /ws`, 'not_found');
      // Browsers cannot set headers on a WebSocket, so they may pass the token as ?access_token=.
      if (!guards.authorized(req, url.searchParams.get('access_token')))
        throw new HttpError(401, 'missing or wrong bearer token (Authorization: Bearer <token>)', 'unauthorized', {
          'www-authenticate': 'Bearer',
        });
      guards.checkOrigin(req);
      if (ctx.runs.closing) throw new HttpError(503, 'the server is shutting down', 'shutting_down');
    } catch (e) {
      if (e instanceof HttpError) return reject(e);
      throw e;
    }
    ctx.telemetry.upgrade(req, 101, '/ws');
    ws.handleUpgrade(req, socket, head);
  };
}

/** Creates the request handler for an agent. Throws when the token is too short to protect anything. */
export function createRequestHandler(agent: Agent, options: HandlerOptions = {}): AgentRequestHandler {
  checkToken(options.token);
  const store = options.store ?? memoryStore();
  const ctx: ServerContext = {
    agent,
    options,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY,
    store,
    sessions: store.sessions(options.sessions),
    runs: new RunRegistry(),
    log: options.log ?? stderrLog,
    approvals: new PendingApprovals(),
    telemetry: new ServeTelemetry({ tools: () => new Set(agent.tools.map((t) => t.name)), ...options.telemetry }),
  };
  // What another replica asks of the runs held here (a shared store; the memory store never asks).
  store.onRequest((request) => {
    if (request.op === 'cancel-session')
      return ctx.runs.cancelSession(request.sessionId, new Error('cancelled by the client'));
    if (request.op === 'approval') return ctx.approvals.answer(request.runId, request.callId, request.answer);
    return false;
  });
  const guards = createGuards(options);
  const ws = createWsHandler(ctx);
  let a2a: Promise<A2AHandler> | undefined;
  const route = createRouter({
    ctx,
    guards,
    health: createHealth(ctx),
    a2a: (req) =>
      (a2a ??= import('./a2a.js').then((m) => m.createA2AHandler(ctx, options.publicUrl ?? requestBase(req)))),
  });
  const responses = new OpenResponses();

  const handler = ((req: IncomingMessage, res: ServerResponse): void => {
    responses.add(res);
    ctx.telemetry.begin(req, res, routeTemplate);
    res.on('error', () => {}); // a client that vanished mid-write is handled by 'close'
    route(req, res).catch((e: unknown) => {
      if (e instanceof HttpError) return sendHttpError(req, res, e);
      // A bug must never take the server down; the message is logged, never a request body or header.
      ctx.log(
        `internal error on ${req.method} ${(req.url ?? '').split('?')[0]}: ${(e as Error)?.message ?? String(e)}`,
      );
      if (!res.headersSent)
        return sendJson(res, 500, {
          error: { message: 'internal server error', code: 'internal_error', request_id: ctx.telemetry.requestId(req) },
        });
      res.destroy();
    });
  }) as AgentRequestHandler;

  handler.handleUpgrade = upgradeHandler(ctx, guards, ws);
  handler.shutdown = async (graceMs = 10_000) => {
    const deadline = Date.now() + graceMs;
    ctx.runs.abortAll(new Error('the server is shutting down'));
    await ctx.runs.waitIdle(graceMs);
    // Let the final frames (run_end) reach the clients before sockets are closed.
    await responses.drained(deadline);
    ws.closeAll();
  };
  Object.defineProperty(handler, 'activeRuns', { get: () => ctx.runs.size });
  return handler;
}

/** Starts a server for the agent; resolves once it listens. Non-loopback hosts require a token. */
export async function serve(agent: Agent, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token) {
    throw new Error(`binding ${host} exposes the agent beyond this machine; set a token (--token or AGENTOR_TOKEN)`);
  }
  const limits = {
    headersTimeoutMs: options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxConnections: options.maxConnections ?? defaultMaxConnections(),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY,
  };
  checkLimits(limits);
  // The address the server binds is a name its clients may use too (e.g. --host 127.0.0.2).
  const bound = host === '0.0.0.0' || host === '::' ? [] : [host];
  const handler = createRequestHandler(agent, {
    ...options,
    allowedHosts: [...bound, ...(options.allowedHosts ?? [])],
  });
  const server = createServer({ keepAliveTimeout: 5_000, connectionsCheckingInterval: checkingIntervalMs(limits) });
  limitServer(server, limits, {
    request: handler,
    upgrade: (req, socket, head) => handler.handleUpgrade(req, socket, head),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    host,
    server,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await handler.shutdown(options.shutdownGraceMs ?? 10_000);
        server.closeAllConnections();
        await closed;
      })()),
  };
}
