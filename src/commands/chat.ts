/**
 * `agentor chat`: the composition root of a chat run. Parses options, builds the agent, wires its stream to one
 * renderer (NDJSON, plain text, or the Ink UI in a terminal), and maps the run's status to the exit code.
 */
import { fstatSync, readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { Agent } from '../core/agent.js';
import { ConfigError, parseDuration } from '../core/config.js';
import {
  exitCodeFor,
  parseEventTypes,
  type AgentEvent,
  type AgentEventType,
  type RunEndEvent,
} from '../core/events.js';
import { streamAgents } from '../core/multi-agent.js';
import { DEMO_PROMPT } from '../core/providers/demo.js';
import type { Tracing } from '../observability/tracing.js';
import { loadAgentFromFlags, type LoadedAgents } from './load-agents.js';

/** Options of `agentor chat`, as Commander parses them. */
export interface ChatCommandOptions {
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
}

/** Options after validation. */
export interface ChatSettings {
  events: AgentEventType[] | undefined;
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
  return {
    events,
    bufferMs: opts.bufferMs ?? 0,
    timeoutMs: opts.timeout !== undefined ? parseDuration(opts.timeout) : undefined,
    maxTurns: opts.maxTurns,
  };
}

/** Reads all of piped stdin (empty when stdin is a terminal, /dev/null or closed). */
export async function readPipedStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stdin === process.stdin) {
    // Before process.stdin is touched, fd 0 is still as the parent gave it: a synchronous read needs no stream
    // machinery (a few ms at every start), and /dev/null answers at once.
    try {
      const info = fstatSync(0);
      if (info.isCharacterDevice() && isatty(0)) return '';
      return readFileSync(0, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EBADF' || code === 'EINVAL') return ''; // no stdin at all
      if (code !== 'EAGAIN') throw e;
      // a non-blocking pipe: fall through to the stream reader
    }
  }
  if (stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Combines the prompt and piped context the way a user expects: the question, then the material. */
export function composePrompt(prompt: string, piped: string): string {
  const context = piped.replace(/\s+$/, '');
  if (!context) return prompt;
  if (!prompt) return context;
  return `${prompt}\n\n${context}`;
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

function fail(message: string): number {
  process.stderr.write(`agentor: ${message}\n`);
  return 2;
}

/** Installs SIGINT/SIGTERM handling for one run: first signal cancels, a second one exits at once. */
function cancelOnSignals(controller: AbortController): () => void {
  let count = 0;
  const onSignal = (): void => {
    count++;
    if (count === 1) controller.abort(new Error('interrupted'));
    else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** The Ink UI renders a run when stdout is a terminal and no machine-readable or plain output was asked for. */
function wantsInk(opts: ChatCommandOptions): boolean {
  return Boolean(process.stdout.isTTY) && !opts.json && !opts.plain && opts.events === undefined;
}

/** Runs `agentor chat`; resolves with the process exit code. */
export async function runChat(promptParts: string[], opts: ChatCommandOptions): Promise<number> {
  let settings: ChatSettings;
  let loaded: LoadedAgents;
  try {
    settings = chatSettings(opts);
    // --agent (repeatable), --mcp-config / ./mcp.json and --a2a; MCP servers stay up until loaded.close().
    loaded = await loadAgentFromFlags({
      model: opts.model,
      baseUrl: opts.baseUrl,
      apiKeyEnv: opts.apiKeyEnv,
      demo: opts.demo,
      system: opts.system,
      maxTurns: opts.maxTurns,
      agent: opts.agent,
      mcpConfig: opts.mcpConfig,
      a2a: opts.a2a,
    });
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message);
    throw e;
  }

  const agents = loaded.agents;
  const agent = agents[0] as Agent;
  const tracing = await cliTracing(agents);
  try {
    return await chatOnce(promptParts, opts, settings, agent, agents);
  } finally {
    await loaded.close();
    // Buffered spans go out before exit; a collector that is down costs at most this long.
    await tracing?.shutdown(TRACE_FLUSH_MS);
  }
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
): Promise<number> {
  const prompt = promptParts.join(' ').trim();
  const piped = opts.stdin === false ? '' : await readPipedStdin();
  let input = composePrompt(prompt, piped);
  // The demo needs no question: without a terminal to chat in, it shows its scripted run on a prompt of its own.
  if (!input && !(process.stdin.isTTY && process.stdout.isTTY) && agents.every((a) => a.isDemo)) input = DEMO_PROMPT;
  if (wantsInk(opts)) {
    // Lazy: --help, --version, --json and piped runs never load ink/react.
    const ui = await import('../ui/index.js');
    const run = { agent, timeoutMs: settings.timeoutMs, maxTurns: settings.maxTurns };
    const conversation = process.stdin.isTTY && (!input || opts.interactive);
    // Several agents: one live panel each. In a conversation every message goes to all of them (or to those named
    // with @name), and each keeps its own history.
    if (agents.length > 1 && conversation) {
      return ui.runAgentsInteractive({
        agents,
        ...(input ? { prompt: input } : {}),
        timeoutMs: settings.timeoutMs,
        maxTurns: settings.maxTurns,
      });
    }
    if (agents.length > 1 && input) {
      return exitCodeFor(
        worstStatus(
          await ui.renderAgents({ agents, prompt: input, timeoutMs: settings.timeoutMs, maxTurns: settings.maxTurns }),
        ),
      );
    }
    if (conversation) return ui.runInteractive({ ...run, firstPrompt: input || undefined });
    if (input) return ui.renderOnce({ ...run, prompt: input });
  }
  if (!input) {
    return fail(
      'nothing to ask: give a prompt (agentor chat "…"), pipe text in, or run in a terminal for the interactive chat.',
    );
  }

  const controller = new AbortController();
  const release = cancelOnSignals(controller);
  try {
    // One signal for all agents: Ctrl+C cancels every run, and each still ends with its own run_end.
    const events = streamAgents(agents, input, {
      signal: controller.signal,
      timeoutMs: settings.timeoutMs,
      maxTurns: settings.maxTurns,
      bufferMs: settings.bufferMs,
    });
    // The renderer applies --events, so the exit code still comes from each run's real run_end.
    const ends = await render(events, opts, settings.events, agent, agents);
    return exitCodeFor(worstStatus(ends));
  } finally {
    release();
  }
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
    return renderJson(events, process.stdout, types);
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
  });
}
