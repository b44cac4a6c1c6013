/**
 * The AgentEvent contract: the one stream every output (Ink UI, plain text, NDJSON, SSE, WebSocket, A2A,
 * OpenAI-compatible) is a projection of. Keep this file dependency-free: every consumer imports it.
 */

/** How a run ended. */
export type RunStatus = 'completed' | 'cancelled' | 'failed' | 'timeout' | 'max_turns';

/** Token usage, summed over every model call of a run. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

/** A problem description that travels inside events (never an exception). */
export interface ErrorInfo {
  message: string;
  code?: string;
  retryable: boolean;
}

/** Fields every event carries. */
export interface EventBase {
  run_id: string;
  /** Strictly increasing within a run, starting at 0. */
  seq: number;
  /** Epoch milliseconds. */
  ts: number;
  /** Name of the agent that produced the event. */
  agent: string;
}

/** First event of every run. */
export interface RunStartEvent extends EventBase {
  type: 'run_start';
  model: string;
  /** The user's input for this run (the latest user message when a conversation was given). */
  input: string;
  /** The session the run is recorded in, when it is (see core/sessions). */
  session_id?: string;
}

/** One flushed chunk of assistant text; the deltas of a turn concatenate exactly to that turn's `message.text`. */
export interface TextDeltaEvent extends EventBase {
  type: 'text_delta';
  text: string;
  turn: number;
}

/** One chunk of streamed reasoning (`reasoning_content`), when the provider sends it. */
export interface ReasoningDeltaEvent extends EventBase {
  type: 'reasoning_delta';
  text: string;
  turn: number;
}

/** The model asked for a tool call; `args` is the parsed argument object (`{}` when unparsable). */
export interface ToolCallEvent extends EventBase {
  type: 'tool_call';
  call_id: string;
  name: string;
  args: Record<string, unknown>;
  turn: number;
  /** A remote agent's own call (`chat --a2a`): shown as activity, not part of the conversation sent to the model. */
  remote?: true;
}

/** How a tool call's approval was decided. */
export type ApprovalDecision = 'allowed' | 'denied';

/** Who decided: the approval policy (flags, agent file, config, a timeout) or the user. */
export type ApprovalDecider = 'policy' | 'user';

/** How long a decision holds: this call only, or every call of the tool for the rest of the session. */
export type ApprovalScope = 'once' | 'session';

/** The run is paused until someone allows or denies this call (only when there is someone to ask). */
export interface ToolApprovalRequestEvent extends EventBase {
  type: 'tool_approval_request';
  call_id: string;
  name: string;
  args: Record<string, unknown>;
  /** Why the call needs approval, in words for the person asked. */
  reason: string;
  /** The MCP server the tool comes from, when it does. */
  server?: string;
  turn: number;
}

/** A call that needed approval was allowed or denied; a denied call's `tool_result` is an error the model sees. */
export interface ToolApprovalEvent extends EventBase {
  type: 'tool_approval';
  call_id: string;
  name: string;
  decision: ApprovalDecision;
  by: ApprovalDecider;
  scope: ApprovalScope;
  /** Why it was denied: the reason the user typed, or the policy's. */
  reason?: string;
  turn: number;
}

/** A tool call finished (successfully or not); `result` is what the model sees. */
export interface ToolResultEvent extends EventBase {
  type: 'tool_result';
  call_id: string;
  name: string;
  result: string;
  is_error: boolean;
  duration_ms: number;
  turn: number;
  /** A remote agent's own call (see ToolCallEvent.remote); `result` then only says where it ran. */
  remote?: true;
}

/** The complete assistant message of a turn. */
export interface MessageEvent extends EventBase {
  type: 'message';
  text: string;
  turn: number;
}

/** A non-fatal notice, e.g. "retrying after 429" or "MCP server failed to start". */
export interface ErrorEvent extends EventBase {
  type: 'error';
  error: ErrorInfo;
}

/** Last event of every run, on every path. */
export interface RunEndEvent extends EventBase {
  type: 'run_end';
  status: RunStatus;
  /** All assistant text of the run (turns joined by a blank line), also when the run was cut short. */
  text: string;
  usage: Usage;
  error?: ErrorInfo;
  duration_ms: number;
  /**
   * Input tokens of the run's last model call, when the provider reported usage: how much of the model's context
   * window the conversation fills.
   */
  context_tokens?: number;
}

/** The discriminated union of everything a run emits. */
export type AgentEvent =
  | RunStartEvent
  | TextDeltaEvent
  | ReasoningDeltaEvent
  | ToolCallEvent
  | ToolApprovalRequestEvent
  | ToolApprovalEvent
  | ToolResultEvent
  | MessageEvent
  | ErrorEvent
  | RunEndEvent;

/** The `type` tag of an AgentEvent. */
export type AgentEventType = AgentEvent['type'];

/** An event before the run stamps it with run_id/seq/ts/agent. */
export type EventPayload = AgentEvent extends infer E
  ? E extends AgentEvent
    ? Omit<E, keyof EventBase>
    : never
  : never;

/** Every event type, in contract order. */
export const EVENT_TYPES: readonly AgentEventType[] = [
  'run_start',
  'text_delta',
  'reasoning_delta',
  'tool_call',
  'tool_approval_request',
  'tool_approval',
  'tool_result',
  'message',
  'error',
  'run_end',
];

/** Exit code of the CLI for a run status (documented in the README). */
export function exitCodeFor(status: RunStatus): number {
  switch (status) {
    case 'completed':
      return 0;
    case 'cancelled':
      return 130;
    case 'timeout':
      return 124;
    case 'failed':
    case 'max_turns':
      return 1;
  }
}

/** A zero usage record. */
export function emptyUsage(): Usage {
  return { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
}

/** Parses a comma-separated `--events` list; throws with the offending name when unknown. */
export function parseEventTypes(list: string | readonly string[]): AgentEventType[] {
  const names = (typeof list === 'string' ? list.split(',') : [...list]).map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(EVENT_TYPES as readonly string[]).includes(name)) {
      throw new Error(`unknown event type "${name}" (known: ${EVENT_TYPES.join(', ')})`);
    }
  }
  return names as AgentEventType[];
}
