/**
 * The session contract. A session is one conversation kept as a log: a header, then the user messages, the
 * AgentEvents of every run exactly as `--json` prints them, and compaction records, in the order they happened. The
 * conversation the model sees is rebuilt from that log (fold.ts); nothing else is stored.
 *
 * `SessionStore` is what the log is kept in: the file store (one JSONL file per session, the CLI's default), the
 * bounded memory store, or a shared store added later (e.g. Redis for several `serve` replicas). It is deliberately
 * small and async, keyed by session id, so a new store needs no change to its callers:
 *
 * - `create` writes a new session's header (and fails if the id exists);
 * - `append` adds records in order (one call per batch; a store may write them as one operation);
 * - `appendLines`, optional, adds records already serialized as JSON lines (a store that keeps lines takes them so the
 *   recorder can share each event's line with `--json` instead of serializing it again);
 * - `load` reads a session back (header, records, and notices about lines it had to skip);
 * - `header` reads only a session's first line;
 * - `list` summarises sessions, most recently updated first;
 * - `lease` takes the right to write a session for a while (one writer at a time; the holder renews it, and a lease
 *   whose holder died or stopped renewing expires);
 * - `remove` deletes a session.
 */
import type { AgentEvent } from '../events.js';
import type { ModelProvider } from '../providers/types.js';
import type { AgentInput, Conversation, InputMessage } from '../run.js';

/** Version of the session log format (the header's `version`). */
export const SESSION_FORMAT = 1;

/** An agent of a session, as its header names it. */
export interface SessionAgentInfo {
  name: string;
  model: string;
  /** How the agent was loaded (`--agent` path or name), so a resumed session can load it again. */
  ref?: string;
}

/** The first line of a session log. */
export interface SessionHeader {
  type: 'session';
  version: number;
  id: string;
  /** Epoch milliseconds. */
  created: number;
  /** The working directory the session was started in (`--continue` picks the latest one of the current directory). */
  cwd: string;
  agents: SessionAgentInfo[];
  /** The first agent's model, for listings. */
  model: string;
  /** The agentor version that started the session. */
  agentor: string;
  /** The session this one was forked from (when another process was writing it). */
  parent?: string;
}

/** A user message: the input of the runs that follow it (of every agent it was sent to). */
export interface SessionUserRecord {
  type: 'user';
  ts: number;
  /** The message as the user wrote it (the last user message of a conversation given as input). */
  text: string;
  /** The whole input when it was a list of messages rather than one prompt. */
  messages?: InputMessage[];
  /** The agents it was sent to (all of the round's agents, or those named with `@name`). */
  to?: string[];
}

/** Why a conversation was compacted. */
export type CompactReason = 'manual' | 'context_length';

/**
 * The history of `agent` was replaced by a model-written summary plus its last `keep` messages (`/compact`, or a
 * request the upstream rejected for context length). Folding it reproduces the compacted history exactly.
 */
export interface SessionCompactRecord {
  type: 'compact';
  ts: number;
  agent: string;
  summary: string;
  keep: number;
  reason: CompactReason;
  /** Messages the history had before (for messages such as "12 messages → summary"). */
  before: number;
}

/** Every agent's conversation was forgotten (`/clear`): the fold starts them over from here. */
export interface SessionClearRecord {
  type: 'clear';
  ts: number;
}

/** Anything after the header. Records of an unknown type (newer event types) are kept and skipped by the fold. */
export type SessionRecord = AgentEvent | SessionUserRecord | SessionCompactRecord | SessionClearRecord;

/** A session read back from a store. */
export interface LoadedSession {
  header: SessionHeader;
  records: SessionRecord[];
  /** Problems that did not stop loading: skipped corrupt lines (file and line named), a torn last line. */
  notices: string[];
}

/** One line of a session listing. */
export interface SessionSummary {
  id: string;
  created: number;
  /** When it was last written (epoch ms). */
  updated: number;
  cwd: string;
  agents: string[];
  model: string;
  /** User messages sent in it. */
  turns: number;
  /** The first user message (may be long: callers shorten it for display). */
  firstPrompt: string;
  parent?: string;
}

/** Options of `SessionStore.list`. */
export interface ListOptions {
  /** Only sessions started in this directory. */
  cwd?: string;
  /** At most this many (the most recently updated). */
  limit?: number;
  /** Only sessions whose id starts with this. */
  prefix?: string;
  /** Only the headers' facts: `turns` and `firstPrompt` are left 0 and '' (no session is read past its header). */
  brief?: boolean;
}

/** Who holds a session's lease. */
export interface LeaseHolder {
  pid: number;
  host: string;
  /** Epoch ms when it was taken. */
  since: number;
}

/** The right to write a session, held until `release()` (renewed by the store while held). */
export interface SessionLease {
  readonly id: string;
  release(): Promise<void>;
}

/** The outcome of `SessionStore.lease`: the lease, or who holds it now. */
export type LeaseResult = { lease: SessionLease } | { heldBy: LeaseHolder };

/** Where sessions are kept (see the top of this file). Every method may throw for I/O failures. */
export interface SessionStore {
  create(header: SessionHeader): Promise<void>;
  append(id: string, records: readonly SessionRecord[]): Promise<void>;
  /** Like `append`, for records given as their JSON lines (without newlines); a store keeping JSON lines offers it. */
  appendLines?(id: string, lines: readonly string[]): Promise<void>;
  /** Undefined when there is no such session. */
  load(id: string): Promise<LoadedSession | undefined>;
  /** A session's header; undefined when there is no such session (or it is unreadable). */
  header(id: string): Promise<SessionHeader | undefined>;
  list(options?: ListOptions): Promise<SessionSummary[]>;
  /** `ttlMs`: how long the lease lasts without renewal when its holder cannot be checked directly. */
  lease(id: string, ttlMs?: number): Promise<LeaseResult>;
  /** False when there was no such session. */
  remove(id: string): Promise<boolean>;
  /** Releases what the store holds open (files, timers, connections). */
  close(): Promise<void>;
}

/** True for a parsed line that is a session header. */
export function isSessionHeader(value: unknown): value is SessionHeader {
  const v = value as Partial<SessionHeader> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.type === 'session' &&
    typeof v.id === 'string' &&
    typeof v.created === 'number' &&
    Array.isArray(v.agents)
  );
}

/** True for a parsed line that can be a record (an object with a string `type`, not a header). */
export function isSessionRecord(value: unknown): value is SessionRecord {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { type?: unknown }).type === 'string' &&
    (value as { type: string }).type !== 'session'
  );
}

/** An agent as a session sees it (an `Agent` is one). */
export interface SessionAgent {
  readonly name: string;
  readonly model: string;
  readonly instructions: string;
  readonly provider: ModelProvider;
}

/** One run's part of a session: the conversation it continues, the provider it calls, the recording of its events. */
export interface SessionRun {
  conversation: Conversation;
  /** The agent's provider, wrapped so that a request rejected for context length is compacted and sent again. */
  provider: ModelProvider;
  /** Records one of the run's events; the run calls it for each event as it is made, in the order it yields them. */
  record: (event: AgentEvent) => void;
}

/** What `agent.streamChat(input, { session })` needs from a session (the `Session` class implements it). */
export interface RunSession {
  readonly id: string;
  /** Records `input` (unless it was recorded for a round of several agents) and prepares the run. */
  attach(agent: SessionAgent, input: AgentInput): SessionRun;
  /** Records one user message sent to several agents at once (their runs' `attach` then records none). */
  recordRound(input: AgentInput, agents: readonly string[]): void;
}
