/**
 * What keeps `serve` up under slow or greedy clients: request headers must arrive within `headersTimeoutMs` and the
 * whole request within `requestTimeoutMs` (408 otherwise; a streamed answer is not limited), at most
 * `maxConnections` sockets are served at once (503 beyond, until a hard margin past which sockets are dropped), and a
 * request announcing a body over the limit with `Expect: 100-continue` is refused before the body is sent.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { totalmem } from 'node:os';
import type { Duplex } from 'node:stream';
import { ConfigError } from '../core/config.js';

/** Default time for a request's headers to arrive. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;
/** Default time for a whole request (headers and body) to arrive. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** Limits of one server. */
export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
  maxBodyBytes: number;
}

/**
 * One connection per MB of the memory this process may use (the cgroup limit in a container, else the machine's),
 * between 256 and 16,384: a streaming connection costs ~0.25 MB, so a full server stays within a quarter of memory.
 */
export function defaultMaxConnections(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  const memory = limit > 0 && limit < totalmem() ? limit : totalmem();
  return Math.max(256, Math.min(16_384, Math.floor(memory / (1024 * 1024))));
}

/** How often Node looks for requests past their timeouts: often enough for the shortest one to be honoured. */
export function checkingIntervalMs(limits: Pick<ServerLimits, 'headersTimeoutMs' | 'requestTimeoutMs'>): number {
  return Math.max(25, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
}

/** Throws a ConfigError for limits that cannot work together. */
export function checkLimits(limits: ServerLimits): void {
  for (const [name, value] of [
    ['the headers timeout (--headers-timeout)', limits.headersTimeoutMs],
    ['the request timeout (--request-timeout)', limits.requestTimeoutMs],
    ['--max-connections', limits.maxConnections],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new ConfigError(`${name} must be a positive integer (got ${value})`);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new ConfigError(
      `the headers timeout (--headers-timeout, ${limits.headersTimeoutMs} ms) cannot be longer than the request timeout (--request-timeout, ${limits.requestTimeoutMs} ms)`,
    );
}

function rawJsonResponse(status: number, reason: string, message: string, code: string, extra = ''): string {
  const body = JSON.stringify({ error: { message, code } });
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\n${extra}Connection: close\r\n\r\n${body}`;
}

/** The request handlers `limitServer` guards. */
export interface LimitedHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** Applies the limits to a `node:http` server and routes its requests and upgrades to `handlers`. */
export function limitServer(server: Server, limits: ServerLimits, handlers: LimitedHandlers): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  // The margin past the cap is answered 503; beyond it Node drops sockets unanswered, so a flood cannot exhaust fds.
  server.maxConnections = limits.maxConnections + Math.max(64, Math.ceil(limits.maxConnections / 10));

  let open = 0;
  const overCap = new WeakSet<object>();
  server.on('connection', (socket: Duplex) => {
    open++;
    socket.once('close', () => open--);
    if (open > limits.maxConnections) overCap.add(socket);
  });
  const busyMessage = `the server is at its connection limit (${limits.maxConnections}); try again shortly`;

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!overCap.has(req.socket)) return handlers.request(req, res);
    const body = JSON.stringify({ error: { message: busyMessage, code: 'too_many_connections' } });
    res.writeHead(503, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'retry-after': '1',
      connection: 'close',
    });
    res.end(body);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    if (!overCap.has(req.socket)) return handlers.upgrade(req, socket, head);
    socket.end(rawJsonResponse(503, 'Service Unavailable', busyMessage, 'too_many_connections', 'Retry-After: 1\r\n'));
  });
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
      const body = JSON.stringify({
        error: {
          message: `request body is larger than the ${limits.maxBodyBytes}-byte limit (--max-body)`,
          code: 'payload_too_large',
        },
      });
      res.writeHead(413, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        connection: 'close',
      });
      return res.end(body);
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const current = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) return socket.destroy();
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      return void socket.end(
        rawJsonResponse(
          408,
          'Request Timeout',
          `the request did not arrive in time (headers within ${limits.headersTimeoutMs} ms, the whole request within ${limits.requestTimeoutMs} ms)`,
          'request_timeout',
        ),
      );
    }
    if (err.code === 'HPE_HEADER_OVERFLOW')
      return void socket.end(
        rawJsonResponse(
          431,
          'Request Header Fields Too Large',
          'the request headers are too large',
          'headers_too_large',
        ),
      );
    socket.end(rawJsonResponse(400, 'Bad Request', 'the request is not valid HTTP', 'bad_request'));
  });
}
