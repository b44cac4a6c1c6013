/**
 * `agentor chat`: the composition root of a chat run. Parses options, builds the agent, wires its stream to one
 * renderer (NDJSON, plain text, or the Ink UI in a terminal), and maps the run's status to the exit code.
 */
import type { ChatCommandOptions } from '../cli.js';
import type { Agent } from '../core/agent.js';
import { ConfigError, parseDuration } from '../core/config.js';
import { exitCodeFor, parseEventTypes, type AgentEvent, type AgentEventType, type RunEndEvent } from '../core/events.js';
import { buildDefaultAgent } from './build-agent.js';

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

/** Reads all of piped stdin (empty when stdin is a terminal or closed). */
export async function readPipedStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
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

/** Runs `agentor chat`; resolves with the process exit code. */
export async function runChat(promptParts: string[], opts: ChatCommandOptions): Promise<number> {
  let settings: ChatSettings;
  let agent: Agent;
  try {
    settings = chatSettings(opts);
    agent = buildDefaultAgent({ model: opts.model, baseUrl: opts.baseUrl, apiKeyEnv: opts.apiKeyEnv, demo: opts.demo, system: opts.system, maxTurns: opts.maxTurns });
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message);
    throw e;
  }

  const prompt = promptParts.join(' ').trim();
  const piped = opts.stdin === false ? '' : await readPipedStdin();
  const input = composePrompt(prompt, piped);
  if (!input) {
    return fail('nothing to ask: give a prompt (agentor chat "…"), pipe text in, or run in a terminal for the interactive chat.');
  }

  const controller = new AbortController();
  const release = cancelOnSignals(controller);
  try {
    const events = agent.streamChat(input, {
      signal: controller.signal,
      timeoutMs: settings.timeoutMs,
      maxTurns: settings.maxTurns,
      events: settings.events,
      bufferMs: settings.bufferMs,
    });
    const ends = await render(events, opts, agent);
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

async function render(events: AsyncIterable<AgentEvent>, opts: ChatCommandOptions, agent: Agent): Promise<RunEndEvent[]> {
  if (opts.json) {
    const { renderJson } = await import('../render/json.js');
    return renderJson(events, process.stdout);
  }
  const color = Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'];
  if (agent.isDemo) process.stderr.write(color ? '\x1b[2m[DEMO] offline scripted model — no API calls are made\x1b[22m\n' : '[DEMO] offline scripted model — no API calls are made\n');
  const { renderText } = await import('../render/text.js');
  return renderText(events, { out: process.stdout, err: process.stderr, color });
}
