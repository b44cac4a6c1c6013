/**
 * The telemetry of one server: every request gets an id (its valid `x-request-id`, or a new one, sent back in the
 * response header), one log line and one count when its response ends; every run gets an observer that folds it into
 * the metrics, traces it under the request's `traceparent`, and logs one line when it ends. Each part is optional;
 * with none of them a run gets no observer at all, so an unobserved server pays nothing per token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentEvent } from '../core/events.js';
import { combineObservers, type RunObserver } from '../core/observer.js';
import type { Logger } from './log.js';
import type { AgentMetrics } from './metrics.js';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id.js';
import type { TraceRunOptions, TracedRun, Tracing } from './tracing.js';

/** What a server observes with. */
export interface ServeTelemetryOptions {
  metrics?: AgentMetrics;
  tracing?: Tracing;
  logger?: Logger;
  /**
   * The tools the agent offers (metrics count any other name the model makes up as "unknown"); a function is asked at
   * each run, so tools of an MCP server that came up late count under their own names.
   */
  tools?: ReadonlySet<string> | (() => ReadonlySet<string>);
}

/** A run about to start on behalf of a request. */
export interface RunRequest {
  /** "chat" (SSE or JSON /chat), "ws", "a2a", "openai". */
  protocol: string;
  /** The session / A2A context the run continues. */
  conversationId?: string;
  /** Headers carrying the W3C trace context, when not the request's own (a WebSocket frame may carry its own). */
  carrier?: TraceRunOptions['carrier'];
}

/** Status logged and counted for a request whose client left before any response was written (nginx's 499). */
export const CLIENT_CLOSED = 499;

interface RequestInfo {
  id: string;
  route: string | undefined;
}

/** A request and its response, as the server tracks them. */
export class ServeTelemetry {
  private readonly requests = new WeakMap<IncomingMessage, RequestInfo>();

  constructor(private readonly options: ServeTelemetryOptions = {}) {}

  /** True when runs are observed at all. */
  get observing(): boolean {
    return Boolean(this.options.metrics || this.options.tracing || this.options.logger);
  }

  /**
   * Starts tracking a request: assigns its id (also as the response's `x-request-id` header) and, when the response
   * closes, logs and counts it under `route(path)` — a route template, so label values stay bounded.
   */
  begin(req: IncomingMessage, res: ServerResponse, route: (path: string) => string): string {
    const info: RequestInfo = { id: requestIdFor(req.headers[REQUEST_ID_HEADER]), route: undefined };
    this.requests.set(req, info);
    res.setHeader(REQUEST_ID_HEADER, info.id);
    const { metrics, logger } = this.options;
    if (!metrics && !logger) return info.id;
    const started = performance.now();
    res.once('close', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      this.finish(
        info,
        req.method ?? 'GET',
        info.route ?? route(path),
        res.headersSent ? res.statusCode : CLIENT_CLOSED,
        started,
      );
    });
    return info.id;
  }

  /** Logs and counts a WebSocket upgrade (101) or its refusal, which never reach an HTTP response. */
  upgrade(req: IncomingMessage, status: number, route: string): string {
    const info: RequestInfo = { id: requestIdFor(req.headers[REQUEST_ID_HEADER]), route };
    this.requests.set(req, info);
    this.finish(info, req.method ?? 'GET', route, status, performance.now());
    return info.id;
  }

  /** The id given to a request by `begin` or `upgrade`. */
  requestId(req: IncomingMessage): string | undefined {
    return this.requests.get(req)?.id;
  }

  /** An observer for a run that `req` asked for; undefined when nothing is observed. */
  observeRun(req: IncomingMessage | undefined, run: RunRequest): RunObserver | undefined {
    if (!this.observing) return undefined;
    const { metrics, tracing, logger, tools } = this.options;
    const requestId = req ? this.requestId(req) : undefined;
    const traced = tracing?.observeRun({
      protocol: run.protocol,
      carrier: run.carrier ?? req?.headers,
      ...(requestId ? { requestId } : {}),
      ...(run.conversationId ? { conversationId: run.conversationId } : {}),
    });
    return combineObservers(
      metrics?.observeRun({ protocol: run.protocol, tools: typeof tools === 'function' ? askedOnce(tools) : tools }),
      traced,
      logger ? runLog(logger, run.protocol, requestId, traced) : undefined,
    );
  }

  private finish(info: RequestInfo, method: string, route: string, status: number, started: number): void {
    const seconds = (performance.now() - started) / 1000;
    this.options.metrics?.observeRequest(route, method, status, seconds);
    this.options.logger?.info('request', {
      request_id: info.id,
      method,
      route,
      status,
      duration_ms: Math.round(seconds * 1000),
    });
  }
}

/** The tool names `read` gives, read at the first question only (a run without tool calls never asks). */
function askedOnce(read: () => ReadonlySet<string>): { has(name: string): boolean } {
  let names: ReadonlySet<string> | undefined;
  return { has: (name) => (names ??= read()).has(name) };
}

/** One log line when a run ends: ids, outcome, duration, tokens and the error code — never its text. */
function runLog(
  logger: Logger,
  protocol: string,
  requestId: string | undefined,
  traced: TracedRun | undefined,
): RunObserver {
  return {
    event(e: AgentEvent) {
      if (e.type !== 'run_end') return;
      const fields = {
        request_id: requestId,
        run_id: e.run_id,
        agent: e.agent,
        protocol,
        status: e.status,
        duration_ms: e.duration_ms,
        input_tokens: e.usage.input_tokens,
        output_tokens: e.usage.output_tokens,
        error_code: e.error ? (e.error.code ?? 'run_failed') : undefined,
        trace_id: traced?.traceId,
      };
      if (e.status === 'failed') logger.warn('run', fields);
      else logger.info('run', fields);
    },
  };
}
