/**
 * The run observer contract: how metrics, traces and logs watch a run from inside its loop. The event stream says what
 * a user sees; an observer also needs the boundaries of each model call (its usage, finish reason, failure) and of each
 * tool call, and a way to put trace context on the HTTP requests those calls make. The run calls these synchronously;
 * the core knows nothing about what an observer does with them (it imports no telemetry library).
 */
import type { AgentEvent, ErrorInfo, Usage } from './events.js';
import type { ChatMessage, ToolCallRequest } from './providers/types.js';

/** Headers an observer wants on an outgoing request (e.g. W3C `traceparent`). */
export type PropagationHeaders = Readonly<Record<string, string>>;

/** A model call about to be made. */
export interface ModelCallStart {
  turn: number;
  model: string;
  /** The provider's id, e.g. "openai". */
  provider: string;
  /** Where an HTTP provider sends the call (its base URL), when it has one. */
  endpoint?: string;
  temperature?: number;
  /** The messages sent (only observers that were asked to capture content may record them). */
  messages: readonly ChatMessage[];
}

/** How a model call ended. */
export interface ModelCallEnd {
  /** What the provider reported for this call; absent when it never came (cut short, or not sent). */
  usage?: Usage;
  finishReason?: string;
  /** The model that answered, when the provider says. */
  responseModel?: string;
  responseId?: string;
  /** The assistant text of this call. */
  text: string;
  toolCalls: readonly ToolCallRequest[];
  /** The failure, when the call failed (a cancelled or timed-out call has none). */
  error?: ErrorInfo;
  /** True when the run's signal ended the call (cancel, timeout, the consumer left). */
  aborted: boolean;
}

/** One model call being watched. */
export interface ModelCallWatch {
  /** Headers the call's HTTP request carries. */
  readonly headers?: PropagationHeaders;
  end(result: ModelCallEnd): void;
}

/** A tool call about to run. */
export interface ToolCallStart {
  turn: number;
  call_id: string;
  name: string;
  args: Record<string, unknown>;
}

/** How a tool call ended (the `tool_result` payload). */
export interface ToolCallEnd {
  result: string;
  is_error: boolean;
  duration_ms: number;
}

/** One tool call being watched. */
export interface ToolCallWatch {
  /** Headers the tool's own HTTP requests carry (MCP over HTTP). */
  readonly headers?: PropagationHeaders;
  end(result: ToolCallEnd): void;
}

/** Watches one run. Every method is optional, must not throw and must not block: it runs inside the turn loop. */
export interface RunObserver {
  /**
   * Each event, as the run emits it (before any filter or coalescing a consumer asked for), except the deltas: of those
   * only the first `text_delta` of each model call (a time to first token), never a `reasoning_delta`. Telemetry is
   * paid per run and per call, never per token; the text itself comes whole in `ModelCallEnd` and `message`.
   */
  event?(event: AgentEvent): void;
  modelCall?(call: ModelCallStart): ModelCallWatch | undefined;
  toolCall?(call: ToolCallStart): ToolCallWatch | undefined;
}

/** One observer that forwards to several (undefined ones are skipped); undefined when there are none. */
export function combineObservers(...observers: Array<RunObserver | undefined>): RunObserver | undefined {
  const list = observers.filter((o): o is RunObserver => o !== undefined);
  if (list.length <= 1) return list[0];
  const watching = list.filter((o) => o.event !== undefined);
  return {
    event: (e) => {
      for (const o of watching) o.event?.(e);
    },
    modelCall: (call) => mergeWatches(list.map((o) => o.modelCall?.(call))),
    toolCall: (call) => mergeWatches(list.map((o) => o.toolCall?.(call))),
  };
}

function mergeWatches<R>(
  watches: Array<{ readonly headers?: PropagationHeaders; end(result: R): void } | undefined>,
): { readonly headers?: PropagationHeaders; end(result: R): void } | undefined {
  const list = watches.filter((w) => w !== undefined);
  if (list.length <= 1) return list[0];
  let headers: Record<string, string> | undefined;
  for (const w of list) if (w.headers) headers = { ...headers, ...w.headers };
  return {
    ...(headers ? { headers } : {}),
    end: (result) => {
      for (const w of list) w.end(result);
    },
  };
}
