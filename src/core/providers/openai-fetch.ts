/**
 * The `fetch` the OpenAI provider hands the openai SDK: one `node:http(s)` request per call on keep-alive agents. A 2xx
 * body is not wrapped in a web stream: the SDK gets a bodiless `Response` (it never reads a streaming body) and the
 * provider reads the `IncomingMessage` itself, as utf-8 strings, straight into the SSE parser — under load that path
 * costs a fraction of undici's web-stream plumbing per network read. Any other answer is buffered into an ordinary
 * `Response`, so the SDK's error mapping and retries work unchanged.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/**
 * Requests of every provider share these: a connection is reused by the next model call. The `timeout` is what makes
 * Node retire an idle connection a second before the server's advertised keep-alive timeout (without one it ignores
 * the server's hint, and a request can go out on a connection the server is closing: a reset, then a retry).
 */
const KEEP_ALIVE = { keepAlive: true, scheduling: 'lifo', timeout: 10 * 60_000 } as const;
const agents = { http: new HttpAgent(KEEP_ALIVE), https: new HttpsAgent(KEEP_ALIVE) };

/** The raw body of each 2xx response this fetch returned, and how to let its connection go back to the pool. */
const rawBodies = new WeakMap<Response, { body: Readable; release(): void }>();

/** Statuses whose Response may not carry a body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * The body of a 2xx response from `nodeFetch`, as utf-8 string chunks (undefined for any other response).
 * Destroying it closes the connection.
 */
export function rawBody(response: Response): (Readable & AsyncIterable<string>) | undefined {
  return rawBodies.get(response)?.body as (Readable & AsyncIterable<string>) | undefined;
}

/** Chunks queued for a busy reader before the body is paused. */
const QUEUED_CHUNKS = 16;

/**
 * A 2xx body's utf-8 chunks, read through 'data' events: a waiting reader gets the next chunk straight from the event;
 * chunks that arrive while it is busy are queued (the body paused past a few) and handed over joined, as one read.
 * Node's own stream iterator costs several promises and a `read()` per chunk, which at a thousand streams was a
 * measurable part of the server's CPU per token. Leaving the loop early leaves the body open (see `releaseBody`).
 */
export function bodyChunks(body: Readable): AsyncIterableIterator<string> {
  const queue: string[] = [];
  let waiter: { resolve(r: IteratorResult<string>): void; reject(e: unknown): void } | undefined;
  let ended = false;
  let failure: unknown;
  let paused = false;
  const settle = (): void => {
    const w = waiter;
    if (!w || queue.length > 0) return;
    waiter = undefined;
    if (failure !== undefined) w.reject(failure);
    else if (ended) w.resolve({ value: undefined, done: true });
  };
  const onData = (chunk: string): void => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      return w.resolve({ value: chunk, done: false });
    }
    queue.push(chunk);
    if (queue.length >= QUEUED_CHUNKS && !paused) {
      paused = true;
      body.pause();
    }
  };
  const onEnd = (): void => {
    ended = true;
    settle();
  };
  const onError = (e: unknown): void => {
    failure ??= e;
    settle();
  };
  const onClose = (): void => {
    if (!ended) onError(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
  };
  const detach = (): void => {
    body.off('data', onData);
    body.off('end', onEnd);
    body.off('error', onError);
    body.off('close', onClose);
  };
  body.on('data', onData);
  body.once('end', onEnd);
  body.on('error', onError);
  body.once('close', onClose);
  return {
    next(): Promise<IteratorResult<string>> {
      if (queue.length > 0) {
        const value = queue.length === 1 ? (queue.pop() as string) : queue.splice(0).join('');
        if (paused) {
          paused = false;
          body.resume();
        }
        return Promise.resolve({ value, done: false });
      }
      if (failure !== undefined) return Promise.reject(failure);
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => (waiter = { resolve, reject }));
    },
    return(): Promise<IteratorResult<string>> {
      detach();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * The reader has the whole answer: what is left of the body (the chunked terminator) is read and dropped, and an abort
 * no longer closes it, so its connection returns to the pool for the next request.
 */
export function releaseBody(response: Response): void {
  rawBodies.get(response)?.release();
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
}

/** The body as the server meant it: a compressed answer (which undici would have decoded) is inflated. */
function decoded(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const inflate =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined;
  if (!inflate) return res;
  res.on('error', (e) => inflate.destroy(e));
  inflate.on('close', () => res.destroy());
  return res.pipe(inflate);
}

function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

function requestBody(body: RequestInit['body']): string | Uint8Array | undefined | null {
  if (body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return null; // a stream, form or blob: left to the platform fetch
}

/** A `fetch` on `node:http(s)` for the openai SDK (see the module comment). */
export function nodeFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const body = requestBody(init.body);
  if (body === null || input instanceof Request) return fetch(input, init);
  const url = new URL(input);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fetch(input, init);
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(abortError(signal));

  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, key) => (headers[key] = value));
  if (body !== undefined && headers['content-length'] === undefined)
    headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  return send({ url, method: init.method ?? 'GET', headers, body, signal }, true);
}

interface Outgoing {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
  signal: AbortSignal | undefined;
}

/** A pooled connection the server closed before answering: the request never reached it, so it may go again. */
const isStaleConnection = (e: NodeJS.ErrnoException): boolean => e.code === 'ECONNRESET' || e.code === 'EPIPE';

function send(out: Outgoing, retryStale: boolean): Promise<Response> {
  const { url, signal } = out;
  return new Promise<Response>((resolve, reject) => {
    const https = url.protocol === 'https:';
    const req = (https ? httpsRequest : httpRequest)(url, {
      method: out.method,
      headers: out.headers,
      agent: https ? agents.https : agents.http,
    });
    let answered = false;
    const onAbort = (): void => {
      const reason = abortError(signal as AbortSignal);
      req.destroy(reason instanceof Error ? reason : undefined);
      reject(reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      // A keep-alive connection can close just as a request goes out on it (the server's idle timeout, under load):
      // Node's documented remedy is to send the request again, once, on a fresh connection.
      if (!answered && retryStale && req.reusedSocket && isStaleConnection(e) && !signal?.aborted)
        return resolve(send(out, false));
      reject(e); // a no-op once the response resolved: the body's reader sees the failure
    });
    req.once('response', (res) => {
      answered = true;
      toResponse(res, signal, onAbort).then(resolve, reject);
    });
    req.end(out.body);
  });
}

/** A 2xx answer as a bodiless Response (the raw body kept aside); anything else buffered into a whole Response. */
function toResponse(res: IncomingMessage, signal: AbortSignal | undefined, onAbort: () => void): Promise<Response> {
  const status = res.statusCode ?? 0;
  const init = { status, statusText: res.statusMessage ?? '', headers: responseHeaders(res) };
  const stream = decoded(res);
  stream.on('error', () => {}); // surfaced by whoever reads the body; never an uncaught 'error'
  if (status >= 200 && status < 300) {
    signal?.removeEventListener('abort', onAbort);
    // From here on the SDK's abort (its timeout, the caller's signal) closes the body.
    const closeBody = (): void => void stream.destroy();
    signal?.addEventListener('abort', closeBody, { once: true });
    stream.once('close', () => signal?.removeEventListener('abort', closeBody));
    stream.setEncoding('utf8');
    const response = new Response(null, init);
    const release = (): void => {
      signal?.removeEventListener('abort', closeBody);
      if (!stream.readableEnded) stream.resume();
    };
    rawBodies.set(response, { body: stream, release });
    return Promise.resolve(response);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    stream.once('end', () => {
      signal?.removeEventListener('abort', onAbort);
      try {
        resolve(new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), init));
      } catch (e) {
        reject(e); // a status no Response can carry: the SDK reports it as a connection error
      }
    });
  });
}
