/** The options of the Ink UI's entry points (index.ts), in a module of their own so mount.ts can use them too. */
import type { Agent, Conversation } from '../core/agent.js';

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

/** Whether colour is wanted (NO_COLOR, https://no-color.org, turns it off; bold and underline stay). */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env['NO_COLOR'];
}
