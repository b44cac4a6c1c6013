/**
 * One run of an agent: the turn loop that turns a model's chunks and the tools' results into AgentEvents, with exactly
 * one `run_end`, always last, on every path. `Agent.streamChat` starts one per call; everything a run holds (its
 * signal, the messages it adds to the conversation, usage, the answer so far) lives here.
 */
import { randomUUID } from 'node:crypto';
import { AsyncQueue } from './async-queue.js';
import {
  emptyUsage,
  type AgentEvent,
  type ErrorInfo,
  type EventPayload,
  type RunEndEvent,
  type RunStatus,
  type Usage,
} from './events.js';
import { errorInfo } from './providers/openai.js';
import type { ChatMessage, ModelChunk, ModelProvider, ModelRequest, ToolCallRequest } from './providers/types.js';
import { TurnJoiner } from './stream.js';
import { parseToolCall, ToolRunner, type ParsedToolCall, type ToolCallOutcome } from './tools/runner.js';
import { toolSpec, type Tool } from './tools/tool.js';

/** A conversation message given as input. */
export interface InputMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

/** A prompt, or a whole conversation whose last user message is the prompt. */
export type AgentInput = string | readonly InputMessage[];

/** Messages of a conversation that continues across runs (the system prompt is not stored here). */
export class Conversation {
  readonly messages: ChatMessage[] = [];
  /** Forget everything (the `/clear` command). */
  clear(): void {
    this.messages.length = 0;
  }
}

/** Options of one run. */
export interface RunOptions {
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
  /** Use this run id instead of a generated one. */
  runId?: string;
}

/** What a run takes from its agent. */
export interface RunAgent {
  name: string;
  instructions: string;
  model: string;
  maxTurns: number;
  temperature: number | undefined;
  provider: ModelProvider;
  /** The tools, or a function asked at each turn for the tools to offer (they may grow during a session). */
  tools: readonly Tool[] | (() => readonly Tool[]);
  toolErrorBudget: number | undefined;
  toolTimeoutMs: number | undefined;
  /** Problems outside the model (e.g. MCP servers down), reported as `error` events before a model call. */
  notices?: (() => readonly ErrorInfo[]) | undefined;
}

/** The events of one run of `agent` on `input`. */
export function runAgent(agent: RunAgent, input: AgentInput, options: RunOptions): AsyncGenerator<AgentEvent> {
  return new Run(agent, input, options).events();
}

/** How a run ended, before it is stamped as `run_end`. */
interface Outcome {
  status: RunStatus;
  error?: ErrorInfo;
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

class Run {
  private readonly id: string;
  private seq = 0;
  private started = 0;
  private readonly model: string;
  private readonly maxTurns: number;
  /** The run's own cause to stop: the consumer stopped reading, or the run is over. */
  private readonly own = new AbortController();
  private timeoutReason: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The one signal of the run, from the caller's edge down to the HTTP request and every tool. */
  private signal = this.own.signal;
  private readonly history: ChatMessage[] = [];
  /** What this run adds to the conversation. */
  private readonly fresh: ChatMessage[] = [];
  private readonly runner: ToolRunner;
  private readonly usage = emptyUsage();
  private readonly joiner = new TurnJoiner();
  private answer = '';
  // The turn being streamed: its number, its text not yet recorded in the conversation, whether its `message` went
  // out, its tool calls, whether usage came.
  private turn = 0;
  private turnText = '';
  private messageSent = false;
  private calls: ToolCallRequest[] = [];
  private gotUsage = false;
  /** Notices already reported in this run (by identity). */
  private readonly noticed = new Set<ErrorInfo>();

  constructor(
    private readonly agent: RunAgent,
    private readonly input: AgentInput,
    private readonly options: RunOptions,
  ) {
    this.id = options.runId ?? `run_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    this.model = options.model ?? agent.model;
    this.maxTurns = options.maxTurns ?? agent.maxTurns;
    this.runner = new ToolRunner(typeof agent.tools === 'function' ? [] : agent.tools, {
      errorBudget: agent.toolErrorBudget,
      timeoutMs: agent.toolTimeoutMs,
    });
  }

  /** Starts the clock, the deadline and the messages when the run is first read, not when it is created. */
  private start(): void {
    this.started = Date.now();
    // The caller's signal, the deadline's and the run's own are one AbortSignal.any; its reason tells which fired.
    const sources = [this.own.signal];
    if (this.options.signal) sources.push(this.options.signal);
    const timeoutMs = this.options.timeoutMs;
    if (timeoutMs !== undefined && timeoutMs > 0) {
      const deadline = new AbortController();
      const reason = new Error(`timed out after ${timeoutMs} ms`);
      this.timeoutReason = reason;
      this.timer = setTimeout(() => deadline.abort(reason), timeoutMs);
      sources.push(deadline.signal);
    }
    this.signal = AbortSignal.any(sources);
    if (this.agent.instructions) this.history.push({ role: 'system', content: this.agent.instructions });
    if (this.options.conversation) this.history.push(...this.options.conversation.messages);
    if (typeof this.input === 'string') this.fresh.push({ role: 'user', content: this.input });
    else for (const m of this.input) this.fresh.push({ role: m.role, content: m.content });
  }

  async *events(): AsyncGenerator<AgentEvent> {
    this.start();
    let outcome: Outcome = { status: 'completed' };
    let settled = false; // false only when the consumer stopped iterating before the run ended
    try {
      yield this.stamp({ type: 'run_start', model: this.model, input: inputText(this.input) });
      for (let turn = 1; ; turn++) {
        this.turn = turn;
        this.turnText = '';
        this.messageSent = false;
        this.calls = [];
        this.gotUsage = false;
        // Cancelled before the turn began (e.g. while MCP servers started): no model request is even built.
        if (this.signal.aborted) throw this.signal.reason;
        if (typeof this.agent.tools === 'function') this.runner.offer(this.agent.tools());
        for (const notice of this.agent.notices?.() ?? []) {
          if (this.noticed.has(notice)) continue;
          this.noticed.add(notice);
          yield this.stamp({ type: 'error', error: notice });
        }
        try {
          // The hot loop stays in this generator: one async step per network read, not one per nested generator.
          for await (const item of this.agent.provider.stream(this.request())) {
            if (this.signal.aborted) break;
            for (const chunk of isBatch(item) ? item : [item]) {
              if (this.signal.aborted) break;
              const event = this.onChunk(chunk, turn);
              if (event) yield event;
            }
          }
          if (this.signal.aborted) throw this.signal.reason;
        } finally {
          this.closeTurn(turn);
        }

        const text = this.turnText;
        this.messageSent = true;
        if (text || this.calls.length === 0) yield this.stamp({ type: 'message', text, turn });
        if (this.calls.length === 0) {
          this.record({ role: 'assistant', content: text });
          break;
        }
        if (turn >= this.maxTurns) {
          this.record({ role: 'assistant', content: text || null });
          outcome = {
            status: 'max_turns',
            error: {
              message: `stopped after ${this.maxTurns} turns (--max-turns) while the model still wanted to call tools`,
              code: 'max_turns',
              retryable: false,
            },
          };
          break;
        }
        yield* this.runTools(turn, text);
        if (this.signal.aborted) throw this.signal.reason;
      }
      settled = true;
    } catch (e) {
      settled = true;
      outcome = this.failure(e);
      const partial = this.turnText;
      // The conversation keeps the partial answer the user saw, so a follow-up has the same context.
      if (partial) this.record({ role: 'assistant', content: partial });
      // A turn cut short (cancel, timeout, a failed or dropped stream) still gets its message: what it streamed.
      if (partial && !this.messageSent) yield this.stamp({ type: 'message', text: partial, turn: this.turn });
    } finally {
      clearTimeout(this.timer);
      this.options.conversation?.messages.push(...this.fresh);
      // The consumer stopped early (socket closed, `break`): close the upstream request too.
      if (!settled) this.own.abort(new Error('the consumer stopped reading the run'));
    }
    yield this.end(outcome);
    this.own.abort(); // releases listeners still attached to the run signal
  }

  private stamp(payload: EventPayload): AgentEvent {
    return Object.assign<Pick<AgentEvent, 'type' | 'run_id' | 'seq' | 'ts' | 'agent'>, EventPayload>(
      { type: payload.type, run_id: this.id, seq: this.seq++, ts: Date.now(), agent: this.agent.name },
      payload,
    );
  }

  private request(): ModelRequest {
    return {
      model: this.model,
      messages: [...this.history, ...this.fresh],
      tools: this.runner.available().map((t) => toolSpec(t)),
      temperature: this.agent.temperature,
      signal: this.signal,
    };
  }

  /** The event a model chunk becomes, if any; tool calls and usage are kept for the end of the turn. */
  private onChunk(chunk: ModelChunk, turn: number): AgentEvent | undefined {
    switch (chunk.type) {
      case 'text':
        this.turnText += chunk.text;
        // The hottest event: built as one literal (a single hidden class) rather than through stamp().
        return {
          type: 'text_delta',
          run_id: this.id,
          seq: this.seq++,
          ts: Date.now(),
          agent: this.agent.name,
          text: chunk.text,
          turn,
        };
      case 'reasoning':
        return this.stamp({ type: 'reasoning_delta', text: chunk.text, turn });
      case 'tool_calls':
        this.calls = chunk.calls;
        return undefined;
      case 'usage':
        this.gotUsage = true;
        addUsage(this.usage, chunk.usage);
        return undefined;
      case 'notice':
        return this.stamp({ type: 'error', error: chunk.error });
    }
  }

  /** Adds a finished (or cut short) turn's text to the answer, and counts what the user saw when usage never came. */
  private closeTurn(turn: number): void {
    const text = this.turnText;
    if (!text) return;
    if (!this.gotUsage) {
      const tokens = estimateTokens(text);
      addUsage(this.usage, { input_tokens: 0, output_tokens: tokens, total_tokens: tokens });
    }
    this.answer += this.joiner.append(turn, text);
  }

  /** Appends an assistant message to the conversation; the turn's text is then recorded. */
  private record(message: ChatMessage): void {
    this.fresh.push(message);
    this.turnText = '';
  }

  /** Runs a turn's tool calls concurrently: events as each finishes, results to the model in call order. */
  private async *runTools(turn: number, text: string): AsyncGenerator<AgentEvent> {
    const calls = this.calls.map(parseToolCall);
    for (const c of calls) yield this.stamp({ type: 'tool_call', call_id: c.id, name: c.name, args: c.args, turn });
    const done = new AsyncQueue<{ index: number; outcome: ToolCallOutcome }>();
    let pending = calls.length;
    calls.forEach((call, index) => {
      void this.runner.run(call, { runId: this.id, signal: this.signal }).then((outcome) => {
        done.push({ index, outcome });
        if (--pending === 0) done.close();
      });
    });
    const results = calls.map(() => '');
    for await (const { index, outcome } of done) {
      const call = calls[index] as ParsedToolCall;
      results[index] = outcome.result;
      yield this.stamp({ type: 'tool_result', call_id: call.id, name: call.name, turn, ...outcome });
    }
    this.record({
      role: 'assistant',
      content: text || null,
      tool_calls: calls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      })),
    });
    calls.forEach((c, i) => this.fresh.push({ role: 'tool', tool_call_id: c.id, content: results[i] as string }));
  }

  /** Why the loop was left by an exception: the run's signal (timeout or cancel), or a failure. */
  private failure(e: unknown): Outcome {
    if (!this.signal.aborted) return { status: 'failed', error: errorInfo(e) };
    if (this.signal.reason !== this.timeoutReason) return { status: 'cancelled' };
    return {
      status: 'timeout',
      error: {
        message: `the run timed out after ${this.options.timeoutMs} ms (--timeout)`,
        code: 'timeout',
        retryable: true,
      },
    };
  }

  private end(outcome: Outcome): RunEndEvent {
    return this.stamp({
      type: 'run_end',
      status: outcome.status,
      text: this.answer,
      usage: { ...this.usage },
      ...(outcome.error ? { error: outcome.error } : {}),
      duration_ms: Date.now() - this.started,
    }) as RunEndEvent;
  }
}
