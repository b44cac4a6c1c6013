/**
 * Reading the per-task Redis Streams that the owner of a running task appends its events to, for clients that follow
 * the task from another replica. One blocking connection per replica serves every follower: it waits in
 * `XREAD BLOCK` on all followed streams at once, each from the oldest position a follower still needs, and a new
 * follower wakes it with `CLIENT UNBLOCK` from the main connection. A follower that does not keep up is left out of
 * the reads until it has caught up, so memory stays bounded by followers × `MAX_QUEUED`.
 */
import type { BlockingConnection, RedisLink } from './redis-link.js';

/** A stream entry id `ms-seq`, compared as numbers. */
export interface StreamId {
  ms: number;
  seq: number;
}

/** `ms-seq` → StreamId (`0-0` for anything else). */
export function parseStreamId(text: string | undefined): StreamId {
  const m = /^(\d+)-(\d+)$/.exec(text ?? '');
  return m ? { ms: Number(m[1]), seq: Number(m[2]) } : { ms: 0, seq: 0 };
}

export const formatStreamId = (id: StreamId): string => `${id.ms}-${id.seq}`;

/** Negative, 0 or positive as `a` is before, at or after `b`. */
export const compareStreamIds = (a: StreamId, b: StreamId): number => a.ms - b.ms || a.seq - b.seq;

/** One entry of a stream: its id and its `e` field. */
export interface StreamEntry {
  id: StreamId;
  data: string;
}

/** What a follower is handed: new entries, or a quiet period (nothing arrived for a while: time to look around). */
export type FollowerEvent = { kind: 'entries'; entries: StreamEntry[] } | { kind: 'idle' };

/** How long one read waits for new entries before the followers are told it is quiet. */
const BLOCK_MS = 1_000;
/** Entries read per stream per round. */
const READ_COUNT = 500;
/** A follower with this many entries not yet taken is skipped by the reads until it takes them. */
const MAX_QUEUED = 2_000;
/** Wait before reading again after a failed read (the store is down, or the connection broke). */
const RETRY_MS = 250;

/** One client following one stream: its queue and where the reads stand for it. */
export class Follower {
  private queue: StreamEntry[] = [];
  private idle = false;
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    readonly key: string,
    /** The last id handed to this follower. */
    public position: StreamId,
    private readonly reader: StreamReader,
  ) {}

  /** Room for more entries. */
  get hungry(): boolean {
    return this.queue.length < MAX_QUEUED;
  }

  /** Called by the reader. */
  push(entries: StreamEntry[]): void {
    for (const e of entries) {
      if (compareStreamIds(e.id, this.position) <= 0) continue;
      this.queue.push(e);
      this.position = e.id;
    }
    this.signal();
  }

  /** Called by the reader when a read found nothing. */
  quiet(): void {
    this.idle = true;
    this.signal();
  }

  /** The next entries (or a quiet period); undefined once `signal` aborts or the follower is closed. */
  async next(signal: AbortSignal | undefined): Promise<FollowerEvent | undefined> {
    while (!this.closed && !signal?.aborted) {
      if (this.queue.length > 0) {
        const entries = this.queue;
        this.queue = [];
        if (entries.length >= MAX_QUEUED) this.reader.poke();
        return { kind: 'entries', entries };
      }
      if (this.idle) {
        this.idle = false;
        return { kind: 'idle' };
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal?.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    return undefined;
  }

  /** Restarts from `position` (after a snapshot replaced what was queued). */
  reset(position: StreamId): void {
    this.queue = [];
    this.position = position;
    this.reader.poke();
  }

  close(): void {
    this.closed = true;
    this.signal();
    this.reader.remove(this);
  }

  private signal(): void {
    this.wake?.();
  }
}

/** The replica's one reader of followed streams. */
export class StreamReader {
  private readonly followers = new Set<Follower>();
  private connection: BlockingConnection | undefined;
  private reading = false;
  private blocked = false;
  private closed = false;

  constructor(
    private readonly link: RedisLink,
    /** The field each entry carries its event in. */
    private readonly field = 'e',
  ) {}

  /** Follows `key` from after `position`. */
  follow(key: string, position: StreamId): Follower {
    const follower = new Follower(key, position, this);
    this.followers.add(follower);
    if (!this.reading) void this.loop();
    else this.poke();
    return follower;
  }

  remove(follower: Follower): void {
    this.followers.delete(follower);
  }

  /** Wakes a read that is waiting, so it picks up new followers or positions. */
  poke(): void {
    const connection = this.connection;
    if (this.blocked && connection) void this.link.command(['CLIENT', 'UNBLOCK', connection.id]).catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    this.connection?.close();
    this.connection = undefined;
    for (const f of [...this.followers]) f.close();
  }

  private async loop(): Promise<void> {
    this.reading = true;
    try {
      while (!this.closed && this.followers.size > 0) {
        // Each stream is read from the oldest position one of its hungry followers needs.
        const from = new Map<string, StreamId>();
        for (const f of this.followers) {
          if (!f.hungry) continue;
          const at = from.get(f.key);
          if (!at || compareStreamIds(f.position, at) < 0) from.set(f.key, f.position);
        }
        if (from.size === 0) {
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
          continue;
        }
        let reply: unknown;
        try {
          this.connection ??= await this.link.blocking();
          const keys = [...from.keys()];
          this.blocked = true;
          reply = await this.connection.command([
            'XREAD',
            'COUNT',
            String(READ_COUNT),
            'BLOCK',
            String(BLOCK_MS),
            'STREAMS',
            ...keys,
            ...keys.map((k) => formatStreamId(from.get(k) as StreamId)),
          ]);
        } catch {
          this.connection?.close();
          this.connection = undefined;
          if (!this.closed) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
          continue;
        } finally {
          this.blocked = false;
        }
        const streams = parseXread(reply, this.field);
        if (streams.size === 0) for (const f of this.followers) f.quiet();
        for (const f of this.followers) {
          const entries = streams.get(f.key);
          if (entries) f.push(entries);
        }
      }
    } finally {
      this.reading = false;
      if (!this.closed && this.followers.size > 0) void this.loop();
      else if (this.followers.size === 0) {
        this.connection?.close();
        this.connection = undefined;
      }
    }
  }
}

/** XREAD's reply as key → entries (RESP3 gives a Map or an object, RESP2 a list of [key, entries]; null: nothing). */
export function parseXread(reply: unknown, field: string): Map<string, StreamEntry[]> {
  const out = new Map<string, StreamEntry[]>();
  if (!reply) return out;
  const pairs: Array<[unknown, unknown]> =
    reply instanceof Map
      ? [...reply.entries()]
      : Array.isArray(reply)
        ? reply.map((r) => [(r as unknown[])[0], (r as unknown[])[1]])
        : Object.entries(reply as Record<string, unknown>);
  for (const [key, entries] of pairs) {
    const list: StreamEntry[] = [];
    for (const entry of (entries as unknown[]) ?? []) {
      const [id, fields] = entry as [unknown, unknown];
      const data = fieldOf(fields, field);
      if (data !== undefined) list.push({ id: parseStreamId(String(id)), data });
    }
    out.set(String(key), list);
  }
  return out;
}

/** A reply value as text (bulk strings may come as Buffers). */
const text = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

function fieldOf(fields: unknown, name: string): string | undefined {
  if (fields instanceof Map) {
    const v = fields.get(name) as unknown;
    return v === undefined ? undefined : text(v);
  }
  if (Array.isArray(fields)) {
    for (let i = 0; i + 1 < fields.length; i += 2) if (String(fields[i]) === name) return String(fields[i + 1]);
    return undefined;
  }
  if (fields && typeof fields === 'object') {
    const v = (fields as Record<string, unknown>)[name];
    return v === undefined ? undefined : text(v);
  }
  return undefined;
}
