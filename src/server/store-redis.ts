/**
 * The Redis store: what replicas of `agentor serve` share. Sessions are JSON under a TTL, held by one run at a time
 * through a lock with expiry and a fencing token (a replica that lost its lock cannot write the session back). A2A
 * tasks are JSON snapshots bounded by count, bytes and TTL (one Lua script writes and evicts atomically); a running
 * task is kept in this process and its snapshot written on each status change and at most every
 * `SNAPSHOT_INTERVAL_MS` while its answer streams. Each replica holds a lease it renews; the tasks of a replica whose
 * lease ran out are marked failed by whichever replica notices first. Cancels travel by pub/sub to the task's owner.
 * What stays per replica: the runs themselves, their upstream connections, and the streams of their clients.
 */
import { randomUUID } from 'node:crypto';
import { TaskState, type Task, type TaskArtifactUpdateEvent, type TaskStatusUpdateEvent } from '@a2a-js/sdk';
import { Conversation } from '../core/agent.js';
import type { ChatMessage } from '../core/providers/types.js';
import type { ReadinessCheck } from './readiness.js';
import { HttpError } from './http.js';
import { connectRedis, type RedisLink } from './redis-link.js';
import type { ConversationStore, SessionLease, SessionOptions } from './sessions.js';
import type { OpenStoreOptions, ServerStore } from './store-types.js';
import type { RedisStoreConfig } from './store-url.js';
import {
  BoundedTaskStore,
  DEFAULT_TASK_STORE_BYTES,
  isTerminal,
  pageTasks,
  type ListParams,
  type ListResult,
  type LiveTaskStore,
  type TaskStoreOptions,
} from './task-store.js';

const PREFIX = 'agentor:';
const K = {
  replica: (id: string) => `${PREFIX}replica:${id}`,
  task: (id: string) => `${PREFIX}task:${id}`,
  taskIndex: `${PREFIX}tasks`,
  taskSizes: `${PREFIX}task-sizes`,
  taskBytes: `${PREFIX}task-bytes`,
  taskOwners: `${PREFIX}task-owners`,
  session: (id: string) => `${PREFIX}session:${id}`,
  sessionLock: (id: string) => `${PREFIX}session-lock:${id}`,
  fence: `${PREFIX}fence`,
  cancel: `${PREFIX}cancel`,
  ended: `${PREFIX}task-ended`,
};

/** Default lease of a replica: its running tasks fail this long after it stops renewing it. */
export const DEFAULT_LEASE_MS = 15_000;
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_MAX_TASKS = 10_000;
/** A streaming task's snapshot is written at most this often (each status change is written at once). */
const SNAPSHOT_INTERVAL_MS = 200;
/** How long a cancel waits for the owner to end the task. */
const CANCEL_WAIT_MS = 5_000;

/** Answers 503 with Retry-After: the store is down for now, the request may be sent again. */
export function storeUnavailable(what: string): HttpError {
  return new HttpError(503, `the ${what} store is unavailable right now; retry in a moment`, 'store_unavailable', {
    'retry-after': '1',
  });
}

/** JSON that keeps byte arrays (file parts) as base64. */
function encode(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v instanceof Uint8Array ? { $bytes: Buffer.from(v).toString('base64') } : v,
  );
}

function decode<T>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) =>
    v && typeof v === 'object' && typeof (v as { $bytes?: unknown }).$bytes === 'string'
      ? new Uint8Array(Buffer.from((v as { $bytes: string }).$bytes, 'base64'))
      : v,
  ) as T;
}

/**
 * Writes a task snapshot and its owner (none once finished), indexes it, and evicts the oldest tasks past the count and byte budgets; index entries of
 * expired snapshots are dropped on the way. Atomic, so the budgets hold with any number of replicas writing.
 */
const SAVE_TASK = `
local index, sizes, total_key = KEYS[1], KEYS[2], KEYS[3]
local id, json, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local max_tasks, max_bytes, prefix, owner = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], ARGV[8]
local function drop(old)
  local b = tonumber(redis.call('HGET', sizes, old) or '0')
  redis.call('DEL', prefix .. 'task:' .. old)
  redis.call('ZREM', index, old)
  redis.call('HDEL', sizes, old)
  return redis.call('DECRBY', total_key, b)
end
for _, old in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', now - ttl)) do drop(old) end
local prev = tonumber(redis.call('HGET', sizes, id) or '0')
redis.call('SET', prefix .. 'task:' .. id, json, 'PX', ttl)
redis.call('ZADD', index, now, id)
redis.call('HSET', sizes, id, string.len(json))
if owner == '' then redis.call('HDEL', KEYS[4], id) else redis.call('HSET', KEYS[4], id, owner) end
local total = redis.call('INCRBY', total_key, string.len(json) - prev)
local count = redis.call('ZCARD', index)
while count > max_tasks or total > max_bytes do
  local oldest = redis.call('ZRANGE', index, 0, 0)[1]
  if not oldest or oldest == id then break end
  total = drop(oldest)
  count = count - 1
end
return total
`;

/** Puts the session back and frees its lock, only if this run still holds it (its fencing token). */
const RELEASE_SESSION = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
redis.call('DEL', KEYS[1])
return 1
`;

/** Extends a session lock held by this run. */
const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`;

/** A stored task: the snapshot and, while it runs, the replica running it. */
interface StoredTask {
  task: Task;
  owner?: string;
}

/** The A2A task store in Redis; tasks running on this replica are kept here too, and written through. */
class RedisTaskStore implements LiveTaskStore {
  private readonly local: BoundedTaskStore;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Running or just-finished tasks whose latest state has not reached Redis yet (it was down). */
  private readonly dirty = new Set<string>();
  private readonly maxTasks: number;
  private readonly maxBytes: number;

  constructor(
    private readonly shared: RedisShared,
    options: TaskStoreOptions,
  ) {
    this.maxTasks = options.maxTasks ?? DEFAULT_MAX_TASKS;
    this.maxBytes = options.maxBytes ?? DEFAULT_TASK_STORE_BYTES;
    // Only this replica's running tasks live here: no budget of their own.
    this.local = new BoundedTaskStore({ maxTasks: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER });
    shared.link.onReadyChange((ready) => {
      if (ready) for (const id of [...this.dirty]) this.flush(id);
    });
  }

  begin(task: Task): void {
    this.local.begin(task);
    this.flush(task.id);
  }

  status(update: TaskStatusUpdateEvent): void {
    this.local.status(update);
    this.flush(update.taskId);
  }

  artifact(update: TaskArtifactUpdateEvent): void {
    this.local.artifact(update);
    if (this.timers.has(update.taskId)) return;
    this.timers.set(
      update.taskId,
      setTimeout(() => this.flush(update.taskId), SNAPSHOT_INTERVAL_MS),
    );
  }

  release(taskId: string): void {
    this.local.release(taskId);
    this.flush(taskId);
  }

  async load(taskId: string): Promise<Task | undefined> {
    // Held here while running, and until its final state has reached Redis.
    const own = await this.local.load(taskId);
    if (own) return own;
    const stored = await this.read(taskId);
    return stored?.task;
  }

  async save(task: Task): Promise<void> {
    if (this.running(task.id)) return; // its executor writes it
    await this.write({ task }).catch(() => {
      throw storeUnavailable('task');
    });
  }

  async list(params: ListParams): Promise<ListResult> {
    let tasks: Task[];
    try {
      const ids = (await this.shared.link.command(['ZREVRANGE', K.taskIndex, '0', '-1'])) as string[];
      tasks = [];
      for (let i = 0; i < ids.length; i += 500) {
        const batch = ids.slice(i, i + 500);
        const values = (await this.shared.link.command(['MGET', ...batch.map(K.task)])) as Array<string | null>;
        for (const [j, v] of values.entries()) {
          const id = batch[j] as string;
          if (this.running(id)) {
            const own = await this.local.load(id);
            if (own) tasks.push(own);
          } else if (v) tasks.push(decode<StoredTask>(v).task);
        }
      }
    } catch {
      throw storeUnavailable('task');
    }
    return pageTasks(tasks, params);
  }

  /** The stored task, or undefined; throws 503 when Redis is unreachable. */
  private async read(taskId: string): Promise<StoredTask | undefined> {
    let value: unknown;
    try {
      value = await this.shared.link.command(['GET', K.task(taskId)]);
    } catch {
      throw storeUnavailable('task');
    }
    return typeof value === 'string' ? decode<StoredTask>(value) : undefined;
  }

  private running(taskId: string): boolean {
    return this.local.isLive(taskId);
  }

  private async write(stored: StoredTask): Promise<void> {
    await this.shared.link.script(
      SAVE_TASK,
      [K.taskIndex, K.taskSizes, K.taskBytes, K.taskOwners],
      [
        stored.task.id,
        encode(stored),
        String(Date.now()),
        String(this.shared.ttlMs),
        String(this.maxTasks),
        String(this.maxBytes),
        PREFIX,
        stored.owner ?? '',
      ],
    );
  }

  /** Writes this replica's current state of a task it runs (or has just finished). */
  private flush(taskId: string): void {
    clearTimeout(this.timers.get(taskId));
    this.timers.delete(taskId);
    void this.local.load(taskId).then(async (task) => {
      if (!task) return;
      const live = this.running(taskId);
      const finished = !live;
      try {
        await this.write(live ? { task, owner: this.shared.replicaId } : { task });
        if (finished) await this.shared.link.publish(K.ended, taskId);
        this.dirty.delete(taskId);
        if (finished) this.local.forget(taskId);
      } catch (e) {
        if (!this.dirty.has(taskId))
          this.shared.log(`store: could not write task ${taskId} (${(e as Error).message}); retrying on reconnect`);
        this.dirty.add(taskId);
      }
    });
  }

  /** Marks the running tasks of replicas whose lease ran out as failed. */
  async sweep(): Promise<void> {
    const owners = await this.shared.link.command(['HGETALL', K.taskOwners]);
    const pairs = ownerPairs(owners);
    const alive = new Map<string, boolean>();
    for (const [taskId, owner] of pairs) {
      if (owner === this.shared.replicaId) continue;
      if (!alive.has(owner))
        alive.set(owner, Number(await this.shared.link.command(['EXISTS', K.replica(owner)])) === 1);
      if (alive.get(owner)) continue;
      const stored = await this.read(taskId);
      if (stored && stored.owner === owner && !isTerminal(stored.task.status?.state)) {
        const leaseS = Math.round(this.shared.leaseMs / 1000);
        stored.task.status = {
          state: TaskState.TASK_STATE_FAILED,
          message: {
            messageId: randomUUID(),
            taskId,
            contextId: stored.task.contextId,
            role: 2,
            parts: [
              {
                content: {
                  $case: 'text',
                  value: `the server replica running this task stopped (no heartbeat for ${leaseS} s); send the message again`,
                },
                mediaType: 'text/plain',
                filename: '',
                metadata: undefined,
              },
            ],
            metadata: undefined,
            extensions: [],
            referenceTaskIds: [],
          },
          timestamp: new Date().toISOString(),
        };
        await this.write({ task: stored.task });
      } else await this.shared.link.command(['HDEL', K.taskOwners, taskId]);
      await this.shared.link.publish(K.ended, taskId);
    }
  }
}

/** HGETALL's reply as [field, value] pairs (RESP3 gives a Map or an object, RESP2 a flat list). */
function ownerPairs(reply: unknown): Array<[string, string]> {
  if (reply instanceof Map) return [...reply.entries()].map(([k, v]) => [String(k), String(v)]);
  if (Array.isArray(reply)) {
    const out: Array<[string, string]> = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), String(reply[i + 1])]);
    return out;
  }
  if (reply && typeof reply === 'object') return Object.entries(reply).map(([k, v]) => [k, String(v)]);
  return [];
}

/** Sessions in Redis: JSON messages under a TTL, one run at a time through a fenced lock. */
class RedisSessionStore implements ConversationStore {
  private readonly ttlMs: number;

  constructor(
    private readonly shared: RedisShared,
    options: SessionOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  }

  async acquire(id: string): Promise<SessionLease | undefined> {
    const { link, leaseMs } = this.shared;
    let token: string;
    let stored: unknown;
    try {
      token = String(await link.command(['INCR', K.fence]));
      const got = await link.command(['SET', K.sessionLock(id), token, 'NX', 'PX', String(leaseMs)]);
      if (got === null) return undefined;
      stored = await link.command(['GET', K.session(id)]);
    } catch {
      throw storeUnavailable('session');
    }
    const conversation = new Conversation();
    if (typeof stored === 'string') conversation.messages.push(...decode<ChatMessage[]>(stored));
    // A run may outlast the lock's expiry: keep it while the run goes on (the replica dying lets it lapse).
    const renew = setInterval(
      () => void link.script(RENEW_LOCK, [K.sessionLock(id)], [token, String(leaseMs)]).catch(() => undefined),
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    renew.unref();
    let released: Promise<void> | undefined;
    return {
      conversation,
      release: () =>
        (released ??= (async () => {
          clearInterval(renew);
          try {
            const ok = await link.script(
              RELEASE_SESSION,
              [K.sessionLock(id), K.session(id)],
              [token, encode(conversation.messages), String(this.ttlMs)],
            );
            if (Number(ok) !== 1)
              this.shared.log(
                `store: session ${id} was taken over after its lock expired; this run's turn is not saved`,
              );
          } catch (e) {
            this.shared.log(`store: could not save session ${id} (${(e as Error).message}); its last turn is lost`);
          }
        })()),
    };
  }
}

/** What the stores of one replica share: the link, this replica's id, the lease. */
interface RedisShared {
  link: RedisLink;
  replicaId: string;
  leaseMs: number;
  ttlMs: number;
  log: (line: string) => void;
}

/** Connects to Redis and starts this replica's lease; rejects naming the masked URL when Redis is unreachable. */
export async function openRedisStore(config: RedisStoreConfig, options: OpenStoreOptions = {}): Promise<ServerStore> {
  const link = await connectRedis(config);
  const log = options.log ?? ((line: string) => process.stderr.write(`agentor serve: ${line}\n`));
  const shared: RedisShared = {
    link,
    replicaId: randomUUID(),
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    ttlMs: options.ttlMs ?? DEFAULT_TTL_MS,
    log,
  };
  const heartbeat = (): Promise<unknown> =>
    link.command(['SET', K.replica(shared.replicaId), '1', 'PX', String(shared.leaseMs)]).catch(() => undefined);
  await heartbeat();
  const taskStores: RedisTaskStore[] = [];
  const cancelHandlers: Array<(taskId: string) => boolean> = [];
  const endWaiters = new Map<string, Set<() => void>>();
  await link.subscribe(K.cancel, (taskId) => {
    for (const h of cancelHandlers) h(taskId);
  });
  await link.subscribe(K.ended, (taskId) => {
    for (const w of endWaiters.get(taskId) ?? []) w();
  });
  const beat = setInterval(() => void heartbeat(), Math.max(100, Math.floor(shared.leaseMs / 3)));
  beat.unref();
  const sweeper = setInterval(
    () => {
      for (const s of taskStores) void s.sweep().catch(() => undefined);
    },
    Math.max(100, Math.floor(shared.leaseMs / 2)),
  );
  sweeper.unref();
  let closed = false;
  link.onReadyChange((ready, reason) => {
    if (!closed) log(ready ? `store ${config.shown} reachable again` : `store ${config.shown} lost: ${reason ?? ''}`);
  });

  return {
    shown: config.shown,
    sessions: (opts) => new RedisSessionStore(shared, opts ?? {}),
    tasks: (opts) => {
      const store = new RedisTaskStore(shared, opts ?? {});
      taskStores.push(store);
      return store;
    },
    onCancel: (handler) => {
      cancelHandlers.push(handler);
    },
    cancelRemote: async (taskId) => {
      let owner: unknown;
      try {
        owner = await link.command(['HGET', K.taskOwners, taskId]);
      } catch {
        throw storeUnavailable('task');
      }
      if (typeof owner !== 'string') return false;
      return new Promise<boolean>((resolve) => {
        const waiters = endWaiters.get(taskId) ?? new Set();
        endWaiters.set(taskId, waiters);
        const done = (ended: boolean): void => {
          clearTimeout(timer);
          waiters.delete(onEnd);
          if (waiters.size === 0) endWaiters.delete(taskId);
          resolve(ended);
        };
        const onEnd = (): void => done(true);
        const timer = setTimeout(() => done(false), CANCEL_WAIT_MS);
        waiters.add(onEnd);
        link.publish(K.cancel, taskId).catch(() => done(false));
      });
    },
    readiness: (): ReadinessCheck[] => [
      link.ready
        ? { name: 'store', ok: true }
        : { name: 'store', ok: false, reason: `the Redis store at ${config.shown} is unreachable; reconnecting` },
    ],
    get available() {
      return link.ready;
    },
    close: async () => {
      closed = true;
      clearInterval(beat);
      clearInterval(sweeper);
      await link.command(['DEL', K.replica(shared.replicaId)]).catch(() => undefined);
      await link.close();
    },
  };
}
