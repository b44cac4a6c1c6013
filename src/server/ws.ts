/**
 * `GET /ws`: a WebSocket (package `ws`) that multiplexes runs. Client frames: `{"type":"chat","id":"…","input":…}`
 * (plus the optional `session_id`, `events` and `allow_tools` of /chat), `{"type":"cancel","id":"…"}` and
 * `{"type":"approval","id":"…","call_id":"…","decision":"allowed"|"denied"}` (the answer to a tool_approval_request). The server sends every
 * event of a run with the request's `id` added; problems with a frame come back as
 * `{"type":"error","id":…,"error":{message,code,retryable}}` without a `run_id`. Closing the socket cancels its runs.
 * A `cancel` with a `session_id` cancels the run holding that session wherever it runs (another connection, or another
 * replica through the shared store), answered `{"type":"cancelled","id","session_id"}`; an `approval` with a `run_id`
 * answers a run of another connection or replica.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { leaseSession, parseChatRequest, releasedAtEnd, type RunHandle, type ServerContext } from './context.js';
import { answerOrThrow, approvalTimeout, parseAllowTools } from './approvals.js';
import { HttpError } from './http.js';
import { publicEvent } from './public-errors.js';

/** Beyond this many buffered bytes a sender waits for the socket to flush (backpressure). */
const HIGH_WATER = 1024 * 1024;
const PING_MS = 30_000;

/** The WebSocket side of the server. */
export interface WsHandler {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every socket (their runs are cancelled). */
  closeAll(code?: number, reason?: string): void;
}

function send(ws: WebSocket, frame: unknown): Promise<void> | void {
  if (ws.readyState !== ws.OPEN) return;
  const data = JSON.stringify(frame);
  if (ws.bufferedAmount < HIGH_WATER) {
    ws.send(data);
    return;
  }
  return new Promise<void>((resolve) => ws.send(data, () => resolve()));
}

function sendError(ws: WebSocket, id: unknown, message: string, code: string): void {
  void send(ws, { type: 'error', id: id ?? null, error: { message, code, retryable: false } });
}

/** A text frame as a JSON object; undefined when it is not one. */
function parseFrame(raw: RawData): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(
      Buffer.isBuffer(raw)
        ? raw.toString('utf8')
        : Buffer.concat(Array.isArray(raw) ? raw : [Buffer.from(raw)]).toString('utf8'),
    ) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** One connected socket: its runs (by the client's ids), kept alive by pings, cancelled when it closes. */
class SocketSession {
  private readonly runs = new Map<string, RunHandle>();
  /** The run_id of each run that asked a question, by the client's id. */
  private readonly runIds = new Map<string, string>();
  private readonly gone = new AbortController();

  constructor(
    private readonly ctx: ServerContext,
    private readonly ws: WebSocket,
    /** The upgrade request: its id and trace context belong to every run of the connection. */
    private readonly req: IncomingMessage | undefined,
  ) {
    let alive = true;
    ws.on('pong', () => (alive = true));
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_MS);
    ping.unref();
    ws.on('error', () => {}); // a broken socket is reported by 'close'
    ws.on('close', () => {
      clearInterval(ping);
      this.gone.abort(new Error('the WebSocket closed'));
    });
    ws.on('message', (raw: RawData, isBinary: boolean) => this.onMessage(raw, isBinary));
  }

  private onMessage(raw: RawData, isBinary: boolean): void {
    const ws = this.ws;
    if (isBinary) return sendError(ws, null, 'send JSON text frames, not binary', 'invalid_frame');
    const frame = parseFrame(raw);
    if (!frame)
      return sendError(
        ws,
        null,
        'each frame must be a JSON object such as {"type":"chat","id":"1","input":"hi"}',
        'invalid_json',
      );
    const id = frame['id'];
    if (typeof id !== 'string' || id === '' || id.length > 256) {
      return sendError(ws, id, '"id" must be a non-empty string (at most 256 characters)', 'invalid_request');
    }
    switch (frame['type']) {
      case 'chat':
        return this.startRun(id, frame);
      case 'cancel': {
        const run = this.runs.get(id);
        if (run) return run.abort(new Error('cancelled by the client'));
        const sessionId = frame['session_id'];
        if (typeof sessionId === 'string' && sessionId !== '') return void this.cancelSession(id, sessionId);
        return sendError(ws, id, `no run with id "${id}" is in progress`, 'not_found');
      }
      case 'approval':
        return this.answer(id, frame);
      default:
        return sendError(ws, id, '"type" must be "chat", "cancel" or "approval"', 'invalid_request');
    }
  }

  /**
   * Cancels the run holding a session, wherever it runs (another connection, another replica); answers
   * `{"type":"cancelled","id","session_id"}` once the run was told, or not_found.
   */
  private async cancelSession(id: string, sessionId: string): Promise<void> {
    const reason = new Error('cancelled by the client');
    try {
      if (
        !this.ctx.runs.cancelSession(sessionId, reason) &&
        !(await this.ctx.store.ask({ op: 'cancel-session', sessionId }))
      )
        return sendError(this.ws, id, `no run of session "${sessionId}" is in progress`, 'not_found');
      void send(this.ws, { type: 'cancelled', id, session_id: sessionId });
    } catch (e) {
      const err = e instanceof HttpError ? e : new HttpError(500, 'the cancel could not be sent', 'internal_error');
      sendError(this.ws, id, err.message, err.code);
    }
  }

  /** An approval for a run of this socket, or (with `run_id`) for a run of another connection or replica. */
  private answer(id: string, frame: Record<string, unknown>): void {
    const own = this.runs.has(id) ? this.runIds.get(id) : undefined;
    const named = frame['run_id'];
    const runId = own ?? (typeof named === 'string' && named !== '' && named.length <= 256 ? named : undefined);
    void (async () => {
      try {
        if (!runId) throw new HttpError(404, `no run with id "${id}" is waiting for an approval`, 'approval_not_found');
        await answerOrThrow(this.ctx, runId, frame);
      } catch (e) {
        const err = e instanceof HttpError ? e : new HttpError(400, String(e), 'invalid_request');
        sendError(this.ws, id, err.message, err.code);
      }
    })();
  }

  private startRun(id: string, frame: Record<string, unknown>): void {
    const { ctx, ws } = this;
    if (this.runs.has(id)) return sendError(ws, id, `a run with id "${id}" is already in progress`, 'duplicate_id');
    let chat;
    let allowTools: string[] | undefined;
    try {
      chat = parseChatRequest(frame);
      allowTools = parseAllowTools(frame['allow_tools']);
    } catch (e) {
      const err = e instanceof HttpError ? e : new HttpError(400, String(e), 'invalid_request');
      return sendError(ws, id, err.message, err.code);
    }
    const run = ctx.runs.start(this.gone.signal, chat.sessionId);
    this.runs.set(id, run);
    void (async () => {
      let lease;
      try {
        lease = await leaseSession(ctx, chat.sessionId);
      } catch (e) {
        this.runs.delete(id);
        run.done();
        const err = e instanceof HttpError ? e : new HttpError(400, String(e), 'invalid_request');
        return sendError(ws, id, err.message, err.code);
      }
      try {
        const runEvents = ctx.agent.streamChat(chat.input, {
          signal: run.signal,
          conversation: lease?.conversation,
          session: lease?.session,
          events: chat.events,
          timeoutMs: ctx.options.runTimeoutMs,
          approvalTimeoutMs: approvalTimeout(ctx),
          // Tools the client allows in advance run without a question; `--approve never` still refuses them.
          ...(allowTools ? { preApproved: allowTools } : {}),
          approve: (request, asked) => {
            this.runIds.set(id, request.run_id);
            return ctx.approvals.approver(request, asked);
          },
          observer: ctx.telemetry.observeRun(this.req, {
            protocol: 'ws',
            conversationId: chat.sessionId,
            ...(typeof frame['traceparent'] === 'string' ? { carrier: traceCarrier(frame) } : {}),
          }),
        });
        for await (const event of releasedAtEnd(runEvents, lease))
          await send(ws, { ...publicEvent(event, ctx.log), id });
      } catch (e) {
        ctx.log(`WebSocket run ${id} failed: ${(e as Error)?.message ?? String(e)}`);
        sendError(ws, id, 'the run failed on the server', 'internal_error');
      } finally {
        this.runs.delete(id);
        this.runIds.delete(id);
        run.done();
        await lease?.release();
      }
    })();
  }
}

/** A `chat` frame's own W3C trace context (a browser cannot set headers on a WebSocket), as headers. */
function traceCarrier(frame: Record<string, unknown>): Record<string, string> {
  const carrier: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate']) {
    const value = frame[key];
    if (typeof value === 'string' && value.length <= 512) carrier[key] = value;
  }
  return carrier;
}

/** Creates the WebSocket endpoint; the HTTP server hands it authorised upgrade requests for /ws. */
export function createWsHandler(ctx: ServerContext): WsHandler {
  const wss = new WebSocketServer({ noServer: true, maxPayload: ctx.maxBodyBytes });
  wss.on('connection', (ws: WebSocket, req: IncomingMessage | undefined) => new SocketSession(ctx, ws, req));
  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    closeAll(code = 1001, reason = 'server shutting down') {
      for (const ws of wss.clients) {
        ws.close(code, reason);
        // A peer that never answers the close handshake must not hold the shutdown.
        setTimeout(() => ws.terminate(), 1000).unref();
      }
    },
  };
}
