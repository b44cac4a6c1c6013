/**
 * Proves the loopback fake is indistinguishable from the real Chat Completions
 * API as far as the official `openai` SDK is concerned, including the failure
 * modes other tests rely on (retries, aborts, broken streams).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../support/fake-openai.js';

const messages = [{ role: 'user' as const, content: 'hello' }];
let fake: FakeOpenAI | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(opts?: FakeOpenAIOptions, maxRetries = 0) {
  fake = await startFakeOpenAI(opts);
  // logLevel 'off' keeps the SDK's own console output (e.g. for malformed frames) out of the test log.
  const client = new OpenAI({ apiKey: 'test', baseURL: fake.url, maxRetries, logLevel: 'off' });
  return { fake, client };
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const contentOf = (chunks: ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');

describe('fake OpenAI: streaming', () => {
  it('streams text in small pieces that concatenate to the original', async () => {
    const { fake, client } = await setup({ replies: [{ text: 'Hello there, streaming world!\nBye.' }] });
    const stream = await client.chat.completions.create({ model: 'gpt-test', messages, stream: true });
    const chunks = await collect(stream);

    expect(contentOf(chunks)).toBe('Hello there, streaming world!\nBye.');
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    for (const c of chunks) {
      expect(c).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-test', system_fingerprint: 'fp_fake' });
      expect(c.id).toBe(chunks[0]!.id);
    }
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      body: { stream: true, messages },
    });
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer test');
  });

  it('uses the exact SSE wire framing', async () => {
    const { fake } = await setup({ replies: [{ text: ['a', 'b'] }] });
    const res = await fetch(`${fake.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages, stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const raw = await res.text();
    expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
    const frames = raw.split('\n\n').filter(Boolean);
    expect(frames.every((f) => f.startsWith('data: '))).toBe(true);
    const payloads = frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)));
    expect(payloads.map((p) => p.choices[0].delta)).toEqual([
      { role: 'assistant', content: '', refusal: null },
      { content: 'a' },
      { content: 'b' },
      {},
    ]);
    expect(payloads[1]).toEqual({
      id: payloads[0].id,
      object: 'chat.completion.chunk',
      created: payloads[0].created,
      model: 'm',
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, delta: { content: 'a' }, logprobs: null, finish_reason: null }],
    });
  });

  it('streams reasoning before content', async () => {
    const { client } = await setup({ replies: [{ reasoning: ['think', 'ing'], text: ['answer'] }] });
    const chunks = await collect(await client.chat.completions.create({ model: 'm', messages, stream: true }));
    const deltas = chunks.slice(1, -1).map((c) => c.choices[0]!.delta as Record<string, unknown>);
    expect(deltas).toEqual([{ reasoning_content: 'think' }, { reasoning_content: 'ing' }, { content: 'answer' }]);
  });

  it('streams tool-call fragments by index that join to valid JSON', async () => {
    const { client } = await setup({
      replies: [
        {
          toolCalls: [
            { name: 'get_weather', arguments: { city: 'Paris', units: 'metric' } },
            { id: 'call_fixed', name: 'search', arguments: '{"q":"agentor streaming"}', fragments: 5 },
          ],
        },
      ],
    });
    const chunks = await collect(await client.chat.completions.create({ model: 'm', messages, stream: true }));

    const calls: Array<{ id?: string; name?: string; args: string; fragments: number }> = [];
    for (const chunk of chunks) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        const call = (calls[tc.index] ??= { args: '', fragments: 0 });
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.name = tc.function.name;
        if (tc.function?.arguments) {
          call.args += tc.function.arguments;
          call.fragments++;
        }
      }
    }
    expect(calls).toHaveLength(2);
    expect(calls[0]!.id).toMatch(/^call_/);
    expect(calls[0]).toMatchObject({ name: 'get_weather', fragments: 3 });
    expect(JSON.parse(calls[0]!.args)).toEqual({ city: 'Paris', units: 'metric' });
    expect(calls[1]).toMatchObject({ id: 'call_fixed', name: 'search', fragments: 5 });
    expect(JSON.parse(calls[1]!.args)).toEqual({ q: 'agentor streaming' });
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it("is accepted by the SDK's own stream accumulator", async () => {
    const { client } = await setup({
      replies: [{ text: 'Checking.', toolCalls: [{ name: 'lookup', arguments: { id: 7 } }] }],
    });
    const final = await client.chat.completions.stream({ model: 'm', messages, stream: true }).finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe('Checking.');
    expect(final.choices[0]!.message.tool_calls?.[0]).toMatchObject({
      type: 'function',
      function: { name: 'lookup', arguments: '{"id":7}' },
    });
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('sends a usage chunk only when include_usage is requested', async () => {
    const { client } = await setup({
      replies: [{ text: ['x', 'y', 'z'] }, { text: ['x'], usage: { prompt_tokens: 100 } }],
    });
    const withUsage = await collect(
      await client.chat.completions.create({
        model: 'm',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const last = withUsage.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 3 });
    expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + 3);
    // Like the real API, the other chunks carry an explicit null usage.
    expect(withUsage.slice(0, -1).every((c) => c.usage === null)).toBe(true);

    const without = await collect(await client.chat.completions.create({ model: 'm', messages, stream: true }));
    expect(without.every((c) => c.usage === undefined && c.choices.length === 1)).toBe(true);
  });

  it('applies per-reply overrides of usage and finish reason', async () => {
    const { client } = await setup({
      replies: [{ text: 'cut', finishReason: 'length', usage: { prompt_tokens: 100, completion_tokens: 2 } }],
    });
    const chunks = await collect(
      await client.chat.completions.create({
        model: 'm',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length');
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 100, completion_tokens: 2, total_tokens: 102 });
  });
});

describe('fake OpenAI: non-streaming and other routes', () => {
  it('returns a chat.completion object', async () => {
    const { client } = await setup({
      replies: [{ text: 'Hello world' }, { toolCalls: [{ id: 'call_1', name: 'f', arguments: { a: 1 } }] }],
    });
    const text = await client.chat.completions.create({ model: 'gpt-test', messages });
    expect(text).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-test',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hello world', refusal: null }, finish_reason: 'stop' },
      ],
    });
    expect(text.usage!.total_tokens).toBe(text.usage!.prompt_tokens + text.usage!.completion_tokens);

    const tools = await client.chat.completions.create({ model: 'gpt-test', messages });
    expect(tools.choices[0]).toMatchObject({
      message: {
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
      finish_reason: 'tool_calls',
    });
  });

  it('uses the fallback (default "ok", or a function of the request) when the queue is empty', async () => {
    const { fake, client } = await setup();
    const first = await client.chat.completions.create({ model: 'm', messages });
    expect(first.choices[0]!.message.content).toBe('ok');
    await fake.close();

    const custom = await setup({ fallback: (req) => ({ text: `echo ${req.body.messages[0].content}` }) });
    const echoed = await custom.client.chat.completions.create({ model: 'm', messages });
    expect(echoed.choices[0]!.message.content).toBe('echo hello');
  });

  it('serves /v1/models and 404s unknown routes with an API-shaped error', async () => {
    const { fake, client } = await setup();
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    expect(models).toEqual([{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' }]);

    const res = await fetch(`${fake.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { message: 'Invalid URL (GET /v1/nope)', type: 'invalid_request_error', param: null, code: null },
    });
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/models', '/v1/nope']);
  });

  it('waitForRequests counts only chat requests', async () => {
    const { fake, client } = await setup();
    const waiting = fake.waitForRequests(2);
    await client.models.list();
    await client.chat.completions.create({ model: 'm', messages });
    void client.chat.completions.create({ model: 'm', messages });
    await waiting;
    expect(fake.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(2);
  });
});

describe('fake OpenAI: faults', () => {
  it('429 with Retry-After: 0 is retried by the SDK', async () => {
    const { fake, client } = await setup(undefined, 2);
    fake.enqueue({ fault: 'status', status: 429, retryAfter: 0 }, { text: 'hi' });
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    expect(contentOf(await collect(stream))).toBe('hi');
    expect(fake.requests).toHaveLength(2);
  });

  it('429 carries the real error body and Retry-After header', async () => {
    const { fake } = await setup({ replies: [{ fault: 'status', status: 429, retryAfter: 3 }] });
    const res = await fetch(`${fake.url}/chat/completions`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toMatchObject({ error: { type: 'requests', param: null, code: 'rate_limit_exceeded' } });
  });

  it('401 raises OpenAI.AuthenticationError and 500 raises InternalServerError', async () => {
    const { fake, client } = await setup();
    fake.enqueue({ fault: 'status', status: 401 }, { fault: 'status', status: 500, message: 'boom' });
    const auth = await client.chat.completions.create({ model: 'm', messages, stream: true }).catch((e) => e);
    expect(auth).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(auth).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });

    const server = await client.chat.completions.create({ model: 'm', messages }).catch((e) => e);
    expect(server).toBeInstanceOf(OpenAI.InternalServerError);
    expect(server).toMatchObject({ status: 500, code: 'server_error', error: { message: 'boom' } });
  });

  it('drop: raises during iteration after the partial content, and is not counted as a client disconnect', async () => {
    const { fake, client } = await setup({ replies: [{ fault: 'drop', text: ['par', 'tial'] }] });
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    const seen: string[] = [];
    const iterate = async () => {
      for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
    };
    await expect(iterate()).rejects.toThrow();
    expect(seen.join('')).toBe('partial');
    expect(fake.disconnects).toBe(0);
  });

  it('malformed: raises during iteration', async () => {
    const { client } = await setup({ replies: [{ fault: 'malformed', text: ['ok'] }] });
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    await expect(collect(stream)).rejects.toThrow(SyntaxError);
  });

  it('hang + abort: the upstream request is seen closed promptly', async () => {
    const { fake, client } = await setup({ replies: [{ fault: 'hang', text: ['wait', 'ing'] }] });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'm', messages, stream: true },
      { signal: controller.signal },
    );
    const consumed = collect(stream);
    await fake.waitForStreamStarted();

    const abortedAt = Date.now();
    controller.abort();
    await fake.waitForDisconnect();
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(fake.disconnects).toBe(1);
    // The SDK treats a user abort as a quiet end of iteration (chunks still
    // buffered client-side at abort time are discarded, so no content check).
    await expect(consumed).resolves.toBeInstanceOf(Array);
  });

  it('waitForDisconnect also resolves for a disconnect that already happened', async () => {
    const { fake, client } = await setup({ replies: [{ fault: 'hang' }] });
    const controller = new AbortController();
    const pending = client.chat.completions
      .create({ model: 'm', messages, stream: true }, { signal: controller.signal })
      .then(collect);
    await fake.waitForStreamStarted();
    controller.abort();
    // Depending on whether the SDK had seen the headers yet, this either ends
    // quietly or rejects with APIUserAbortError; both are fine here.
    await pending.catch((e) => expect(e).toBeInstanceOf(OpenAI.APIUserAbortError));
    // Let the server observe the close first (polling, not a fixed sleep); the
    // event must then be banked for a waiter that arrives late.
    await expect.poll(() => fake.disconnects).toBe(1);
    await fake.waitForDisconnect();
    expect(fake.disconnects).toBe(1);
  });

  it('release() finishes a hanging stream normally', async () => {
    const { fake, client } = await setup({ replies: [{ fault: 'hang', text: ['before '] }] });
    const consumed = client.chat.completions
      .create({ model: 'm', messages, stream: true, stream_options: { include_usage: true } })
      .then(collect);
    await fake.waitForStreamStarted();
    fake.release();
    const chunks = await consumed;
    expect(contentOf(chunks)).toBe('before ');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.usage).toBeTruthy();
    expect(fake.disconnects).toBe(0);
  });

  it('honours tokenDelayMs between chunks', async () => {
    const { client } = await setup({ tokenDelayMs: 20, replies: [{ text: ['a', 'b', 'c'] }] });
    const started = Date.now();
    await collect(await client.chat.completions.create({ model: 'm', messages, stream: true }));
    // role + 3 content + final + [DONE] → 5 gaps of 20 ms
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});

describe('fake OpenAI: standalone server', () => {
  it('prints READY <url>, serves FAKE_REPLY, and exits on SIGTERM', async () => {
    const script = fileURLToPath(new URL('../support/fake-openai-server.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, FAKE_REPLY: JSON.stringify({ text: 'from child' }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const url = /^READY (http:\/\/127\.0\.0\.1:\d+\/v1)$/.exec(line)?.[1];
      expect(url).toBeDefined();
      const client = new OpenAI({ apiKey: 'test', baseURL: url, maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
      expect(contentOf(await collect(stream))).toBe('from child');
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
    }
  }, 20_000);
});
