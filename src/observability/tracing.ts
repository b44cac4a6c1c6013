/**
 * Tracing, as far as the rest of agentor sees it: whether the standard OpenTelemetry variables ask for it, and the
 * `Tracing` a command or server uses to trace runs. The OpenTelemetry SDK lives in ./otel.ts and is imported only when
 * tracing is on, so a run without the variables loads none of it (not even @opentelemetry/api).
 */
import type { StartTracingOptions, Tracing, TracingConfig } from './tracing-types.js';

export type { StartTracingOptions, TraceRunOptions, TracedRun, Tracing, TracingConfig } from './tracing-types.js';

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
