/**
 * Entry points of the Ink UI. `src/commands/chat.ts` imports this module lazily, so `--help`, `--version` and
 * `--json` never load ink or react; this module itself stays light and loads them on first use.
 */
import type { Agent, Conversation } from '../core/agent.js';
import type { RunEndEvent } from '../core/events.js';

/** Options of the interactive chat. */
export interface InteractiveOptions {
  agent: Agent;
  /** Sent as the first message (`agentor chat -i "…"`). */
  firstPrompt?: string;
  timeoutMs?: number;
  maxTurns?: number;
  conversation?: Conversation;
  /** Input history file (default: history.jsonl in the XDG state dir); null keeps history in memory only. */
  historyPath?: string | null;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

/** Options of a multi-agent run in the terminal. */
export interface AgentsOptions {
  agents: readonly Agent[];
  /** One-shot: the prompt; a conversation: the optional first message. */
  prompt?: string;
  timeoutMs?: number;
  maxTurns?: number;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

/** Options of a conversation with several agents. */
export interface AgentsChatOptions extends AgentsOptions {
  /** Input history file (default: history.jsonl in the XDG state dir); null keeps history in memory only. */
  historyPath?: string | null;
}

/** Whether colour is wanted (NO_COLOR, https://no-color.org, turns it off). */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env['NO_COLOR'];
}

async function load(): Promise<typeof import('./mount.js')> {
  // The CLI bundle is built with NODE_ENV=production (scripts/build.mjs), so React runs its production build without
  // this process (or the MCP servers it starts) seeing NODE_ENV changed.
  return import('./mount.js');
}

/** Opens the interactive chat; resolves with the exit code when the user leaves. */
export async function runInteractive(opts: InteractiveOptions): Promise<number> {
  return (await load()).mount(opts, false);
}

/** Renders one prompt's run through the Ink UI (live markdown, tool panels, progress) and resolves with its exit code. */
export async function renderOnce(opts: Omit<InteractiveOptions, 'firstPrompt'> & { prompt: string }): Promise<number> {
  return (await load()).mount({ ...opts, firstPrompt: opts.prompt, historyPath: null }, true);
}

/**
 * Renders several agents answering one prompt, one live panel each, until every run ended; resolves with their
 * run_end events (the caller maps the most severe status to the exit code).
 */
export async function renderAgents(opts: AgentsOptions & { prompt: string }): Promise<RunEndEvent[]> {
  return (await load()).mountAgents(opts);
}

/**
 * Opens a conversation with several agents: each message goes to every agent at once (or to those named with
 * `@name`), one live panel each; resolves with the exit code when the user leaves.
 */
export async function runAgentsInteractive(opts: AgentsChatOptions): Promise<number> {
  return (await load()).mountAgentsChat(opts);
}
