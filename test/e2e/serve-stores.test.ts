/** The server's bounded stores: sessions (LRU + TTL, one run at a time) and A2A tasks (bytes-bounded LRU, merged text). */
import { TaskState, type Task } from '@a2a-js/sdk';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/server/sessions.js';
import { BoundedTaskStore } from '../../src/server/task-store.js';

describe('SessionStore', () => {
  it('keeps a conversation per id and allows one run at a time', () => {
    const store = new SessionStore();
    const a = store.acquire('a');
    expect(a).toBeDefined();
    expect(store.acquire('a')).toBeUndefined();
    a?.conversation.messages.push({ role: 'user', content: 'hi' });
    a?.release();
    expect(store.acquire('a')?.conversation.messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('evicts the least recently used idle session past max, and expires idle ones after ttl', () => {
    const store = new SessionStore({ max: 2, ttlMs: 1000 });
    store.acquire('a', 0)?.release();
    store.acquire('b', 1)?.release();
    store.acquire('a', 2)?.release(); // a is now more recent than b
    store.acquire('c', 3)?.release();
    expect(store.size).toBe(2);
    expect(store.acquire('b', 4)?.conversation.messages).toEqual([]); // b was evicted: a fresh conversation
    const t0 = Date.now();
    const fresh = new SessionStore({ ttlMs: 1000 });
    fresh.acquire('x', t0)?.conversation.messages.push({ role: 'user', content: 'old' });
    // still busy: never expired while a run holds it
    expect(fresh.acquire('y', t0 + 5000)).toBeDefined();
    expect(fresh.size).toBe(2);
  });
});

function task(id: string, ts: string, parts: string[]): Task {
  return {
    id,
    contextId: 'ctx',
    status: { state: TaskState.TASK_STATE_COMPLETED, message: undefined, timestamp: ts },
    artifacts: [
      {
        artifactId: 'a',
        name: 'answer',
        description: '',
        parts: parts.map((value) => ({
          content: { $case: 'text', value },
          mediaType: 'text/plain',
          filename: '',
          metadata: undefined,
        })),
        metadata: undefined,
        extensions: [],
      },
    ],
    history: [],
    metadata: {},
  };
}

describe('BoundedTaskStore', () => {
  it('stores adjacent text parts merged', async () => {
    const store = new BoundedTaskStore();
    await store.save(task('t1', '2026-01-01T00:00:00Z', ['Hel', 'lo', ' world']));
    const loaded = await store.load('t1');
    expect(loaded?.artifacts[0]?.parts.map((p) => p.content)).toEqual([{ $case: 'text', value: 'Hello world' }]);
  });

  it('drops the least recently saved tasks past max', async () => {
    const store = new BoundedTaskStore({ maxTasks: 2 });
    await store.save(task('t1', '2026-01-01T00:00:01Z', ['1']));
    await store.save(task('t2', '2026-01-01T00:00:02Z', ['2']));
    await store.save(task('t1', '2026-01-01T00:00:03Z', ['1']));
    await store.save(task('t3', '2026-01-01T00:00:04Z', ['3']));
    expect(await store.load('t2')).toBeUndefined();
    expect(await store.load('t1')).toBeDefined();
    expect(await store.load('t3')).toBeDefined();
  });

  it('lists newest first with working page tokens', async () => {
    const store = new BoundedTaskStore();
    for (let i = 1; i <= 5; i++) await store.save(task(`t${i}`, `2026-01-01T00:00:0${i}Z`, ['x']));
    const params = {
      tenant: '',
      contextId: '',
      status: TaskState.TASK_STATE_UNSPECIFIED,
      pageToken: '',
      statusTimestampAfter: undefined,
      pageSize: 2,
    };
    const first = await store.list(params);
    expect(first.tasks.map((t) => t.id)).toEqual(['t5', 't4']);
    expect(first.totalSize).toBe(5);
    expect(first.tasks[0]?.artifacts).toEqual([]);
    const second = await store.list({ ...params, pageToken: first.nextPageToken });
    expect(second.tasks.map((t) => t.id)).toEqual(['t3', 't2']);
    const last = await store.list({ ...params, pageToken: second.nextPageToken });
    expect(last.tasks.map((t) => t.id)).toEqual(['t1']);
    expect(last.nextPageToken).toBe('');
    expect((await store.list({ ...params, pageToken: 'garbage' })).tasks).toEqual([]);
  });
});

/** A running task as its executor records it: begun, then chunks appended, then a final state. */
function stream(store: BoundedTaskStore, id: string, pieces: string[], final = TaskState.TASK_STATE_COMPLETED): void {
  const begun = task(id, '2026-01-01T00:00:00Z', []);
  begun.status = { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: '2026-01-01T00:00:00Z' };
  begun.artifacts = [];
  store.begin(begun);
  pieces.forEach((value, i) =>
    store.artifact({
      taskId: id,
      contextId: 'ctx',
      artifact: task(id, '', [value]).artifacts[0],
      append: i > 0,
      lastChunk: i === pieces.length - 1,
      metadata: undefined,
    }),
  );
  store.status({
    taskId: id,
    contextId: 'ctx',
    status: { state: final, message: undefined, timestamp: '2026-01-01T00:00:01Z' },
    metadata: undefined,
  });
}

describe('BoundedTaskStore fed by the executor', () => {
  it('keeps the streamed answer as one text part, and ignores the SDK saving a running task', async () => {
    const store = new BoundedTaskStore();
    stream(store, 'live', ['a', 'b'], TaskState.TASK_STATE_WORKING);
    const running = await store.load('live');
    expect(running?.artifacts[0]?.parts.map((p) => p.content)).toEqual([{ $case: 'text', value: 'ab' }]);
    // What the SDK does per event: load, append the chunk it saw, save. The executor already recorded that chunk.
    running?.artifacts[0]?.parts.push(...(task('live', '', ['b']).artifacts[0]?.parts ?? []));
    await store.save(running as Task);
    expect((await store.load('live'))?.artifacts[0]?.parts.map((p) => p.content)).toEqual([
      { $case: 'text', value: 'ab' },
    ]);
    stream(store, 'done', ['Hel', 'lo', ' world']);
    const done = await store.load('done');
    expect(done?.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(done?.artifacts[0]?.parts.map((p) => p.content)).toEqual([{ $case: 'text', value: 'Hello world' }]);
    // A copy: changing what load returned leaves the store alone.
    done?.artifacts.pop();
    expect((await store.load('done'))?.artifacts).toHaveLength(1);
  });

  it('bounds finished tasks by bytes, least recently used first; running tasks stay', async () => {
    const answer = (n: number) => Array.from({ length: 100 }, () => 'x'.repeat(n / 100));
    const store = new BoundedTaskStore({ maxBytes: 35_000 });
    stream(store, 'running', answer(50_000), TaskState.TASK_STATE_WORKING);
    for (const id of ['t1', 't2', 't3']) stream(store, id, answer(10_000));
    expect(store.bytes).toBeLessThanOrEqual(35_000);
    expect(await store.load('t1')).toBeDefined(); // t1 is now the most recently used
    stream(store, 't4', answer(10_000));
    expect(await store.load('t2')).toBeUndefined();
    for (const id of ['running', 't1', 't3', 't4']) expect(await store.load(id), id).toBeDefined();
    expect(store.bytes).toBeGreaterThan(30_000);
    expect(store.bytes).toBeLessThanOrEqual(35_000);
  });
});
