/**
 * What every protocol handler shares: the agent, the options, the session store, and the registry of running runs
 * (so shutdown can cancel them all and wait for their `run_end`).
 */
import type { Agent, AgentInput, InputMessage } from '../core/agent.js';
import { parseEventTypes, type AgentEvent, type AgentEventType } from '../core/events.js';
import type { PendingApprovals } from './approvals.js';
import type { ServeTelemetry, ServeTelemetryOptions } from '../observability/serve-telemetry.js';
import { HttpError } from './http.js';
import type { ServerLog } from './public-errors.js';
import type { ConversationStore, SessionLease, SessionOptions } from './sessions.js';
import type { ReadinessCheck } from './readiness.js';
import type { ServerStore } from './store-types.js';

export type { ReadinessCheck } from './readiness.js';

/** Where the A2A transports are mounted (the handler itself, a2a.ts, loads only when one is asked for). */
export const A2A_JSONRPC_PATH = '/a2a/jsonrpc';
export const A2A_REST_PATH = '/a2a/rest';
/** The well-known agent card paths: the A2A one, and what pre-0.3 clients ask for. */
export const AGENT_CARD_PATHS = ['/.well-known/agent-card.json', '/.well-known/agent.json'];

/** Options of the request handler (the CLI fills them from flags). */
export interface HandlerOptions {
  /** Require `Authorization: Bearer <token>` on every route but /health and the agent card. */
  token?: string;
  /** Allow cross-origin requests from this origin (`*` for any); off when unset. */
  cors?: string;
  /** The URL clients reach the server at, used in the A2A agent card (default: derived from each request's Host). */
  publicUrl?: string;
  /** Largest accepted request body in bytes (default 1 MB). */
  maxBodyBytes?: number;
  /** Limits of the conversation store behind `session_id` / `contextId`. */
  sessions?: SessionOptions;
  /** Per-run deadline in ms (default none). */
  runTimeoutMs?: number;
  /** Version shown in the agent card (default: agentor's version). */
  version?: string;
  /**
   * More names clients may address the server by (`Host`) when no token is set; localhost, 127.0.0.1, [::1] and the
   * `publicUrl` host are always accepted. With a token every `Host` is.
   */
  allowedHosts?: readonly string[];
  /** Extra checks for `GET /readyz` (e.g. one per MCP server); the handler adds the provider check itself. */
  readiness?: () => ReadinessCheck[] | Promise<ReadinessCheck[]>;
  /** Bytes of finished A2A tasks kept for GetTask (default 64 MB); least recently used ones go first. */
  a2aTaskStoreBytes?: number;
  /** How long a running A2A task whose last subscriber dropped waits for a resubscribe before it is cancelled (default 30 s). */
  a2aResubscribeGraceMs?: number;
  /**
   * Where sessions and A2A tasks are kept and how runs on other replicas are reached (default: this process's memory;
   * `openStore` gives a Redis one shared by replicas). The caller closes it after the server.
   */
  store?: ServerStore;
  /** How long a tool call waits for the client to approve it before it counts as denied (default 5 min). */
  approvalTimeoutMs?: number;
  /** The operator's log: failures in full (upstream URLs included), readiness changes. Default: stderr. */
  log?: ServerLog;
  /**
   * Metrics, traces and request/run logs (see src/observability). Without it requests still get an `x-request-id`
   * and runs carry no observer at all.
   */
  telemetry?: TelemetryOptions;
}

/** What the server observes with; `/metrics` is served on the server's own port unless `metricsRoute` is false. */
export interface TelemetryOptions extends ServeTelemetryOptions {
  metricsRoute?: boolean;
}

/** One run in flight. */
export interface RunHandle {
  /** Aborted by the client (disconnect, cancel) or by shutdown. */
  readonly signal: AbortSignal;
  abort(reason: Error): void;
  /** Call when the run's `run_end` was delivered (or the consumer stopped). */
  done(): void;
}

/** Tracks runs in flight so a shutdown can cancel them and wait until each has ended. */
export class RunRegistry {
  private readonly active = new Set<AbortController>();
  /** The run holding each session, so a cancel for the session reaches it from any connection or replica. */
  private readonly bySession = new Map<string, AbortController>();
  private idleWaiters: Array<() => void> = [];
  closing = false;

  get size(): number {
    return this.active.size;
  }

  /** Registers a run; its signal also follows `parent` (a client's disconnect or cancel). */
  start(parent?: AbortSignal, sessionId?: string): RunHandle {
    const controller = new AbortController();
    if (this.closing) controller.abort(new Error('the server is shutting down'));
    this.active.add(controller);
    // The first run of a session holds it (one that starts before its lease is refused keeps no claim on it).
    if (sessionId !== undefined && !this.bySession.has(sessionId)) this.bySession.set(sessionId, controller);
    let finished = false;
    return {
      signal: parent ? AbortSignal.any([controller.signal, parent]) : controller.signal,
      abort: (reason) => controller.abort(reason),
      done: () => {
        if (finished) return;
        finished = true;
        if (sessionId !== undefined && this.bySession.get(sessionId) === controller) this.bySession.delete(sessionId);
        this.active.delete(controller);
        if (this.active.size === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      },
    };
  }

  /** Cancels the run holding `sessionId` here; false when none does. */
  cancelSession(sessionId: string, reason: Error): boolean {
    const controller = this.bySession.get(sessionId);
    controller?.abort(reason);
    return controller !== undefined;
  }

  /** Cancels every run (they still end with `run_end` cancelled). */
  abortAll(reason: Error): void {
    this.closing = true;
    for (const c of this.active) c.abort(reason);
  }

  /** Resolves when no run is in flight, or after `timeoutMs`; true when idle. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }
}

/** Shared state of one request handler. */
export interface ServerContext {
  agent: Agent;
  options: HandlerOptions;
  maxBodyBytes: number;
  store: ServerStore;
  sessions: ConversationStore;
  runs: RunRegistry;
  log: ServerLog;
  /** Tool calls waiting for a client's decision. */
  approvals: PendingApprovals;
  /** Request ids, and the observer of each run. */
  telemetry: ServeTelemetry;
}

/** A validated `/chat` (or WebSocket `chat`) request. */
export interface ChatRequest {
  input: AgentInput;
  stream: boolean | undefined;
  sessionId: string | undefined;
  events: AgentEventType[] | undefined;
}

const ROLES = new Set(['user', 'assistant', 'system']);

/** Validates an agent input: a non-empty string or a list of `{role, content}` with at least one user message. */
export function parseInput(value: unknown, field = 'input'): AgentInput {
  if (typeof value === 'string') {
    if (value.trim() === '') throw new HttpError(400, `"${field}" must not be empty`, 'invalid_request');
    return value;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) throw new HttpError(400, `"${field}" must not be an empty list`, 'invalid_request');
    const messages: InputMessage[] = value.map((m: unknown, i) => {
      const msg = m as { role?: unknown; content?: unknown } | null;
      if (
        typeof msg !== 'object' ||
        msg === null ||
        typeof msg.role !== 'string' ||
        !ROLES.has(msg.role) ||
        typeof msg.content !== 'string'
      ) {
        throw new HttpError(
          400,
          `"${field}[${i}]" must be {"role": "user"|"assistant"|"system", "content": string}`,
          'invalid_request',
        );
      }
      return { role: msg.role as InputMessage['role'], content: msg.content };
    });
    if (!messages.some((m) => m.role === 'user'))
      throw new HttpError(400, `"${field}" needs at least one user message`, 'invalid_request');
    return messages;
  }
  if (value === undefined)
    throw new HttpError(400, `missing "${field}": send {"${field}": "your prompt"}`, 'invalid_request');
  throw new HttpError(400, `"${field}" must be a string or a list of {role, content} messages`, 'invalid_request');
}

/** Validates the fields shared by `POST /chat` and the WebSocket `chat` frame. */
export function parseChatRequest(body: Record<string, unknown>): ChatRequest {
  const input = parseInput(body['input']);
  const stream = body['stream'];
  if (stream !== undefined && typeof stream !== 'boolean')
    throw new HttpError(400, '"stream" must be true or false', 'invalid_request');
  const sessionId = body['session_id'];
  if (sessionId !== undefined && (typeof sessionId !== 'string' || sessionId === '' || sessionId.length > 256)) {
    throw new HttpError(400, '"session_id" must be a non-empty string of at most 256 characters', 'invalid_request');
  }
  let events: AgentEventType[] | undefined;
  const rawEvents = body['events'];
  if (rawEvents !== undefined) {
    if (!(
      typeof rawEvents === 'string' ||
      (Array.isArray(rawEvents) && rawEvents.every((e) => typeof e === 'string'))
    )) {
      throw new HttpError(
        400,
        '"events" must be a list of event types, e.g. ["text_delta", "run_end"]',
        'invalid_request',
      );
    }
    try {
      events = parseEventTypes(rawEvents);
    } catch (e) {
      throw new HttpError(400, `"events": ${(e as Error).message}`, 'invalid_request');
    }
  }
  return { input, stream, sessionId, events };
}

/** Takes the session for a run, or answers 409 when another run is using it (503 when the store is unreachable). */
export async function leaseSession(
  ctx: ServerContext,
  sessionId: string | undefined,
): Promise<SessionLease | undefined> {
  if (sessionId === undefined) return undefined;
  const lease = await ctx.sessions.acquire(sessionId);
  if (!lease)
    throw new HttpError(
      409,
      `session "${sessionId}" is busy with another run; wait for its run_end or use another session_id`,
      'session_busy',
    );
  return lease;
}

/**
 * The run's events, with the session lease released (its conversation saved) just before `run_end` goes out: a
 * follow-up sent the moment the client sees the end (to this replica or another) finds the session free. Without a
 * lease the events are returned as they are: a generator layer costs a few promises per token on the hot path.
 */
export function releasedAtEnd(
  events: AsyncIterable<AgentEvent>,
  lease: SessionLease | undefined,
): AsyncIterable<AgentEvent> {
  return lease ? releasing(events, lease) : events;
}

async function* releasing(events: AsyncIterable<AgentEvent>, lease: SessionLease): AsyncGenerator<AgentEvent> {
  for await (const event of events) {
    if (event.type === 'run_end') await lease.release();
    yield event;
  }
}
