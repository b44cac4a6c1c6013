/**
 * Small HTTP helpers shared by every protocol of the server: JSON responses and errors, bounded body reading, CORS,
 * and backpressure-aware streaming writes. Built on `node:http` only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request problem that maps to an HTTP status and a JSON error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Default request body limit (1 MB). */
export const DEFAULT_MAX_BODY = 1024 * 1024;

/** Parses a size like `1mb`, `512kb`, `2000` (bytes); throws with a readable message. */
export function parseSize(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$/i.exec(value);
  if (!m) throw new Error(`invalid size "${value}" (use e.g. 1mb, 512kb, 100000)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('g') ? 1024 ** 3 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('k') ? 1024 : 1;
  const bytes = Math.floor(n * mult);
  if (bytes < 1) throw new Error(`invalid size "${value}" (must be at least 1 byte)`);
  return bytes;
}

/** Writes a JSON response (no-op when the response already started or the client left). */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded && !res.destroyed) res.end();
    return;
  }
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** Writes `{ "error": { message, code } }` with the given status. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  code: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { message, code } }, headers);
}

/** After a 413, the rejected body is read and discarded up to this much, so the client can read the answer. */
const LINGER_BYTES = 64 * 1024 * 1024;
/** …and for at most this long. */
const LINGER_MS = 10_000;

/**
 * Keeps reading (and dropping) what a rejected client is still sending, the way a lingering close does: closing a
 * socket with unread data resets it, and a client still uploading (fetch/undici) then sees EPIPE instead of the 413.
 * Past `LINGER_BYTES` or `LINGER_MS` the socket is closed anyway.
 */
function discardRest(req: IncomingMessage): void {
  if (req.readableEnded) return;
  let seen = 0;
  const stop = (): void => {
    clearTimeout(timer);
    req.socket.destroy();
  };
  const timer = setTimeout(stop, LINGER_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > LINGER_BYTES) stop();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

function tooLarge(req: IncomingMessage, limit: number): HttpError {
  discardRest(req);
  return new HttpError(413, `request body is larger than the ${limit}-byte limit (--max-body)`, 'payload_too_large');
}

/**
 * Reads the whole body, refusing more than `limit` bytes with a 413 (checked against Content-Length up front and
 * while streaming, so a lying or chunked client cannot exhaust memory).
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  // Mounted behind a framework that already parsed the body (express.json()): use what it read.
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (parsed !== undefined && req.readableEnded) {
    const text =
      typeof parsed === 'string' ? parsed : Buffer.isBuffer(parsed) ? parsed.toString('utf8') : JSON.stringify(parsed);
    if (Buffer.byteLength(text) > limit)
      throw new HttpError(413, `request body is larger than the ${limit}-byte limit (--max-body)`, 'payload_too_large');
    return text;
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(req, limit);
  // Events rather than `for await`: leaving an async iterator early destroys the request, and with it the socket.
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
    };
    const onData = (buf: Buffer): void => {
      size += buf.length;
      if (size <= limit) return void chunks.push(buf);
      settle();
      reject(tooLarge(req, limit));
    };
    const onEnd = (): void => {
      settle();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onClose = (): void => {
      settle();
      reject(new HttpError(400, 'the request body was cut off before it ended', 'incomplete_body'));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
  });
}

/** Parses a JSON body; an empty or malformed body is a 400. */
export function parseJson(raw: string): unknown {
  if (raw.trim() === '') throw new HttpError(400, 'the request body is empty; send a JSON object', 'invalid_json');
  try {
    return JSON.parse(raw) as unknown;
  } catch (e) {
    throw new HttpError(400, `the request body is not valid JSON (${(e as Error).message})`, 'invalid_json');
  }
}

/** Reads and parses a JSON object body (400 when it is not an object). */
export async function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const value = parseJson(await readBody(req, limit));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'the request body must be a JSON object', 'invalid_request');
  }
  return value as Record<string, unknown>;
}

/** Adds CORS headers for an allowed origin; returns true when the request was a preflight that is now answered. */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowed: string | undefined): boolean {
  if (!allowed) return false;
  const origin = req.headers.origin;
  if (allowed === '*') res.setHeader('access-control-allow-origin', '*');
  else if (origin && origin === allowed) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
  } else return false;
  res.setHeader('access-control-expose-headers', 'content-type, a2a-version, a2a-extensions');
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    res.writeHead(204, {
      'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
      'access-control-allow-headers':
        'authorization, content-type, accept, a2a-version, a2a-extensions, x-a2a-extensions',
      'access-control-max-age': '600',
    });
    res.end();
    return true;
  }
  return false;
}

/**
 * Returns a write function that respects backpressure: when the socket buffer is full it returns a promise of the
 * `drain` (or of the connection's close, after which writes are dropped); otherwise nothing, so the hot path of a
 * stream costs no promise per frame. Thousands of concurrent streams stay bounded.
 */
export function streamWriter(res: ServerResponse): (chunk: string) => Promise<void> | undefined {
  return (chunk: string) => {
    if (res.destroyed || res.writableEnded || res.write(chunk)) return undefined;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  };
}

/** A signal aborted when the client goes away before the response finished. */
export function abortOnDisconnect(req: IncomingMessage, res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort(new Error('the client disconnected'));
  };
  res.once('close', onClose);
  req.once('aborted', onClose);
  return controller.signal;
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}
