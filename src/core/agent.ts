/**
 * Agent: instructions, a model and tools; `streamChat()` runs it (the turn loop itself is run.ts). It owns nothing
 * global: cancellation arrives as an AbortSignal, state across runs lives in a Conversation the caller passes in.
 */
import type { AgentEvent, AgentEventType, ErrorInfo, RunEndEvent, RunStatus, Usage } from './events.js';
import { defaultModel } from './config.js';
import { defaultProvider } from './providers/default.js';
import type { ModelProvider } from './providers/types.js';
import type { RunObserver } from './observer.js';
import { runAgent, type AgentInput, type RunOptions, type RunTap } from './run.js';
import type { RunSession } from './sessions/types.js';
import { coalesceText, filterEvents, serializeEvents } from './stream.js';
import type { ApprovalPolicy } from './tools/approval.js';
import type { Tool } from './tools/tool.js';

export { defaultModel } from './config.js';
export { Conversation } from './run.js';
export type { AgentInput, InputMessage } from './run.js';

/** How an Agent is built. */
export interface AgentOptions {
  /** Shown in events and UIs (default "assistant"). */
  name?: string;
  /** A one-line description for cards and listings (never the system prompt). */
  description?: string;
  /** The system prompt. */
  instructions?: string;
  /** Model id (default: $AGENTOR_MODEL, the config file's `model`, or gpt-4.1-mini). "demo" selects the offline demo. */
  model?: string;
  /**
   * Where model turns come from. Default: what the CLI would use — an OpenAI-compatible endpoint from OPENAI_API_KEY /
   * OPENAI_BASE_URL or the config file, or the demo for model "demo"; with none configured, runs end `failed` saying so.
   */
  provider?: ModelProvider;
  /**
   * The tools runs offer; a function is asked before each model call, so tools that become available later (an MCP
   * server that came up after a failed start) are offered from the next turn.
   */
  tools?: readonly Tool[] | (() => readonly Tool[]);
  temperature?: number;
  /** Model calls per run before it ends with `max_turns` (default 20). */
  maxTurns?: number;
  /** Failures after which a tool is disabled for the run (default 2). */
  toolErrorBudget?: number;
  /** Default per-call tool timeout in ms (default 60 s). */
  toolTimeoutMs?: number;
  /**
   * Which tool calls run without asking (default: all but tools with `readOnly: false`, such as MCP tools not marked
   * read-only, which wait for the run's `approve` and are denied without one).
   */
  approval?: ApprovalPolicy;
  /**
   * Problems outside the model to report as `error` events (e.g. MCP servers that failed to start or are down): asked
   * before each model call; each notice (by identity) is reported once per run.
   */
  notices?: () => readonly ErrorInfo[];
  /** The model's context window in tokens, when known (default: the built-in table's, see contextWindowFor). */
  contextWindow?: number;
  /**
   * Whether the model takes images: false refuses a message with images before any call; default: refused only for
   * models the built-in table knows to be text-only (see acceptsImages), else the upstream decides.
   */
  vision?: boolean;
}

/** Per-run options: those of the run, and how its stream is shaped. */
export interface StreamChatOptions extends RunOptions {
  /** Keep only these event types. */
  events?: readonly AgentEventType[];
  /** Coalesce text deltas arriving within this many ms into one. */
  bufferMs?: number;
  /**
   * Run in this session (see core/sessions): the run continues the agent's conversation in it (a `conversation`
   * option is ignored), its input and events are recorded, and `run_start` carries the session id.
   */
  session?: RunSession;
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

/** An agent: instructions, a model, tools; runs are independent unless they share a Conversation. */
export class Agent {
  readonly name: string;
  readonly description: string;
  readonly instructions: string;
  readonly model: string;
  readonly temperature: number | undefined;
  readonly maxTurns: number;
  /** The model's context window in tokens, when it was given (the agent file's `context_window`, --context-window). */
  readonly contextWindow: number | undefined;
  readonly approval: ApprovalPolicy | undefined;
  private readonly options: AgentOptions;
  private providerInstance: ModelProvider | undefined;
  private runObserver: (() => RunObserver | undefined) | undefined;

  constructor(options: AgentOptions = {}) {
    this.options = options;
    this.name = options.name ?? 'assistant';
    this.description = options.description ?? '';
    this.instructions = options.instructions ?? '';
    this.model = options.model ?? defaultModel();
    this.temperature = options.temperature;
    this.maxTurns = options.maxTurns ?? 20;
    this.contextWindow = options.contextWindow;
    this.approval = options.approval;
    this.providerInstance = options.provider;
  }

  /** The tools a run would offer now. */
  get tools(): readonly Tool[] {
    const tools = this.options.tools ?? [];
    return typeof tools === 'function' ? tools() : tools;
  }

  /** The provider runs use: the one given, else the configured one (see providers/default.ts), made on first use. */
  get provider(): ModelProvider {
    this.providerInstance ??= defaultProvider(this.model);
    return this.providerInstance;
  }

  /**
   * Gives every later run of this agent an observer (e.g. the traces of `agentor chat`), unless the run brings its
   * own `observer`. Undefined stops it.
   */
  observeRuns(observer: (() => RunObserver | undefined) | undefined): void {
    this.runObserver = observer;
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

  /** One run: exactly one `run_end`, always last, on every path; in a session, recorded. */
  private run(input: AgentInput, options: RunOptions & { session?: RunSession }): AsyncGenerator<AgentEvent> {
    const { session, ...runOptions } = options;
    if (!session) return this.loop(input, runOptions, this.provider);
    const run = session.attach(this, input);
    return this.loop(
      input,
      { ...runOptions, conversation: run.conversation, sessionId: session.id },
      run.provider,
      run.record,
    );
  }

  private loop(
    input: AgentInput,
    options: RunOptions,
    provider: ModelProvider,
    tap?: RunTap,
  ): AsyncGenerator<AgentEvent> {
    return runAgent(
      {
        name: this.name,
        instructions: this.instructions,
        model: this.model,
        maxTurns: this.maxTurns,
        temperature: this.temperature,
        provider,
        tools: this.options.tools ?? [],
        toolErrorBudget: this.options.toolErrorBudget,
        toolTimeoutMs: this.options.toolTimeoutMs,
        approval: this.approval,
        notices: this.options.notices,
        vision: this.options.vision,
      },
      input,
      options.observer || !this.runObserver ? options : { ...options, observer: this.runObserver() },
      tap,
    );
  }
}
