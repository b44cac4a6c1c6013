/**
 * Conversations kept across requests (`session_id` on /chat and /ws, `contextId` in A2A). Bounded: least recently
 * used sessions are evicted past `max`, idle ones expire after `ttlMs`, so a client inventing ids cannot grow memory.
 */
import { Conversation } from '../core/agent.js';
import { flat } from '../core/flat-text.js';
import type { RunSession } from '../core/sessions/types.js';

/** Limits of the session store. */
export interface SessionOptions {
  /** Most sessions kept (default 1000). */
  max?: number;
  /** Idle time after which a session is forgotten (default 1 hour). */
  ttlMs?: number;
}

interface Entry {
  conversation: Conversation;
  lastUsed: number;
  busy: boolean;
}

/** A session currently held by one run; `release()` when the run ends (it saves what the run added). */
export interface SessionLease {
  conversation: Conversation;
  /** A recorded session (`--sessions-dir`): the run goes through it (`streamChat(input, { session })`) so it is logged. */
  session?: RunSession;
  release(): void | Promise<void>;
}

/** A lease of the memory store: releasing it is immediate. */
export interface MemorySessionLease extends SessionLease {
  release(): void;
}

/**
 * Conversations by id, one run at a time per session. `acquire` is undefined when another run holds the session; it
 * throws an HttpError (503) when a shared store cannot be reached.
 */
export interface ConversationStore {
  acquire(id: string): SessionLease | undefined | Promise<SessionLease | undefined>;
}

/** An LRU + TTL map of id → Conversation, with one run at a time per session. */
export class SessionStore implements ConversationStore {
  private readonly entries = new Map<string, Entry>();
  private readonly max: number;
  private readonly ttlMs: number;

  constructor(options: SessionOptions = {}) {
    this.max = options.max ?? 1000;
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  }

  /** Number of live sessions. */
  get size(): number {
    return this.entries.size;
  }

  /** Takes the session for a run; undefined when another run is using it right now. */
  acquire(id: string, now = Date.now()): MemorySessionLease | undefined {
    this.sweep(now);
    let entry = this.entries.get(id);
    if (entry?.busy) return undefined;
    if (entry) this.entries.delete(id); // re-inserted below: Map order is the LRU order
    entry ??= { conversation: new Conversation(), lastUsed: now, busy: false };
    entry.busy = true;
    entry.lastUsed = now;
    this.entries.set(id, entry);
    this.evict();
    const held = entry;
    const from = held.conversation.messages.length;
    let released = false;
    return {
      conversation: held.conversation,
      release: () => {
        if (released) return;
        released = true;
        held.busy = false;
        held.lastUsed = Date.now();
        for (const m of held.conversation.messages.slice(from)) if (typeof m.content === 'string') flat(m.content);
      },
    };
  }

  private sweep(now: number): void {
    for (const [id, entry] of this.entries) {
      if (!entry.busy && now - entry.lastUsed > this.ttlMs) this.entries.delete(id);
    }
  }

  private evict(): void {
    if (this.entries.size <= this.max) return;
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.max) break;
      if (!entry.busy) this.entries.delete(id);
    }
  }
}
