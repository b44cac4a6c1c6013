/**
 * OpenAI Chat Completions streaming through the official SDK. Works with OpenAI and every compatible server (Ollama,
 * vLLM, llama.cpp, LM Studio, OpenRouter). The SDK is imported lazily so commands that never call a model start fast.
 */
import { AsyncQueue } from '../async-queue.js';
import type { ErrorInfo } from '../events.js';
import type { ToolCallRequest } from './types.js';
import { parseSSEBatches } from './sse.js';
import { ProviderError, type ModelChunk, type ModelProvider, type ModelRequest } from './types.js';

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
  choices?: Array<{ delta?: StreamDelta; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
}

/** Parses one SSE data payload; a server-sent `error` object becomes a ProviderError. */
function decodeChunk(data: string): StreamChunk {
  const chunk = JSON.parse(data) as StreamChunk & { error?: { message?: string; code?: string } };
  if (chunk.error) {
    throw new ProviderError(`the model stream reported an error: ${chunk.error.message ?? 'unknown error'}`, {
      code: chunk.error.code ?? 'stream_error',
      retryable: false,
    });
  }
  return chunk;
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

  async *stream(req: ModelRequest): AsyncGenerator<ModelChunk | readonly ModelChunk[]> {
    const { default: OpenAI } = await import('openai');
    const notices = new AsyncQueue<ModelChunk>();
    const maxRetries = this.opts.maxRetries ?? 2;
    let attempt = 0;
    // A fresh client per call gives this call its own fetch wrapper, which is how SDK retries become events.
    const client = new OpenAI({
      apiKey: this.opts.apiKey || 'not-needed',
      baseURL: this.opts.baseURL,
      maxRetries,
      logLevel: 'off',
      defaultHeaders: this.opts.headers,
      fetch: async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
        attempt++;
        try {
          const res = await fetch(url, init);
          if (!res.ok && attempt <= maxRetries && sdkWillRetry(res)) {
            notices.push({
              type: 'notice',
              error: {
                message: `upstream answered ${res.status}; retrying${retryDelayText(res)} (attempt ${attempt + 1} of ${maxRetries + 1})`,
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
              error: {
                message: `cannot reach ${this.baseURL}; retrying (attempt ${attempt + 1} of ${maxRetries + 1})`,
                code: 'connection',
                retryable: true,
              },
            });
          }
          throw e;
        }
      },
    });

    const params = {
      model: req.model,
      messages: req.messages,
      stream: true as const,
      stream_options: { include_usage: true },
      ...(req.tools.length > 0 ? { tools: req.tools } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    };
    // The SDK makes the request (auth, retries with backoff, error mapping); the body is parsed by our lean SSE parser.
    // Retries happen before the response opens: surface their notices while waiting for it.
    const opening = client.chat.completions.create(params as never, { signal: req.signal }).asResponse();
    const opened = opening.then(
      (response) => ({ response }),
      (error: unknown) => ({ error }),
    );
    void opened.finally(() => notices.close());
    for await (const notice of notices) yield notice;
    const outcome = await opened;
    if ('error' in outcome) throw this.translate(outcome.error, req);
    const body = outcome.response.body;
    if (!body)
      throw new ProviderError('the model answered with an empty body', { code: 'empty_body', retryable: true });
    // Cancelling the body on abort closes the connection even if the SDK's own abort wiring has already let go.
    const cancel = (): void => void body.cancel().catch(() => undefined);
    req.signal.addEventListener('abort', cancel, { once: true });

    const calls = new Map<number, ToolCallRequest>();
    let finished = false;
    try {
      // Messages of one network read are handled in a plain loop: one async hop per read, not per token.
      read: for await (const batch of parseSSEBatches(body)) {
        // Everything one network read carried goes up as one batch: one async step per read, not per token.
        const out: ModelChunk[] = [];
        for (const message of batch) {
          if (message.data === '[DONE]') {
            if (out.length > 0) yield out;
            break read;
          }
          let chunk: StreamChunk;
          try {
            chunk = decodeChunk(message.data);
          } catch (e) {
            if (out.length > 0) yield out; // what arrived before the bad chunk still counts (partial text is kept)
            throw e;
          }
          if (chunk.usage) {
            const input = chunk.usage.prompt_tokens ?? 0;
            const output = chunk.usage.completion_tokens ?? 0;
            out.push({
              type: 'usage',
              usage: {
                input_tokens: input,
                output_tokens: output,
                total_tokens: chunk.usage.total_tokens ?? input + output,
              },
            });
          }
          const choice = chunk.choices?.[0];
          if (!choice) continue;
          const delta = choice.delta ?? {};
          const reasoning = delta.reasoning_content ?? delta.reasoning;
          if (reasoning) out.push({ type: 'reasoning', text: reasoning });
          if (delta.content) out.push({ type: 'text', text: delta.content });
          for (const frag of delta.tool_calls ?? []) {
            // Fragments of one call share an index; the first carries id and name, the rest pieces of arguments.
            const call = calls.get(frag.index) ?? { id: '', name: '', arguments: '' };
            if (frag.id) call.id = frag.id;
            if (frag.function?.name) call.name += frag.function.name;
            if (frag.function?.arguments) call.arguments += frag.function.arguments;
            calls.set(frag.index, call);
          }
          if (choice.finish_reason) finished = true;
        }
        if (out.length > 0) yield out;
      }
    } catch (e) {
      throw this.translate(e, req);
    } finally {
      req.signal.removeEventListener('abort', cancel);
    }
    if (!finished) {
      throw new ProviderError('the model stream ended before the model finished (connection dropped?)', {
        code: 'stream_incomplete',
        retryable: true,
      });
    }
    if (calls.size > 0) {
      const ordered = [...calls.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([i, c]) => ({ ...c, id: c.id || `call_${i}` }));
      yield { type: 'tool_calls', calls: ordered };
    }
  }

  /** Turns SDK errors into messages that say what happened and what to do. Aborts pass through untouched. */
  private translate(e: unknown, req: ModelRequest): unknown {
    if (req.signal.aborted) return e;
    const err = e as {
      status?: number;
      code?: string | null;
      message?: string;
      name?: string;
      constructor?: { name?: string };
    };
    const kind = err?.constructor?.name ?? '';
    const keyName = this.opts.apiKeyEnv ?? 'OPENAI_API_KEY';
    if (err?.status === 401) {
      return new ProviderError(
        `the API key was rejected (401 Unauthorized) by ${this.baseURL}. Check ${keyName}, or pass --api-key-env NAME to read the key from another variable.`,
        { code: 'unauthorized', status: 401, cause: e },
      );
    }
    if (err?.status === 404) {
      return new ProviderError(
        `model "${req.model}" was not found at ${this.baseURL} (404). Pick another with --model.`,
        {
          code: 'not_found',
          status: 404,
          cause: e,
        },
      );
    }
    if (typeof err?.status === 'number') {
      const detail = (err.message ?? '').replace(/^\d{3}\s*/, '');
      return new ProviderError(`upstream answered ${err.status}: ${detail || 'no details'}`, {
        code: err.code ?? String(err.status),
        status: err.status,
        retryable: err.status === 429 || err.status >= 500,
        cause: e,
      });
    }
    if (kind === 'APIConnectionError' || kind === 'APIConnectionTimeoutError') {
      return new ProviderError(
        `cannot reach ${this.baseURL}: ${err.message ?? 'connection error'}. Check --base-url / OPENAI_BASE_URL.`,
        {
          code: 'connection',
          retryable: true,
          cause: e,
        },
      );
    }
    if (e instanceof ProviderError) return e;
    if (e instanceof SyntaxError) {
      return new ProviderError(`the model stream sent a malformed chunk (${e.message})`, {
        code: 'malformed_chunk',
        cause: e,
      });
    }
    const message = err?.message ?? String(e);
    return new ProviderError(`the model stream failed: ${message}`, {
      code: 'stream_error',
      retryable: true,
      cause: e,
    });
  }
}

/** ErrorInfo for any thrown value. */
export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof ProviderError)
    return { message: e.message, ...(e.code ? { code: e.code } : {}), retryable: e.retryable };
  const message = e instanceof Error ? e.message : String(e);
  return { message, retryable: false };
}
