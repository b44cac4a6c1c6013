/** The session stores (file and memory), leases, resume and fork, and id resolution. */
import { appendFileSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { contextWindowFor } from '../../src/core/context-window.js';
import { FileSessionStore } from '../../src/core/sessions/file-store.js';
import { MemorySessionStore } from '../../src/core/sessions/memory-store.js';
import { closestSessions, editDistance, resolveSession } from '../../src/core/sessions/resolve.js';
import { Session, SessionBusyError, SessionNotFoundError } from '../../src/core/sessions/session.js';
import type { SessionHeader, SessionStore } from '../../src/core/sessions/types.js';
import { collect } from '../../src/core/stream.js';
import { tempDir } from '../support/cleanup.js';
import { FakeProvider } from '../support/fake-provider.js';

const header = (id: string, cwd = '/p', created = 1): SessionHeader => ({
  type: 'session',
  version: 1,
  id,
  created,
  cwd,
  agents: [{ name: 'assistant', model: 'm' }],
  model: 'm',
  agentor: '0.0.0',
});
const user = (text: string) => ({ type: 'user' as const, ts: 2, text });

function fileStore(dir = join(tempDir(), 'sessions'), alive: (pid: number) => boolean = () => false) {
  const store = new FileSessionStore(dir, { alive });
  return store;
}

describe('the file store', () => {
  it('writes private files (0600) in a private directory (0700), one JSON record per line', async () => {
    const store = fileStore();
    await store.create(header('s1'));
    await store.append('s1', [user('hello'), user('again')]);
    await store.close();
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(statSync(store.path('s1')).mode & 0o777).toBe(0o600);
    const lines = readFileSync(store.path('s1'), 'utf8').split('\n');
    expect(lines.map((l) => (l ? (JSON.parse(l) as { type: string }).type : ''))).toEqual([
      'session',
      'user',
      'user',
      '',
    ]);
    const loaded = await store.load('s1');
    expect(loaded?.records).toEqual([user('hello'), user('again')]);
    expect(loaded?.notices).toEqual([]);
  });

  it('refuses to create a session twice, to append to a missing one, and ids that are not file names', async () => {
    const store = fileStore();
    await store.create(header('s1'));
    await expect(store.create(header('s1'))).rejects.toThrow(/EEXIST/);
    await expect(store.append('nope', [user('x')])).rejects.toThrow(/ENOENT/);
    await expect(store.load('../etc/passwd')).rejects.toThrow(/invalid session id/);
    expect(await store.load('missing')).toBeUndefined();
    await store.close();
  });

  it('skips a corrupt line naming file and line; a torn last line is ignored and the next record starts a line', async () => {
    const store = fileStore();
    await store.create(header('s1'));
    await store.append('s1', [user('one')]);
    await store.close();
    appendFileSync(store.path('s1'), 'this is not json\n' + JSON.stringify(user('two')) + '\n{"type":"user","te');
    const again = fileStore(store.dir);
    const loaded = await again.load('s1');
    expect(loaded?.records).toEqual([user('one'), user('two')]);
    expect(loaded?.notices).toEqual([
      `${store.path('s1')}:3: skipped a corrupt line`,
      `${store.path('s1')}:5: the last line was cut off (the process was stopped while writing it); ignored`,
    ]);
    await again.append('s1', [user('three')]);
    await again.close();
    expect((await fileStore(store.dir).load('s1'))?.records).toEqual([user('one'), user('two'), user('three')]);
  });

  it('lists sessions newest first with their turns and first prompt; by directory, prefix and limit', async () => {
    const store = fileStore();
    await store.create(header('aaa1', '/x'));
    await store.append('aaa1', [user('first question'), user('second')]);
    await store.create(header('aab2', '/y'));
    await store.create(header('bbb3', '/x'));
    await store.close();
    const old = new Date(Date.now() - 60_000);
    utimesSync(store.path('aab2'), old, old);
    utimesSync(store.path('bbb3'), new Date(Date.now() - 30_000), new Date(Date.now() - 30_000));
    writeFileSync(join(store.dir, 'notes.txt'), 'not a session');
    writeFileSync(join(store.dir, 'broken.jsonl'), 'garbage\n');
    const all = await store.list();
    expect(all.map((s) => s.id)).toEqual(['aaa1', 'bbb3', 'aab2']);
    expect(all[0]).toMatchObject({ turns: 2, firstPrompt: 'first question', cwd: '/x', agents: ['assistant'] });
    expect((await store.list({ cwd: '/x' })).map((s) => s.id)).toEqual(['aaa1', 'bbb3']);
    expect((await store.list({ prefix: 'aa' })).map((s) => s.id)).toEqual(['aaa1', 'aab2']);
    expect((await store.list({ limit: 1 })).map((s) => s.id)).toEqual(['aaa1']);
    // brief: the headers' facts only (what --continue and id resolution need), no log read past its first line
    expect((await store.list({ cwd: '/x', limit: 1, brief: true }))[0]).toMatchObject({
      id: 'aaa1',
      turns: 0,
      firstPrompt: '',
      cwd: '/x',
    });
    expect(await fileStore(join(tempDir(), 'none')).list()).toEqual([]);
  });

  it('reads a session header alone; undefined for a missing, foreign or invalid id', async () => {
    const store = fileStore();
    await store.create(header('h1', '/x'));
    await store.append('h1', [user('q')]);
    writeFileSync(join(store.dir, 'other.jsonl'), `${JSON.stringify(header('not-other'))}\n`);
    expect(await store.header('h1')).toMatchObject({ id: 'h1', cwd: '/x' });
    expect(await store.header('missing')).toBeUndefined();
    expect(await store.header('other')).toBeUndefined();
    expect(await store.header('../etc/passwd')).toBeUndefined();
    await store.close();
  });

  it('a lease is exclusive; a live holder keeps it, a dead one (same host) loses it', async () => {
    const dir = join(tempDir(), 'sessions');
    const mine = fileStore(dir, () => true);
    await mine.create(header('s1'));
    const first = await mine.lease('s1');
    expect('lease' in first).toBe(true);
    const other = fileStore(dir, () => true);
    const refused = await other.lease('s1');
    expect(refused).toEqual({ heldBy: { pid: process.pid, host: expect.any(String), since: expect.any(Number) } });
    if ('lease' in first) await first.lease.release();
    const second = await other.lease('s1');
    expect('lease' in second).toBe(true);
    // The holder dies without releasing: its lock is stale for the next one.
    const third = await fileStore(dir, () => false).lease('s1');
    expect('lease' in third).toBe(true);
    await Promise.all([mine.close(), other.close()]);
  });

  it('a lock from another host is stale only when not renewed within the lease time; an unreadable one after a grace', async () => {
    const dir = join(tempDir(), 'sessions');
    const store = fileStore(dir, () => true);
    await store.create(header('s1'));
    const lock = join(dir, 's1.lock');
    writeFileSync(lock, JSON.stringify({ pid: 1, host: 'elsewhere', since: 1 }));
    expect(await store.lease('s1', 60_000)).toEqual({ heldBy: { pid: 1, host: 'elsewhere', since: 1 } });
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock, old, old);
    const taken = await store.lease('s1', 60_000);
    expect('lease' in taken).toBe(true);
    if ('lease' in taken) await taken.lease.release();
    writeFileSync(lock, '');
    expect('heldBy' in (await store.lease('s1'))).toBe(true);
    utimesSync(lock, old, old);
    expect('lease' in (await store.lease('s1'))).toBe(true);
    await store.close();
  });

  it('releasing (or closing the store) removes only its own lock', async () => {
    const dir = join(tempDir(), 'sessions');
    const store = fileStore(dir, () => true);
    await store.create(header('s1'));
    const taken = await store.lease('s1');
    expect(readFileSync(join(dir, 's1.lock'), 'utf8')).toContain(`"pid":${process.pid}`);
    await store.close();
    expect(() => statSync(join(dir, 's1.lock'))).toThrow(/ENOENT/);
    if ('lease' in taken) await taken.lease.release(); // idempotent, and nothing left to remove
  });

  it('remove deletes the log and its lock', async () => {
    const store = fileStore();
    await store.create(header('s1'));
    await store.lease('s1');
    expect(await store.remove('s1')).toBe(true);
    expect(await store.remove('s1')).toBe(false);
    expect(await store.load('s1')).toBeUndefined();
    await store.close();
  });
});

describe('the memory store', () => {
  it('is bounded: least recently used sessions go past max, idle ones after ttl, leased ones stay', async () => {
    const store = new MemorySessionStore({ max: 2, ttlMs: 60_000 });
    await store.create(header('a'));
    await store.lease('a');
    await store.create(header('b'));
    await store.create(header('c'));
    expect((await store.list()).map((s) => s.id).sort()).toEqual(['a', 'c']);
    await store.append('c', [user('hi')]);
    expect((await store.list({ prefix: 'c' }))[0]).toMatchObject({ turns: 1, firstPrompt: 'hi' });
    expect('heldBy' in (await store.lease('a'))).toBe(true);
  });
});

function agentFor(model: FakeProvider): Agent {
  return new Agent({ name: 'assistant', model: 'm', provider: model });
}

describe('resume and fork', () => {
  async function started(store: SessionStore) {
    const session = await Session.create({ agents: [{ name: 'assistant', model: 'm' }], cwd: '/p' }, { store });
    await collect(agentFor(new FakeProvider({ text: 'A1' })).streamChat('q1', { session }));
    await session.flush();
    return session;
  }

  it('a resumed session continues the conversation where it was left', async () => {
    const store = fileStore(undefined, () => true);
    const first = await started(store);
    await first.close();
    const resumed = await Session.resume(first.id, { store });
    expect(resumed.id).toBe(first.id);
    expect(resumed.conversation('assistant').messages).toEqual([
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'A1' },
    ]);
    const model = new FakeProvider({ text: 'A2' });
    await collect(agentFor(model).streamChat('q2', { session: resumed }));
    expect(model.calls[0]?.messages.map((m) => m.content)).toEqual(['q1', 'A1', 'q2']);
    expect(resumed.turns).toBe(2);
    await resumed.close();
    await store.close();
  });

  it('one agent continues a one-agent session whatever its name', async () => {
    const store = new MemorySessionStore();
    const first = await started(store);
    await first.close();
    const resumed = await Session.resume(first.id, { store, agents: ['researcher'] });
    expect(resumed.conversation('researcher').messages).toHaveLength(2);
  });

  it('a session another process writes is continued in a fork naming its parent, or refused', async () => {
    const dir = join(tempDir(), 'sessions');
    const store = fileStore(dir, () => true);
    const first = await started(store);
    const elsewhere = fileStore(dir, () => true);
    await expect(Session.resume(first.id, { store: elsewhere, busy: 'refuse' })).rejects.toBeInstanceOf(
      SessionBusyError,
    );
    const fork = await Session.resume(first.id, { store: elsewhere, cwd: '/q' });
    expect(fork.id).not.toBe(first.id);
    expect(fork.header).toMatchObject({ parent: first.id, cwd: '/q' });
    expect(fork.forkedFrom).toMatchObject({ id: first.id, heldBy: { pid: process.pid } });
    expect(fork.conversation('assistant').messages).toEqual(first.conversation('assistant').messages);
    await fork.close();
    // The fork is a session of its own: complete without its parent.
    await store.remove(first.id);
    const again = await Session.resume(fork.id, { store: elsewhere });
    expect(again.conversation('assistant').messages).toHaveLength(2);
    await Promise.all([again.close(), first.close(), store.close(), elsewhere.close()]);
  });

  it('an unknown id is SessionNotFoundError', async () => {
    await expect(Session.resume('nope', { store: new MemorySessionStore() })).rejects.toBeInstanceOf(
      SessionNotFoundError,
    );
  });
});

describe('finding a session from what was typed', () => {
  it('whole ids, unique prefixes, ambiguous prefixes (candidates) and unknown ids (the closest)', async () => {
    const store = new MemorySessionStore();
    for (const id of ['3f2a91c0', '3f2b7d11', '8c0d4e22', '8c0d']) await store.create(header(id));
    expect(await resolveSession(store, '3f2a91c0')).toEqual({ id: '3f2a91c0' });
    // a whole id wins over the longer ids it is a prefix of
    expect(await resolveSession(store, '8c0d')).toEqual({ id: '8c0d' });
    expect(await resolveSession(store, ' 8c0d4 ')).toEqual({ id: '8c0d4e22' });
    const ambiguous = await resolveSession(store, '3f2');
    expect('error' in ambiguous && ambiguous.error).toBe('ambiguous');
    expect('candidates' in ambiguous && ambiguous.candidates.map((s) => s.id).sort()).toEqual(['3f2a91c0', '3f2b7d11']);
    const unknown = await resolveSession(store, '3f2c');
    expect(
      'closest' in unknown &&
        unknown.closest
          .map((s) => s.id)
          .slice(0, 2)
          .sort(),
    ).toEqual(['3f2a91c0', '3f2b7d11']);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestSessions([], 'x', 3)).toEqual([]);
  });
});

describe('context windows', () => {
  it('knows well-known models, with or without a provider prefix or tag', () => {
    expect(contextWindowFor('gpt-4.1-mini')).toBe(1_047_576);
    expect(contextWindowFor('gpt-4o-mini')).toBe(128_000);
    expect(contextWindowFor('openai/gpt-4o')).toBe(128_000);
    expect(contextWindowFor('llama3.1:8b')).toBe(131_072);
    expect(contextWindowFor('claude-sonnet-4')).toBe(200_000);
    expect(contextWindowFor('demo')).toBeUndefined();
    expect(contextWindowFor('my-own-model')).toBeUndefined();
  });
});
