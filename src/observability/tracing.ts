/**
 * Tracing, as far as the rest of agentor sees it: whether the standard OpenTelemetry variables ask for it, and the
 * `Tracing` a command or server uses to trace runs. The OpenTelemetry SDK lives in ./otel.ts and is imported only when
 * tracing is on, so a run without the variables loads none of it (not even @opentelemetry/api).
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

const TRUE = /^\s*true\s*$/i;

/** Reads the standard OTEL_* variables: tracing is on when an OTLP endpoint or a traces exporter other than none is set. */
export function tracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const warnings: string[] = [];
  const off: TracingConfig = { enabled: false, exporter: 'http/protobuf', captureContent: false, warnings };
  if (TRUE.test(env['OTEL_SDK_DISABLED'] ?? '')) return off;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (exporters.includes('none')) return off;
  const known: string[] = exporters.filter((e) => e === 'otlp' || e === 'console');
  for (const e of exporters)
    if (!known.includes(e)) warnings.push(`OTEL_TRACES_EXPORTER=${e} is not supported (use otlp or console)`);
  if (known.length === 0 && !endpoint) return off;
  const captureContent = TRUE.test(env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'] ?? '');
  if (known.length > 0 && !known.includes('otlp'))
    return { enabled: true, exporter: 'console', captureContent, warnings };
  const protocol = (env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] || env['OTEL_EXPORTER_OTLP_PROTOCOL'] || 'http/protobuf')
    .trim()
    .toLowerCase();
  if (protocol === 'http/json') return { enabled: true, exporter: 'http/json', captureContent, warnings };
  if (protocol !== 'http/protobuf')
    warnings.push(
      `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported; exporting OTLP over HTTP with protobuf (http/protobuf, usually port 4318) instead`,
    );
  return { enabled: true, exporter: 'http/protobuf', captureContent, warnings };
}

/** Starts tracing when the environment asks for it (loading the SDK only then); undefined when it does not. */
export async function startTracing(options: StartTracingOptions = {}): Promise<Tracing | undefined> {
  const config = tracingConfig(options.env);
  for (const w of config.warnings) options.warn?.(w);
  if (!config.enabled) return undefined;
  const { createTracing } = await import('./otel.js');
  return createTracing(config, options);
}
