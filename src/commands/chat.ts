/**
 * `agentor chat`: the composition root of a chat run. Parses options, builds the agent, wires its stream to one
 * renderer (NDJSON, plain text, or the Ink UI in a terminal), and maps the run's status to the exit code.
 */
import { fstatSync } from 'node:fs';
import type { Agent, AgentInput } from '../core/agent.js';
import { ConfigError, parseDuration } from '../core/config.js';
import {
  exitCodeFor,
  parseEventTypes,
  type AgentEvent,
  type AgentEventType,
  type RunEndEvent,
  type ToolApprovalEvent,
} from '../core/events.js';
import { streamAgents } from '../core/multi-agent.js';
import { sanitize } from '../core/text/sanitize.js';
import { DEMO_PROMPT } from '../core/providers/demo.js';
import { parseAllowPattern, parseApprovalMode, type ApprovalMode } from '../core/tools/approval.js';
import { interruptOnSignals, type SignalScope } from '../core/signals.js';
import { exitWhenFlushed } from './fast-exit.js';
import type { Session } from '../core/sessions/session.js';
import type { SessionSwitcher } from '../ui/options.js';
import {
  openChatSession,
  openSessionStore,
  shortId,
  pickSession,
  planSession,
  resumedAgentRefs,
  type ChatSession,
} from './chat-session.js';
import type { ChatSessionFlags } from './chat-session.js';
import type { Tracing } from '../observability/tracing.js';
import { loadUi } from './load-ui.js';
import { loadAgentFromFlags, type LoadedAgents } from './load-agents.js';
import { attachForOneShot, oneShotInput } from './one-shot-mentions.js';
import { readPipedStdin } from './piped-stdin.js';
import { composePrompt } from '../core/text/compose-prompt.js';

/** Options of `agentor chat`, as Commander parses them. */
export interface ChatCommandOptions extends ChatSessionFlags {
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  demo?: boolean;
  json?: boolean;
  plain?: boolean;
  interactive?: boolean;
  events?: string;
  bufferMs?: number;
  timeout?: string;
  maxTurns?: number;
  system?: string;
  stdin?: boolean;
  agent?: string[];
  mcpConfig?: string;
  a2a?: string;
  /** `--context-window <tokens>`. */
  contextWindow?: number;
  approve?: string;
  allowTool?: string[];
}

/** Options after validation. */
export interface ChatSettings {
  events: AgentEventType[] | undefined;
  approve: ApprovalMode | undefined;
  allowTool: string[];
  bufferMs: number;
  timeoutMs: number | undefined;
  maxTurns: number | undefined;
}

/** Validates the run options; throws ConfigError with the flag's name. */
export function chatSettings(opts: ChatCommandOptions): ChatSettings {
  let events: AgentEventType[] | undefined;
  if (opts.events !== undefined) {
    try {
      events = parseEventTypes(opts.events);
    } catch (e) {
      throw new ConfigError(`--events: ${(e as Error).message}`);
    }
  }
  let approve: ApprovalMode | undefined;
  let allowTool: string[];
  try {
    approve = opts.approve !== undefined ? parseApprovalMode(opts.approve) : undefined;
    allowTool = (opts.allowTool ?? []).map((p) => parseAllowPattern(p));
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  return {
    events,
    approve,
    allowTool,
    bufferMs: opts.bufferMs ?? 0,
    timeoutMs: opts.timeout !== undefined ? parseDuration(opts.timeout) : undefined,
    maxTurns: opts.maxTurns,
  };
}

/** True when two file descriptors point at the same file, pipe or terminal. */
function sameDestination(a: number, b: number): boolean {
  try {
    const x = fstatSync(a);
    const y = fstatSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

const NOTHING_TO_ASK =
  'nothing to ask: give a prompt (agentor chat "…"), pipe text in, or run in a terminal for the interactive chat.';

function fail(message: string): number {
  process.stderr.write(`agentor: ${message}\n`);
  return 2;
}

/** Shown in a terminal when agents (their MCP servers) take longer than this to start. */
const STARTING_NOTICE_AFTER_MS = 1000;
const STARTING_NOTICE = 'agentor: starting… (waiting for MCP servers or a remote agent; Ctrl+C to cancel)\n';

/** The Ink UI renders a run when stdout is a terminal and no machine-readable or plain output was asked for. */
function wantsInk(opts: ChatCommandOptions): boolean {
  return Boolean(process.stdout.isTTY) && !opts.json && !opts.plain && opts.events === undefined;
}

/**
 * Runs `agentor chat`; resolves with the process exit code. Signals are handled from the start, before MCP servers
 * start: SIGINT, SIGTERM or SIGHUP at any moment ends the run with `run_end` cancelled (or, before the run, stops the
 * servers) and exits 130, 143 or 129; a second signal exits at once.
 */
export async function runChat(promptParts: string[], opts: ChatCommandOptions): Promise<number> {
  const interrupt = interruptOnSignals();
  let code: number;
  try {
    code = await chat(promptParts, opts, interrupt);
  } finally {
    interrupt.release();
  }
  // Interrupted: the run ended and its servers are stopped; the user is waiting for the prompt.
  if (interrupt.received) exitWhenFlushed(code);
  return code;
}

async function chat(promptParts: string[], opts: ChatCommandOptions, interrupt: SignalScope): Promise<number> {
  let settings: ChatSettings;
  let loaded: LoadedAgents;
  const store = openSessionStore();
  let chatSession: ChatSession | undefined;
  try {
    settings = chatSettings(opts);
    let plan = await planSession(opts, store, { terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY), warn });
    if (plan.kind === 'pick') {
      const picked = await pickSession(store, plan.recent);
      if (!picked) {
        await store.close();
        return 130;
      }
      plan = picked;
    }
    const agentRefs = resumedAgentRefs(plan, opts.agent);
    // A start-up that takes a while (MCP servers may take up to their timeout) says so in a terminal, instead of a
    // blank screen; scripts see nothing.
    const slow = process.stderr.isTTY
      ? setTimeout(() => process.stderr.write(STARTING_NOTICE), STARTING_NOTICE_AFTER_MS)
      : undefined;
    // --agent (repeatable), --mcp-config / ./mcp.json and --a2a; MCP servers stay up until loaded.close().
    loaded = await loadAgentFromFlags(
      {
        model: opts.model,
        baseUrl: opts.baseUrl,
        apiKeyEnv: opts.apiKeyEnv,
        demo: opts.demo,
        system: opts.system,
        maxTurns: opts.maxTurns,
        agent: agentRefs,
        mcpConfig: opts.mcpConfig,
        a2a: opts.a2a,
        contextWindow: opts.contextWindow,
        approve: settings.approve,
        allowTool: settings.allowTool,
      },
      { signal: interrupt.signal },
    ).finally(() => clearTimeout(slow));
    const infos = loaded.agents.map((a, i) => {
      const ref = agentRefs?.[i];
      return { name: a.name, model: a.model, ...(ref !== undefined && loaded.definitions[i] ? { ref } : {}) };
    });
    try {
      chatSession = await openChatSession(plan, store, infos, warn);
    } catch (e) {
      await loaded.close();
      throw e;
    }
  } catch (e) {
    await store.close();
    if (e instanceof ConfigError) return fail(e.message);
    throw e;
  }

  const agents = loaded.agents;
  const agent = agents[0] as Agent;
  const tracing = await cliTracing(agents);
  try {
    return await chatOnce(
      promptParts,
      opts,
      settings,
      agent,
      agents,
      interrupt,
      chatSession.session,
      chatSession.switcher,
    );
  } finally {
    await chatSession.close();
    // Interrupted, the servers are stopped at once: the user is waiting for the prompt.
    await loaded.close({ now: interrupt.received !== undefined });
    // Buffered spans go out before exit; a collector that is down costs at most this long.
    await tracing?.shutdown(TRACE_FLUSH_MS);
  }
}

/** A warning on stderr that does not stop the chat. */
function warn(message: string): void {
  process.stderr.write(`agentor: ${message}\n`);
}

/** How long `chat` waits for its last spans to be exported before it exits. */
const TRACE_FLUSH_MS = 1500;

/**
 * Traces every run of the agents when the OTel variables ask for it. The check is on the environment first, so a chat
 * without them loads no tracing code at all (startup stays near `node -e 0`).
 */
async function cliTracing(agents: Agent[], env: NodeJS.ProcessEnv = process.env): Promise<Tracing | undefined> {
  if (!env['OTEL_EXPORTER_OTLP_ENDPOINT'] && !env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] && !env['OTEL_TRACES_EXPORTER'])
    return undefined;
  const [{ startTracing }, { agentorVersion }, { sanitize }] = await Promise.all([
    import('../observability/tracing.js'),
    import('../core/package.js'),
    import('../core/text/sanitize.js'),
  ]);
  const tracing = await startTracing({
    env,
    version: agentorVersion(),
    warn: (message) => void process.stderr.write(`agentor: tracing: ${sanitize(message)}\n`),
  });
  if (tracing) for (const a of agents) a.observeRuns(() => tracing.observeRun({ protocol: 'cli' }));
  return tracing;
}

/** One-shot chat: every agent answers the same prompt concurrently; their events interleave in one stream. */
async function chatOnce(
  promptParts: string[],
  opts: ChatCommandOptions,
  settings: ChatSettings,
  agent: Agent,
  agents: Agent[],
  interrupt: SignalScope,
  session: Session | undefined,
  switcher?: SessionSwitcher,
): Promise<number> {
  let prompt = promptParts.join(' ').trim();
  const piped = opts.stdin === false ? '' : await readPipedStdin(process.stdin, interrupt.signal);
  let text = composePrompt(prompt, piped);
  // The demo needs no question: without a terminal to chat in, it shows its scripted run on a prompt of its own.
  if (!text && !(process.stdin.isTTY && process.stdout.isTTY) && agents.every((a) => a.isDemo))
    text = prompt = DEMO_PROMPT;
  if (wantsInk(opts)) {
    // Interrupted while MCP servers started: nothing to show.
    if (interrupt.received) return interrupt.exitCode(130);
    // The UI handles signals itself (src/ui/mount.ts); the code says which one ended it.
    return interrupt.exitCode(await chatInk({ prompt, piped }, opts, settings, agent, agents, session, switcher));
  }
  if (!text && !interrupt.received) {
    return fail(NOTHING_TO_ASK);
  }
  let input: AgentInput = text;
  if (prompt) {
    // `@path` mentions of the prompt (not of piped text) are attached; one that cannot be stops the run (exit 2).
    const mentioned = attachForOneShot(prompt, process.cwd(), process.stderr);
    if (mentioned === undefined) return 2;
    input = oneShotInput(composePrompt(mentioned.prompt, piped), mentioned.images);
  }

  // One signal for all agents: it cancels every run, and each still ends with its own run_end. Interrupted before the
  // run started (while MCP servers started), the runs start cancelled, so --json still gets its run_end.
  const events = streamAgents(agents, input, {
    signal: interrupt.signal,
    timeoutMs: settings.timeoutMs,
    maxTurns: settings.maxTurns,
    bufferMs: settings.bufferMs,
    ...(session ? { session } : {}),
  });
  // The renderer applies --events, so the exit code still comes from each run's real run_end.
  const status = worstStatus(await render(events, opts, settings.events, agent, agents));
  if (session?.saving) process.stderr.write(sessionLine(session.id, Boolean(process.stderr.isTTY)));
  return status === 'cancelled' ? interrupt.exitCode(exitCodeFor(status)) : exitCodeFor(status);
}

/**
 * The line a one-shot run ends with on stderr, once its session is saved: for a person, how to continue it; for a
 * script, `session: <id>` alone (also in `run_start.session_id` of `--json`), so stdout stays the answer or NDJSON.
 */
export function sessionLine(id: string, terminal: boolean): string {
  if (!terminal) return `session: ${id}\n`;
  return `agentor: session ${shortId(id)} · continue it with: agentor chat -c "…" (or -r ${shortId(id)})\n`;
}

/**
 * The Ink UI: a conversation in a terminal, or one prompt's run; resolves with the exit code. As in a plain run, only
 * the prompt is scanned for `@path` mentions; piped text goes along as material (a diff's `@user` attaches nothing).
 */
async function chatInk(
  { prompt, piped }: { prompt: string; piped: string },
  opts: ChatCommandOptions,
  settings: ChatSettings,
  agent: Agent,
  agents: Agent[],
  session: Session | undefined,
  switcher: SessionSwitcher | undefined,
): Promise<number> {
  // Lazy: --help, --version, --json and piped runs never load ink/react.
  const ui = await loadUi();
  const run = { agent, timeoutMs: settings.timeoutMs, maxTurns: settings.maxTurns, ...(session ? { session } : {}) };
  const input = composePrompt(prompt, piped);
  const context = input === prompt ? {} : { context: piped };
  const conversation = process.stdin.isTTY && (!input || opts.interactive);
  // Several agents: one live panel each. In a conversation every message goes to all of them (or to those named
  // with @name), and each keeps its own history.
  if (agents.length > 1 && conversation) {
    return ui.runAgentsInteractive({
      agents,
      ...(input ? { prompt: input } : {}),
      timeoutMs: settings.timeoutMs,
      maxTurns: settings.maxTurns,
      ...(session ? { session } : {}),
      ...(switcher ? { sessions: switcher } : {}),
    });
  }
  if (agents.length > 1 && input) {
    return exitCodeFor(
      worstStatus(
        await ui.renderAgents({
          agents,
          prompt,
          ...context,
          timeoutMs: settings.timeoutMs,
          maxTurns: settings.maxTurns,
          ...(session ? { session } : {}),
        }),
      ),
    );
  }
  if (conversation)
    return ui.runInteractive({ ...run, firstPrompt: input || undefined, ...(switcher ? { sessions: switcher } : {}) });
  if (input) return ui.renderOnce({ ...run, prompt, ...context });
  return fail(NOTHING_TO_ASK);
}

/** The exit status of several runs: the most severe one wins. */
function worstStatus(ends: RunEndEvent[]): RunEndEvent['status'] {
  const order: RunEndEvent['status'][] = ['cancelled', 'timeout', 'failed', 'max_turns', 'completed'];
  if (ends.length === 0) return 'failed';
  return order.find((s) => ends.some((e) => e.status === s)) ?? 'completed';
}

async function render(
  events: AsyncIterable<AgentEvent>,
  opts: ChatCommandOptions,
  types: AgentEventType[] | undefined,
  agent: Agent,
  agents: Agent[] = [agent],
): Promise<RunEndEvent[]> {
  if (opts.json) {
    const { renderJson } = await import('../render/json.js');
    return renderJson(withApprovalHints(events), process.stdout, types);
  }
  const color = Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'];
  if (agent.isDemo)
    process.stderr.write(
      color
        ? '\x1b[2m[DEMO] offline scripted model — no API calls are made\x1b[22m\n'
        : '[DEMO] offline scripted model — no API calls are made\n',
    );
  const { renderText } = await import('../render/text.js');
  return renderText(events, {
    out: process.stdout,
    err: process.stderr,
    color,
    sameDestination: sameDestination(1, 2),
    prefixAgents: agents.length > 1,
    events: types,
    approvalHint,
  });
}

/** What to tell the user when the policy denied a call because no one could be asked: how to allow it next time. */
function approvalHint(e: ToolApprovalEvent): string | undefined {
  if (e.decision !== 'denied' || e.by !== 'policy') return undefined;
  return `run again with --allow-tool ${e.name} to allow it (or --approve auto to run every tool call)`;
}

/** NDJSON keeps stdout for events: the approval hints go to stderr, one line each. */
async function* withApprovalHints(events: AsyncIterable<AgentEvent>): AsyncGenerator<AgentEvent> {
  for await (const e of events) {
    const hint = e.type === 'tool_approval' ? approvalHint(e) : undefined;
    if (hint && e.type === 'tool_approval') {
      process.stderr.write(
        `agentor: ${sanitize(e.agent)}: ${sanitize(e.name)} was denied: ${sanitize(e.reason ?? '')}; ${sanitize(hint)}\n`,
      );
    }
    yield e;
  }
}
