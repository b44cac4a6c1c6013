/**
 * A live session: its agents' conversations (rebuilt from the log when resumed), the recording of every run's events,
 * and compaction. `agent.streamChat(input, { session })` runs in one; `Session.create` starts a session in a store and
 * `Session.resume` continues one.
 *
 * Recording is a consumer of the event stream: the run hands each event to the session as it makes it (a synchronous
 * tap, not one more async layer every event would pass), and the records are appended to the store in one batch per
 * event-loop turn (sliced at ~64 KB), so a run is never slowed by a write per token, and a crash loses at most the
 * batch of the current turn. When the store fails (a full disk, a directory that went away), the conversation goes on
 * unsaved and `onWarning` is called once.
 *
 * Two processes never write one session: resuming a session whose lease another live process holds continues in a
 * fork (a new session whose header names the `parent`, holding a copy of its log), unless `busy: 'refuse'`.
 */
import { randomUUID } from 'node:crypto';
import type { AgentEvent, ErrorInfo, Usage } from '../events.js';
import { eventJson } from '../event-json.js';
import { agentorVersion } from '../package.js';
import { lastUserText } from '../providers/messages.js';
import { allowsForSession } from '../tools/approval.js';
import { Conversation, type AgentInput } from '../run.js';
import { compactingProvider, keptMessages, summarize } from './compact.js';
import { compactedHistory, foldSession } from './fold.js';
import {
  SESSION_FORMAT,
  type CompactReason,
  type LeaseHolder,
  type LeaseResult,
  type RunSession,
  type SessionAgent,
  type SessionAgentInfo,
  type SessionCompactRecord,
  type SessionHeader,
  type SessionLease,
  type SessionRecord,
  type SessionRun,
  type SessionStore,
  type SessionUserRecord,
} from './types.js';

/** How a session records. */
export interface SessionRecordingOptions {
  store: SessionStore;
  /** Called once when the session stops being saved (the store failed); the conversation goes on in memory. */
  onWarning?: (message: string) => void;
}

/** A new session's facts. */
export interface NewSession {
  agents: SessionAgentInfo[];
  /** Default: process.cwd(). */
  cwd?: string;
  /** Default: a random UUID. */
  id?: string;
  parent?: string;
}

/** Options of `Session.resume`. */
export interface ResumeOptions extends SessionRecordingOptions {
  /** Another live process writes the session: continue in a fork (default), or throw SessionBusyError. */
  busy?: 'fork' | 'refuse';
  /** Names of the agents that will run in it; one agent continues a one-agent session whatever its name. */
  agents?: readonly string[];
  /** The fork's working directory (default: process.cwd()). */
  cwd?: string;
}

/** Another live process holds the session (`busy: 'refuse'`). */
export class SessionBusyError extends Error {
  constructor(
    readonly id: string,
    readonly holder: LeaseHolder,
  ) {
    super(`session ${id} is in use by another agentor process (${describeHolder(holder)})`);
    this.name = 'SessionBusyError';
  }
}

/** There is no session with that id in the store. */
export class SessionNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no session ${id}`);
    this.name = 'SessionNotFoundError';
  }
}

/** "pid 123 on host, since 14:02" */
export function describeHolder(h: LeaseHolder): string {
  if (h.pid <= 0) return 'an unknown process';
  const since = new Date(h.since).toTimeString().slice(0, 5);
  return `pid ${h.pid}${h.host ? ` on ${h.host}` : ''}, since ${since}`;
}

/** Options of `session.compact`. */
export interface CompactOptions {
  /** The model that writes the summary (default: the agent's). */
  model?: string;
  signal?: AbortSignal;
  /** Exchanges kept after the summary (default 2). */
  turns?: number;
  reason?: CompactReason;
}

/** A session in progress. */
export class Session implements RunSession {
  readonly id: string;
  readonly header: SessionHeader;
  /** Set when another process held the session asked for, and this one is its fork. */
  readonly forkedFrom: { id: string; heldBy: LeaseHolder } | undefined;
  /** The log it was resumed from (empty for a new session): what a chat shows of the conversation so far. */
  readonly resumedRecords: readonly SessionRecord[];
  /** What loading it had to report (skipped lines, runs cut short by a crash). */
  readonly notices: string[];
  /** User messages sent in it so far. */
  turns: number;
  /** Token usage of every run in it so far. */
  readonly usage: Usage;
  /** Each agent's last `context_tokens`: the context its conversation fills. */
  readonly contextTokens: Map<string, number>;
  private readonly conversations = new Map<string, Conversation>();
  /** One agent's session: its conversation is that agent's whatever it is called. */
  private readonly single: string | undefined;
  private readonly recorder: Recorder;
  private lease: SessionLease | undefined;
  private round: { input: AgentInput; to: Set<string> } | undefined;

  private constructor(init: {
    header: SessionHeader;
    store: SessionStore;
    onWarning: ((message: string) => void) | undefined;
    records?: readonly SessionRecord[];
    single: boolean;
    lease: SessionLease | undefined;
    forkedFrom?: { id: string; heldBy: LeaseHolder };
    notices?: string[];
  }) {
    this.header = init.header;
    this.id = init.header.id;
    this.single = init.single ? (init.header.agents[0]?.name ?? 'assistant') : undefined;
    this.lease = init.lease;
    this.forkedFrom = init.forkedFrom;
    this.notices = init.notices ?? [];
    this.resumedRecords = init.records ?? [];
    this.recorder = new Recorder(init.store, this.id, init.onWarning);
    const folded = foldSession(init.records ?? [], this.single ? () => this.single as string : undefined);
    for (const [agent, messages] of folded.histories) {
      const c = new Conversation();
      c.messages.push(...messages);
      this.conversations.set(agent, c);
    }
    // Tools the user allowed "always" stay allowed in the resumed session.
    for (const r of init.records ?? []) if (allowsForSession(r)) this.conversation(r.agent).allowedTools.add(r.name);
    this.turns = folded.turns;
    this.usage = folded.usage;
    this.contextTokens = folded.contextTokens;
    if (folded.interrupted.length > 0) {
      this.notices.push(
        `${folded.interrupted.length === 1 ? 'a run was' : `${folded.interrupted.length} runs were`} cut short (the process was stopped); what was recorded of ${folded.interrupted.length === 1 ? 'it' : 'them'} is kept`,
      );
    }
  }

  /** Starts a session: writes its header and takes its lease. Throws when the store cannot (the caller goes on without). */
  static async create(init: NewSession, options: SessionRecordingOptions): Promise<Session> {
    const header = newHeader(init);
    await options.store.create(header);
    const lease = await leaseQuietly(options.store, header.id);
    return new Session({
      header,
      store: options.store,
      onWarning: options.onWarning,
      single: header.agents.length === 1,
      lease: lease && 'lease' in lease ? lease.lease : undefined,
    });
  }

  /**
   * Continues a session from the store: its log is folded into each agent's conversation. When another live process
   * holds it, continues in a fork (see the top of this file). Throws SessionNotFoundError, SessionBusyError.
   */
  static async resume(id: string, options: ResumeOptions): Promise<Session> {
    const { store } = options;
    const loaded = await store.load(id);
    if (!loaded) throw new SessionNotFoundError(id);
    const single = loaded.header.agents.length === 1 && (options.agents === undefined || options.agents.length === 1);
    const taken = await store.lease(id);
    if ('lease' in taken) {
      return new Session({
        header: loaded.header,
        store,
        onWarning: options.onWarning,
        records: loaded.records,
        single,
        lease: taken.lease,
        notices: loaded.notices,
      });
    }
    if (options.busy === 'refuse') throw new SessionBusyError(id, taken.heldBy);
    const header = newHeader({ agents: loaded.header.agents, cwd: options.cwd, parent: id });
    await store.create(header);
    await store.append(header.id, loaded.records);
    const lease = await leaseQuietly(store, header.id);
    return new Session({
      header,
      store,
      onWarning: options.onWarning,
      records: loaded.records,
      single,
      lease: lease && 'lease' in lease ? lease.lease : undefined,
      forkedFrom: { id, heldBy: taken.heldBy },
      notices: loaded.notices,
    });
  }

  /** The conversation of an agent (empty for an agent new to the session). */
  conversation(agent: string): Conversation {
    const key = this.single ?? agent;
    let c = this.conversations.get(key);
    if (!c) this.conversations.set(key, (c = new Conversation()));
    return c;
  }

  /** The context an agent's conversation filled at its last answer (its last `context_tokens`). */
  contextOf(agent: string): number | undefined {
    return this.contextTokens.get(this.single ?? agent);
  }

  /** Agents with a conversation in the session. */
  get agents(): string[] {
    return [...this.conversations.keys()];
  }

  /** False once recording failed: the session is no longer being saved. */
  get saving(): boolean {
    return !this.recorder.broken;
  }

  /** Records one user message sent to several agents at once; their runs then record no input of their own. */
  recordRound(input: AgentInput, agents: readonly string[]): void {
    this.recordInput(input, agents);
    this.round = { input, to: new Set(agents) };
  }

  /** See RunSession.attach. */
  attach(agent: SessionAgent, input: AgentInput): SessionRun {
    if (this.round?.input === input && this.round.to.delete(agent.name)) {
      if (this.round.to.size === 0) this.round = undefined;
    } else {
      this.recordInput(input, [agent.name]);
    }
    const conversation = this.conversation(agent.name);
    const provider = compactingProvider(agent.provider, {
      conversation,
      snapshot: conversation.messages.length,
      system: agent.instructions !== '',
      compact: async (turns, model, signal) => {
        const record = await this.compact(agent, { turns, model, signal, reason: 'context_length' });
        return record ? compactNotice(record) : undefined;
      },
    });
    return { conversation, provider, record: (event) => this.record(event) };
  }

  /**
   * Replaces the agent's conversation by a model-written summary plus its last `turns` exchanges, and records that.
   * Resolves with the record, or undefined when there is nothing to compact yet. Throws when the model call fails.
   */
  async compact(agent: SessionAgent, options: CompactOptions = {}): Promise<SessionCompactRecord | undefined> {
    const conversation = this.conversation(agent.name);
    const history = conversation.messages;
    const keep = keptMessages(history, options.turns ?? 2);
    if (history.length - keep === 0) return undefined;
    const summary = await summarize({
      provider: agent.provider,
      model: options.model ?? agent.model,
      messages: history.slice(0, history.length - keep),
      signal: options.signal ?? new AbortController().signal,
    });
    const record: SessionCompactRecord = {
      type: 'compact',
      ts: Date.now(),
      agent: this.single ?? agent.name,
      summary,
      keep,
      reason: options.reason ?? 'manual',
      before: history.length,
    };
    const next = compactedHistory(history, summary, keep);
    history.length = 0;
    history.push(...next);
    this.recorder.add(record);
    return record;
  }

  /** Forgets every agent's conversation (`/clear`), and records that so a resumed session starts over there too. */
  clear(): void {
    for (const c of this.conversations.values()) c.clear();
    this.recorder.add({ type: 'clear', ts: Date.now() });
  }

  /** Resolves when everything recorded so far is in the store. */
  flush(): Promise<void> {
    return this.recorder.flush();
  }

  /** Writes what is pending and gives up the lease. */
  async close(): Promise<void> {
    await this.recorder.flush();
    const lease = this.lease;
    this.lease = undefined;
    await lease?.release().catch(() => undefined);
  }

  private recordInput(input: AgentInput, to: readonly string[]): void {
    this.turns++;
    const record: SessionUserRecord =
      typeof input === 'string'
        ? { type: 'user', ts: Date.now(), text: input, to: [...to] }
        : {
            type: 'user',
            ts: Date.now(),
            text: lastUserText(input),
            messages: input.map((m) => ({ role: m.role, content: m.content })),
            to: [...to],
          };
    this.recorder.add(record);
  }

  private record(e: AgentEvent): void {
    this.recorder.add(e);
    if (e.type === 'run_end') {
      this.usage.input_tokens += e.usage.input_tokens;
      this.usage.output_tokens += e.usage.output_tokens;
      this.usage.total_tokens = this.usage.input_tokens + this.usage.output_tokens;
      if (e.context_tokens !== undefined) this.contextTokens.set(this.single ?? e.agent, e.context_tokens);
    }
  }
}

/** The notice a run shows when its conversation was compacted to fit. */
function compactNotice(record: SessionCompactRecord): ErrorInfo {
  return {
    message: `the conversation no longer fit the model's context window: ${record.before - record.keep} earlier messages were compacted into a summary, and the request was sent again`,
    code: 'context_compacted',
    retryable: false,
  };
}

function newHeader(init: NewSession): SessionHeader {
  return {
    type: 'session',
    version: SESSION_FORMAT,
    id: init.id ?? randomUUID(),
    created: Date.now(),
    cwd: init.cwd ?? process.cwd(),
    agents: init.agents.map((a) => ({ ...a })),
    model: init.agents[0]?.model ?? '',
    agentor: agentorVersion(),
    ...(init.parent ? { parent: init.parent } : {}),
  };
}

/** A lease, or undefined when the store cannot give one (the session is still written; only the lock is missing). */
async function leaseQuietly(store: SessionStore, id: string): Promise<LeaseResult | undefined> {
  try {
    return await store.lease(id);
  } catch {
    return undefined;
  }
}

/** About how much of the log is written at once, at most (in characters; see Recorder.add). */
const BATCH_CHARS = 64 * 1024;

/**
 * Appends records to the store in one batch per event-loop turn, one append at a time and in order. The first failure
 * stops it (later records are dropped) and is reported once.
 *
 * A store that keeps JSON lines gets them made as each record is added: the event's line is then the one `--json`
 * prints next (see eventJson), so a recorded `--json` run serializes each event once, and the batch holds strings the
 * output shares rather than events kept alive until the write.
 */
class Recorder {
  private pending: SessionRecord[] = [];
  private lines: string[] = [];
  /** Characters in `lines`. */
  private chars = 0;
  /** The store's `appendLines` for this session, when it keeps JSON lines. */
  private readonly appendLines: ((lines: readonly string[]) => Promise<void>) | undefined;
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();
  broken = false;

  constructor(
    private readonly store: SessionStore,
    private readonly id: string,
    private readonly onWarning: ((message: string) => void) | undefined,
  ) {
    const lined = store.appendLines ? (store as Required<Pick<SessionStore, 'appendLines'>>) : undefined;
    this.appendLines = lined && ((lines) => lined.appendLines(id, lines));
  }

  add(record: SessionRecord): void {
    if (this.broken) return;
    if (this.appendLines) {
      let line: string;
      try {
        line = eventJson(record);
      } catch (e) {
        this.fail(e); // a value JSON cannot hold: the log stops here, not the run
        return;
      }
      this.lines.push(line);
      this.chars += line.length;
      // One turn of the event loop can carry thousands of events (a fast stream read in one go): written in slices,
      // the batch stays small enough to be cheap to join and write (one write of the whole turn cost several times the CPU of its slices).
      if (this.chars >= BATCH_CHARS) this.write();
    } else {
      this.pending.push(record);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.onImmediate);
    }
  }

  private readonly onImmediate = (): void => {
    this.scheduled = false;
    this.write();
  };

  private write(): void {
    if (this.broken || (this.pending.length === 0 && this.lines.length === 0)) return;
    const records = this.pending;
    const lines = this.lines;
    this.pending = [];
    this.lines = [];
    this.chars = 0;
    this.chain = this.chain
      .then(() => {
        if (this.broken) return undefined;
        return this.appendLines ? this.appendLines(lines) : this.store.append(this.id, records);
      })
      .catch((e) => {
        this.fail(e);
      });
  }

  flush(): Promise<void> {
    this.write();
    return this.chain;
  }

  private fail(e: unknown): void {
    if (this.broken) return;
    this.broken = true;
    this.pending = [];
    this.lines = [];
    this.chars = 0;
    this.onWarning?.(`the session is not being saved any more: ${(e as Error)?.message ?? String(e)}`);
  }
}
