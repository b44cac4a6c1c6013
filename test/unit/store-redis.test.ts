/** The store behind `serve --store`: URL parsing, and the Redis stores against a real redis-server (no mock). */
import { TaskState, type Task } from '@a2a-js/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/config.js';
import { connectRedis, type RedisLink } from '../../src/server/redis-link.js';
import { openRedisStore } from '../../src/server/store-redis.js';
import type { ServerStore } from '../../src/server/store-types.js';
import { maskUrl, parseStoreUrl, resolveStore, type RedisStoreConfig } from '../../src/server/store-url.js';
import { cleanup } from '../support/cleanup.js';
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

describe('Redis stores (real redis-server)', () => {
  let server: RedisServer;
  let config: RedisStoreConfig;
  let raw: RedisLink;
  beforeAll(async () => {
    server = await startRedisServer();
    config = parseStoreUrl(server.url) as RedisStoreConfig;
    raw = await connectRedis(config);
  });
  afterAll(async () => {
    await raw.close();
  });

  async function open(options: Parameters<typeof openRedisStore>[1] = {}): Promise<ServerStore> {
    const store = await openRedisStore(config, { log: () => {}, ...options });
    cleanup(() => store.close());
    return store;
  }

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
    await raw.command(['DEL', 'agentor:session-lock:s-fence']); // as if it had expired
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
    await raw.command(['FLUSHDB']);
    const store = await open({ ttlMs: 300 });
    const tasks = store.tasks({ maxBytes: 5_000 });
    for (let i = 0; i < 10; i++) await tasks?.save(finished(`bytes-${i}`, 'x'.repeat(1_000)), undefined as never);
    expect(Number(await raw.command(['GET', 'agentor:task-bytes']))).toBeLessThanOrEqual(5_000);
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
