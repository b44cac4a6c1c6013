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
  type ApprovalDecider,
  type ApprovalDecision,
  type ApprovalScope,
  type ErrorInfo,
  type EventPayload,
  type RunEndEvent,
  type RunStatus,
  type Usage,
} from './events.js';
import type { ModelCallWatch, RunObserver } from './observer.js';
import { acceptsImages, imageLabel } from './providers/images.js';
import { contentImages, contentText, toChatMessage } from './providers/messages.js';
import { errorInfo } from './providers/openai.js';
import { ProviderError } from './providers/types.js';
import type {
  ChatMessage,
  ModelChunk,
  ModelProvider,
  ModelRequest,
  RemoteApprovalAnswer,
  RemoteToolActivity,
  ToolCallRequest,
  UserContent,
} from './providers/types.js';
import { TurnJoiner } from './stream.js';
import { allows, askApprover, decide, type ApprovalPolicy, type Approver } from './tools/approval.js';
import { parseToolCall, ToolRunner, type ParsedToolCall, type ToolCallOutcome } from './tools/runner.js';
import { toolSpec, type Tool } from './tools/tool.js';

/** A conversation message given as input. */
export interface InputMessage {
  role: 'user' | 'assistant' | 'system';
  /** Text; a user message may carry images as parts (text + image, see UserContent). */
  content: UserContent;
}

/** A prompt, or a whole conversation whose last user message is the prompt. */
export type AgentInput = string | readonly InputMessage[];

/** Messages of a conversation that continues across runs (the system prompt is not stored here). */
export class Conversation {
  readonly messages: ChatMessage[] = [];
  /** Tools someone allowed "always" in this conversation: later runs call them without asking. */
  readonly allowedTools = new Set<string>();
  /** Forget the messages (the `/clear` command); the tools allowed for the session stay allowed. */
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
  /** The session the run is recorded in: `run_start` carries it as `session_id`. */
  sessionId?: string;
  /**
   * Asks someone about tool calls the approval policy will not run on its own. Without it such calls are denied (by
   * the policy), and the model is told why.
   */
  approve?: Approver;
  /** How long an approval may wait before it counts as denied (default: no limit). */
  approvalTimeoutMs?: number;
  /**
   * Why calls needing approval cannot be asked about when there is no `approve` (the model is told, e.g. "the
   * non-streaming /v1/chat/completions cannot ask for it"); default "there is no one to ask here".
   */
  unaskable?: string;
  /**
   * Tools the one who would be asked allowed in advance, for this run only (patterns as in the policy's `allow`, e.g. an
   * HTTP client's `allow_tools`): calls the policy would ask about run, recorded as allowed by the user. They never
   * override a policy that refuses (`never`).
   */
  preApproved?: readonly string[];
  /** Watches the run from inside its loop (metrics, traces, logs): every event, and each model and tool call. */
  observer?: RunObserver;
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
  approval: ApprovalPolicy | undefined;
  /** Problems outside the model (e.g. MCP servers down), reported as `error` events before a model call. */
  notices?: (() => readonly ErrorInfo[]) | undefined;
  /** Whether the model takes images; undefined: as the built-in table says (see acceptsImages). */
  vision?: boolean | undefined;
}

/**
 * Sees each event of a run as it is made, in the order the run yields them (a session's recording). Synchronous, so it
 * costs no async step per event, unlike one more generator layer over the stream.
 */
export type RunTap = (event: AgentEvent) => void;

/** The events of one run of `agent` on `input`; `tap` sees each of them first. */
export function runAgent(
  agent: RunAgent,
  input: AgentInput,
  options: RunOptions,
  tap?: RunTap,
): AsyncGenerator<AgentEvent> {
  return new Run(agent, input, options, tap).events();
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
    if (m.role === 'user') return contentText(m.content);
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
  /** Tools allowed "always": the conversation's, so the answer outlives the run. */
  private readonly allowedTools: Set<string>;
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
  /** Input tokens of the last model call that reported usage (the context the conversation fills). */
  private contextTokens: number | undefined;
  private readonly observer: RunObserver | undefined;
  /** What the provider said about the model call in flight: its usage and how it finished (for the observer). */
  private callUsage: Usage | undefined;
  private callFinish: Extract<ModelChunk, { type: 'finish' }> | undefined;
  /** True once the observer saw this model call's first text delta: the only one it is shown (see RunObserver). */
  private callAnswered = false;

  constructor(
    private readonly agent: RunAgent,
    private readonly input: AgentInput,
    private readonly options: RunOptions,
    private readonly tap: RunTap | undefined,
  ) {
    this.id = options.runId ?? `run_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    this.model = options.model ?? agent.model;
    this.maxTurns = options.maxTurns ?? agent.maxTurns;
    this.runner = new ToolRunner(typeof agent.tools === 'function' ? [] : agent.tools, {
      errorBudget: agent.toolErrorBudget,
      timeoutMs: agent.toolTimeoutMs,
    });
    this.allowedTools = options.conversation?.allowedTools ?? new Set();
    this.observer = options.observer;
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
    // A conversation with images that goes on with a model that takes none (after /model): they go as placeholders.
    if (this.blind()) {
      for (const [i, m] of this.history.entries()) {
        if (m.role === 'user' && typeof m.content !== 'string') {
          this.history[i] = { role: 'user', content: contentText(m.content) };
        }
      }
    }
    if (typeof this.input === 'string') this.fresh.push({ role: 'user', content: this.input });
    else for (const m of this.input) this.fresh.push(toChatMessage(m));
  }

  async *events(): AsyncGenerator<AgentEvent> {
    this.start();
    let outcome: Outcome = { status: 'completed' };
    let settled = false; // false only when the consumer stopped iterating before the run ended
    try {
      yield this.stamp({
        type: 'run_start',
        model: this.model,
        input: inputText(this.input),
        ...(this.options.sessionId !== undefined ? { session_id: this.options.sessionId } : {}),
      });
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
        if (turn === 1) this.refuseImagesIfBlind();
        const request = this.request();
        const watch = this.watchModelCall(request, turn);
        let failure: { error: unknown } | undefined;
        try {
          // The hot loop stays in this generator: one async step per network read, not one per nested generator.
          for await (const item of this.agent.provider.stream(request)) {
            if (this.signal.aborted) break;
            for (const chunk of isBatch(item) ? item : [item]) {
              if (this.signal.aborted) break;
              if (chunk.type === 'approval') {
                yield* this.remoteApproval(chunk, turn);
                continue;
              }
              const event = this.onChunk(chunk, turn);
              if (event) yield event;
            }
            // Cancelled while a chunk's events were read: the provider is closed, not asked for more.
            if (this.signal.aborted) break;
          }
          if (this.signal.aborted) throw this.signal.reason;
          failure = { error: undefined };
        } catch (e) {
          failure = { error: e };
          throw e;
        } finally {
          if (watch) this.endModelCall(watch, failure);
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

  private stamp(payload: EventPayload, observed = true): AgentEvent {
    const event = Object.assign<Pick<AgentEvent, 'type' | 'run_id' | 'seq' | 'ts' | 'agent'>, EventPayload>(
      { type: payload.type, run_id: this.id, seq: this.seq++, ts: Date.now(), agent: this.agent.name },
      payload,
    );
    if (observed) this.observer?.event?.(event);
    this.tap?.(event);
    return event;
  }

  /** Tells the observer a model call starts; its headers (trace context) go on the call's request. */
  private watchModelCall(request: ModelRequest, turn: number): ModelCallWatch | undefined {
    this.callUsage = undefined;
    this.callFinish = undefined;
    this.callAnswered = false;
    const provider = this.agent.provider;
    const watch = this.observer?.modelCall?.({
      turn,
      model: request.model,
      provider: provider.id,
      ...(provider.baseURL ? { endpoint: provider.baseURL } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      messages: request.messages,
    });
    if (watch?.headers) request.headers = watch.headers;
    return watch;
  }

  /**
   * Tells the observer how the model call ended: `failure` is `{error: undefined}` after a whole answer, `{error}` when
   * the call threw, and undefined when the consumer stopped reading mid-call.
   */
  private endModelCall(watch: ModelCallWatch, failure: { error: unknown } | undefined): void {
    const aborted = failure === undefined || this.signal.aborted;
    const finish = this.callFinish;
    watch.end({
      ...(this.callUsage ? { usage: this.callUsage } : {}),
      ...(finish?.reason ? { finishReason: finish.reason } : {}),
      ...(finish?.model ? { responseModel: finish.model } : {}),
      ...(finish?.id ? { responseId: finish.id } : {}),
      text: this.turnText,
      toolCalls: this.calls,
      ...(!aborted && failure?.error !== undefined ? { error: errorInfo(failure.error) } : {}),
      aborted,
    });
  }

  /** True when this run's model is known not to take images (the agent's `vision: false`, or the built-in table). */
  private blind(): boolean {
    return (this.agent.vision ?? acceptsImages(this.model)) === false;
  }

  /**
   * A model known not to take images (the built-in table, or the agent's `vision: false`) is never sent one: the run
   * fails before any call, saying so, and the conversation keeps the images as placeholders only, so the next message
   * is not refused again for them.
   */
  private refuseImagesIfBlind(): void {
    const images = this.fresh.flatMap((m) => (m.role === 'user' ? contentImages(m.content) : []));
    if (images.length === 0 || !this.blind()) return;
    for (const [i, m] of this.fresh.entries()) {
      if (m.role === 'user' && typeof m.content !== 'string')
        this.fresh[i] = { role: 'user', content: contentText(m.content) };
    }
    throw new ProviderError(
      `model "${this.model}" does not accept images, so ${images.map(imageLabel).join(', ')} was not sent: ` +
        'pick a vision model with --model (or /model), or send the message without the image',
      { code: 'images_not_supported' },
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
      case 'text': {
        this.turnText += chunk.text;
        // The hottest event: built as one literal (a single hidden class) rather than through stamp().
        const event: AgentEvent = {
          type: 'text_delta',
          run_id: this.id,
          seq: this.seq++,
          ts: Date.now(),
          agent: this.agent.name,
          text: chunk.text,
          turn,
        };
        if (!this.callAnswered && this.observer) {
          this.callAnswered = true;
          this.observer.event?.(event);
        }
        this.tap?.(event);
        return event;
      }
      case 'reasoning':
        return this.stamp({ type: 'reasoning_delta', text: chunk.text, turn }, false);
      case 'tool_calls':
        this.calls = chunk.calls;
        return undefined;
      case 'usage':
        this.gotUsage = true;
        if (chunk.usage.input_tokens > 0) this.contextTokens = chunk.usage.input_tokens;
        addUsage(this.usage, chunk.usage);
        if (this.observer) {
          this.callUsage ??= emptyUsage();
          addUsage(this.callUsage, chunk.usage);
        }
        return undefined;
      case 'finish':
        this.callFinish = chunk;
        return undefined;
      case 'notice':
        return this.stamp({ type: 'error', error: chunk.error });
      case 'approval':
        return undefined; // handled by remoteApproval, which can wait
      case 'remote_tool':
        return this.stamp(remoteToolEvent(chunk.activity, turn));
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

  /**
   * Runs a turn's tool calls concurrently, each once the approval policy (or the person it asks) lets it: events as they
   * happen, results to the model in call order.
   */
  private async *runTools(turn: number, text: string): AsyncGenerator<AgentEvent> {
    const calls = this.calls.map(parseToolCall);
    for (const c of calls) yield this.stamp({ type: 'tool_call', call_id: c.id, name: c.name, args: c.args, turn });
    const events = new AsyncQueue<AgentEvent>();
    const results = calls.map(() => '');
    let pending = calls.length;
    const finish = (index: number, outcome: ToolCallOutcome): void => {
      const call = calls[index] as ParsedToolCall;
      results[index] = outcome.result;
      events.push(this.stamp({ type: 'tool_result', call_id: call.id, name: call.name, turn, ...outcome }));
      if (--pending === 0) events.close();
    };
    void this.approveAndRun(calls, turn, events, finish);
    yield* events;
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

  /**
   * Starts the calls the policy runs at once and refuses the ones it refuses, then asks about the rest one by one (the
   * others keep running meanwhile). Every call ends in `finish`; nothing here throws.
   */
  private async approveAndRun(
    calls: readonly ParsedToolCall[],
    turn: number,
    events: AsyncQueue<AgentEvent>,
    finish: (index: number, outcome: ToolCallOutcome) => void,
  ): Promise<void> {
    const execute = (index: number): void => {
      const call = calls[index] as ParsedToolCall;
      const watch = this.observer?.toolCall?.({ turn, call_id: call.id, name: call.name, args: call.args });
      const context = { runId: this.id, signal: this.signal, ...(watch?.headers ? { headers: watch.headers } : {}) };
      void this.runner.run(call, context).then((outcome) => {
        watch?.end(outcome);
        finish(index, outcome);
      });
    };
    const verdict = (
      call: ParsedToolCall,
      decision: ApprovalDecision,
      by: ApprovalDecider,
      scope: ApprovalScope,
      reason?: string,
    ): void => {
      events.push(
        this.stamp({
          type: 'tool_approval',
          call_id: call.id,
          name: call.name,
          decision,
          by,
          scope,
          ...(reason ? { reason } : {}),
          turn,
        }),
      );
    };
    const refuse = (index: number, reason: string): void => {
      const call = calls[index] as ParsedToolCall;
      verdict(call, 'denied', 'policy', 'once', reason);
      finish(index, this.runner.refuse(call, reason));
    };
    const asks: Array<{ index: number; tool: Tool; reason: string }> = [];
    calls.forEach((call, index) => {
      const tool = this.runner.toolFor(call);
      const action = tool ? decide(tool, this.agent.approval, this.allowedTools) : ({ action: 'auto' } as const);
      if (action.action === 'auto') execute(index);
      else if (action.action === 'deny') refuse(index, action.reason);
      else asks.push({ index, tool: tool as Tool, reason: action.reason });
    });
    const approve = this.options.approve;
    for (const { index, tool, reason } of asks) {
      const call = calls[index] as ParsedToolCall;
      // Allowed "always" while an earlier call of this batch was asked about; a cancelled run cancels the call.
      if (this.allowedTools.has(tool.name) || this.signal.aborted) {
        execute(index);
        continue;
      }
      if (this.preApproved(tool)) {
        verdict(call, 'allowed', 'user', 'once');
        execute(index);
        continue;
      }
      if (!approve) {
        refuse(index, this.unaskable(reason));
        continue;
      }
      const request = {
        run_id: this.id,
        agent: this.agent.name,
        call_id: call.id,
        name: call.name,
        args: call.args,
        reason,
        ...(tool.server !== undefined ? { server: tool.server } : {}),
      };
      const asked = askApprover(approve, request, this.signal, this.options.approvalTimeoutMs);
      const { agent: _agent, run_id: _run, ...fields } = request;
      events.push(this.stamp({ type: 'tool_approval_request', ...fields, turn }));
      const outcome = await asked;
      if (outcome.kind === 'cancelled') {
        execute(index); // the runner reports it cancelled
      } else if (outcome.kind !== 'answer') {
        refuse(index, outcome.reason);
      } else if (outcome.answer.decision === 'allowed') {
        const scope = outcome.answer.scope ?? 'once';
        if (scope === 'session') this.allowedTools.add(tool.name);
        verdict(call, 'allowed', 'user', scope);
        execute(index);
      } else {
        const why = outcome.answer.reason;
        verdict(call, 'denied', 'user', 'once', why);
        finish(index, {
          result: `Error: the user denied this call${why ? `: ${why}` : '.'}`,
          is_error: true,
          duration_ms: 0,
        });
      }
    }
  }

  /** True when the one who would be asked allowed `tool` in advance for this run. */
  private preApproved(tool: Pick<Tool, 'name' | 'server'>): boolean {
    return (this.options.preApproved ?? []).some((p) => allows(p, tool));
  }

  /** The policy's refusal of a call that needs approval when nobody can be asked. */
  private unaskable(reason: string): string {
    return `${reason}; it needs approval and ${this.options.unaskable ?? 'there is no one to ask here'}`;
  }

  /**
   * A remote agent's tool call waiting for approval (see ModelChunk `approval`): decided as a local call would be — the
   * policy, what was allowed in advance or for the session, then the approver — with the same events, and the decision
   * handed back to the provider, which sends it to the remote agent. One `reply`, unless the run is cancelled
   * meanwhile: then the provider is closed instead, and cancels the remote task.
   */
  private async *remoteApproval(
    chunk: Extract<ModelChunk, { type: 'approval' }>,
    turn: number,
  ): AsyncGenerator<AgentEvent> {
    const { request } = chunk;
    const tool = {
      name: request.name,
      readOnly: false,
      ...(request.server !== undefined ? { server: request.server } : {}),
    };
    const decided = (answer: RemoteApprovalAnswer, by: ApprovalDecider): AgentEvent => {
      chunk.reply(answer);
      return this.stamp({
        type: 'tool_approval',
        call_id: request.call_id,
        name: request.name,
        decision: answer.decision,
        by,
        scope: answer.scope ?? 'once',
        ...(answer.reason ? { reason: answer.reason } : {}),
        turn,
      });
    };
    const now = this.decideWithoutAsking(tool);
    const approve = this.options.approve;
    if (now || !approve) {
      yield decided(now?.answer ?? { decision: 'denied', reason: this.unaskable(request.reason) }, now?.by ?? 'policy');
      return;
    }
    const asked = askApprover(
      approve,
      { run_id: this.id, agent: this.agent.name, ...request },
      this.signal,
      this.options.approvalTimeoutMs,
    );
    yield this.stamp({ type: 'tool_approval_request', ...request, turn });
    const outcome = await asked;
    // Cancelled: the run stops reading the provider (which cancels the remote task) instead of answering.
    if (outcome.kind === 'cancelled') return;
    if (outcome.kind !== 'answer') {
      yield decided({ decision: 'denied', reason: outcome.reason }, 'policy');
      return;
    }
    const { answer } = outcome;
    if (answer.decision === 'allowed' && answer.scope === 'session') this.allowedTools.add(request.name);
    yield decided(answer, 'user');
  }

  /** The decision about a remote call that needs nobody asked: the policy's, or what was allowed in advance. */
  private decideWithoutAsking(
    tool: Pick<Tool, 'name' | 'server' | 'readOnly'>,
  ): { answer: RemoteApprovalAnswer; by: ApprovalDecider } | undefined {
    const action = decide(tool, this.agent.approval, this.allowedTools);
    if (action.action === 'auto') return { answer: { decision: 'allowed', scope: 'once' }, by: 'policy' };
    if (action.action === 'deny') return { answer: { decision: 'denied', reason: action.reason }, by: 'policy' };
    if (this.preApproved(tool)) return { answer: { decision: 'allowed', scope: 'once' }, by: 'user' };
    return undefined;
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
      ...(this.contextTokens !== undefined ? { context_tokens: this.contextTokens } : {}),
    }) as RunEndEvent;
  }
}

/** A remote agent's tool activity as the tool event it is shown as; the turn's own calls are left alone. */
function remoteToolEvent(a: RemoteToolActivity, turn: number): EventPayload {
  if (a.kind === 'call')
    return { type: 'tool_call', call_id: a.call_id, name: a.name, args: a.args, turn, remote: true };
  const where = a.is_error ? 'failed on the remote agent' : 'ran on the remote agent';
  return {
    type: 'tool_result',
    call_id: a.call_id,
    name: a.name,
    result: `${where} (its output stays there)`,
    is_error: a.is_error,
    duration_ms: a.duration_ms,
    turn,
    remote: true,
  };
}
