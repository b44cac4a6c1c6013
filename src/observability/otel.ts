/**
 * Runs traced with the OpenTelemetry SDK, following the GenAI semantic conventions: an `invoke_agent {agent}` span per
 * run, a `chat {model}` CLIENT span per model call and an `execute_tool {tool}` span per tool call under it. Contexts
 * are passed explicitly (no global context manager): the parent comes from the request's W3C `traceparent`, and each
 * model or tool call hands its own context to the HTTP request it makes. Loaded only when tracing is on.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import type { AgentEvent, RunEndEvent, ToolApprovalEvent } from '../core/events.js';
import type {
  ModelCallEnd,
  ModelCallStart,
  ModelCallWatch,
  PropagationHeaders,
  ToolCallEnd,
  ToolCallStart,
  ToolCallWatch,
} from '../core/observer.js';
import type { ChatMessage } from '../core/providers/types.js';
import type { StartTracingOptions, TraceRunOptions, TracedRun, Tracing, TracingConfig } from './tracing-types.js';

/**
 * GenAI attribute names, copied rather than imported: they are still "development" in the registry, and the
 * semantic-conventions package advises copying unstable names instead of depending on its incubating entry point.
 */
const GEN_AI = {
  operation: 'gen_ai.operation.name',
  provider: 'gen_ai.provider.name',
  agentName: 'gen_ai.agent.name',
  agentId: 'gen_ai.agent.id',
  conversationId: 'gen_ai.conversation.id',
  requestModel: 'gen_ai.request.model',
  requestTemperature: 'gen_ai.request.temperature',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  finishReasons: 'gen_ai.response.finish_reasons',
  timeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  toolArguments: 'gen_ai.tool.call.arguments',
  toolResult: 'gen_ai.tool.call.result',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  systemInstructions: 'gen_ai.system_instructions',
} as const;

/** agentor's own attributes, for joining spans with logs and events. */
const AGENTOR = {
  runId: 'agentor.run.id',
  runStatus: 'agentor.run.status',
  requestId: 'agentor.request.id',
  protocol: 'agentor.protocol',
  turn: 'agentor.turn',
  approvalDecision: 'agentor.approval.decision',
  approvalBy: 'agentor.approval.by',
  approvalScope: 'agentor.approval.scope',
  approvalWait: 'agentor.approval.wait_seconds',
} as const;

/** Span events of a tool call that needed approval (never the reason someone typed: it is user text). */
const APPROVAL_REQUESTED = 'agentor.tool.approval_requested';
const APPROVAL_ANSWERED = 'agentor.tool.approval';

/** What happened to one call's approval, until its tool span (if it runs) carries it. */
interface ApprovalTrail {
  requested?: number;
  answered?: { ts: number; attributes: Attributes };
}

const propagator = new W3CTraceContextPropagator();
const EXPORT_WARNING_INTERVAL_MS = 60_000;

/** Wraps the exporter so a failing collector is reported (rarely) instead of only to OpenTelemetry's silent diag log. */
class ReportingExporter implements SpanExporter {
  private lastWarning = 0;
  constructor(
    private readonly inner: SpanExporter,
    private readonly where: string,
    private readonly warn: ((message: string) => void) | undefined,
  ) {}
  export(spans: Parameters<SpanExporter['export']>[0], done: Parameters<SpanExporter['export']>[1]): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS && this.warn) {
        const now = Date.now();
        if (now - this.lastWarning >= EXPORT_WARNING_INTERVAL_MS) {
          this.lastWarning = now;
          const why = result.error?.message ?? 'unknown error';
          this.warn(
            `could not export ${spans.length} spans to ${this.where}: ${why} (check OTEL_EXPORTER_OTLP_ENDPOINT)`,
          );
        }
      }
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Where OTLP spans go, for messages (the exporter reads the same variables). */
function otlpTarget(env: NodeJS.ProcessEnv): string {
  const traces = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  if (traces) return traces;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT'] || 'http://localhost:4318';
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

async function createExporter(config: TracingConfig, options: StartTracingOptions): Promise<SpanExporter> {
  if (config.exporter === 'console') return new ConsoleSpanExporter();
  // CommonJS packages: the bundle puts their exports on `default` only, Node on the namespace too.
  const exporters =
    config.exporter === 'http/json'
      ? await import('@opentelemetry/exporter-trace-otlp-http')
      : await import('@opentelemetry/exporter-trace-otlp-proto');
  const { OTLPTraceExporter } = (exporters as unknown as { default?: typeof exporters }).default ?? exporters;
  const target = otlpTarget(options.env ?? process.env);
  // The exporter reads process.env itself; an explicit env (a library caller, a test) still decides the endpoint.
  const exporter = new OTLPTraceExporter(options.env ? { url: target } : undefined);
  return new ReportingExporter(exporter, target, options.warn);
}

/** The tracing of one process: a tracer provider exporting in batches, and an observer per run. */
export async function createTracing(config: TracingConfig, options: StartTracingOptions): Promise<Tracing> {
  const exporter = await createExporter(config, options);
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: 'agentor',
    ...(options.version ? { [ATTR_SERVICE_VERSION]: options.version } : {}),
  }).merge(detectResources({ detectors: [envDetector] }));
  const processor: SpanProcessor =
    config.exporter === 'console' ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const tracer = provider.getTracer('agentor', options.version);
  const bounded = (work: Promise<void>, timeoutMs: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      work.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        () => {
          clearTimeout(timer);
          resolve();
        },
      );
    });
  let stopped: Promise<void> | undefined;
  return {
    observeRun: (opts) => new RunTrace(tracer, opts, config.captureContent),
    flush: (timeoutMs = 5_000) => bounded(provider.forceFlush(), timeoutMs),
    shutdown: (timeoutMs = 5_000) => (stopped ??= bounded(provider.shutdown(), timeoutMs)),
  };
}

/** The trace context of a request's headers (W3C traceparent/tracestate), or the root when there is none. */
function parentOf(carrier: TraceRunOptions['carrier']): Context {
  if (!carrier) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

/** The headers that carry a span's context to the next service. */
function headersFor(ctx: Context): PropagationHeaders {
  const headers: Record<string, string> = {};
  propagator.inject(ctx, headers, defaultTextMapSetter);
  return headers;
}

function endpointAttributes(endpoint: string | undefined): Attributes {
  if (!endpoint) return {};
  try {
    const url = new URL(endpoint);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : 0;
    return {
      [ATTR_SERVER_ADDRESS]: url.hostname.replace(/^\[|\]$/g, ''),
      ...(port ? { [ATTR_SERVER_PORT]: port } : {}),
    };
  } catch {
    return {};
  }
}

/** A message in the conventions' JSON form: `{role, parts: [...]}`. */
type ConventionMessage = { role: string; parts: Array<Record<string, unknown>>; finish_reason?: string };

function conventionMessages(messages: readonly ChatMessage[]): { system: string[]; input: ConventionMessage[] } {
  const system: string[] = [];
  const input: ConventionMessage[] = [];
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        system.push(m.content);
        break;
      case 'user':
        input.push({ role: 'user', parts: [{ type: 'text', content: m.content }] });
        break;
      case 'assistant':
        input.push({
          role: 'assistant',
          parts: [
            ...(m.content ? [{ type: 'text', content: m.content }] : []),
            ...(m.tool_calls ?? []).map((c) => ({
              type: 'tool_call',
              id: c.id,
              name: c.function.name,
              arguments: c.function.arguments,
            })),
          ],
        });
        break;
      case 'tool':
        input.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: m.tool_call_id, response: m.content }] });
        break;
    }
  }
  return { system, input };
}

/** One run's spans. Everything here runs inside the turn loop: it only creates and ends spans, never waits. */
class RunTrace implements TracedRun {
  private span: Span | undefined;
  private ctx: Context = ROOT_CONTEXT;
  private readonly parent: Context;
  /** The open chat span and when its call started, for the time to its first chunk. */
  private chat: { span: Span; started: number; firstChunk: boolean } | undefined;
  /** Approvals of calls whose tool span has not started yet, by call id. */
  private approvals: Map<string, ApprovalTrail> | undefined;

  constructor(
    private readonly tracer: Tracer,
    private readonly options: TraceRunOptions,
    private readonly captureContent: boolean,
  ) {
    this.parent = parentOf(options.carrier);
  }

  get traceId(): string | undefined {
    const sc = this.span?.spanContext();
    return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
  }

  event(e: AgentEvent): void {
    switch (e.type) {
      case 'text_delta':
        if (this.chat && !this.chat.firstChunk) {
          this.chat.firstChunk = true;
          this.chat.span.setAttribute(GEN_AI.timeToFirstChunk, Math.max(0, e.ts - this.chat.started) / 1000);
        }
        return;
      case 'run_start': {
        const attributes: Attributes = {
          [GEN_AI.operation]: 'invoke_agent',
          [GEN_AI.agentName]: e.agent,
          [GEN_AI.requestModel]: e.model,
          [AGENTOR.runId]: e.run_id,
          [AGENTOR.protocol]: this.options.protocol,
        };
        if (this.options.conversationId) attributes[GEN_AI.conversationId] = this.options.conversationId;
        if (this.options.requestId) attributes[AGENTOR.requestId] = this.options.requestId;
        this.span = this.tracer.startSpan(
          `invoke_agent ${e.agent}`,
          { kind: SpanKind.INTERNAL, startTime: e.ts, attributes },
          this.parent,
        );
        this.ctx = trace.setSpan(this.parent, this.span);
        return;
      }
      case 'run_end':
        this.end(e);
        return;
      case 'tool_approval_request':
        (this.approvals ??= new Map()).set(e.call_id, { requested: e.ts });
        return;
      case 'tool_approval':
        this.approved(e);
        return;
      case 'reasoning_delta':
      case 'tool_call':
      case 'tool_result':
      case 'message':
      case 'error':
        return;
    }
  }

  modelCall(call: ModelCallStart): ModelCallWatch {
    const started = Date.now();
    const attributes: Attributes = {
      [GEN_AI.operation]: 'chat',
      [GEN_AI.provider]: call.provider,
      [GEN_AI.requestModel]: call.model,
      [AGENTOR.turn]: call.turn,
      ...endpointAttributes(call.endpoint),
    };
    if (call.temperature !== undefined) attributes[GEN_AI.requestTemperature] = call.temperature;
    if (this.captureContent) {
      const { system, input } = conventionMessages(call.messages);
      if (system.length > 0)
        attributes[GEN_AI.systemInstructions] = JSON.stringify(system.map((content) => ({ type: 'text', content })));
      attributes[GEN_AI.inputMessages] = JSON.stringify(input);
    }
    // The run span learns its provider from its first model call.
    this.span?.setAttribute(GEN_AI.provider, call.provider);
    const span = this.tracer.startSpan(
      `chat ${call.model}`,
      { kind: SpanKind.CLIENT, startTime: started, attributes },
      this.ctx,
    );
    const chat = { span, started, firstChunk: false };
    this.chat = chat;
    return {
      headers: headersFor(trace.setSpan(this.ctx, span)),
      end: (result) => {
        if (this.chat === chat) this.chat = undefined;
        this.endChat(span, result);
      },
    };
  }

  private endChat(span: Span, result: ModelCallEnd): void {
    if (result.responseModel) span.setAttribute(GEN_AI.responseModel, result.responseModel);
    if (result.responseId) span.setAttribute(GEN_AI.responseId, result.responseId);
    if (result.usage) {
      span.setAttribute(GEN_AI.inputTokens, result.usage.input_tokens);
      span.setAttribute(GEN_AI.outputTokens, result.usage.output_tokens);
    }
    const finish =
      result.finishReason ??
      (result.error || result.aborted ? undefined : result.toolCalls.length > 0 ? 'tool_calls' : 'stop');
    if (finish) span.setAttribute(GEN_AI.finishReasons, [finish]);
    if (this.captureContent && !result.error) {
      const parts: Array<Record<string, unknown>> = [
        ...(result.text ? [{ type: 'text', content: result.text }] : []),
        ...result.toolCalls.map((c) => ({ type: 'tool_call', id: c.id, name: c.name, arguments: c.arguments })),
      ];
      const message: ConventionMessage = { role: 'assistant', parts, ...(finish ? { finish_reason: finish } : {}) };
      span.setAttribute(GEN_AI.outputMessages, JSON.stringify([message]));
    }
    if (result.error) fail(span, result.error.code);
    span.end();
  }

  toolCall(call: ToolCallStart): ToolCallWatch {
    const attributes: Attributes = {
      [GEN_AI.operation]: 'execute_tool',
      [GEN_AI.toolName]: call.name,
      [GEN_AI.toolCallId]: call.call_id,
      [GEN_AI.toolType]: 'function',
      [AGENTOR.turn]: call.turn,
    };
    if (this.captureContent) attributes[GEN_AI.toolArguments] = JSON.stringify(call.args);
    const span = this.tracer.startSpan(`execute_tool ${call.name}`, { kind: SpanKind.INTERNAL, attributes }, this.ctx);
    const trail = this.approvals?.get(call.call_id);
    if (trail) {
      this.approvals?.delete(call.call_id);
      if (trail.requested !== undefined) span.addEvent(APPROVAL_REQUESTED, {}, trail.requested);
      if (trail.answered) span.addEvent(APPROVAL_ANSWERED, trail.answered.attributes, trail.answered.ts);
    }
    return {
      headers: headersFor(trace.setSpan(this.ctx, span)),
      end: (result: ToolCallEnd) => {
        if (this.captureContent) span.setAttribute(GEN_AI.toolResult, result.result);
        if (result.is_error) fail(span, 'tool_error');
        span.end();
      },
    };
  }

  /**
   * An approval's answer. An allowed call's events wait for its tool span (which starts when it runs); a denied call
   * never runs, so its events go on the run's span, with the tool's name and call id.
   */
  private approved(e: ToolApprovalEvent): void {
    const trail = this.approvals?.get(e.call_id) ?? {};
    const attributes: Attributes = {
      [AGENTOR.approvalDecision]: e.decision,
      [AGENTOR.approvalBy]: e.by,
      [AGENTOR.approvalScope]: e.scope,
    };
    if (trail.requested !== undefined) attributes[AGENTOR.approvalWait] = Math.max(0, e.ts - trail.requested) / 1000;
    if (e.decision === 'allowed') {
      (this.approvals ??= new Map()).set(e.call_id, { ...trail, answered: { ts: e.ts, attributes } });
      return;
    }
    this.approvals?.delete(e.call_id);
    const tool = { [GEN_AI.toolName]: e.name, [GEN_AI.toolCallId]: e.call_id };
    if (trail.requested !== undefined) this.span?.addEvent(APPROVAL_REQUESTED, tool, trail.requested);
    this.span?.addEvent(APPROVAL_ANSWERED, { ...tool, ...attributes }, e.ts);
  }

  private end(e: RunEndEvent): void {
    const span = this.span;
    if (!span) return;
    span.setAttribute(AGENTOR.runStatus, e.status);
    span.setAttribute(GEN_AI.inputTokens, e.usage.input_tokens);
    span.setAttribute(GEN_AI.outputTokens, e.usage.output_tokens);
    // A cancelled run is the client's choice, not a failure of ours: its span keeps an unset status.
    if (e.status === 'failed' || e.status === 'timeout' || e.status === 'max_turns')
      fail(span, e.status === 'failed' ? e.error?.code : e.status);
    span.end(e.ts);
  }
}

/** Marks a span failed with a low-cardinality error type (a stable code, never a message). */
function fail(span: Span, code: string | undefined): void {
  const type = code && /^[\w.:-]{1,64}$/.test(code) ? code : '_OTHER';
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}
