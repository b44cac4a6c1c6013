/** The store behind `serve --store`: URL parsing, and the Redis stores against a real redis-server (no mock). */
import {
  TaskState,
  type StreamResponse,
  type Task,
  type TaskArtifactUpdateEvent,
  type TaskStatusUpdateEvent,
} from '@a2a-js/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/config.js';
import { connectRedis, type RedisLink } from '../../src/server/redis-link.js';
import { openRedisStore } from '../../src/server/store-redis.js';
import type { ReplicaRequest, ServerStore } from '../../src/server/store-types.js';
import type { LiveTaskStore } from '../../src/server/task-store.js';
import { maskUrl, parseStoreUrl, resolveStore, type RedisStoreConfig } from '../../src/server/store-url.js';
import { cleanup } from '../support/cleanup.js';
import { startRedisPartition } from '../support/redis-partition.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

describe('store URL', () => {
  it('masks the password wherever the URL is shown', () => {
    expect(maskUrl('redis://:s3cret@db:6379/2')).toBe('redis://:****@db:6379/2');
    expect(maskUrl('redis://user:s3cret@db')).toBe('redis://user:****@db');
    expect(maskUrl('redis://u:pw@db:99999')).toBe('redis://****@db:99999'); // unparseable (port): masked anyway
  });

  it('reads --store, else AGENTOR_STORE, else REDIS_URL; memory when none', () => {
    expect(resolveStore(undefined, {})).toEqual({ kind: 'memory' });
    expect(resolveStore('memory', { REDIS_URL: 'redis://x' })).toEqual({ kind: 'memory' });
    expect(resolveStore(undefined, { AGENTOR_STORE: 'redis://a', REDIS_URL: 'redis://b' })).toMatchObject({
      url: 'redis://a',
    });
    expect(resolveStore(undefined, { REDIS_URL: 'rediss://b:6380/3' })).toMatchObject({ tls: true, database: 3 });
  });

  it('takes the password from REDIS_PASSWORD when the URL has none', () => {
    expect(parseStoreUrl('redis://db', '--store', { REDIS_PASSWORD: 'pw' })).toMatchObject({ password: 'pw' });
    expect(parseStoreUrl('redis://:inurl@db', '--store', { REDIS_PASSWORD: 'pw' })).not.toHaveProperty('password');
  });

  it('refuses what is not a Redis URL, saying what to use, without the password', () => {
    expect(() => parseStoreUrl('postgres://u:pw@db/x')).toThrow(ConfigError);
    expect(() => parseStoreUrl('postgres://u:pw@db/x')).toThrow(/unsupported store "postgres:\/\/u:\*\*\*\*@db\/x"/);
    expect(() => parseStoreUrl('redis://db/abc')).toThrow(/database number/);
  });
});

/**
 * A real redis-server for the enclosing describe block: `raw()` a plain link to it, `open()` a store on it (closed
 * when the test ends; `at` another config, e.g. another key prefix).
 */
function useRedis() {
  const r = {} as { server: RedisServer; config: RedisStoreConfig; link: RedisLink };
  beforeAll(async () => {
    r.server = await startRedisServer();
    r.config = parseStoreUrl(r.server.url) as RedisStoreConfig;
    r.link = await connectRedis(r.config);
  });
  afterAll(async () => {
    await r.link.close();
  });
  return {
    get server(): RedisServer {
      return r.server;
    },
    get config(): RedisStoreConfig {
      return r.config;
    },
    raw: (): RedisLink => r.link,
    open: async (options: Parameters<typeof openRedisStore>[1] = {}, at = r.config): Promise<ServerStore> => {
      const store = await openRedisStore(at, { log: () => {}, ...options });
      cleanup(() => store.close());
      return store;
    },
  };
}

describe('Redis stores (real redis-server)', () => {
  const { raw, open } = useRedis();

  function finished(id: string, text: string, ts = new Date().toISOString()): Task {
    return {
      id,
      contextId: 'ctx-bounds',
      status: { state: TaskState.TASK_STATE_COMPLETED, message: undefined, timestamp: ts },
      artifacts: [
        {
          artifactId: 'a',
          name: 'answer',
          description: '',
          parts: [
            { content: { $case: 'text', value: text }, mediaType: 'text/plain', filename: '', metadata: undefined },
          ],
          metadata: undefined,
          extensions: [],
        },
      ],
      history: [],
      metadata: {},
    };
  }

  it('one run at a time per session across stores; what a run adds is there for the next', async () => {
    const [a, b] = [await open(), await open()];
    const lease = await a.sessions().acquire('s-one');
    expect(lease).toBeDefined();
    expect(await b.sessions().acquire('s-one')).toBeUndefined();
    lease?.conversation.messages.push({ role: 'user', content: 'héllo 👋' });
    await lease?.release();
    const next = await b.sessions().acquire('s-one');
    expect(next?.conversation.messages).toEqual([{ role: 'user', content: 'héllo 👋' }]);
    await next?.release();
  });

  it('fencing: a run whose lock was taken over after it expired does not write the session back', async () => {
    const [a, b] = [await open(), await open()];
    const stale = await a.sessions().acquire('s-fence');
    stale?.conversation.messages.push({ role: 'user', content: 'stale' });
    await raw().command(['DEL', 'agentor:session-lock:s-fence']); // as if it had expired
    const fresh = await b.sessions().acquire('s-fence');
    expect(fresh).toBeDefined();
    fresh?.conversation.messages.push({ role: 'user', content: 'fresh' });
    await stale?.release();
    await fresh?.release();
    const after = await a.sessions().acquire('s-fence');
    expect(after?.conversation.messages).toEqual([{ role: 'user', content: 'fresh' }]);
    await after?.release();
  });

  it('tasks are bounded by count: the oldest go first, any store reads the rest', async () => {
    const [a, b] = [await open(), await open()];
    const tasks = a.tasks({ maxTasks: 3 });
    for (let i = 0; i < 5; i++) await tasks?.save(finished(`count-${i}`, `answer ${i}`), undefined as never);
    const other = b.tasks({ maxTasks: 3 });
    expect(await other?.load('count-0', undefined as never)).toBeUndefined();
    expect(await other?.load('count-1', undefined as never)).toBeUndefined();
    expect((await other?.load('count-4', undefined as never))?.artifacts[0]?.parts[0]?.content).toEqual({
      $case: 'text',
      value: 'answer 4',
    });
    const listed = await other?.list({ contextId: 'ctx-bounds', pageSize: 10 } as never, undefined as never);
    expect(listed?.tasks.map((t) => t.id).sort()).toEqual(['count-2', 'count-3', 'count-4']);
  });

  it('tasks are bounded by bytes, and expire after the TTL', async () => {
    await raw().command(['FLUSHDB']);
    const store = await open({ ttlMs: 300 });
    const tasks = store.tasks({ maxBytes: 5_000 });
    for (let i = 0; i < 10; i++) await tasks?.save(finished(`bytes-${i}`, 'x'.repeat(1_000)), undefined as never);
    expect(Number(await raw().command(['GET', 'agentor:task-bytes']))).toBeLessThanOrEqual(5_000);
    expect(await tasks?.load('bytes-9', undefined as never)).toBeDefined();
    await expect.poll(async () => tasks?.load('bytes-9', undefined as never), { timeout: 3_000 }).toBeUndefined();
  });

  it('a cancel for a task nobody runs is answered false at once', async () => {
    const store = await open();
    expect(await store.cancelRemote('no-such-task')).toBe(false);
  });

  it('an unreachable Redis is an error naming the URL with the password masked', async () => {
    const stopped = await startRedisServer({ password: 'pw-in-url' });
    await stopped.stop();
    const bad = parseStoreUrl(stopped.url) as RedisStoreConfig;
    await expect(openRedisStore(bad)).rejects.toThrow(
      `cannot reach the store at redis://:****@127.0.0.1:${stopped.port}`,
    );
  });
});

describe('Redis stores across replicas (real redis-server)', () => {
  const redis = useRedis();
  const { raw, open } = redis;

  const text = (value: string) => ({
    content: { $case: 'text' as const, value },
    mediaType: 'text/plain',
    filename: '',
    metadata: undefined,
  });
  const working = (id: string): Task => ({
    id,
    contextId: `ctx-${id}`,
    status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
    artifacts: [],
    history: [],
    metadata: {},
  });
  const status = (taskId: string, state: TaskState): TaskStatusUpdateEvent => ({
    taskId,
    contextId: `ctx-${taskId}`,
    status: { state, message: undefined, timestamp: new Date().toISOString() },
    metadata: undefined,
  });
  const chunk = (taskId: string, value: string, append: boolean): TaskArtifactUpdateEvent => ({
    taskId,
    contextId: `ctx-${taskId}`,
    artifact: {
      artifactId: 'answer',
      name: 'answer',
      description: '',
      parts: [text(value)],
      metadata: undefined,
      extensions: [],
    },
    append,
    lastChunk: false,
    metadata: undefined,
  });
  /** What a follower received, as one line per event. */
  function describe(events: StreamResponse[]): string[] {
    return events.map((e) => {
      const p = e.payload;
      if (p?.$case === 'task') return `task ${p.value.status?.state}`;
      if (p?.$case === 'statusUpdate') return `status ${p.value.status?.state}`;
      if (p?.$case === 'artifactUpdate') {
        const c = p.value.artifact?.parts[0]?.content;
        return `chunk ${c?.$case === 'text' ? c.value : '?'}`;
      }
      return 'other';
    });
  }

  it('a task followed from another replica: the snapshot, then every later event once, in order, to the end', async () => {
    const [a, b] = [await open(), await open()];
    const owner = a.tasks() as LiveTaskStore;
    const other = b.tasks() as LiveTaskStore;
    owner.begin(working('t-follow'));
    owner.status(status('t-follow', TaskState.TASK_STATE_WORKING));
    for (let i = 0; i < 50; i++) owner.artifact(chunk('t-follow', `c${i} `, i > 0));
    // The snapshot is written at most every 200 ms: wait until B sees the task running elsewhere.
    await expect.poll(() => other.ownerElsewhere?.('t-follow')).toBeTruthy();
    const events = await other.follow?.('t-follow', undefined);
    expect(events).toBeDefined();
    const seen: StreamResponse[] = [];
    const first = await events!.next();
    seen.push(first.value as StreamResponse);
    const done = (async () => {
      for await (const e of events!) seen.push(e);
    })();
    for (let i = 50; i < 300; i++) owner.artifact(chunk('t-follow', `c${i} `, true));
    owner.status(status('t-follow', TaskState.TASK_STATE_COMPLETED));
    await done;
    // The snapshot holds some chunks; the stream every chunk after them, each once.
    const snapshot = (first.value as StreamResponse).payload;
    const held =
      snapshot?.$case === 'task'
        ? snapshot.value.artifacts[0]?.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('')
        : '';
    const streamed = describe(seen.slice(1))
      .filter((l) => l.startsWith('chunk '))
      .map((l) => l.slice(6))
      .join('');
    expect((held ?? '') + streamed).toBe(Array.from({ length: 300 }, (_, i) => `c${i} `).join(''));
    expect(describe(seen).at(-1)).toBe(`status ${TaskState.TASK_STATE_COMPLETED}`);
  });

  it('a task not running elsewhere is not followed (the SDK answers: here, finished or unknown)', async () => {
    const a = await open();
    const tasks = a.tasks() as LiveTaskStore;
    expect(await tasks.follow?.('no-such-task', undefined)).toBeUndefined();
    tasks.begin(working('t-here'));
    expect(await tasks.follow?.('t-here', undefined)).toBeUndefined();
  });

  it('fencing: an owner cut off past its lease cannot overwrite the failure the sweeper wrote; its run is stopped', async () => {
    const partition = await startRedisPartition(redis.server.port);
    const a = await open({ leaseMs: 400 }, parseStoreUrl(partition.url) as RedisStoreConfig);
    const stopped: string[] = [];
    a.onCancel((taskId) => (stopped.push(taskId), true));
    const owner = a.tasks() as LiveTaskStore;
    owner.begin(working('t-fenced'));
    owner.status(status('t-fenced', TaskState.TASK_STATE_WORKING));
    const b = await open({ leaseMs: 400 });
    const sweeping = b.tasks() as LiveTaskStore;
    await expect.poll(() => sweeping.ownerElsewhere?.('t-fenced')).toBeTruthy();
    partition.cut();
    await expect
      .poll(async () => (await sweeping.load('t-fenced', undefined as never))?.status?.state, { timeout: 5_000 })
      .toBe(TaskState.TASK_STATE_FAILED);
    // A finishes meanwhile, not knowing; its write reaches Redis once the network heals: refused, and A stops.
    owner.status(status('t-fenced', TaskState.TASK_STATE_COMPLETED));
    partition.heal();
    await expect.poll(() => stopped, { timeout: 5_000 }).toEqual(['t-fenced']);
    const after = await sweeping.load('t-fenced', undefined as never);
    expect(after?.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    const reason = after?.status?.message?.parts[0]?.content;
    expect(reason?.$case === 'text' && reason.value).toMatch(/replica running this task stopped/);
  });

  it('requests between replicas: handled by the one holding the run, false at once when none does', async () => {
    const [a, b, c] = [await open(), await open(), await open()];
    const got: ReplicaRequest[] = [];
    b.onRequest((r) => (got.push(r), r.op === 'cancel-session' && r.sessionId === 'on-b'));
    c.onRequest(() => false);
    expect(await a.ask({ op: 'cancel-session', sessionId: 'on-b' })).toBe(true);
    const started = Date.now();
    expect(await a.ask({ op: 'cancel-session', sessionId: 'nowhere' })).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(got).toEqual([
      { op: 'cancel-session', sessionId: 'on-b' },
      { op: 'cancel-session', sessionId: 'nowhere' },
    ]);
  });

  it('a key prefix keeps two deployments on one Redis apart', async () => {
    const shop = await open({}, { ...redis.config, prefix: 'shop:' });
    const blog = await open({}, { ...redis.config, prefix: 'blog:' });
    const lease = await shop.sessions().acquire('same-id');
    expect(await blog.sessions().acquire('same-id')).toBeDefined();
    await lease?.release();
    await shop.tasks()?.save(working('t-prefixed'), undefined as never);
    expect(await blog.tasks()?.load('t-prefixed', undefined as never)).toBeUndefined();
    expect(await shop.tasks()?.load('t-prefixed', undefined as never)).toBeDefined();
    expect(await raw().command(['EXISTS', 'shop:task:t-prefixed'])).toBe(1);
  });
});
