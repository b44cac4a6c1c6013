/**
 * A loopback fake of the OpenAI Chat Completions API, built on `node:http` only.
 *
 * It speaks the real wire format (SSE framing, chunk shapes, error bodies,
 * Retry-After) closely enough that the official `openai` SDK cannot tell the
 * difference, so agentor's streaming code can be tested end to end without a
 * network. Replies are scripted per request via `enqueue()`, and a handful of
 * faults (HTTP errors, dropped sockets, hangs, malformed frames) reproduce the
 * failure modes a streaming client has to survive.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EventLatch } from './latch.js';

export type FakeReply =
  | {
      text?: string | string[];
      reasoning?: string[];
      toolCalls?: FakeToolCall[];
      usage?: Partial<FakeUsage>;
      finishReason?: string;
      delayMs?: number;
    }
  | { fault: 'status'; status: number; retryAfter?: number /* seconds, sets Retry-After header */; message?: string }
  /** Stream some content chunks, then destroy the socket with no [DONE]. */
  | { fault: 'drop'; text?: string[] }
  /**
   * Stream some content chunks, then send nothing until the client disconnects
   * or `release()` is called (which finishes the stream normally).
   */
  | { fault: 'hang'; text?: string[] }
  /** Stream some content chunks, then a `data: {not json` frame. */
  | { fault: 'malformed'; text?: string[] };

export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: string | Record<string, unknown>;
  /** Split the arguments string across this many chunks (default 3). */
  fragments?: number;
}

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; the raw string if it was not JSON; undefined if empty. */
  body: any;
}

export interface FakeOpenAI {
  /** Base URL including /v1 — pass as `baseURL` to the SDK. */
  url: string;
  /** Every request, in arrival order. */
  requests: RecordedRequest[];
  /** Client connections that closed before their response finished. */
  disconnects: number;
  /** Replies are consumed one per chat request, FIFO; `fallback` is used when empty. */
  enqueue(...replies: FakeReply[]): void;
  /** Drops queued replies no request took: a test that failed midway must not hand its replies to the next test. */
  clearQueue(): void;
  /** Resolves when at least n chat requests have arrived. */
  waitForRequests(n: number): Promise<void>;
  /**
   * Resolves on the next premature client disconnect, or immediately if one
   * already happened that no earlier call has consumed (one call per event).
   */
  waitForDisconnect(): Promise<void>;
  /**
   * Resolves once a streaming response has written its first content chunk,
   * with the same one-call-per-event semantics as `waitForDisconnect`.
   */
  waitForStreamStarted(): Promise<void>;
  /** Lets every currently hanging 'hang' reply finish normally. */
  release(): void;
  /** Closes the server and destroys open sockets. */
  close(): Promise<void>;
}

export interface FakeOpenAIOptions {
  replies?: FakeReply[];
  fallback?: FakeReply | ((req: RecordedRequest) => FakeReply);
  /** Delay between streamed chunks, overridable per reply with `delayMs`. */
  tokenDelayMs?: number;
  port?: number;
  host?: string;
  /** The ids `GET /v1/models` lists (default: fake-model). */
  models?: string[];
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const fake = new FakeOpenAIServer(opts);
  await fake.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  return fake;
}

// ---------------------------------------------------------------------------

type ContentReply = Exclude<FakeReply, { fault: string }>;
/** Everything that produces a 200 response (status faults are answered up front). */
type BodyReply = Exclude<FakeReply, { fault: 'status' }>;
type Delta = Record<string, unknown>;

/** Thrown inside a handler when the client went away, to unwind without writing. */
class ClientGone extends Error {}

/** Per-response state shared by the streaming and non-streaming writers. */
interface Exchange {
  res: ServerResponse;
  request: RecordedRequest;
  /** Resolves when the response's connection closes, for whatever reason. */
  closed: Promise<void>;
  /** Set when the fake itself kills the socket, so it is not counted as a client disconnect. */
  intentionalDestroy: boolean;
}

const DEFAULT_FALLBACK: FakeReply = { text: 'ok' };
const CHAT_PATH = '/v1/chat/completions';

class FakeOpenAIServer implements FakeOpenAI {
  url = '';
  requests: RecordedRequest[] = [];
  disconnects = 0;

  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly queue: FakeReply[];
  private readonly fallback: FakeReply | ((req: RecordedRequest) => FakeReply);
  private readonly tokenDelayMs: number;
  private chatRequests = 0;
  private requestWaiters: Array<{ n: number; resolve: () => void }> = [];
  private readonly disconnectLatch = new EventLatch();
  private readonly streamStartedLatch = new EventLatch();
  private hanging = new Set<() => void>();
  private closing = false;

  private readonly models: string[];
  constructor(opts: FakeOpenAIOptions) {
    this.queue = [...(opts.replies ?? [])];
    this.fallback = opts.fallback ?? DEFAULT_FALLBACK;
    this.tokenDelayMs = opts.tokenDelayMs ?? 0;
    this.models = opts.models ?? ['fake-model'];
    this.server = createServer((req, res) => void this.handle(req, res));
    // Tracked by hand (not only closeAllConnections) so close() also kills
    // sockets whose request is still mid-body.
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const { port: actual } = this.server.address() as AddressInfo;
        const hostPart = host.includes(':') ? `[${host}]` : host;
        this.url = `http://${hostPart}:${actual}/v1`;
        resolve();
      });
    });
  }

  enqueue(...replies: FakeReply[]): void {
    this.queue.push(...replies);
  }

  clearQueue(): void {
    this.queue.length = 0;
  }

  waitForRequests(n: number): Promise<void> {
    if (this.chatRequests >= n) return Promise.resolve();
    return new Promise((resolve) => this.requestWaiters.push({ n, resolve }));
  }

  waitForDisconnect(): Promise<void> {
    return this.disconnectLatch.wait();
  }

  waitForStreamStarted(): Promise<void> {
    return this.streamStartedLatch.wait();
  }

  release(): void {
    const current = this.hanging;
    this.hanging = new Set();
    for (const finish of current) finish();
  }

  close(): Promise<void> {
    this.closing = true;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  // -- request handling -----------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let onClosed!: () => void;
    const exchange: Exchange = {
      res,
      request: {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0] ?? '/',
        headers: req.headers,
        body: undefined,
      },
      closed: new Promise<void>((resolve) => (onClosed = resolve)),
      intentionalDestroy: false,
    };
    // Writes racing a client abort can emit EPIPE/ECONNRESET; the close
    // listener below is what reports that, so the error itself is noise.
    res.on('error', () => {});
    // Registered before anything async so an abort during body upload or a
    // reply delay is still seen. `writableFinished` is only true once the
    // whole response was flushed, which is exactly "closed prematurely".
    res.on('close', () => {
      if (!res.writableFinished && !exchange.intentionalDestroy && !this.closing) {
        this.disconnects++;
        this.disconnectLatch.fire();
      }
      onClosed();
    });

    try {
      exchange.request.body = parseBody(await readBody(req));
      this.requests.push(exchange.request);
      const { method, path } = exchange.request;

      if (method === 'POST' && path === CHAT_PATH) {
        this.chatRequests++;
        this.notifyRequestWaiters();
        await this.replyToChat(exchange, this.nextReply(exchange.request));
      } else if (method === 'GET' && path === '/v1/models') {
        sendJson(res, 200, {
          object: 'list',
          data: this.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })),
        });
      } else {
        sendError(res, 404, `Invalid URL (${method} ${path})`);
      }
    } catch (err) {
      if (err instanceof ClientGone || res.destroyed) return;
      if (!res.headersSent) sendError(res, 500, `Fake server error: ${String(err)}`);
      else res.destroy();
    }
  }

  private nextReply(request: RecordedRequest): FakeReply {
    const queued = this.queue.shift();
    if (queued) return queued;
    return typeof this.fallback === 'function' ? this.fallback(request) : this.fallback;
  }

  private notifyRequestWaiters(): void {
    this.requestWaiters = this.requestWaiters.filter((w) => {
      if (this.chatRequests < w.n) return true;
      w.resolve();
      return false;
    });
  }

  private async replyToChat(ex: Exchange, reply: FakeReply): Promise<void> {
    const body = (ex.request.body ?? {}) as Record<string, any>;
    if ('fault' in reply && reply.fault === 'status') {
      sendStatusFault(ex.res, reply);
      return;
    }
    if (body.stream === true) await this.streamChat(ex, reply, body);
    else await this.completeChat(ex, reply, body);
  }

  /** Waits until release() or the client disconnects; returns true if released. */
  private hang(ex: Exchange): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = () => resolve(true);
      this.hanging.add(finish);
      void ex.closed.then(() => {
        this.hanging.delete(finish);
        resolve(false);
      });
    });
  }

  private async streamChat(ex: Exchange, reply: BodyReply, body: Record<string, any>): Promise<void> {
    const { res } = ex;
    const id = `chatcmpl-${randomId(29)}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof body.model === 'string' ? body.model : 'fake-model';
    const includeUsage = body.stream_options?.include_usage === true;
    const delayMs = ('delayMs' in reply ? reply.delayMs : undefined) ?? this.tokenDelayMs;
    // Faults only carry text; normalise them to a content reply for chunking.
    const content: ContentReply = 'fault' in reply ? { text: reply.text } : reply;
    const plan = planReply(content);

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': `req_${randomId(32)}`,
    });

    // The real API also puts `usage: null` on every ordinary chunk when usage
    // was requested; clients that look for a non-null usage must cope with it.
    const chunk = (delta: Delta, finishReason: string | null = null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    });

    let first = true;
    const emit = async (payload: string) => {
      if (!first && delayMs > 0) await Promise.race([sleep(delayMs), ex.closed]);
      first = false;
      await writeFrame(ex, `data: ${payload}\n\n`);
    };

    await emit(JSON.stringify(chunk({ role: 'assistant', content: '', refusal: null })));
    if (plan.deltas.length === 0) this.streamStartedLatch.fire();
    for (const [i, delta] of plan.deltas.entries()) {
      await emit(JSON.stringify(chunk(delta)));
      if (i === 0) this.streamStartedLatch.fire();
    }

    if ('fault' in reply) {
      if (reply.fault === 'drop') {
        ex.intentionalDestroy = true;
        res.destroy();
        return;
      }
      if (reply.fault === 'malformed') {
        await emit('{not json');
        res.end();
        return;
      }
      if (reply.fault === 'hang' && !(await this.hang(ex))) return;
    }

    await emit(JSON.stringify(chunk({}, plan.finishReason)));
    if (includeUsage) {
      const usageChunk = { ...chunk({}), choices: [], usage: usageFor(content, plan, body) };
      await emit(JSON.stringify(usageChunk));
    }
    await emit('[DONE]');
    res.end();
  }

  private async completeChat(ex: Exchange, reply: BodyReply, body: Record<string, any>): Promise<void> {
    const { res } = ex;
    const delayMs = 'delayMs' in reply ? reply.delayMs : undefined;
    if (delayMs) await Promise.race([sleep(delayMs), ex.closed]);
    if (res.destroyed) return;

    if ('fault' in reply) {
      if (reply.fault === 'drop') {
        ex.intentionalDestroy = true;
        res.destroy();
        return;
      }
      if (reply.fault === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{not json');
        return;
      }
      if (reply.fault === 'hang' && !(await this.hang(ex))) return;
    }

    const content: ContentReply = 'fault' in reply ? { text: reply.text } : reply;
    const plan = planReply(content);
    const text = plan.text.join('');
    sendJson(res, 200, {
      id: `chatcmpl-${randomId(29)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: typeof body.model === 'string' ? body.model : 'fake-model',
      system_fingerprint: 'fp_fake',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            // Like the real API: null rather than "" when the model only called tools.
            content: text === '' && plan.toolCalls.length > 0 ? null : text,
            ...(plan.reasoning.length > 0 ? { reasoning_content: plan.reasoning.join('') } : {}),
            refusal: null,
            ...(plan.toolCalls.length > 0
              ? {
                  tool_calls: plan.toolCalls.map((c) => ({
                    id: c.id,
                    type: 'function',
                    function: { name: c.name, arguments: c.arguments },
                  })),
                }
              : {}),
            annotations: [],
          },
          logprobs: null,
          finish_reason: plan.finishReason,
        },
      ],
      usage: usageFor(content, plan, body),
    });
  }
}

// -- reply planning -----------------------------------------------------------

interface Plan {
  reasoning: string[];
  text: string[];
  toolCalls: Array<{ id: string; name: string; arguments: string; fragments: string[] }>;
  /** Every streamed delta after the role chunk, in wire order. */
  deltas: Delta[];
  finishReason: string;
}

function planReply(reply: ContentReply): Plan {
  const reasoning = reply.reasoning ?? [];
  const text = typeof reply.text === 'string' ? splitWords(reply.text) : (reply.text ?? []);
  const toolCalls = (reply.toolCalls ?? []).map((call) => {
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
    return {
      id: call.id ?? `call_${randomId(24)}`,
      name: call.name,
      arguments: args,
      fragments: splitEvenly(args, call.fragments ?? 3),
    };
  });

  // Order mirrors real reasoning models: thinking, then answer, then tool calls,
  // each tool call fully streamed before the next one starts.
  const deltas: Delta[] = [
    ...reasoning.map((piece) => ({ reasoning_content: piece })),
    ...text.map((piece) => ({ content: piece })),
  ];
  toolCalls.forEach((call, index) => {
    deltas.push({
      tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
    });
    for (const piece of call.fragments) deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
  });

  return {
    reasoning,
    text,
    toolCalls,
    deltas,
    finishReason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
  };
}

/** Splits text into ~4-char, token-like pieces that keep their leading whitespace. */
function splitWords(text: string): string[] {
  return text.match(/\s*\S{1,4}|\s+$/g) ?? [];
}

/** Splits s into at most n contiguous, non-empty pieces of near-equal length. */
function splitEvenly(s: string, n: number): string[] {
  const count = Math.max(1, Math.min(Math.floor(n), s.length));
  const pieces: string[] = [];
  for (let i = 0; i < count; i++) {
    const piece = s.slice(Math.floor((i * s.length) / count), Math.floor(((i + 1) * s.length) / count));
    if (piece) pieces.push(piece);
  }
  return pieces;
}

/**
 * Default usage: one completion token per streamed piece (text, reasoning, tool
 * argument fragment) and ~4 chars per prompt token. Only the relationships
 * matter to tests, not realism.
 */
function usageFor(reply: ContentReply, plan: Plan, body: Record<string, any>): FakeUsage {
  const promptChars = JSON.stringify(body.messages ?? []).length;
  const prompt_tokens = reply.usage?.prompt_tokens ?? Math.ceil(promptChars / 4);
  const completion_tokens =
    reply.usage?.completion_tokens ??
    plan.text.length + plan.reasoning.length + plan.toolCalls.reduce((n, c) => n + c.fragments.length, 0);
  return {
    prompt_tokens,
    completion_tokens,
    total_tokens: reply.usage?.total_tokens ?? prompt_tokens + completion_tokens,
  };
}

// -- wire helpers -------------------------------------------------------------

const ERROR_SHAPES: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Bad request.' },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: 'Forbidden.' },
  404: { type: 'invalid_request_error', code: null, message: 'Not found.' },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests. Please try again later.',
  },
  500: {
    type: 'server_error',
    code: 'server_error',
    message: 'The server had an error while processing your request. Sorry about that!',
  },
};

function sendStatusFault(res: ServerResponse, fault: Extract<FakeReply, { fault: 'status' }>): void {
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  sendError(res, fault.status, fault.message, headers);
}

function sendError(res: ServerResponse, status: number, message?: string, headers: Record<string, string> = {}): void {
  const shape = ERROR_SHAPES[status] ?? {
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: status >= 500 ? 'server_error' : null,
    message: `Fake error ${status}.`,
  };
  sendJson(
    res,
    status,
    { error: { message: message ?? shape.message, type: shape.type, param: null, code: shape.code } },
    headers,
  );
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': `req_${randomId(32)}`,
    ...headers,
  });
  res.end(body);
}

/**
 * Writes one SSE frame and waits for it to be handed to the socket, so a
 * following destroy() (the 'drop' fault) cannot discard it and a slow reader
 * applies backpressure. Racing `closed` keeps an abort from stalling us on a
 * callback that may never come.
 */
async function writeFrame(ex: Exchange, frame: string): Promise<void> {
  if (ex.res.destroyed) throw new ClientGone();
  await Promise.race([new Promise<void>((resolve) => ex.res.write(frame, () => resolve())), ex.closed]);
  if (ex.res.destroyed) throw new ClientGone();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
