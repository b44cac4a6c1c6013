/**
 * OpenAI Chat Completions streaming through the official SDK. Works with OpenAI and every compatible server (Ollama,
 * vLLM, llama.cpp, LM Studio, OpenRouter). The SDK is imported lazily so commands that never call a model start fast.
 * The SDK makes each request (auth, retries with backoff, error mapping); the streamed body is read by our lean SSE
 * parser straight from the socket (see openai-fetch.ts). Failures say what happened in terms the user can act on,
 * naming the upstream URL: this is the operator's view — a server shows its remote clients general terms instead.
 */
import { AsyncQueue } from '../async-queue.js';
import type { ErrorInfo } from '../events.js';
import { bodyChunks, nodeFetch, rawBody, releaseBody } from './openai-fetch.js';
import type { ChatCompletionContentPart, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { contentImages } from './messages.js';
import { SSEParser, type SSEMessage } from './sse.js';
import {
  ProviderError,
  type ChatMessage,
  type ContentPart,
  type ModelChunk,
  type ModelProvider,
  type ModelRequest,
  type ToolCallRequest,
} from './types.js';

/** Connection settings. The key is held in memory only and never appears in events, errors or logs. */
export interface OpenAIProviderOptions {
  apiKey?: string;
  baseURL?: string;
  /** Retries of 408/409/429/5xx and connection errors before the first byte (SDK backoff, honours Retry-After). */
  maxRetries?: number;
  /** Where the key came from, for error messages (e.g. "OPENAI_API_KEY"). */
  apiKeyEnv?: string;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
}

/** Mirrors the SDK's own retry rule, so a retry is announced exactly when the SDK will make one. */
function sdkWillRetry(res: Response): boolean {
  const header = res.headers.get('x-should-retry');
  if (header === 'true') return true;
  if (header === 'false') return false;
  return res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500;
}

function retryDelayText(res: Response): string {
  const ms = Number(res.headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ` in ${(ms / 1000).toFixed(1)}s`;
  const s = Number(res.headers.get('retry-after'));
  if (Number.isFinite(s) && res.headers.get('retry-after') !== null) return ` in ${s}s`;
  return '';
}

interface StreamDelta {
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }>;
}

interface StreamChunk {
  id?: string;
  model?: string;
  choices?: Array<{ delta?: StreamDelta; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
  error?: { message?: unknown; code?: unknown };
}

/** What one model call has streamed so far: its failure message depends on it. */
interface Progress {
  /** Some answer text (or reasoning, or a tool call) arrived. */
  content: boolean;
  /** The model sent a finish_reason. */
  finished: boolean;
  /** What the stream said about itself (for traces): the finish reason, the model that answered, the response id. */
  finishReason?: string;
  model?: string;
  id?: string;
}

/** A server-sent `error` object in the middle of a stream. */
class UpstreamStreamError extends Error {
  constructor(
    message: string,
    readonly upstreamCode: string | undefined,
  ) {
    super(message);
  }
}

/** Decodes one SSE data payload into `out`; tool-call fragments accumulate in `calls`. */
function decodeMessage(data: string, out: ModelChunk[], calls: Map<number, ToolCallRequest>, progress: Progress): void {
  const chunk = JSON.parse(data) as StreamChunk;
  if (chunk.error) {
    const code = chunk.error.code;
    throw new UpstreamStreamError(
      typeof chunk.error.message === 'string' ? chunk.error.message : 'no details',
      typeof code === 'string' || typeof code === 'number' ? String(code) : undefined,
    );
  }
  if (chunk.usage) {
    const input = chunk.usage.prompt_tokens ?? 0;
    const output = chunk.usage.completion_tokens ?? 0;
    out.push({
      type: 'usage',
      usage: { input_tokens: input, output_tokens: output, total_tokens: chunk.usage.total_tokens ?? input + output },
    });
  }
  if (progress.model === undefined && typeof chunk.model === 'string') progress.model = chunk.model;
  if (progress.id === undefined && typeof chunk.id === 'string') progress.id = chunk.id;
  const choice = chunk.choices?.[0];
  if (!choice) return;
  const delta = choice.delta ?? {};
  const reasoning = delta.reasoning_content ?? delta.reasoning;
  if (reasoning) out.push({ type: 'reasoning', text: reasoning });
  if (delta.content) out.push({ type: 'text', text: delta.content });
  if (reasoning || delta.content || delta.tool_calls) progress.content = true;
  for (const frag of delta.tool_calls ?? []) {
    // Fragments of one call share an index; the first carries id and name, the rest pieces of arguments.
    const call = calls.get(frag.index) ?? { id: '', name: '', arguments: '' };
    if (frag.id) call.id = frag.id;
    if (frag.function?.name) call.name += frag.function.name;
    if (frag.function?.arguments) call.arguments += frag.function.arguments;
    calls.set(frag.index, call);
  }
  if (choice.finish_reason) {
    progress.finished = true;
    progress.finishReason = choice.finish_reason;
  }
}

/** The chunks one network read carried; `error` is a malformed or error chunk (what came before it still counts). */
interface DecodedBatch {
  out: ModelChunk[];
  /** The stream said [DONE]. */
  done: boolean;
  error?: Error;
}

/** Turns body text into model chunks, read by read: SSE framing, Chat Completions chunks, tool-call fragments. */
class StreamDecoder {
  readonly progress: Progress = { content: false, finished: false };
  private readonly parser = new SSEParser();
  private readonly decoder = new TextDecoder();
  private readonly calls = new Map<number, ToolCallRequest>();

  push(chunk: string | Uint8Array): DecodedBatch {
    return this.decode(
      this.parser.push(typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true })),
    );
  }

  end(): DecodedBatch {
    return this.decode(this.parser.push(this.decoder.decode()).concat(this.parser.end()));
  }

  /** The tool calls the fragments added up to, in index order. */
  toolCalls(): ToolCallRequest[] {
    return [...this.calls.entries()].sort((a, b) => a[0] - b[0]).map(([i, c]) => ({ ...c, id: c.id || `call_${i}` }));
  }

  private decode(messages: SSEMessage[]): DecodedBatch {
    const out: ModelChunk[] = [];
    for (const message of messages) {
      if (message.data === '[DONE]') return { out, done: true };
      try {
        decodeMessage(message.data, out, this.calls, this.progress);
      } catch (error) {
        return { out, done: false, error: error as Error }; // JSON.parse's SyntaxError, or the upstream's own error
      }
    }
    return { out, done: false };
  }
}

/**
 * `first` to its end, then the iterator `then` makes from its return value, as one iterable. Unlike `yield*` in a
 * wrapping generator, the second iterator's results are handed over as they are: no extra async step per item, which
 * for the body reader is one per network read of every stream.
 */
function thenIterate<T, R>(first: AsyncGenerator<T, R>, then: (value: R) => AsyncIterator<T>): AsyncIterable<T> {
  let second: AsyncIterator<T> | undefined;
  const iterator: AsyncIterator<T> = {
    next: () => {
      if (second) return second.next();
      return first.next().then((r) => {
        if (!r.done) return r;
        second = then(r.value);
        return second.next();
      });
    },
    return: (value?: unknown) =>
      second
        ? (second.return?.(value) ?? Promise.resolve({ done: true, value: undefined }))
        : (first.return(value as R) as Promise<IteratorResult<T>>),
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/** What the user can do about an upstream status, beyond its own message. */
function statusAdvice(status: number): string {
  if (status === 429) return ' Rate limited: wait a moment and try again.';
  if (status === 408 || status >= 500) return ' A problem on the upstream side: try again shortly.';
  return '';
}

/** Chat Completions provider. */
export class OpenAIProvider implements ModelProvider {
  readonly id = 'openai';
  private readonly opts: OpenAIProviderOptions;

  constructor(opts: OpenAIProviderOptions = {}) {
    this.opts = opts;
  }

  /** The base URL requests go to (for messages). */
  get baseURL(): string {
    return this.opts.baseURL ?? 'https://api.openai.com/v1';
  }

  /** True when calls can succeed in principle: there is a key, or a base URL (local servers need no key). */
  get configured(): boolean {
    return Boolean(this.opts.apiKey || this.opts.baseURL);
  }

  stream(req: ModelRequest): AsyncIterable<ModelChunk | readonly ModelChunk[]> {
    return thenIterate(this.opening(req), (response) => this.read(response, req));
  }

  /** The retry notices while the response is on its way (retries happen before it opens); returns the response. */
  private async *opening(req: ModelRequest): AsyncGenerator<ModelChunk, Response> {
    const notices = new AsyncQueue<ModelChunk>();
    const opened = this.open(req, notices);
    void opened.finally(() => notices.close());
    for await (const notice of notices) yield notice;
    const outcome = await opened;
    if ('error' in outcome) throw this.describe(outcome.error, req, { content: false, finished: false });
    return outcome.response;
  }

  /** The ids `GET /models` lists (sorted); throws with the status or the network error when the upstream has no list. */
  async listModels(signal?: AbortSignal): Promise<string[]> {
    // The global fetch, not nodeFetch: that one hands a 2xx body to the stream reader instead of the Response.
    const res = await fetch(`${this.baseURL.replace(/\/+$/, '')}/models`, {
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${this.opts.apiKey || 'not-needed'}`,
        ...this.opts.headers,
      },
      ...(signal ? { signal } : {}),
    });
    if (!res.ok) throw new Error(`${this.baseURL}/models answered ${res.status}`);
    const body = (await res.json()) as { data?: unknown };
    const ids = Array.isArray(body.data)
      ? body.data.map((m: unknown) => (m as { id?: unknown })?.id).filter((id): id is string => typeof id === 'string')
      : [];
    return [...new Set(ids)].sort((a, b) => a.localeCompare(b));
  }

  /** Sends the request through the SDK; resolves with the open response or the error, never rejects. */
  private async open(
    req: ModelRequest,
    notices: AsyncQueue<ModelChunk>,
  ): Promise<{ response: Response } | { error: unknown }> {
    try {
      const { default: OpenAI } = await import('openai');
      const maxRetries = this.opts.maxRetries ?? 2;
      // A fresh client per call gives this call its own fetch wrapper, which is how SDK retries become events.
      const client = new OpenAI({
        apiKey: this.opts.apiKey || 'not-needed',
        baseURL: this.opts.baseURL,
        maxRetries,
        logLevel: 'off',
        defaultHeaders: this.opts.headers,
        fetch: this.announcingRetries(notices, maxRetries),
      });
      const params = {
        model: req.model,
        messages: wireMessages(req.messages),
        stream: true as const,
        stream_options: { include_usage: true },
        ...(req.tools.length > 0 ? { tools: req.tools } : {}),
        ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      };
      const options = { signal: req.signal, ...(req.headers ? { headers: req.headers } : {}) };
      return { response: await client.chat.completions.create(params as never, options).asResponse() };
    } catch (error) {
      return { error };
    }
  }

  /** The SDK's fetch: each attempt the SDK will retry is announced as a notice first. */
  private announcingRetries(
    notices: AsyncQueue<ModelChunk>,
    maxRetries: number,
  ): (url: string | URL | Request, init?: RequestInit) => Promise<Response> {
    let attempt = 0;
    return async (url, init) => {
      attempt++;
      const next = `attempt ${attempt + 1} of ${maxRetries + 1}`;
      try {
        const res = await nodeFetch(url, init);
        if (!res.ok && attempt <= maxRetries && sdkWillRetry(res)) {
          notices.push({
            type: 'notice',
            error: {
              message: `${this.baseURL} answered ${res.status}; retrying${retryDelayText(res)} (${next})`,
              code: String(res.status),
              retryable: true,
            },
          });
        }
        return res;
      } catch (e) {
        if (attempt <= maxRetries && !init?.signal?.aborted) {
          notices.push({
            type: 'notice',
            error: { message: `cannot reach ${this.baseURL}; retrying (${next})`, code: 'connection', retryable: true },
          });
        }
        throw e;
      }
    };
  }

  /** Reads the event stream: every message of one network read goes up as one batch (one async step per read). */
  private async *read(response: Response, req: ModelRequest): AsyncGenerator<ModelChunk | readonly ModelChunk[]> {
    const raw = rawBody(response);
    const body = raw ?? response.body;
    if (!body)
      throw new ProviderError(`${this.baseURL} answered with an empty body`, { code: 'empty_body', retryable: true });
    // Closing the body on abort ends the connection even if the SDK's own abort wiring has already let go.
    const close = raw
      ? (): void => void raw.destroy()
      : (): void => void response.body?.cancel().catch(() => undefined);
    req.signal.addEventListener('abort', close, { once: true });
    const decoded = new StreamDecoder();
    // Stopping at [DONE] must not destroy the body: the connection goes back to the pool once it has ended.
    const source: AsyncIterable<string | Uint8Array> = raw ? bodyChunks(raw) : body;
    let whole = false;
    try {
      for await (const chunk of source) {
        const batch = decoded.push(chunk);
        if (batch.out.length > 0) yield batch.out;
        if (batch.error) throw batch.error;
        if (batch.done) break;
      }
      const rest = decoded.end();
      if (rest.out.length > 0) yield rest.out;
      if (rest.error) throw rest.error;
      whole = true;
    } catch (e) {
      throw this.describe(e, req, decoded.progress);
    } finally {
      req.signal.removeEventListener('abort', close);
      // After a whole answer the rest (the chunked terminator) is read and dropped, which frees the connection for
      // the next model call; a consumer that stopped early, or a failure, closes it.
      if (raw && whole) releaseBody(response);
      else raw?.destroy();
    }
    const { progress } = decoded;
    if (!progress.finished) throw this.incomplete(progress);
    yield { type: 'finish', reason: progress.finishReason, model: progress.model, id: progress.id };
    const calls = decoded.toolCalls();
    if (calls.length > 0) yield { type: 'tool_calls', calls };
  }

  /** The upstream closed the stream before the model finished. */
  private incomplete(progress: Progress, cause?: unknown): ProviderError {
    return new ProviderError(
      progress.content
        ? `the connection to ${this.baseURL} closed mid-answer; partial answer kept`
        : `the connection to ${this.baseURL} closed before the model answered`,
      { code: 'stream_incomplete', retryable: true, cause },
    );
  }

  /** Turns a failure into a message that says what happened and what to do. Aborts pass through untouched. */
  private describe(e: unknown, req: ModelRequest, progress: Progress): unknown {
    if (req.signal.aborted || e instanceof ProviderError) return e;
    const err = e as { status?: unknown; code?: unknown; message?: string; cause?: unknown } | null;
    if (typeof err?.status === 'number') return this.statusFailure(err.status, err, req);
    const kind = (e as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
    if (kind === 'APIConnectionTimeoutError') {
      return new ProviderError(`${this.baseURL} did not answer in time. Check that the server is up and responsive.`, {
        code: 'upstream_timeout',
        retryable: true,
        cause: e,
      });
    }
    if (kind === 'APIConnectionError') {
      const cause = err?.cause as { message?: string } | undefined;
      return new ProviderError(
        `cannot reach ${this.baseURL} (${cause?.message ?? err?.message ?? 'connection error'}). Check --base-url / OPENAI_BASE_URL and that the server is running.`,
        { code: 'connection', retryable: true, cause: e },
      );
    }
    if (e instanceof UpstreamStreamError) {
      return new ProviderError(
        `${this.baseURL} reported an error mid-answer${e.upstreamCode ? ` (${e.upstreamCode})` : ''}: ${e.message}`,
        { code: 'stream_error', retryable: false, cause: e },
      );
    }
    if (e instanceof SyntaxError) {
      return new ProviderError(
        `${this.baseURL} sent a malformed stream chunk (${e.message})${progress.content ? '; partial answer kept' : ''}`,
        { code: 'malformed_chunk', cause: e },
      );
    }
    // Whatever else breaks a body read (a reset, undici's "terminated", a premature close) is a dropped connection.
    return this.incomplete(progress, e);
  }

  private statusFailure(status: number, err: { code?: unknown; message?: string }, req: ModelRequest): ProviderError {
    if (status === 400 && hasImages(req.messages) && IMAGE_REFUSAL.test(err.message ?? '')) {
      const detail = (err.message ?? '').replace(/^\d{3}\s*/, '').replace(/[.\s]+$/, '');
      return new ProviderError(
        `model "${req.model}" at ${this.baseURL} does not accept images (400: ${detail}). Pick a vision model with --model (or /model), or send the message without the image.`,
        { code: 'images_not_supported', status, cause: err },
      );
    }
    if (status === 401) {
      const keyName = this.opts.apiKeyEnv ?? 'OPENAI_API_KEY';
      return new ProviderError(
        `the API key was rejected (401 Unauthorized) by ${this.baseURL}. Check ${keyName}, or pass --api-key-env NAME to read the key from another variable.`,
        { code: 'unauthorized', status, cause: err },
      );
    }
    if (status === 404) {
      return new ProviderError(
        `model "${req.model}" was not found at ${this.baseURL} (404). Pick another with --model.`,
        {
          code: 'not_found',
          status,
          cause: err,
        },
      );
    }
    const detail = (err.message ?? '').replace(/^\d{3}\s*/, '').replace(/[.\s]+$/, '') || 'no details';
    const upstreamCode = typeof err.code === 'string' && err.code ? ` (${err.code})` : '';
    return new ProviderError(
      `the upstream ${this.baseURL} answered ${status}${upstreamCode}: ${detail}.${statusAdvice(status)}`,
      { code: String(status), status, retryable: status === 408 || status === 429 || status >= 500, cause: err },
    );
  }
}

// How upstreams word a refused image part: OpenAI ("image_url is only supported by certain models", "Invalid content
// type"), vLLM/llama.cpp/Ollama ("does not support image input", "multimodal", "vision").
const IMAGE_REFUSAL = /image|vision|multi-?modal|content type|content part/i;

function hasImages(messages: readonly ChatMessage[]): boolean {
  return messages.some((m) => m.role === 'user' && contentImages(m.content).length > 0);
}

function wirePart(part: ContentPart): ChatCompletionContentPart {
  if (part.type === 'text') return { type: 'text', text: part.text };
  return { type: 'image_url', image_url: { url: `data:${part.mime};base64,${part.data}` } };
}

/** The messages as Chat Completions takes them: image parts become `image_url` data URLs. Text-only: passed as is. */
export function wireMessages(messages: readonly ChatMessage[]): ChatCompletionMessageParam[] {
  if (!messages.some((m) => m.role === 'user' && typeof m.content !== 'string')) {
    return messages as ChatCompletionMessageParam[];
  }
  return messages.map((m): ChatCompletionMessageParam => {
    if (m.role !== 'user' || typeof m.content === 'string') return m as ChatCompletionMessageParam;
    return { role: 'user', content: m.content.map(wirePart) };
  });
}

/** ErrorInfo for any thrown value. */
export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof ProviderError)
    return { message: e.message, ...(e.code ? { code: e.code } : {}), retryable: e.retryable };
  const message = e instanceof Error ? e.message : String(e);
  return { message, retryable: false };
}
