/**
 * `agentor serve` as a library: one `node:http` server exposing an agent as SSE `/chat`, WebSocket `/ws`, A2A
 * (1.0 and 0.3) and an OpenAI-compatible `/v1`. `createRequestHandler` gives the handler to mount in your own server;
 * `serve` starts one. Every protocol is a small consumer of `agent.streamChat`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Agent } from '../core/agent.js';
import type { A2AHandler } from './a2a.js';
import {
  A2A_JSONRPC_PATH,
  A2A_REST_PATH,
  AGENT_CARD_PATHS,
  RunRegistry,
  type HandlerOptions,
  type ServerContext,
} from './context.js';
import { applyCors, authorized, DEFAULT_MAX_BODY, HttpError, isLoopback, readBody, sendError } from './http.js';
import { handleChatCompletions, handleModels, openAIError } from './openai-compat.js';
import { SessionStore } from './sessions.js';
import { handleChat } from './sse.js';
import { createWsHandler } from './ws.js';

export type { HandlerOptions } from './context.js';
export type { SessionOptions } from './sessions.js';
export { parseSize, isLoopback } from './http.js';

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

const CARD_PATHS = new Set(AGENT_CARD_PATHS);
const HOST_RE = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The base URL a client used to reach us: from Host (never 0.0.0.0), else the socket's local address. */
function requestBase(req: IncomingMessage): string {
  const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const host = req.headers.host;
  if (host && HOST_RE.test(host)) {
    return `${scheme}://${host.replace(/^0\.0\.0\.0(?=:|$)/, '127.0.0.1').replace(/^\[::\](?=:|$)/, '[::1]')}`;
  }
  const addr = req.socket.localAddress ?? '127.0.0.1';
  const local = addr === '0.0.0.0' || addr === '::' ? '127.0.0.1' : addr.replace(/^::ffff:/, '');
  return `${scheme}://${local.includes(':') ? `[${local}]` : local}:${req.socket.localPort ?? 80}`;
}

/** A browser page from another origin may not drive the agent unless --cors allows that origin. */
function originAllowed(req: IncomingMessage, cors: string | undefined): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  if (cors === '*' || origin === cors) return true;
  try {
    return new URL(origin).host === req.headers.host; // same origin
  } catch {
    return false;
  }
}

/** Creates the request handler for an agent. */
export function createRequestHandler(agent: Agent, options: HandlerOptions = {}): AgentRequestHandler {
  const ctx: ServerContext = {
    agent,
    options,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY,
    sessions: new SessionStore(options.sessions),
    runs: new RunRegistry(),
  };
  const ws = createWsHandler(ctx);
  const pending = new Set<ServerResponse>();
  let pendingWaiter: (() => void) | undefined;
  let a2a: Promise<A2AHandler> | undefined;
  const loadA2A = (req: IncomingMessage): Promise<A2AHandler> =>
    (a2a ??= import('./a2a.js').then((m) => m.createA2AHandler(ctx, options.publicUrl ?? requestBase(req))));

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (applyCors(req, res, options.cors)) return;

    if (path === '/health') {
      if (method !== 'GET' && method !== 'HEAD')
        throw new HttpError(405, 'use GET /health', 'method_not_allowed', { allow: 'GET, HEAD' });
      return sendJsonOk(res);
    }
    if (CARD_PATHS.has(path)) {
      if (method !== 'GET' && method !== 'HEAD')
        throw new HttpError(405, `use GET ${path}`, 'method_not_allowed', { allow: 'GET, HEAD' });
      return (await loadA2A(req)).handle(req, res, requestBase(req), undefined);
    }
    if (!authorized(req, options.token)) {
      throw new HttpError(
        401,
        'missing or wrong bearer token: send Authorization: Bearer <token> (the token given to agentor serve --token / AGENTOR_TOKEN)',
        'unauthorized',
        {
          'www-authenticate': 'Bearer',
        },
      );
    }
    if (!originAllowed(req, options.cors)) {
      throw new HttpError(
        403,
        `requests from origin ${req.headers.origin} are not allowed; start the server with --cors <origin> to allow it`,
        'origin_not_allowed',
      );
    }
    if (ctx.runs.closing && method === 'POST')
      throw new HttpError(503, 'the server is shutting down', 'shutting_down', { connection: 'close' });

    if (path === '/chat') {
      if (method !== 'POST')
        throw new HttpError(405, 'use POST /chat with {"input": "…"}', 'method_not_allowed', { allow: 'POST' });
      return handleChat(ctx, req, res);
    }
    if (path === '/v1/models') {
      if (method !== 'GET') throw new HttpError(405, 'use GET /v1/models', 'method_not_allowed', { allow: 'GET' });
      return handleModels(ctx, res);
    }
    if (path === '/v1/chat/completions') {
      if (method !== 'POST')
        throw new HttpError(405, 'use POST /v1/chat/completions', 'method_not_allowed', { allow: 'POST' });
      return handleChatCompletions(ctx, req, res);
    }
    if (
      path === A2A_JSONRPC_PATH ||
      path === A2A_REST_PATH ||
      path.startsWith(`${A2A_REST_PATH}/`) ||
      path.startsWith(`${A2A_JSONRPC_PATH}/`)
    ) {
      const body =
        method === 'POST' || method === 'PUT' || method === 'PATCH' ? await readBody(req, ctx.maxBodyBytes) : undefined;
      return (await loadA2A(req)).handle(req, res, requestBase(req), body);
    }
    if (path === '/ws')
      throw new HttpError(426, 'connect with a WebSocket client to /ws', 'upgrade_required', { upgrade: 'websocket' });
    throw new HttpError(
      404,
      `no route for ${method} ${path} (try POST /chat, GET /ws, POST /v1/chat/completions, GET /.well-known/agent-card.json)`,
      'not_found',
    );
  };

  const handler = ((req: IncomingMessage, res: ServerResponse): void => {
    pending.add(res);
    res.once('close', () => {
      pending.delete(res);
      if (pending.size === 0) pendingWaiter?.();
    });
    res.on('error', () => {}); // a client that vanished mid-write is handled by 'close'
    route(req, res).catch((e: unknown) => {
      const isOpenAI = (req.url ?? '').startsWith('/v1/');
      if (e instanceof HttpError) {
        for (const [k, v] of Object.entries(e.headers)) if (!res.headersSent) res.setHeader(k, v);
        if (isOpenAI)
          return openAIError(
            res,
            e.status,
            e.message,
            e.status >= 500 ? 'server_error' : 'invalid_request_error',
            e.code,
          );
        return sendError(res, e.status, e.message, e.code);
      }
      // A bug must never take the server down; the message is logged, never a request body or header.
      process.stderr.write(
        `agentor serve: internal error on ${req.method} ${(req.url ?? '').split('?')[0]}: ${(e as Error)?.message ?? String(e)}\n`,
      );
      if (!res.headersSent) return sendError(res, 500, 'internal server error', 'internal_error');
      res.destroy();
    });
  }) as AgentRequestHandler;

  handler.handleUpgrade = (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reject = (status: number, text: string, message: string, code: string): void => {
      const body = JSON.stringify({ error: { message, code } });
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    socket.on('error', () => {});
    if (url.pathname !== '/ws')
      return reject(404, 'Not Found', `no WebSocket endpoint at ${url.pathname}; use /ws`, 'not_found');
    // Browsers cannot set headers on a WebSocket, so they may pass the token as ?access_token=.
    if (!authorized(req, options.token, url.searchParams.get('access_token'))) {
      return reject(
        401,
        'Unauthorized',
        'missing or wrong bearer token (Authorization: Bearer <token>)',
        'unauthorized',
      );
    }
    if (!originAllowed(req, options.cors))
      return reject(
        403,
        'Forbidden',
        'this origin is not allowed; start the server with --cors <origin>',
        'origin_not_allowed',
      );
    if (ctx.runs.closing) return reject(503, 'Service Unavailable', 'the server is shutting down', 'shutting_down');
    ws.handleUpgrade(req, socket, head);
  };

  handler.shutdown = async (graceMs = 10_000) => {
    const deadline = Date.now() + graceMs;
    ctx.runs.abortAll(new Error('the server is shutting down'));
    await ctx.runs.waitIdle(graceMs);
    // Let the final frames (run_end) reach the clients before sockets are closed.
    if (pending.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        timer.unref();
        pendingWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    ws.closeAll();
  };
  Object.defineProperty(handler, 'activeRuns', { get: () => ctx.runs.size });
  return handler;
}

function sendJsonOk(res: ServerResponse): void {
  const body = '{"status":"ok"}';
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': String(body.length),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Starts a server for the agent; resolves once it listens. Non-loopback hosts require a token. */
export async function serve(agent: Agent, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token) {
    throw new Error(`binding ${host} exposes the agent beyond this machine; set a token (--token or AGENTOR_TOKEN)`);
  }
  const handler = createRequestHandler(agent, options);
  const server = createServer({ keepAliveTimeout: 5_000 }, handler);
  server.on('upgrade', (req, socket, head) => handler.handleUpgrade(req, socket, head));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
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
