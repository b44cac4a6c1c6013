/**
 * An OpenAI-compatible surface, so any OpenAI client can talk to the agent: `GET /v1/models` lists the agent as a
 * model, `POST /v1/chat/completions` runs it (streaming chunks or one completion). The agent's own tools run on the
 * server; clients see the answer text. A consumer of `agent.streamChat`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InputMessage } from '../core/agent.js';
import type { RunEndEvent, RunStatus, Usage } from '../core/events.js';
import type { ServerContext } from './context.js';
import { joinTurns, runEndOf } from '../core/stream.js';
import { abortOnDisconnect, HttpError, readJsonObject, sendJson, streamWriter } from './http.js';
import { SSE_HEADERS } from './sse.js';

const CREATED = Math.floor(Date.now() / 1000);

/** The OpenAI error body. */
export function openAIError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
): void {
  sendJson(res, status, { error: { message, type, param, code } });
}

/** `GET /v1/models`. */
export function handleModels(ctx: ServerContext, res: ServerResponse): void {
  sendJson(res, 200, {
    object: 'list',
    data: [{ id: ctx.agent.name, object: 'model', created: CREATED, owned_by: 'agentor' }],
  });
}

function contentText(content: unknown, index: number): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        const p = part as { type?: unknown; text?: unknown };
        if (p && p.type === 'text' && typeof p.text === 'string') return p.text;
        throw new HttpError(400, `messages[${index}].content: only text parts are supported`, 'invalid_request');
      })
      .join('');
  }
  throw new HttpError(400, `messages[${index}].content must be a string or a list of text parts`, 'invalid_request');
}

/** Maps OpenAI messages onto the agent's input (tool messages of the client's own tools are not supported). */
export function toAgentInput(messages: unknown): InputMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new HttpError(400, '"messages" must be a non-empty list of {role, content}', 'invalid_request');
  }
  const out: InputMessage[] = [];
  messages.forEach((m: unknown, i) => {
    const msg = m as { role?: unknown; content?: unknown } | null;
    if (typeof msg !== 'object' || msg === null)
      throw new HttpError(400, `messages[${i}] must be an object`, 'invalid_request');
    const role = msg.role === 'developer' ? 'system' : msg.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      throw new HttpError(400, `messages[${i}].role must be system, developer, user or assistant`, 'invalid_request');
    }
    out.push({ role, content: contentText(msg.content, i) });
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

/** HTTP status and OpenAI error type for a run that did not complete. */
function failure(end: RunEndEvent): { status: number; type: string; code: string } {
  if (end.status === 'cancelled') return { status: 503, type: 'server_error', code: 'cancelled' };
  if (end.status === 'timeout') return { status: 504, type: 'server_error', code: 'timeout' };
  return { status: 502, type: 'upstream_error', code: end.error?.code ?? 'run_failed' };
}

/** `POST /v1/chat/completions`. */
export async function handleChatCompletions(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readJsonObject(req, ctx.maxBodyBytes);
  const input = toAgentInput(body['messages']);
  if (body['stream'] !== undefined && typeof body['stream'] !== 'boolean')
    throw new HttpError(400, '"stream" must be a boolean', 'invalid_request');
  const stream = body['stream'] === true;
  const includeUsage = (body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;
  const run = ctx.runs.start(abortOnDisconnect(req, res));
  const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
  const created = Math.floor(Date.now() / 1000);
  const model = ctx.agent.name;
  try {
    const events = ctx.agent.streamChat(input, { signal: run.signal, timeoutMs: ctx.options.runTimeoutMs });
    if (!stream) {
      const end = await runEndOf(events);
      if (end.status !== 'completed' && end.status !== 'max_turns') {
        const f = failure(end);
        return openAIError(
          res,
          f.status,
          end.error?.message ?? `the run ended with status ${end.status}`,
          f.type,
          f.code,
        );
      }
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: end.text, refusal: null },
            logprobs: null,
            finish_reason: finishReason(end.status),
          },
        ],
        usage: usageOf(end.usage),
      });
    }

    res.writeHead(200, SSE_HEADERS);
    const write = streamWriter(res);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        ...(includeUsage ? { usage: null } : {}),
      })}\n\n`;
    await write(chunk({ role: 'assistant', content: '' }));
    // Turns are joined the way the non-streaming answer (run_end.text) joins them.
    for await (const e of joinTurns(events)) {
      if (e.type === 'text_delta') {
        await write(chunk({ content: e.text }));
      } else if (e.type === 'reasoning_delta') {
        await write(chunk({ reasoning_content: e.text }));
      } else if (e.type === 'run_end') {
        if (e.status === 'completed' || e.status === 'max_turns') {
          await write(chunk({}, finishReason(e.status)));
          if (includeUsage) {
            await write(
              `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageOf(e.usage) })}\n\n`,
            );
          }
          await write('data: [DONE]\n\n');
        } else {
          // What the OpenAI API does on a mid-stream failure: an error frame, which its SDK raises as an APIError.
          const f = failure(e);
          await write(
            `data: ${JSON.stringify({ error: { message: e.error?.message ?? `the run ended with status ${e.status}`, type: f.type, param: null, code: f.code } })}\n\n`,
          );
        }
      }
    }
    if (!res.writableEnded && !res.destroyed) res.end();
  } finally {
    run.done();
  }
}
