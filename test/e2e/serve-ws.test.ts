/** WebSocket `/ws`: several runs multiplexed on one socket by `id`, cancel, bad frames, auth. */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest } from '../support/fake-openai.js';
import { disconnectedWithin1s, isolated, startServer } from './serve-support.js';

type Frame = Record<string, any> & { type: string };

/** Echoes the prompt, or hangs for prompts starting with "hang". */
function reply(req: RecordedRequest) {
  const last = String((req.body.messages as Array<{ content: string }>).at(-1)?.content ?? '');
  return last.startsWith('hang') ? { fault: 'hang' as const, text: ['wait'] } : { text: ['echo', ': ', last] };
}

const TOKEN = 'ws-token-0123456789abcdef';
let fake: FakeOpenAI;
let server: RunningServer;
beforeAll(async () => {
  fake = await startFakeOpenAI({ fallback: reply });
  server = await startServer(fake, { token: TOKEN });
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

/** A connected socket that records frames and can wait for one. */
async function connect(headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, query = '') {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws${query}`, { headers });
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Frame);
    for (const w of waiters) w();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    send: (frame: unknown) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    waitFor(pred: (f: Frame) => boolean): Promise<Frame> {
      return new Promise((resolve) => {
        const check = (): void => {
          const hit = frames.find(pred);
          if (hit) {
            waiters.delete(check);
            resolve(hit);
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

describe('WebSocket /ws', () => {
  it('multiplexes runs on one socket, tagging every event with its request id', async () => {
    const c = await connect();
    c.send({ type: 'chat', id: 'a', input: 'alpha' });
    c.send({ type: 'chat', id: 'b', input: 'beta' });
    const [endA, endB] = await Promise.all([
      c.waitFor((f) => f.id === 'a' && f.type === 'run_end'),
      c.waitFor((f) => f.id === 'b' && f.type === 'run_end'),
    ]);
    expect(endA).toMatchObject({ status: 'completed', text: 'echo: alpha' });
    expect(endB).toMatchObject({ status: 'completed', text: 'echo: beta' });
    for (const id of ['a', 'b']) {
      const mine = c.frames.filter((f) => f.id === id);
      expect(mine[0]?.type).toBe('run_start');
      expect(mine.at(-1)?.type).toBe('run_end');
      expect(mine.map((f) => f.seq)).toEqual([...mine.keys()]);
      expect(new Set(mine.map((f) => f.run_id)).size).toBe(1);
    }
    expect(endA.run_id).not.toBe(endB.run_id);
    c.ws.close();
  });

  it('cancel ends that run with run_end cancelled and closes its upstream request, leaving others running', async () => {
    const c = await connect();
    c.send({ type: 'chat', id: 'slow', input: 'hang please' });
    await c.waitFor((f) => f.id === 'slow' && f.type === 'text_delta');
    c.send({ type: 'cancel', id: 'slow' });
    const end = await c.waitFor((f) => f.id === 'slow' && f.type === 'run_end');
    expect(end).toMatchObject({ status: 'cancelled', text: 'wait' });
    await disconnectedWithin1s(fake);
    c.send({ type: 'chat', id: 'next', input: 'still here' });
    expect(await c.waitFor((f) => f.id === 'next' && f.type === 'run_end')).toMatchObject({
      status: 'completed',
      text: 'echo: still here',
    });
    c.ws.close();
  });

  it('supports session_id and the events filter', async () => {
    const c = await connect();
    c.send({ type: 'chat', id: '1', input: 'one', session_id: 'ws-s', events: ['run_end'] });
    await c.waitFor((f) => f.id === '1' && f.type === 'run_end');
    expect(c.frames.filter((f) => f.id === '1').map((f) => f.type)).toEqual(['run_end']);
    c.send({ type: 'chat', id: '2', input: 'two', session_id: 'ws-s' });
    await c.waitFor((f) => f.id === '2' && f.type === 'run_end');
    const last = fake.requests.filter((r) => r.path === '/v1/chat/completions').at(-1);
    expect(
      (last?.body.messages as Array<{ role: string; content: string }>)
        .filter((m) => m.role !== 'system')
        .map((m) => m.content),
    ).toEqual(['one', 'echo: one', 'two']);
    c.ws.close();
  });

  it('closing the socket aborts its runs', async () => {
    const c = await connect();
    c.send({ type: 'chat', id: 'x', input: 'hang on' });
    await c.waitFor((f) => f.id === 'x' && f.type === 'text_delta');
    c.ws.terminate();
    await disconnectedWithin1s(fake);
  });

  it('answers bad frames with error frames and keeps the socket open', async () => {
    const c = await connect();
    c.send('not json');
    c.send({ type: 'chat', input: 'no id' });
    c.send({ type: 'dance', id: 'd' });
    c.send({ type: 'chat', id: 'e' });
    c.send({ type: 'chat', id: 'f', input: 'x', events: ['bogus'] });
    c.send({ type: 'cancel', id: 'nothing-running' });
    await c.waitFor((f) => f.id === 'nothing-running');
    const errors = c.frames.filter((f) => f.type === 'error');
    expect(errors.map((f) => [f.id, f.error.code])).toEqual([
      [null, 'invalid_json'],
      [null, 'invalid_request'],
      ['d', 'invalid_request'],
      ['e', 'invalid_request'],
      ['f', 'invalid_request'],
      ['nothing-running', 'not_found'],
    ]);
    for (const e of errors) expect(e.run_id).toBeUndefined();
    c.send({ type: 'chat', id: 'dup', input: 'hang dup' });
    c.send({ type: 'chat', id: 'dup', input: 'again' });
    expect(await c.waitFor((f) => f.id === 'dup' && f.type === 'error')).toMatchObject({
      error: { code: 'duplicate_id' },
    });
    await c.waitFor((f) => f.id === 'dup' && f.type === 'text_delta');
    c.send({ type: 'cancel', id: 'dup' });
    await c.waitFor((f) => f.id === 'dup' && f.type === 'run_end');
    await disconnectedWithin1s(fake);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });

  it('needs the bearer token (header or access_token query)', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);
    const c = await connect({}, `?access_token=${TOKEN}`);
    c.send({ type: 'chat', id: 'q', input: 'query auth' });
    expect(await c.waitFor((f) => f.id === 'q' && f.type === 'run_end')).toMatchObject({ status: 'completed' });
    c.ws.close();
  });

  it('server close() ends running WebSocket runs with run_end cancelled, then closes the socket', async () => {
    const t = await isolated();
    try {
      t.fake.enqueue({ fault: 'hang', text: ['mid'] });
      const ws = new WebSocket(`${t.server.url.replace('http', 'ws')}/ws`);
      const frames: Frame[] = [];
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Frame));
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(JSON.stringify({ type: 'chat', id: 'r', input: 'x' }));
      await t.fake.waitForStreamStarted();
      await expect.poll(() => frames.some((f) => f.type === 'text_delta')).toBe(true);
      await t.server.close();
      expect(await closed).toBe(1001);
      expect(frames.at(-1)).toMatchObject({ id: 'r', type: 'run_end', status: 'cancelled', text: 'mid' });
    } finally {
      await t.close();
    }
  });
});
