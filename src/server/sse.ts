/**
 * `POST /chat`: the agent's event stream as Server-Sent Events (`event: <type>` + `data: <event JSON>` per event),
 * or, without streaming, one JSON result `{ text, status, usage, run_id }`. A consumer of `agent.streamChat`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentEvent } from '../core/events.js';
import { askClient, endAndDenials, parseAllowTools, unaskedRun } from './approvals.js';
import { leaseSession, parseChatRequest, releasedAtEnd, type ServerContext } from './context.js';
import { abortOnDisconnect, readJsonObject, sendJson, streamWriter } from './http.js';
import { publicEvent, publicRunError, type ServerLog } from './public-errors.js';

/** Comment lines keep idle proxies from closing a stream while a tool runs. */
const HEARTBEAT_MS = 15_000;

/**
 * Headers of every SSE response. No `connection` header: node:http keeps the connection alive by itself, and closes it
 * after the response when the client asked (`Connection: close`), which an explicit keep-alive overrode.
 */
export const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/** One SSE frame for an event. JSON never contains a raw newline, so one `data:` line always suffices. */
export function sseFrame(event: AgentEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Handles `POST /chat`. */
export async function handleChat(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonObject(req, ctx.maxBodyBytes);
  const chat = parseChatRequest(body);
  const allowTools = parseAllowTools(body['allow_tools']);
  const stream = chat.stream ?? (req.headers.accept ?? '').includes('text/event-stream');
  const lease = await leaseSession(ctx, chat.sessionId);
  const run = ctx.runs.start(abortOnDisconnect(req, res), chat.sessionId);
  try {
    const runEvents = ctx.agent.streamChat(chat.input, {
      signal: run.signal,
      conversation: lease?.conversation,
      session: lease?.session,
      // Without streaming the result is built from run_end, so nothing may be filtered away.
      events: stream ? chat.events : undefined,
      timeoutMs: ctx.options.runTimeoutMs,
      // Only a streaming client sees the question (and its run_id); without a stream, calls needing approval that
      // allow_tools did not allow are denied at once.
      ...(stream ? askClient(ctx) : {}),
      ...(stream
        ? allowTools
          ? { preApproved: allowTools }
          : {}
        : unaskedRun('a non-streaming POST /chat', allowTools)),
      observer: ctx.telemetry.observeRun(req, { protocol: 'chat', conversationId: chat.sessionId }),
    });
    const events = releasedAtEnd(runEvents, lease);
    if (stream) await writeSse(res, events, ctx.log);
    else {
      const { end, denied } = await endAndDenials(events);
      sendJson(res, 200, {
        run_id: end.run_id,
        text: end.text,
        status: end.status,
        usage: end.usage,
        ...(end.error ? { error: publicRunError(end, ctx.log) } : {}),
        ...(denied.length ? { denied_tool_calls: denied } : {}),
      });
    }
  } finally {
    run.done();
    await lease?.release();
  }
}

/**
 * Streams events as SSE until the run ends; a gone client only makes writes no-ops (the run is aborted separately).
 * Failures go out in their public form, in full to `log`.
 */
export async function writeSse(res: ServerResponse, events: AsyncIterable<AgentEvent>, log: ServerLog): Promise<void> {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  const write = streamWriter(res);
  const heartbeat = setInterval(() => void write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  try {
    for await (const event of events) {
      const full = write(sseFrame(publicEvent(event, log)));
      if (full) await full;
    }
  } finally {
    clearInterval(heartbeat);
    if (!res.writableEnded && !res.destroyed) res.end();
  }
}
