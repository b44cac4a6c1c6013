/**
 * Conversations kept across requests (`session_id` on /chat and /ws, `contextId` in A2A). Bounded: least recently
 * used sessions are evicted past `max`, idle ones expire after `ttlMs`, so a client inventing ids cannot grow memory.
 */
import { Conversation } from '../core/agent.js';

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

/**
 * Makes V8 store a string as one flat buffer. A run's answer is built by appending thousands of deltas, which V8 keeps
 * as a rope — ~50 bytes per delta, ten times the text — until something reads it by index; kept in a session for an
 * hour, that rope is most of the session's memory. Reading one character makes V8 flatten it in place, losslessly.
 */
function flatten(text: string): void {
  text.charCodeAt(0);
}

/** A session currently held by one run; `release()` when the run ends. */
export interface SessionLease {
  conversation: Conversation;
  release(): void;
}

/** An LRU + TTL map of id → Conversation, with one run at a time per session. */
export class SessionStore {
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
  acquire(id: string, now = Date.now()): SessionLease | undefined {
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
        for (const m of held.conversation.messages.slice(from)) if (typeof m.content === 'string') flatten(m.content);
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
