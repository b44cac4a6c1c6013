/**
 * The Redis store: what replicas of `agentor serve` share. Sessions are JSON under a TTL, held by one run at a time
 * through a lock with expiry and a fencing token (a replica that lost its lock cannot write the session back). A2A
 * tasks are JSON snapshots bounded by count, bytes and TTL (one Lua script writes and evicts atomically); a running
 * task is kept in this process and its snapshot written on each status change and at most every
 * `SNAPSHOT_INTERVAL_MS` while its answer streams. Each event of a running task is also appended to the task's own
 * Redis Stream (bounded by MAXLEN, expiring after the task ends), and each snapshot records the id of the last event it
 * holds: a client following the task from another replica gets the snapshot, then the stream from just after that id
 * — nothing lost, nothing twice. Each replica holds a lease it renews; the tasks of a replica whose lease ran out are
 * marked failed by whichever replica notices first, and the owner's later writes are fenced off (each run of a task
 * writes under its own owner token, checked in the script). Cancels, approval answers and "someone follows this task"
 * travel by pub/sub to the replica holding the run. What stays per replica: the runs themselves, their upstream
 * connections, and the streams of their clients.
 */
import { randomUUID } from 'node:crypto';
import {
  TaskState,
  type StreamResponse,
  type Task,
  type TaskArtifactUpdateEvent,
  type TaskStatus,
  type TaskStatusUpdateEvent,
} from '@a2a-js/sdk';
import { Conversation } from '../core/agent.js';
import type { ChatMessage } from '../core/providers/types.js';
import type { ReadinessCheck } from './readiness.js';
import { HttpError } from './http.js';
import { connectRedis, type RedisLink } from './redis-link.js';
import type { ConversationStore, SessionLease, SessionOptions } from './sessions.js';
import type { OpenStoreOptions, ReplicaRequest, ServerStore } from './store-types.js';
import {
  compareStreamIds,
  formatStreamId,
  parseStreamId,
  StreamReader,
  type StreamEntry,
  type StreamId,
} from './store-redis-streams.js';
import type { RedisStoreConfig } from './store-url.js';
import {
  BoundedTaskStore,
  DEFAULT_TASK_STORE_BYTES,
  isTerminal,
  pageTasks,
  type ListParams,
  type FollowOptions,
  type ListResult,
  type LiveTaskStore,
  type TaskStoreOptions,
} from './task-store.js';

/** The keys and channels of one deployment, under its prefix. */
function keysOf(prefix: string) {
  return {
    prefix,
    replica: (id: string) => `${prefix}replica:${id}`,
    task: (id: string) => `${prefix}task:${id}`,
    taskEvents: (id: string) => `${prefix}task-events:${id}`,
    taskIndex: `${prefix}tasks`,
    taskSizes: `${prefix}task-sizes`,
    taskBytes: `${prefix}task-bytes`,
    taskOwners: `${prefix}task-owners`,
    session: (id: string) => `${prefix}session:${id}`,
    sessionLock: (id: string) => `${prefix}session-lock:${id}`,
    fence: `${prefix}fence`,
    cancel: `${prefix}cancel`,
    ended: `${prefix}task-ended`,
    control: `${prefix}control`,
    replies: (replicaId: string) => `${prefix}replies:${replicaId}`,
  };
}
type Keys = ReturnType<typeof keysOf>;

/** Default lease of a replica: its running tasks fail this long after it stops renewing it. */
export const DEFAULT_LEASE_MS = 15_000;
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_MAX_TASKS = 10_000;
/** A streaming task's snapshot is written at most this often (each status change is written at once). */
const SNAPSHOT_INTERVAL_MS = 200;
/** How long a cancel waits for the owner to end the task. */
const CANCEL_WAIT_MS = 5_000;
/** How long a request to other replicas waits for their answers. */
const ASK_WAIT_MS = 3_000;
/** Most events kept in a running task's stream (approximate trimming); a follower further behind gets a snapshot. */
const STREAM_MAXLEN = 10_000;
/** How long a finished task's stream stays for followers still reading its last events. */
const STREAM_LINGER_MS = 60_000;
/** How often a follower on another replica tells the owner it still listens. */
const LISTEN_EVERY_MS = 1_000;
/** The task states after which a stream of the task ends (as the SDK's own streams do). */
const stopsStream = (state: TaskState | undefined): boolean =>
  isTerminal(state) || state === TaskState.TASK_STATE_INPUT_REQUIRED;

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
 * Writes a task snapshot and its owner (none once finished), indexes it, and evicts the oldest tasks past the count and
 * byte budgets; index entries of expired snapshots are dropped on the way. Atomic, so the budgets hold with any number
 * of replicas writing. A fenced write (ARGV[9], the writer's owner token) applies only while the task is still owned
 * under that token, unless it claims the task (ARGV[10] = 1, a run starting): -1 when refused.
 */
const SAVE_TASK = `
local index, sizes, total_key = KEYS[1], KEYS[2], KEYS[3]
local id, json, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local max_tasks, max_bytes, prefix, owner = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], ARGV[8]
local fence, claim = ARGV[9], ARGV[10]
if fence ~= '' and claim ~= '1' and redis.call('HGET', KEYS[4], id) ~= fence then return -1 end
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

/** A stored task: the snapshot and, while it runs, the owner token of the run writing it. */
interface StoredTask {
  task: Task;
  /** `<replica id>/<n>`: the replica running the task, and which of its runs. */
  owner?: string;
  /** The id of the last event of the task's stream this snapshot holds. */
  cursor?: string;
}

/** The replica of an owner token. */
const replicaOf = (owner: string): string => owner.split('/', 1)[0] as string;

/** One event of a task's stream. */
type StreamedEvent = { s: TaskStatusUpdateEvent } | { a: TaskArtifactUpdateEvent };

/** Where a running task's stream stands on its owner: the run's first id part, and the events appended since. */
interface OwnRun {
  token: string;
  position: StreamId;
  /** Its first write went through: later writes are fenced by the token. */
  claimed: boolean;
}

/** The A2A task store in Redis; tasks running on this replica are kept here too, and written through. */
class RedisTaskStore implements LiveTaskStore {
  private readonly local: BoundedTaskStore;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Running or just-finished tasks whose latest state has not reached Redis yet (it was down). */
  private readonly dirty = new Set<string>();
  /** The runs of tasks this replica writes: owner token and stream position. */
  private readonly runs = new Map<string, OwnRun>();
  private readonly maxTasks: number;
  private readonly maxBytes: number;
  private begun = 0;

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
    const before = this.runs.get(task.id);
    // Stream ids only grow: a run after an earlier one of the same task starts past it.
    const ms = Math.max(Date.now(), (before?.position.ms ?? 0) + 1);
    const token = `${this.shared.replicaId}/${++this.begun}`;
    this.runs.set(task.id, { token, position: { ms, seq: 0 }, claimed: false });
    this.flush(task.id);
  }

  status(update: TaskStatusUpdateEvent): void {
    this.local.status(update);
    this.append(update.taskId, { s: update }, isTerminal(update.status?.state));
    this.flush(update.taskId);
  }

  artifact(update: TaskArtifactUpdateEvent): void {
    this.local.artifact(update);
    this.append(update.taskId, { a: update }, false);
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
    const { link } = this.shared;
    try {
      const ids = (await link.command(['ZREVRANGE', this.shared.keys.taskIndex, '0', '-1'])) as string[];
      tasks = [];
      for (let i = 0; i < ids.length; i += 500) {
        const batch = ids.slice(i, i + 500);
        const values = (await link.command(['MGET', ...batch.map(this.shared.keys.task)])) as Array<string | null>;
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

  /** The replica (other than this one) running `taskId`, if any. */
  async ownerElsewhere(taskId: string): Promise<string | undefined> {
    if (this.running(taskId)) return undefined;
    let owner: unknown;
    try {
      owner = await this.shared.link.command(['HGET', this.shared.keys.taskOwners, taskId]);
    } catch {
      throw storeUnavailable('task');
    }
    if (typeof owner !== 'string') return undefined;
    const replica = replicaOf(owner);
    return replica === this.shared.replicaId ? undefined : replica;
  }

  /**
   * The rest of a task that runs on another replica, as the SDK streams it: the stored snapshot, then each event the
   * owner appends after it, ending with a final or input-required status. Undefined when no other replica runs it.
   */
  async follow(
    taskId: string,
    signal: AbortSignal | undefined,
    options: FollowOptions = {},
  ): Promise<AsyncGenerator<StreamResponse> | undefined> {
    if (this.running(taskId)) return undefined;
    const stored = await this.read(taskId);
    if (!stored?.owner || replicaOf(stored.owner) === this.shared.replicaId) return undefined;
    const state = stored.task.status?.state;
    if (isTerminal(state) || (state === TaskState.TASK_STATE_INPUT_REQUIRED && !options.waiting)) return undefined;
    return this.stream(stored, signal);
  }

  private async *stream(stored: StoredTask, signal: AbortSignal | undefined): AsyncGenerator<StreamResponse> {
    const taskId = stored.task.id;
    const key = this.shared.keys.taskEvents(taskId);
    let position = parseStreamId(stored.cursor);
    const follower = this.shared.reader.follow(key, position);
    const listen = (): void => this.shared.tell({ op: 'listen', taskId });
    listen();
    const pinger = setInterval(listen, LISTEN_EVERY_MS);
    pinger.unref();
    try {
      yield { payload: { $case: 'task', value: stored.task } };
      for (;;) {
        const next = await follower.next(signal);
        if (!next) return;
        if (next.kind === 'idle') {
          // Nothing new for a while: the task may have ended without its last events reaching the stream (its owner
          // died and was swept, or Redis lost them).
          const now = await this.read(taskId).catch(() => undefined);
          if (!now) continue;
          const state = now.task.status?.state;
          const advanced = compareStreamIds(parseStreamId(now.cursor), position) > 0;
          if (advanced || isTerminal(state)) {
            yield { payload: { $case: 'task', value: now.task } };
            position = parseStreamId(now.cursor);
            follower.reset(position);
          }
          if (now.task.status && (isTerminal(state) || (advanced && stopsStream(state)))) {
            yield { payload: { $case: 'statusUpdate', value: finalUpdate(now.task, now.task.status) } };
            return;
          }
          continue;
        }
        for (const entry of next.entries) {
          if (compareStreamIds(entry.id, position) <= 0) continue;
          if (!follows(position, entry.id)) {
            // Events between are gone (trimmed, or lost while Redis was down): a newer snapshot stands in for them.
            const now = await this.read(taskId).catch(() => undefined);
            if (now && compareStreamIds(parseStreamId(now.cursor), position) > 0) {
              yield { payload: { $case: 'task', value: now.task } };
              position = parseStreamId(now.cursor);
              follower.reset(position);
              if (stopsStream(now.task.status?.state)) return;
              break;
            }
          }
          position = entry.id;
          const response = toResponse(entry);
          if (!response) continue;
          yield response;
          if (response.payload?.$case === 'statusUpdate' && stopsStream(response.payload.value.status?.state)) return;
        }
      }
    } finally {
      clearInterval(pinger);
      follower.close();
    }
  }

  /** The stored task, or undefined; throws 503 when Redis is unreachable. */
  private async read(taskId: string): Promise<StoredTask | undefined> {
    let value: unknown;
    try {
      value = await this.shared.link.command(['GET', this.shared.keys.task(taskId)]);
    } catch {
      throw storeUnavailable('task');
    }
    return typeof value === 'string' ? decode<StoredTask>(value) : undefined;
  }

  private running(taskId: string): boolean {
    return this.local.isLive(taskId);
  }

  /** Appends an event to the task's stream (a lost append only costs followers a snapshot). */
  private append(taskId: string, event: StreamedEvent, last: boolean): void {
    const run = this.runs.get(taskId);
    if (!run || (!this.running(taskId) && !last)) return;
    run.position = { ms: run.position.ms, seq: run.position.seq + 1 };
    const key = this.shared.keys.taskEvents(taskId);
    const { link } = this.shared;
    void link
      .command(['XADD', key, 'MAXLEN', '~', String(STREAM_MAXLEN), formatStreamId(run.position), 'e', encode(event)])
      .catch(() => undefined);
    if (run.position.seq === 1 || last)
      void link
        .command(['PEXPIRE', key, String(last ? Math.min(STREAM_LINGER_MS, this.shared.ttlMs) : this.shared.ttlMs)])
        .catch(() => undefined);
  }

  /** Writes a snapshot; -1 when a fenced write was refused. */
  private async write(stored: StoredTask, fence = '', claim = false): Promise<number> {
    return Number(
      await this.shared.link.script(
        SAVE_TASK,
        [
          this.shared.keys.taskIndex,
          this.shared.keys.taskSizes,
          this.shared.keys.taskBytes,
          this.shared.keys.taskOwners,
        ],
        [
          stored.task.id,
          encode(stored),
          String(Date.now()),
          String(this.shared.ttlMs),
          String(this.maxTasks),
          String(this.maxBytes),
          this.shared.keys.prefix,
          stored.owner ?? '',
          fence,
          claim ? '1' : '0',
        ],
      ),
    );
  }

  /** Writes this replica's current state of a task it runs (or has just finished), under the run's owner token. */
  private flush(taskId: string): void {
    clearTimeout(this.timers.get(taskId));
    this.timers.delete(taskId);
    const run = this.runs.get(taskId);
    if (!run) return;
    // The snapshot and the stream position it holds, taken together: every append up to it went out before its write.
    const cursor = formatStreamId(run.position);
    void this.local.load(taskId).then(async (task) => {
      if (!task) return;
      const live = this.running(taskId);
      const finished = !live;
      try {
        const stored: StoredTask = live ? { task, owner: run.token, cursor } : { task, cursor };
        const written = await this.write(stored, run.token, !run.claimed);
        this.dirty.delete(taskId);
        if (written !== -1) run.claimed = true;
        if (written === -1) {
          this.shared.log(
            `store: task ${taskId} was taken over while this replica had lost its lease; stopping its run here`,
          );
          this.drop(taskId);
          this.shared.cancelHere(taskId);
          return;
        }
        if (finished) {
          await this.shared.link.publish(this.shared.keys.ended, taskId);
          this.drop(taskId);
        }
      } catch (e) {
        if (!this.dirty.has(taskId))
          this.shared.log(`store: could not write task ${taskId} (${(e as Error).message}); retrying on reconnect`);
        this.dirty.add(taskId);
      }
    });
  }

  private drop(taskId: string): void {
    this.local.forget(taskId);
    this.runs.delete(taskId);
    clearTimeout(this.timers.get(taskId));
    this.timers.delete(taskId);
  }

  /** Marks the running tasks of replicas whose lease ran out as failed. */
  async sweep(): Promise<void> {
    const { link, keys } = this.shared;
    const owners = await link.command(['HGETALL', keys.taskOwners]);
    const alive = new Map<string, boolean>();
    for (const [taskId, owner] of ownerPairs(owners)) {
      const replica = replicaOf(owner);
      if (replica === this.shared.replicaId) continue;
      if (!alive.has(replica)) alive.set(replica, Number(await link.command(['EXISTS', keys.replica(replica)])) === 1);
      if (alive.get(replica)) continue;
      const stored = await this.read(taskId);
      if (stored && stored.owner === owner && !isTerminal(stored.task.status?.state)) {
        const leaseS = Math.round(this.shared.leaseMs / 1000);
        const status: TaskStatus = {
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
        stored.task.status = status;
        // Fenced by the dead run's token: if its owner came back and wrote meanwhile, nothing is overwritten.
        const failed: StoredTask = { task: stored.task, ...(stored.cursor ? { cursor: stored.cursor } : {}) };
        if ((await this.write(failed, owner)) !== -1) {
          // Followers on other replicas see the end in the stream (auto id: past anything the dead owner wrote).
          const key = keys.taskEvents(taskId);
          await link
            .command(['XADD', key, '*', 'e', encode({ s: finalUpdate(stored.task, status) } satisfies StreamedEvent)])
            .catch(() => undefined);
          await link.command(['PEXPIRE', key, String(STREAM_LINGER_MS)]).catch(() => undefined);
        }
      } else await link.script(HDEL_IF, [keys.taskOwners], [taskId, owner]);
      await link.publish(keys.ended, taskId);
    }
  }
}

/** Drops an owner entry only if it still names the same run. */
const HDEL_IF = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;

/** `next` is the event right after `prev` in a task's stream (a new run, or the sweeper, starts a new id part). */
function follows(prev: StreamId, next: StreamId): boolean {
  return next.ms === prev.ms ? next.seq === prev.seq + 1 : next.seq <= 1;
}

/** A stream entry as the SDK streams it. */
function toResponse(entry: StreamEntry): StreamResponse | undefined {
  const event = decode<StreamedEvent>(entry.data);
  if ('s' in event) return { payload: { $case: 'statusUpdate', value: event.s } };
  if ('a' in event) return { payload: { $case: 'artifactUpdate', value: event.a } };
  return undefined;
}

/** The status update that ends a stream of `task`. */
function finalUpdate(task: Task, status: TaskStatus): TaskStatusUpdateEvent {
  return { taskId: task.id, contextId: task.contextId, status, metadata: undefined };
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
    const { link, leaseMs, keys } = this.shared;
    let token: string;
    let stored: unknown;
    try {
      token = String(await link.command(['INCR', keys.fence]));
      const got = await link.command(['SET', keys.sessionLock(id), token, 'NX', 'PX', String(leaseMs)]);
      if (got === null) return undefined;
      stored = await link.command(['GET', keys.session(id)]);
    } catch {
      throw storeUnavailable('session');
    }
    const conversation = new Conversation();
    if (typeof stored === 'string') conversation.messages.push(...decode<ChatMessage[]>(stored));
    // A run may outlast the lock's expiry: keep it while the run goes on (the replica dying lets it lapse).
    const renew = setInterval(
      () => void link.script(RENEW_LOCK, [keys.sessionLock(id)], [token, String(leaseMs)]).catch(() => undefined),
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
              [keys.sessionLock(id), keys.session(id)],
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
  keys: Keys;
  replicaId: string;
  leaseMs: number;
  ttlMs: number;
  log: (line: string) => void;
  /** The reader of task streams followed from this replica. */
  reader: StreamReader;
  /** Tells the other replicas something, without waiting. */
  tell(request: ReplicaRequest): void;
  /** Stops a run of this replica whose task was taken over (its lease had run out). */
  cancelHere(taskId: string): void;
}

/** A request between replicas on the control channel; `from` and `id` route its answers back. */
interface ControlMessage {
  from: string;
  id?: string;
  request: ReplicaRequest;
}

/** Connects to Redis and starts this replica's lease; rejects naming the masked URL when Redis is unreachable. */
export async function openRedisStore(config: RedisStoreConfig, options: OpenStoreOptions = {}): Promise<ServerStore> {
  const link = await connectRedis(config);
  const log = options.log ?? ((line: string) => process.stderr.write(`agentor serve: ${line}\n`));
  const keys = keysOf(config.prefix);
  const cancelHandlers: Array<(taskId: string) => boolean> = [];
  const requestHandlers: Array<(request: ReplicaRequest) => boolean> = [];
  const replicaId = randomUUID();
  const tell = (request: ReplicaRequest): void => {
    void link
      .publish(keys.control, JSON.stringify({ from: replicaId, request } satisfies ControlMessage))
      .catch(() => undefined);
  };
  const shared: RedisShared = {
    link,
    keys,
    replicaId,
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    ttlMs: options.ttlMs ?? DEFAULT_TTL_MS,
    log,
    reader: new StreamReader(link),
    tell,
    cancelHere: (taskId) => {
      for (const h of cancelHandlers) h(taskId);
    },
  };
  const heartbeat = (): Promise<unknown> =>
    link.command(['SET', keys.replica(replicaId), '1', 'PX', String(shared.leaseMs)]).catch(() => undefined);
  await heartbeat();
  const taskStores: RedisTaskStore[] = [];
  const endWaiters = new Map<string, Set<() => void>>();
  /** Requests this replica asked, waiting for the answers of the replicas that received them. */
  const asking = new Map<string, { expected: number; answered: number; done(handled: boolean): void }>();
  await link.subscribe(keys.cancel, (taskId) => shared.cancelHere(taskId));
  await link.subscribe(keys.ended, (taskId) => {
    for (const w of endWaiters.get(taskId) ?? []) w();
  });
  await link.subscribe(keys.control, (text) => {
    let message: ControlMessage;
    try {
      message = JSON.parse(text) as ControlMessage;
    } catch {
      return;
    }
    if (message.from === replicaId) return;
    let handled = false;
    for (const h of requestHandlers) handled = h(message.request) || handled;
    if (message.id)
      void link.publish(keys.replies(message.from), JSON.stringify({ id: message.id, handled })).catch(() => undefined);
  });
  await link.subscribe(keys.replies(replicaId), (text) => {
    let reply: { id?: string; handled?: boolean };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      return;
    }
    const waiting = reply.id ? asking.get(reply.id) : undefined;
    if (!waiting) return;
    waiting.answered++;
    if (reply.handled === true) waiting.done(true);
    else if (waiting.answered >= waiting.expected) waiting.done(false);
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
        owner = await link.command(['HGET', keys.taskOwners, taskId]);
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
        link.publish(keys.cancel, taskId).catch(() => done(false));
      });
    },
    ask: (request) =>
      new Promise<boolean>((resolve, reject) => {
        const id = randomUUID();
        const timer = setTimeout(() => done(false), ASK_WAIT_MS);
        const done = (handled: boolean): void => {
          clearTimeout(timer);
          asking.delete(id);
          resolve(handled);
        };
        // Every replica answers; the publish says how many got it, so "nobody has it" is known without waiting out.
        asking.set(id, { expected: Number.POSITIVE_INFINITY, answered: 0, done });
        link.publish(keys.control, JSON.stringify({ from: replicaId, id, request } satisfies ControlMessage)).then(
          (receivers) => {
            const waiting = asking.get(id);
            if (!waiting) return;
            // This replica is subscribed too (and does not answer itself).
            waiting.expected = receivers - 1;
            if (waiting.answered >= waiting.expected) done(false);
          },
          () => {
            clearTimeout(timer);
            asking.delete(id);
            reject(storeUnavailable('run control'));
          },
        );
      }),
    tell,
    onRequest: (handler) => {
      requestHandlers.push(handler);
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
      shared.reader.close();
      await link.command(['DEL', keys.replica(replicaId)]).catch(() => undefined);
      await link.close();
    },
  };
}
