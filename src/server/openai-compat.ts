/**
 * An OpenAI-compatible surface, so any OpenAI client can talk to the agent: `GET /v1/models` lists the agent as a
 * model, `POST /v1/chat/completions` runs it (streaming chunks or one completion). The agent's own tools run on the
 * server; clients see the answer text. A consumer of `agent.streamChat`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InputMessage } from '../core/agent.js';
import { dataUrlPayload, IMAGE_MAX_COUNT, imagePartFromBase64 } from '../core/providers/images.js';
import type { ContentPart, UserContent } from '../core/providers/types.js';
import type { AgentEvent, RunEndEvent, RunStatus, Usage } from '../core/events.js';
import type { ServerContext } from './context.js';
import { TurnJoiner } from '../core/stream.js';
import { endAndDenials, parseAllowTools, unaskedRun, type DeniedCall } from './approvals.js';
import { abortOnDisconnect, HttpError, readJsonObject, sendJson, streamWriter } from './http.js';
import { publicRunError } from './public-errors.js';
import { SSE_HEADERS } from './sse.js';

const CREATED = Math.floor(Date.now() / 1000);

/** The OpenAI error body (`code` is always agentor's stable string). */
export function openAIError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string,
  param: string | null = null,
  requestId?: string,
): void {
  sendJson(res, status, { error: { message, type, param, code, ...(requestId ? { request_id: requestId } : {}) } });
}

const modelObject = (id: string): Record<string, unknown> => ({
  id,
  object: 'model',
  created: CREATED,
  owned_by: 'agentor',
});

/** The model ids a request may name: the agent's name (what `/v1/models` lists) and the model it runs on. */
function knownModel(ctx: ServerContext, id: string): boolean {
  return id === ctx.agent.name || id === ctx.agent.model;
}

function modelNotFound(ctx: ServerContext, id: string): HttpError {
  return new HttpError(
    404,
    `The model '${id.length > 200 ? `${id.slice(0, 200)}…` : id}' does not exist: this server serves '${ctx.agent.name}' (GET /v1/models)`,
    'model_not_found',
  );
}

/** `GET /v1/models`. */
export function handleModels(ctx: ServerContext, res: ServerResponse): void {
  sendJson(res, 200, { object: 'list', data: [modelObject(ctx.agent.name)] });
}

/** `GET /v1/models/{model}` (the id is URL-encoded when it holds a slash, as OpenAI clients send it). */
export function handleModel(ctx: ServerContext, res: ServerResponse, encodedId: string): void {
  let id: string;
  try {
    id = decodeURIComponent(encodedId);
  } catch {
    id = encodedId;
  }
  if (!knownModel(ctx, id)) throw modelNotFound(ctx, id);
  sendJson(res, 200, modelObject(id));
}

function contentText(content: unknown, index: number): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        const p = part as { type?: unknown; text?: unknown };
        if (p && p.type === 'text' && typeof p.text === 'string') return p.text;
        throw new HttpError(
          400,
          `messages[${index}].content: only text parts are supported here (images go in user messages)`,
          'invalid_request',
        );
      })
      .join('');
  }
  throw new HttpError(400, `messages[${index}].content must be a string or a list of text parts`, 'invalid_request');
}

/**
 * A user message's content: text, or text and `image_url` parts with `data:` URLs (the bytes decide the format; this
 * server fetches no URL). `images` counts the request's images against IMAGE_MAX_COUNT.
 */
function userContent(content: unknown, index: number, images: { count: number }): UserContent {
  if (!Array.isArray(content) || !content.some((p) => (p as { type?: unknown } | null)?.type === 'image_url')) {
    return contentText(content, index);
  }
  const parts: ContentPart[] = [];
  content.forEach((part: unknown, j) => {
    const p = part as { type?: unknown; text?: unknown; image_url?: { url?: unknown } } | null;
    const where = `messages[${index}].content[${j}]`;
    if (p?.type === 'text' && typeof p.text === 'string') return void parts.push({ type: 'text', text: p.text });
    if (p?.type !== 'image_url')
      throw new HttpError(400, `${where}: only text and image_url parts are supported`, 'invalid_request');
    const url = p.image_url?.url;
    if (typeof url !== 'string') throw new HttpError(400, `${where}.image_url.url must be a string`, 'invalid_request');
    const data = dataUrlPayload(url);
    if (data === undefined) {
      throw new HttpError(
        400,
        `${where}: only data:<mime>;base64,… image URLs are accepted (this server fetches no URL)`,
        'invalid_request',
      );
    }
    if (++images.count > IMAGE_MAX_COUNT) {
      throw new HttpError(400, `a request carries at most ${IMAGE_MAX_COUNT} images`, 'too_many_images');
    }
    const made = imagePartFromBase64(data, undefined);
    if ('error' in made) {
      const tooLarge = made.error.includes('limit');
      throw new HttpError(
        tooLarge ? 413 : 400,
        `${where}: ${made.error}`,
        tooLarge ? 'image_too_large' : 'invalid_image',
      );
    }
    parts.push({ ...made.part, name: `image ${images.count}` });
  });
  return parts;
}

/** Maps OpenAI messages onto the agent's input (tool messages of the client's own tools are not supported). */
export function toAgentInput(messages: unknown): InputMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new HttpError(400, '"messages" must be a non-empty list of {role, content}', 'invalid_request');
  }
  const out: InputMessage[] = [];
  const images = { count: 0 };
  messages.forEach((m: unknown, i) => {
    const msg = m as { role?: unknown; content?: unknown } | null;
    if (typeof msg !== 'object' || msg === null)
      throw new HttpError(400, `messages[${i}] must be an object`, 'invalid_request');
    const role = msg.role === 'developer' ? 'system' : msg.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      throw new HttpError(400, `messages[${i}].role must be system, developer, user or assistant`, 'invalid_request');
    }
    out.push({ role, content: role === 'user' ? userContent(msg.content, i, images) : contentText(msg.content, i) });
  });
  if (!out.some((m) => m.role === 'user'))
    throw new HttpError(400, '"messages" needs at least one user message', 'invalid_request');
  return out;
}

function finishReason(status: RunStatus): string {
  return status === 'max_turns' ? 'length' : 'stop';
}

function usageOf(u: Usage): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: u.input_tokens, completion_tokens: u.output_tokens, total_tokens: u.total_tokens };
}

/** HTTP status, OpenAI error type and public message for a run that did not complete (details go to the log). */
function failure(
  ctx: ServerContext,
  end: RunEndEvent,
): { status: number; type: string; code: string; message: string; retryable: boolean } {
  if (end.status === 'cancelled')
    return { status: 503, type: 'server_error', code: 'cancelled', message: 'the run was cancelled', retryable: true };
  const pub = publicRunError(end, ctx.log);
  if (end.status === 'timeout') return { status: 504, type: 'server_error', ...pub };
  // The client's request asked for what the model cannot take: its to change, not the server's to retry.
  if (pub.code === 'images_not_supported') return { status: 400, type: 'invalid_request_error', ...pub };
  return { status: 502, type: 'upstream_error', ...pub };
}

/** A validated completion request. */
interface CompletionRequest {
  input: InputMessage[];
  stream: boolean;
  includeUsage: boolean;
  /** Tools the client allows in advance (`allow_tools`, an agentor extension): this endpoint cannot ask. */
  allowTools: string[] | undefined;
}

function parseCompletion(ctx: ServerContext, body: Record<string, unknown>): CompletionRequest {
  const model = body['model'];
  if (model !== undefined && typeof model !== 'string')
    throw new HttpError(400, '"model" must be a string', 'invalid_request');
  if (typeof model === 'string' && !knownModel(ctx, model)) throw modelNotFound(ctx, model);
  const input = toAgentInput(body['messages']);
  if (body['stream'] !== undefined && typeof body['stream'] !== 'boolean')
    throw new HttpError(400, '"stream" must be a boolean', 'invalid_request');
  const includeUsage = (body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;
  return { input, stream: body['stream'] === true, includeUsage, allowTools: parseAllowTools(body['allow_tools']) };
}

/** `POST /v1/chat/completions`. */
export async function handleChatCompletions(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const completion = parseCompletion(ctx, await readJsonObject(req, ctx.maxBodyBytes));
  const run = ctx.runs.start(abortOnDisconnect(req, res));
  const meta = {
    id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
    created: Math.floor(Date.now() / 1000),
    model: ctx.agent.name,
  };
  try {
    const events = ctx.agent.streamChat(completion.input, {
      signal: run.signal,
      timeoutMs: ctx.options.runTimeoutMs,
      observer: ctx.telemetry.observeRun(req, { protocol: 'openai' }),
      ...unaskedRun('POST /v1/chat/completions', completion.allowTools),
    });
    if (completion.stream) await streamCompletion(ctx, res, events, meta, completion.includeUsage);
    else await answerCompletion(ctx, res, events, meta);
  } finally {
    run.done();
  }
}

/** Fields every completion and chunk repeats. */
interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

async function answerCompletion(
  ctx: ServerContext,
  res: ServerResponse,
  events: AsyncIterable<AgentEvent>,
  meta: CompletionMeta,
): Promise<void> {
  const { end, denied } = await endAndDenials(events);
  if (end.status !== 'completed' && end.status !== 'max_turns') {
    const f = failure(ctx, end);
    return openAIError(res, f.status, f.message, f.type, f.code);
  }
  sendJson(res, 200, {
    ...meta,
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: end.text, refusal: null },
        logprobs: null,
        finish_reason: finishReason(end.status),
      },
    ],
    usage: usageOf(end.usage),
    ...deniedField(denied),
  });
}

/** The calls the approval policy denied, an agentor extension field clients may act on (retry with `allow_tools`). */
function deniedField(denied: readonly DeniedCall[]): { denied_tool_calls?: readonly DeniedCall[] } {
  return denied.length ? { denied_tool_calls: denied } : {};
}

async function streamCompletion(
  ctx: ServerContext,
  res: ServerResponse,
  events: AsyncIterable<AgentEvent>,
  meta: CompletionMeta,
  includeUsage: boolean,
): Promise<void> {
  res.writeHead(200, SSE_HEADERS);
  const write = streamWriter(res);
  const frame = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra?: object): string =>
    frame({
      ...meta,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
      ...extra,
    });
  await write(chunk({ role: 'assistant', content: '' }));
  // Turns are joined exactly as in the non-streaming answer (run_end.text).
  const turns = new TurnJoiner();
  const denied: DeniedCall[] = [];
  for await (const e of events) {
    if (e.type === 'text_delta') {
      const full = write(chunk({ content: turns.append(e.turn, e.text) }));
      if (full) await full;
    } else if (e.type === 'reasoning_delta') {
      await write(chunk({ reasoning_content: e.text }));
    } else if (e.type === 'tool_approval') {
      if (e.decision === 'denied' && e.by === 'policy')
        denied.push({ call_id: e.call_id, name: e.name, reason: e.reason ?? '' });
    } else if (e.type === 'run_end') {
      if (e.status === 'completed' || e.status === 'max_turns') {
        await write(chunk({}, finishReason(e.status), deniedField(denied)));
        if (includeUsage)
          await write(frame({ ...meta, object: 'chat.completion.chunk', choices: [], usage: usageOf(e.usage) }));
        await write('data: [DONE]\n\n');
      } else {
        // What the OpenAI API does on a mid-stream failure: an error frame, which its SDK raises as an APIError.
        const f = failure(ctx, e);
        await write(frame({ error: { message: f.message, type: f.type, param: null, code: f.code } }));
      }
    }
  }
  if (!res.writableEnded && !res.destroyed) res.end();
}
