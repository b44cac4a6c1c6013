/**
 * Agent: the turn loop that turns a model's stream and tool calls into one AgentEvent stream. It owns nothing global:
 * cancellation arrives as an AbortSignal, state across runs lives in a Conversation the caller passes in.
 */
import { randomUUID } from 'node:crypto';
import {
  emptyUsage,
  type AgentEvent,
  type AgentEventType,
  type ErrorInfo,
  type EventPayload,
  type RunEndEvent,
  type RunStatus,
  type Usage,
} from './events.js';
import { DemoProvider, DEMO_MODEL } from './providers/demo.js';
import { errorInfo, OpenAIProvider } from './providers/openai.js';
import type { AssistantToolCall, ChatMessage, ModelChunk, ModelProvider, ToolCallRequest } from './providers/types.js';
import { coalesceText, filterEvents, serializeEvents, TurnJoiner } from './stream.js';
import { ToolRunner, parseToolArguments } from './tools/runner.js';
import { toolSpec, type Tool } from './tools/tool.js';
import { AsyncQueue } from './async-queue.js';

/** How an Agent is built. */
export interface AgentOptions {
  /** Shown in events and UIs (default "assistant"). */
  name?: string;
  /** A one-line description for cards and listings (never the system prompt). */
  description?: string;
  /** The system prompt. */
  instructions?: string;
  /** Model id (default: $AGENTOR_MODEL or gpt-4.1-mini). "demo" selects the offline demo. */
  model?: string;
  /** Where model turns come from (default: OpenAI-compatible from OPENAI_API_KEY/OPENAI_BASE_URL, or the demo). */
  provider?: ModelProvider;
  tools?: readonly Tool[];
  temperature?: number;
  /** Model calls per run before it ends with `max_turns` (default 20). */
  maxTurns?: number;
  /** Failures after which a tool is disabled for the run (default 2). */
  toolErrorBudget?: number;
  /** Default per-call tool timeout in ms (default 60 s). */
  toolTimeoutMs?: number;
}

/** A conversation message given as input. */
export interface InputMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

/** A prompt, or a whole conversation whose last user message is the prompt. */
export type AgentInput = string | readonly InputMessage[];

/** Per-run options. */
export interface StreamChatOptions {
  /** Aborting it cancels the run: the upstream request is closed and `run_end` says `cancelled`. */
  signal?: AbortSignal;
  /** Whole-run deadline in ms; when it passes the run ends with `timeout`. */
  timeoutMs?: number;
  /** Prior turns; the run appends its own messages to it, so the next run continues the conversation. */
  conversation?: Conversation;
  /** Overrides the agent's max turns for this run. */
  maxTurns?: number;
  /** Overrides the agent's model for this run. */
  model?: string;
  /** Keep only these event types. */
  events?: readonly AgentEventType[];
  /** Coalesce text deltas arriving within this many ms into one. */
  bufferMs?: number;
  /** Use this run id instead of a generated one. */
  runId?: string;
}

/** The outcome of `agent.chat()`. */
export interface RunResult {
  run_id: string;
  text: string;
  status: RunStatus;
  usage: Usage;
  error?: ErrorInfo;
  events: AgentEvent[];
}

/** Messages of a conversation that continues across runs (the system prompt is not stored here). */
export class Conversation {
  readonly messages: ChatMessage[] = [];
  /** Forget everything (the `/clear` command). */
  clear(): void {
    this.messages.length = 0;
  }
}

const DEFAULT_MODEL = 'gpt-4.1-mini';

/** The model id used when neither the agent nor the run names one. */
export function defaultModel(): string {
  return process.env['AGENTOR_MODEL'] || DEFAULT_MODEL;
}

function inputText(input: AgentInput): string {
  if (typeof input === 'string') return input;
  for (let i = input.length - 1; i >= 0; i--) {
    const m = input[i] as InputMessage;
    if (m.role === 'user') return m.content;
  }
  return '';
}

/** True for a batch of chunks (see ModelProvider.stream). */
function isBatch(item: ModelChunk | readonly ModelChunk[]): item is readonly ModelChunk[] {
  return Array.isArray(item);
}

function addUsage(total: Usage, add: Usage): void {
  total.input_tokens += add.input_tokens;
  total.output_tokens += add.output_tokens;
  total.total_tokens = total.input_tokens + total.output_tokens;
}

/** Estimates tokens for a turn whose usage never arrived (cancelled or failed mid-stream). */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** An agent: instructions, a model, tools; runs are independent unless they share a Conversation. */
export class Agent {
  readonly name: string;
  readonly description: string;
  readonly instructions: string;
  readonly model: string;
  readonly tools: readonly Tool[];
  readonly temperature: number | undefined;
  readonly maxTurns: number;
  private readonly options: AgentOptions;
  private providerInstance: ModelProvider | undefined;

  constructor(options: AgentOptions = {}) {
    this.options = options;
    this.name = options.name ?? 'assistant';
    this.description = options.description ?? '';
    this.instructions = options.instructions ?? '';
    this.model = options.model ?? defaultModel();
    this.tools = options.tools ?? [];
    this.temperature = options.temperature;
    this.maxTurns = options.maxTurns ?? 20;
    this.providerInstance = options.provider;
  }

  /** The provider runs use; created from the environment on first use when none was given. */
  get provider(): ModelProvider {
    if (!this.providerInstance) {
      this.providerInstance =
        this.model === DEMO_MODEL
          ? new DemoProvider()
          : new OpenAIProvider({
              apiKey: process.env['OPENAI_API_KEY'],
              baseURL: process.env['OPENAI_BASE_URL'] || undefined,
            });
    }
    return this.providerInstance;
  }

  /** True when runs come from the offline demo model. */
  get isDemo(): boolean {
    return this.provider.isDemo === true;
  }

  /** Streams a run's events; with `serialize: true`, as compact JSON strings. */
  streamChat(input: AgentInput, options: StreamChatOptions & { serialize: true }): AsyncGenerator<string>;
  streamChat(input: AgentInput, options?: StreamChatOptions & { serialize?: false }): AsyncGenerator<AgentEvent>;
  streamChat(
    input: AgentInput,
    options: StreamChatOptions & { serialize?: boolean } = {},
  ): AsyncGenerator<AgentEvent> | AsyncGenerator<string> {
    // Each operator layer costs per event, so only the ones asked for are stacked.
    let events = this.run(input, options);
    if (options.events && options.events.length > 0) events = filterEvents(events, options.events);
    if (options.bufferMs && options.bufferMs > 0) events = coalesceText(events, options.bufferMs);
    return options.serialize ? serializeEvents(events) : events;
  }

  /** Runs to the end and returns the result (never throws for run failures: see `status` and `error`). */
  async chat(input: AgentInput, options: Omit<StreamChatOptions, 'events' | 'bufferMs'> = {}): Promise<RunResult> {
    const events: AgentEvent[] = [];
    let end: RunEndEvent | undefined;
    for await (const e of this.run(input, options)) {
      events.push(e);
      if (e.type === 'run_end') end = e;
    }
    const last = end as RunEndEvent;
    return {
      run_id: last.run_id,
      text: last.text,
      status: last.status,
      usage: last.usage,
      ...(last.error ? { error: last.error } : {}),
      events,
    };
  }

  /** The turn loop. Exactly one `run_end`, always last, on every path. */
  private async *run(input: AgentInput, options: StreamChatOptions): AsyncGenerator<AgentEvent> {
    const runId = options.runId ?? `run_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const started = Date.now();
    const model = options.model ?? this.model;
    const maxTurns = options.maxTurns ?? this.maxTurns;
    let seq = 0;
    const stamp = (payload: EventPayload): AgentEvent =>
      Object.assign<Pick<AgentEvent, 'type' | 'run_id' | 'seq' | 'ts' | 'agent'>, EventPayload>(
        { type: payload.type, run_id: runId, seq: seq++, ts: Date.now(), agent: this.name },
        payload,
      );

    // One signal per run, reaching the HTTP request: the caller's, the deadline's and the run's own (the consumer
    // stopped reading, or the run ended) are one AbortSignal.any, and its reason tells which one fired first.
    const own = new AbortController();
    const deadline = options.timeoutMs !== undefined && options.timeoutMs > 0 ? new AbortController() : undefined;
    const timeoutReason = new Error(`timed out after ${options.timeoutMs} ms`);
    const timer = deadline ? setTimeout(() => deadline.abort(timeoutReason), options.timeoutMs) : undefined;
    const signal = AbortSignal.any(
      [own.signal, deadline?.signal, options.signal].filter((s): s is AbortSignal => s !== undefined),
    );

    const conversation = options.conversation;
    const history: ChatMessage[] = [];
    if (this.instructions) history.push({ role: 'system', content: this.instructions });
    if (conversation) history.push(...conversation.messages);
    const fresh: ChatMessage[] = []; // what this run adds to the conversation
    if (typeof input === 'string') {
      fresh.push({ role: 'user', content: input });
    } else {
      for (const m of input) fresh.push({ role: m.role, content: m.content });
    }

    const runner = new ToolRunner(this.tools, {
      errorBudget: this.options.toolErrorBudget,
      timeoutMs: this.options.toolTimeoutMs,
    });
    const usage = emptyUsage();
    const answer = new TurnJoiner();
    let answerText = '';
    let status: RunStatus = 'completed';
    let error: ErrorInfo | undefined;
    let inProgress = ''; // text of the turn being streamed, not yet recorded as a message
    let settled = false; // false only when the consumer stopped iterating before the run ended

    try {
      yield stamp({ type: 'run_start', model, input: inputText(input) });
      const provider = this.provider;
      for (let turn = 1; ; turn++) {
        let calls: ToolCallRequest[] = [];
        let gotUsage = false;
        inProgress = '';
        try {
          const stream = provider.stream({
            model,
            messages: [...history, ...fresh],
            tools: runner.available().map((t) => toolSpec(t)),
            temperature: this.temperature,
            signal,
          });
          for await (const item of stream) {
            if (signal.aborted) break;
            for (const chunk of isBatch(item) ? item : [item]) {
              if (signal.aborted) break;
              switch (chunk.type) {
                case 'text':
                  inProgress += chunk.text;
                  // The hottest event: built as one literal (a single hidden class) rather than through stamp().
                  yield {
                    type: 'text_delta',
                    run_id: runId,
                    seq: seq++,
                    ts: Date.now(),
                    agent: this.name,
                    text: chunk.text,
                    turn,
                  };
                  break;
                case 'reasoning':
                  yield stamp({ type: 'reasoning_delta', text: chunk.text, turn });
                  break;
                case 'tool_calls':
                  calls = chunk.calls;
                  break;
                case 'usage':
                  gotUsage = true;
                  addUsage(usage, chunk.usage);
                  break;
                case 'notice':
                  yield stamp({ type: 'error', error: chunk.error });
                  break;
              }
            }
          }
          if (signal.aborted) throw signal.reason;
        } finally {
          // Count what the user already saw, also when the turn was cut short.
          if (!gotUsage && inProgress)
            addUsage(usage, {
              input_tokens: 0,
              output_tokens: estimateTokens(inProgress),
              total_tokens: estimateTokens(inProgress),
            });
          answerText += answer.append(turn, inProgress);
        }

        const text = inProgress;
        if (text || calls.length === 0) yield stamp({ type: 'message', text, turn });
        if (calls.length === 0) {
          fresh.push({ role: 'assistant', content: text });
          inProgress = '';
          break;
        }
        if (turn >= maxTurns) {
          fresh.push({ role: 'assistant', content: text || null });
          inProgress = '';
          status = 'max_turns';
          error = {
            message: `stopped after ${maxTurns} turns (--max-turns) while the model still wanted to call tools`,
            code: 'max_turns',
            retryable: false,
          };
          break;
        }
        yield* this.runTools(calls, turn, text, runner, runId, signal, fresh, stamp);
        inProgress = '';
        if (signal.aborted) throw signal.reason;
      }
      settled = true;
    } catch (e) {
      settled = true;
      if (signal.aborted) {
        const timedOut = signal.reason === timeoutReason;
        status = timedOut ? 'timeout' : 'cancelled';
        if (timedOut)
          error = {
            message: `the run timed out after ${options.timeoutMs} ms (--timeout)`,
            code: 'timeout',
            retryable: true,
          };
      } else {
        status = 'failed';
        error = errorInfo(e);
      }
      // The conversation keeps the partial answer the user saw, so a follow-up has the same context.
      if (inProgress) fresh.push({ role: 'assistant', content: inProgress });
    } finally {
      clearTimeout(timer);
      if (conversation) conversation.messages.push(...fresh);
      // The consumer stopped early (socket closed, `break`): close the upstream request too.
      if (!settled) own.abort(new Error('the consumer stopped reading the run'));
    }
    yield stamp({
      type: 'run_end',
      status,
      text: answerText,
      usage: { ...usage },
      ...(error ? { error } : {}),
      duration_ms: Date.now() - started,
    });
    own.abort(); // releases listeners still attached to the run signal
  }

  /** Runs a turn's tool calls concurrently; events as each finishes, messages in call order. */
  private async *runTools(
    calls: ToolCallRequest[],
    turn: number,
    text: string,
    runner: ToolRunner,
    runId: string,
    signal: AbortSignal,
    fresh: ChatMessage[],
    stamp: (p: EventPayload) => AgentEvent,
  ): AsyncGenerator<AgentEvent> {
    const parsed = calls.map((c) => ({ call: c, ...parseToolArguments(c.arguments) }));
    for (const p of parsed)
      yield stamp({ type: 'tool_call', call_id: p.call.id, name: p.call.name, args: p.args, turn });
    const done = new AsyncQueue<{ index: number; outcome: Awaited<ReturnType<ToolRunner['run']>> }>();
    const results = calls.map(() => '');
    let pending = calls.length;
    parsed.forEach((p, index) => {
      void runner.run(p.call, p.args, p.error, runId, signal).then((outcome) => {
        done.push({ index, outcome });
        if (--pending === 0) done.close();
      });
    });
    for await (const { index, outcome } of done) {
      const call = (parsed[index] as (typeof parsed)[number]).call;
      results[index] = outcome.result;
      yield stamp({ type: 'tool_result', call_id: call.id, name: call.name, turn, ...outcome });
    }
    const toolCalls: AssistantToolCall[] = calls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
    fresh.push({ role: 'assistant', content: text || null, tool_calls: toolCalls });
    calls.forEach((c, i) => fresh.push({ role: 'tool', tool_call_id: c.id, content: results[i] as string }));
  }
}
