/** The options of the Ink UI's entry points (index.ts), in a module of their own so mount.ts can use them too. */
import type { Agent, Conversation } from '../core/agent.js';
import type { Session } from '../core/sessions/session.js';
import type { SessionSummary } from '../core/sessions/types.js';

/** What the chat can do with its sessions (`/new`, `/resume`, `/sessions`); the command that opened it provides it. */
export interface SessionSwitcher {
  /** Recent sessions of the working directory, most recently updated first. */
  recent(limit: number): Promise<SessionSummary[]>;
  /** Leaves the current session (kept, unless nothing was said in it) for a new one. Rejects with a user message. */
  startNew(): Promise<Session>;
  /**
   * Leaves the current session for another, by id or unique prefix (a fork when another process writes it). Rejects
   * with a user message naming the closest ids or the candidates.
   */
  resume(typed: string): Promise<Session>;
}

/** Options of the interactive chat. */
export interface InteractiveOptions {
  agent: Agent;
  /** Sent as the first message (`agentor chat -i "…"`). */
  firstPrompt?: string;
  timeoutMs?: number;
  maxTurns?: number;
  conversation?: Conversation;
  /** The session the chat is recorded in (its conversation is the session's; a resumed one is shown first). */
  session?: Session;
  /** `/new`, `/resume` and `/sessions` (without it they say the chat is not saved). */
  sessions?: SessionSwitcher;
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
  /** Piped material sent after the prompt; never scanned for `@path` mentions or `@name` addresses. */
  context?: string;
  timeoutMs?: number;
  maxTurns?: number;
  /** The session the chat is recorded in (each agent's conversation is the session's). */
  session?: Session;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

/** Options of a conversation with several agents. */
export interface AgentsChatOptions extends AgentsOptions {
  /** `/new`, `/resume` and `/sessions` (without it they say the chat is not saved). */
  sessions?: SessionSwitcher;
  /** Input history file (default: history.jsonl in the XDG state dir); null keeps history in memory only. */
  historyPath?: string | null;
}

/** Whether colour is wanted (NO_COLOR, https://no-color.org, turns it off; bold and underline stay). */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env['NO_COLOR'];
}
