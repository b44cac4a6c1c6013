/**
 * The types of tracing, apart from ./tracing.ts so that ./otel.ts (which tracing.ts imports lazily) can use them
 * without an import cycle.
 */
import type { RunObserver } from '../core/observer.js';

/** What the environment asks of tracing. */
export interface TracingConfig {
  enabled: boolean;
  /** OTLP over HTTP with protobuf (the OTLP default) or JSON bodies; "console" prints spans to stderr (debugging). */
  exporter: 'http/protobuf' | 'http/json' | 'console';
  /** Prompt and completion text, tool arguments and results on spans: only when opted in. */
  captureContent: boolean;
  /** Settings we cannot honour, for a warning (e.g. OTLP over gRPC). */
  warnings: string[];
}

/** Options of one traced run. */
export interface TraceRunOptions {
  /** How the run was asked for ("chat", "ws", "a2a", "openai", "cli"). */
  protocol: string;
  /** Headers of the request that asked for the run: a W3C `traceparent` (and `tracestate`) there is the parent. */
  carrier?: Readonly<Record<string, string | readonly string[] | undefined>>;
  requestId?: string;
  /** The session / A2A context the run continues (`gen_ai.conversation.id`). */
  conversationId?: string;
}

/** One traced run's observer. */
export interface TracedRun extends RunObserver {
  /** The run's trace id once it started and when it is sampled (for logs). */
  readonly traceId: string | undefined;
}

/** Traces runs and exports the spans. */
export interface Tracing {
  /** An observer that turns one run into an `invoke_agent` span with `chat` and `execute_tool` spans under it. */
  observeRun(options: TraceRunOptions): TracedRun;
  /** Sends what is buffered; gives up after `timeoutMs` (a collector that is down never holds the process). */
  flush(timeoutMs?: number): Promise<void>;
  /** Flushes and stops exporting. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** Options of `startTracing`. */
export interface StartTracingOptions {
  env?: NodeJS.ProcessEnv;
  /** `service.version` on every span (OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES still win for the name). */
  version?: string;
  /** Told about settings that cannot be honoured and spans that could not be exported (at most once a minute). */
  warn?: (message: string) => void;
}
