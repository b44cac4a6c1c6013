/** `/chat` (SSE and JSON), the OpenAI-compatible `/v1`, bad input, auth and CORS, against the fake upstream. */
import { request } from 'node:http';
import { connect } from 'node:net';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { disconnectedWithin1s, isolated, parseSse, postJson, sharedServer, startServer } from './serve-support.js';

const shared = sharedServer();
const TOKEN = 'tok-0123456789abcdef';

describe('POST /chat streaming (SSE)', () => {
  it('frames every event as `event: <type>` + `data: <json>`, in order, ending after run_end', async () => {
    shared.fake.enqueue({ text: ['Hel', 'lo ', 'there'] });
    const res = await fetch(`${shared.server.url}/chat`, {
      method: 'POST',
      body: JSON.stringify({ input: 'hi', stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await res.text();
    expect(body.endsWith('\n\n')).toBe(true);
    const frames = parseSse(body);
    const events = frames.map((f) => JSON.parse(f.data) as { type: string; seq: number; run_id: string });
    for (const [i, f] of frames.entries()) expect(f.event).toBe(events[i]?.type);
    expect(events.map((e) => e.type)).toEqual([
      'run_start',
      'text_delta',
      'text_delta',
      'text_delta',
      'message',
      'run_end',
    ]);
    expect(events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(events.map((e) => e.run_id)).size).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'Hello there' });
  });

  it('streams when the client asks for text/event-stream, and keeps only the requested events', async () => {
    shared.fake.enqueue({ text: ['a', 'b'] });
    const res = await fetch(`${shared.server.url}/chat`, {
      method: 'POST',
      headers: { accept: 'text/event-stream' },
      body: JSON.stringify({ input: 'x', events: ['text_delta', 'run_end'] }),
    });
    const frames = parseSse(await res.text());
    expect(frames.map((f) => f.event)).toEqual(['text_delta', 'text_delta', 'run_end']);
  });

  it('reports tool calls and results as events', async () => {
    shared.fake.enqueue({ toolCalls: [{ name: 'calculator', arguments: { expression: '17 * 23' } }] }, { text: '391' });
    const res = await postJson(`${shared.server.url}/chat`, { input: 'compute', stream: true });
    const events = parseSse(res.text).map((f) => JSON.parse(f.data));
    expect(events.find((e) => e.type === 'tool_call')).toMatchObject({
      name: 'calculator',
      args: { expression: '17 * 23' },
    });
    expect(events.find((e) => e.type === 'tool_result')).toMatchObject({
      name: 'calculator',
      result: '391',
      is_error: false,
    });
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: '391' });
  });

  it('a mid-stream upstream failure still ends with run_end failed', async () => {
    shared.fake.enqueue({ fault: 'malformed', text: ['partial ', 'answer'] });
    const res = await postJson(`${shared.server.url}/chat`, { input: 'x', stream: true });
    expect(res.status).toBe(200);
    const frames = parseSse(res.text);
    expect(frames.filter((f) => f.event === 'text_delta').length).toBe(2);
    expect(frames.at(-1)?.event).toBe('run_end');
    expect(JSON.parse(frames.at(-1)?.data ?? '{}')).toMatchObject({
      status: 'failed',
      text: 'partial answer',
      error: { message: expect.any(String) },
    });
  });

  it('a client that says Connection: close gets the whole stream, then the connection closed (/chat and /v1)', async () => {
    const { port } = new URL(shared.server.url);
    const rawExchange = (path: string, body: string): Promise<string> =>
      new Promise((resolve, reject) => {
        let text = '';
        const socket = connect(Number(port), '127.0.0.1');
        socket.setEncoding('utf8').on('data', (d: string) => (text += d));
        socket.on('error', reject);
        // The server ends the connection itself: 'end' comes without the test closing anything.
        socket.on('end', () => {
          socket.destroy();
          resolve(text);
        });
        socket.write(
          `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n` +
            `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      });
    shared.fake.enqueue({ text: ['a', 'b'] });
    const chat = await rawExchange('/chat', JSON.stringify({ input: 'hi', stream: true }));
    const v1 = await rawExchange(
      '/v1/chat/completions',
      JSON.stringify({ model: 'tester', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    );
    for (const [text, last] of [
      [chat, 'event: run_end'],
      [v1, 'data: [DONE]'],
    ] as const) {
      const head = text.slice(0, text.indexOf('\r\n\r\n'));
      expect(head).toMatch(/^HTTP\/1\.1 200/);
      expect(head).toMatch(/\r\nconnection: close\r\n/i);
      expect(head).not.toMatch(/keep-alive/i);
      expect(text).toContain(last);
      expect(text.endsWith('\r\n0\r\n\r\n')).toBe(true);
    }
  });

  it('a client that disconnects aborts its run: the upstream request closes within 1 s', async () => {
    const t = await isolated();
    try {
      t.fake.enqueue({ fault: 'hang', text: ['still ', 'thinking'] });
      const controller = new AbortController();
      const res = await fetch(`${t.server.url}/chat`, {
        method: 'POST',
        body: JSON.stringify({ input: 'x', stream: true }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      await t.fake.waitForStreamStarted();
      controller.abort();
      await disconnectedWithin1s(t.fake);
      expect(t.fake.disconnects).toBe(1);
    } finally {
      await t.close();
    }
  });
});

describe('POST /chat without streaming', () => {
  it('returns { text, status, usage, run_id }', async () => {
    shared.fake.enqueue({ text: 'The answer.', usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 } });
    const res = await postJson(`${shared.server.url}/chat`, { input: 'q' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.json()).toEqual({
      text: 'The answer.',
      status: 'completed',
      usage: { input_tokens: 10, output_tokens: 3, total_tokens: 13 },
      run_id: expect.stringMatching(/^run_/),
    });
  });

  it('accepts a message list whose last user message is the prompt', async () => {
    shared.fake.enqueue({ text: 'ok' });
    await postJson(`${shared.server.url}/chat`, {
      input: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'reply' },
        { role: 'user', content: 'second' },
      ],
    });
    const messages = shared.fake.requests[0]?.body.messages as Array<{ role: string; content: string }>;
    expect(messages.slice(-3)).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'reply' },
      { role: 'user', content: 'second' },
    ]);
  });

  it('reports a failed run in the result', async () => {
    shared.fake.enqueue({ fault: 'status', status: 400, message: 'model exploded' });
    const res = await postJson(`${shared.server.url}/chat`, { input: 'q' });
    // General terms only: the upstream's own words and its URL stay in the server log.
    expect(res.json()).toMatchObject({
      status: 'failed',
      error: { message: 'the model provider answered HTTP 400', code: '400', retryable: false },
    });
    expect(res.text).not.toContain('model exploded');
    expect(res.text).not.toContain(shared.fake.url);
  });

  it('session_id keeps a conversation across requests; other sessions do not see it', async () => {
    shared.fake.enqueue({ text: 'Nice to meet you, Ada.' }, { text: 'You are Ada.' }, { text: 'No idea.' });
    await postJson(`${shared.server.url}/chat`, { input: 'My name is Ada.', session_id: 's1' });
    await postJson(`${shared.server.url}/chat`, { input: 'Who am I?', session_id: 's1' });
    await postJson(`${shared.server.url}/chat`, { input: 'Who am I?', session_id: 's2' });
    const second = shared.fake.requests[1]?.body.messages as Array<{ role: string; content: string }>;
    expect(second.filter((m) => m.role !== 'system')).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'Nice to meet you, Ada.' },
      { role: 'user', content: 'Who am I?' },
    ]);
    const third = shared.fake.requests[2]?.body.messages as Array<{ role: string }>;
    expect(third.filter((m) => m.role !== 'system')).toHaveLength(1);
  });

  it('refuses a second concurrent run on the same session with 409', async () => {
    const t = await isolated();
    try {
      t.fake.enqueue({ fault: 'hang', text: ['…'] });
      const controller = new AbortController();
      const first = fetch(`${t.server.url}/chat`, {
        method: 'POST',
        body: JSON.stringify({ input: 'a', session_id: 'busy', stream: true }),
        signal: controller.signal,
      });
      await t.fake.waitForStreamStarted();
      const second = await postJson(`${t.server.url}/chat`, { input: 'b', session_id: 'busy' });
      expect(second.status).toBe(409);
      expect(second.json().error.code).toBe('session_busy');
      controller.abort();
      await first.catch(() => undefined);
      await disconnectedWithin1s(t.fake);
      // Released once the run ended.
      t.fake.enqueue({ text: 'free again' });
      expect((await postJson(`${t.server.url}/chat`, { input: 'c', session_id: 'busy' })).json().text).toBe(
        'free again',
      );
    } finally {
      await t.close();
    }
  });

  it('a client that disconnects aborts a non-streaming run too', async () => {
    const t = await isolated();
    try {
      t.fake.enqueue({ fault: 'hang', text: ['…'] });
      const controller = new AbortController();
      const pending = fetch(`${t.server.url}/chat`, {
        method: 'POST',
        body: JSON.stringify({ input: 'x' }),
        signal: controller.signal,
      }).catch(() => undefined);
      await t.fake.waitForStreamStarted();
      controller.abort();
      await disconnectedWithin1s(t.fake);
      await pending;
    } finally {
      await t.close();
    }
  });
});

describe('bad input never crashes the shared.server', () => {
  const cases: Array<[string, string, number, string]> = [
    ['malformed JSON', '{"input": ', 400, 'invalid_json'],
    ['an empty body', '', 400, 'invalid_json'],
    ['a JSON array body', '[1,2]', 400, 'invalid_request'],
    ['missing input', '{}', 400, 'invalid_request'],
    ['empty input', '{"input": "  "}', 400, 'invalid_request'],
    ['input of the wrong type', '{"input": 42}', 400, 'invalid_request'],
    ['a malformed message list', '{"input": [{"role": "wizard", "content": "x"}]}', 400, 'invalid_request'],
    ['stream that is not a boolean', '{"input": "x", "stream": "yes"}', 400, 'invalid_request'],
    ['an unknown event type', '{"input": "x", "events": ["text_delta", "bogus"]}', 400, 'invalid_request'],
    ['a non-string session_id', '{"input": "x", "session_id": 5}', 400, 'invalid_request'],
  ];
  it.each(cases)('%s → %d with a JSON error body', async (_name, body, status, code) => {
    const res = await postJson(`${shared.server.url}/chat`, body);
    expect(res.status).toBe(status);
    expect(res.json()).toEqual({
      error: { message: expect.any(String), code, request_id: res.headers.get('x-request-id') },
    });
  });

  it('a body over the limit → 413 (declared length)', async () => {
    const res = await postJson(`${shared.server.url}/chat`, { input: 'x'.repeat(1024 * 1024 + 10) });
    expect(res.status).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });

  it('a body over the limit → 413 (chunked, no declared length)', async () => {
    const small = await startServer(shared.fake, { maxBodyBytes: 1000 });
    try {
      const { port } = small;
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method: 'POST', path: '/chat', headers: { 'transfer-encoding': 'chunked' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.write('{"input": "');
        req.write('y'.repeat(2000));
        req.end('"}');
      });
      expect(status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('unknown routes → 404, wrong methods → 405, plain GET /ws → 426', async () => {
    const notFound = await fetch(`${shared.server.url}/nope`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({ error: { code: 'not_found' } });
    const wrong = await fetch(`${shared.server.url}/chat`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await fetch(`${shared.server.url}/ws`)).status).toBe(426);
  });

  it('still serves after all of that', async () => {
    const res = await fetch(`${shared.server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

describe('OpenAI-compatible /v1 with the official openai client', () => {
  const client = (): OpenAI => new OpenAI({ apiKey: 'unused', baseURL: `${shared.server.url}/v1`, maxRetries: 0 });

  it('lists the agent as a model', async () => {
    const models = await client().models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tester']);
  });

  it('answers a non-streaming completion', async () => {
    shared.fake.enqueue({ text: 'Paris.', usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } });
    const completion = await client().chat.completions.create({
      model: 'tester',
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Paris.');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
    expect(shared.fake.requests[0]?.body.messages.at(-1)).toEqual({ role: 'user', content: 'Capital of France?' });
  });

  it('streams chunks whose deltas add up to the answer, with usage when asked', async () => {
    shared.fake.enqueue(
      { toolCalls: [{ name: 'calculator', arguments: { expression: '6*7' } }] },
      { text: ['It ', 'is ', '42.'] },
    );
    const stream = await client().chat.completions.create({
      model: 'tester',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: '6*7?' }] },
      ],
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('It is 42.');
    expect(finish).toBe('stop');
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it('a failed run is an API error', async () => {
    shared.fake.enqueue({ fault: 'status', status: 400, message: 'upstream says no' });
    await expect(
      client().chat.completions.create({ model: 'tester', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 502 });
    shared.fake.enqueue({ fault: 'malformed', text: ['par'] });
    const stream = await client().chat.completions.create({
      model: 'tester',
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(
      (async () => {
        for await (const _ of stream) void _;
      })(),
    ).rejects.toThrow();
  });

  it('bad requests are 400 in the OpenAI error shape', async () => {
    await expect(client().chat.completions.create({ model: 'tester', messages: [] })).rejects.toMatchObject({
      status: 400,
      error: { type: 'invalid_request_error' },
    });
    const res = await postJson(`${shared.server.url}/v1/chat/completions`, '{nope');
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'invalid_json', message: expect.any(String) },
    });
  });

  it('aborting a streaming completion closes the upstream request within 1 s', async () => {
    const t = await isolated();
    try {
      t.fake.enqueue({ fault: 'hang', text: ['thinking'] });
      const controller = new AbortController();
      const openai = new OpenAI({ apiKey: 'unused', baseURL: `${t.server.url}/v1`, maxRetries: 0 });
      const stream = await openai.chat.completions.create(
        { model: 'tester', stream: true, messages: [{ role: 'user', content: 'x' }] },
        { signal: controller.signal },
      );
      const it = stream[Symbol.asyncIterator]();
      await it.next();
      await t.fake.waitForStreamStarted();
      controller.abort();
      await disconnectedWithin1s(t.fake);
    } finally {
      await t.close();
    }
  });
});

describe('auth and CORS', () => {
  it('with a token, everything but /health and the agent card needs Authorization: Bearer', async () => {
    const secured = await startServer(shared.fake, { token: TOKEN });
    try {
      expect((await fetch(`${secured.url}/health`)).status).toBe(200);
      expect((await fetch(`${secured.url}/.well-known/agent-card.json`)).status).toBe(200);
      const denied = await postJson(`${secured.url}/chat`, { input: 'x' });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Bearer');
      expect(denied.json().error.code).toBe('unauthorized');
      expect((await fetch(`${secured.url}/v1/models`)).status).toBe(401);
      expect((await fetch(`${secured.url}/v1/models`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(
        401,
      );
      expect(
        (
          await postJson(`${secured.url}/a2a/jsonrpc`, {
            jsonrpc: '2.0',
            id: 1,
            method: 'GetTask',
            params: { id: 'x' },
          })
        ).status,
      ).toBe(401);
      shared.fake.enqueue({ text: 'ok' });
      const ok = await postJson(`${secured.url}/chat`, { input: 'x' }, { authorization: `Bearer ${TOKEN}` });
      expect(ok.status).toBe(200);
      expect(ok.json().text).toBe('ok');
    } finally {
      await secured.close();
    }
  });

  it('refuses to bind a non-loopback address without a token', async () => {
    await expect(startServer(shared.fake, { host: '0.0.0.0' })).rejects.toThrow(/token/);
  });

  it('CORS is off by default: no CORS headers, and browser origins are refused', async () => {
    const res = await fetch(`${shared.server.url}/v1/models`, { headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${shared.server.url}/v1/models`)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('--cors allows exactly that origin, including preflights', async () => {
    const open = await startServer(shared.fake, { cors: 'https://app.example' });
    try {
      const preflight = await fetch(`${open.url}/chat`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
      const ok = await fetch(`${open.url}/v1/models`, { headers: { origin: 'https://app.example' } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect((await fetch(`${open.url}/v1/models`, { headers: { origin: 'https://other.example' } })).status).toBe(403);
    } finally {
      await open.close();
    }
  });
});

describe('createRequestHandler in your own shared.server', () => {
  it('mounts in a plain node:http shared.server, and behind express.json()', async () => {
    const { createServer } = await import('node:http');
    const { default: express } = await import('express');
    const { createRequestHandler } = await import('../../src/server/index.js');
    const { fakeAgent } = await import('./serve-support.js');
    const handler = createRequestHandler(fakeAgent(shared.fake));
    const app = express();
    app.use(express.json());
    app.get('/mine', (_req, res) => void res.json({ mine: true }));
    app.use('/agent', handler);
    const plain = createServer(handler);
    const viaExpress = createServer(app);
    for (const s of [plain, viaExpress]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const base = (s: typeof plain) => `http://127.0.0.1:${(s.address() as { port: number }).port}`;
    try {
      shared.fake.enqueue({ text: 'plain ok' }, { text: 'express ok' });
      expect((await postJson(`${base(plain)}/chat`, { input: 'a' })).json().text).toBe('plain ok');
      expect((await postJson(`${base(viaExpress)}/agent/chat`, { input: 'b' })).json().text).toBe('express ok');
      expect(await (await fetch(`${base(viaExpress)}/mine`)).json()).toEqual({ mine: true });
    } finally {
      await handler.shutdown(1000);
      for (const s of [plain, viaExpress]) await new Promise((resolve) => s.close(resolve));
    }
  });
});
