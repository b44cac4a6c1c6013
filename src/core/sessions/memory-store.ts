/**
 * The bounded memory session store: sessions kept in this process only, least recently used ones evicted past `max`
 * and idle ones after `ttlMs`, so clients inventing ids cannot grow memory. Leases expire after their time unless
 * renewed by taking them again; a leased session is never evicted.
 */
import type {
  LeaseResult,
  ListOptions,
  LoadedSession,
  SessionHeader,
  SessionRecord,
  SessionStore,
  SessionSummary,
} from './types.js';

/** Limits of the memory store. */
export interface MemorySessionStoreOptions {
  /** Most sessions kept (default 1000). */
  max?: number;
  /** Idle time after which a session is forgotten (default 1 hour). */
  ttlMs?: number;
}

interface Entry {
  header: SessionHeader;
  records: SessionRecord[];
  updated: number;
  /** Until when it is leased (0: not leased). */
  leasedUntil: number;
  leaseToken: number;
}

/** Sessions in memory, bounded. */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();
  private readonly max: number;
  private readonly ttlMs: number;
  private tokens = 0;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.max = options.max ?? 1000;
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  }

  /** Sessions kept now. */
  get size(): number {
    return this.entries.size;
  }

  create(header: SessionHeader): Promise<void> {
    this.sweep();
    if (this.entries.has(header.id)) return Promise.reject(new Error(`session ${header.id} already exists`));
    this.entries.set(header.id, { header, records: [], updated: Date.now(), leasedUntil: 0, leaseToken: 0 });
    this.evict();
    return Promise.resolve();
  }

  append(id: string, records: readonly SessionRecord[]): Promise<void> {
    const entry = this.touch(id);
    if (!entry) return Promise.reject(new Error(`no session ${id}`));
    entry.records.push(...records);
    return Promise.resolve();
  }

  load(id: string): Promise<LoadedSession | undefined> {
    this.sweep();
    const entry = this.touch(id);
    if (!entry) return Promise.resolve(undefined);
    return Promise.resolve({ header: entry.header, records: [...entry.records], notices: [] });
  }

  header(id: string): Promise<SessionHeader | undefined> {
    return Promise.resolve(this.entries.get(id)?.header);
  }

  list(options: ListOptions = {}): Promise<SessionSummary[]> {
    this.sweep();
    const out: SessionSummary[] = [];
    const entries = [...this.entries.values()].sort((a, b) => b.updated - a.updated);
    for (const e of entries) {
      if (options.limit !== undefined && out.length >= options.limit) break;
      if (options.cwd !== undefined && e.header.cwd !== options.cwd) continue;
      if (options.prefix !== undefined && !e.header.id.startsWith(options.prefix)) continue;
      const users = options.brief ? [] : e.records.filter((r) => r.type === 'user');
      const first = users[0];
      out.push({
        id: e.header.id,
        created: e.header.created,
        updated: e.updated,
        cwd: e.header.cwd,
        agents: e.header.agents.map((a) => a.name),
        model: e.header.model,
        turns: users.length,
        firstPrompt: first && first.type === 'user' ? first.text : '',
        ...(e.header.parent ? { parent: e.header.parent } : {}),
      });
    }
    return Promise.resolve(out);
  }

  lease(id: string, ttlMs = 30_000): Promise<LeaseResult> {
    const entry = this.touch(id);
    if (!entry) return Promise.reject(new Error(`no session ${id}`));
    const now = Date.now();
    if (entry.leasedUntil > now) return Promise.resolve({ heldBy: { pid: process.pid, host: 'memory', since: now } });
    const token = ++this.tokens;
    entry.leasedUntil = now + ttlMs;
    entry.leaseToken = token;
    return Promise.resolve({
      lease: {
        id,
        release: () => {
          if (entry.leaseToken === token) entry.leasedUntil = 0;
          return Promise.resolve();
        },
      },
    });
  }

  remove(id: string): Promise<boolean> {
    return Promise.resolve(this.entries.delete(id));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The entry, marked as just used (Map order is the LRU order). */
  private touch(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    entry.updated = Date.now();
    this.entries.set(id, entry);
    return entry;
  }

  private sweep(now = Date.now()): void {
    for (const [id, e] of this.entries) {
      if (e.leasedUntil <= now && now - e.updated > this.ttlMs) this.entries.delete(id);
    }
  }

  private evict(): void {
    if (this.entries.size <= this.max) return;
    const now = Date.now();
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.max) break;
      if (e.leasedUntil <= now) this.entries.delete(id);
    }
  }
}
