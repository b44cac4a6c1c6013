/**
 * Upstream failures as remote clients see them — what failed in general terms, the status, retryable, a string
 * `code` — on /chat, /v1 and /ws, with the operator's details (upstream URL, advice about local variables) in the
 * server log only. And the OpenAI-compatible model ids.
 */
import OpenAI from 'openai';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { serve } from '../../src/server/index.js';
import { parseSse, postJson, sharedServer } from './serve-support.js';

const shared = sharedServer();

/** Nothing an operator would not want a remote client to read. */
function expectNoOperatorDetails(text: string): void {
  expect(text).not.toContain(shared.fake.url);
  expect(text).not.toMatch(/127\.0\.0\.1:\d+/);
  expect(text).not.toMatch(/OPENAI_API_KEY|OPENAI_BASE_URL|--api-key-env|--base-url/);
}

const client = () => new OpenAI({ apiKey: 'x', baseURL: `${shared.server.url}/v1`, maxRetries: 0 });

describe('failures in general terms', () => {
  it('/chat streaming: a rejected key upstream is "credentials rejected", code unauthorized; the log has it all', async () => {
    shared.fake.enqueue({ fault: 'status', status: 401 });
    const res = await postJson(`${shared.server.url}/chat`, { input: 'x', stream: true });
    const end = JSON.parse(parseSse(res.text).at(-1)?.data ?? '{}');
    expect(end).toMatchObject({
      type: 'run_end',
      status: 'failed',
      error: {
        message: "the model provider rejected the server's credentials (HTTP 401)",
        code: 'unauthorized',
        retryable: false,
      },
    });
    expectNoOperatorDetails(res.text);
    const log = shared.server.logs.join('\n');
    expect(log).toContain(shared.fake.url);
    expect(log).toContain('OPENAI_API_KEY');
  });

  it('/chat: a dropped upstream says the answer was cut short, retryable, with the partial text kept', async () => {
    shared.fake.enqueue({ fault: 'drop', text: ['half ', 'an answer'] });
    const res = await postJson(`${shared.server.url}/chat`, { input: 'x' });
    expect(res.json()).toMatchObject({
      status: 'failed',
      text: 'half an answer',
      error: { code: 'stream_incomplete', retryable: true, message: expect.stringMatching(/closed before the answer/) },
    });
    expectNoOperatorDetails(res.text);
    expect(shared.server.logs.join('\n')).toMatch(/the connection to http:\/\/127\.0\.0\.1:\d+\/v1 closed mid-answer/);
  });

  it('/chat: retry notices say the status and that a retry follows, nothing more', async () => {
    const agent = new Agent({
      name: 'retrier',
      model: 'fake-model',
      provider: new OpenAIProvider({ apiKey: 'k', baseURL: shared.fake.url, maxRetries: 1 }),
    });
    const logs: string[] = [];
    const server = await serve(agent, { port: 0, log: (l) => void logs.push(l) });
    try {
      shared.fake.enqueue({ fault: 'status', status: 503, retryAfter: 0 }, { text: 'fine' });
      const res = await postJson(`${server.url}/chat`, { input: 'x', stream: true });
      const notice = parseSse(res.text).find((f) => f.event === 'error');
      expect(JSON.parse(notice?.data ?? '{}')).toMatchObject({
        error: { message: 'the model provider answered HTTP 503; retrying', code: '503', retryable: true },
      });
      expectNoOperatorDetails(res.text);
      expect(logs.join('\n')).toContain(`${shared.fake.url} answered 503`);
    } finally {
      await server.close();
    }
  });

  it('/chat: an unreachable upstream is "could not reach its model provider", code connection', async () => {
    const agent = new Agent({
      name: 'offline',
      model: 'm',
      provider: new OpenAIProvider({ apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 }),
    });
    const logs: string[] = [];
    const server = await serve(agent, { port: 0, log: (l) => void logs.push(l) });
    try {
      const res = await postJson(`${server.url}/chat`, { input: 'x' });
      expect(res.json().error).toEqual({
        message: 'the server could not reach its model provider',
        code: 'connection',
        retryable: true,
      });
      expect(res.text).not.toContain('127.0.0.1:9');
      expect(logs.join('\n')).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9\/v1 .*ECONNREFUSED/);
    } finally {
      await server.close();
    }
  });

  it('/v1: a failed completion is a 502 in the OpenAI shape with a string code, streaming or not', async () => {
    shared.fake.enqueue({ fault: 'status', status: 500, message: 'internal upstream trace at /srv/secret.py' });
    const failed = (await client()
      .chat.completions.create({ model: 'tester', messages: [{ role: 'user', content: 'x' }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as { status: number; code: unknown; error: unknown };
    expect(failed).toMatchObject({ status: 502, code: '500' });
    expect(JSON.stringify(failed.error)).toContain('the model provider answered HTTP 500');
    expect(JSON.stringify(failed.error)).not.toContain('/srv/secret.py');

    shared.fake.enqueue({ fault: 'malformed', text: ['par'] });
    const stream = await client().chat.completions.create({
      model: 'tester',
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
    });
    const error = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e as { error?: { code?: unknown; message?: string } });
    expect(error?.error).toMatchObject({
      code: 'malformed_chunk',
      message: 'the model provider sent a malformed response',
    });
  });

  it('/ws: failures reach the socket in general terms', async () => {
    shared.fake.enqueue({ fault: 'status', status: 401 });
    const ws = new WebSocket(`${shared.server.url.replace('http', 'ws')}/ws`);
    const frames: string[] = [];
    const ended = new Promise<void>((resolve) =>
      ws.on('message', (d) => {
        frames.push(String(d));
        if (String(d).includes('"run_end"')) resolve();
      }),
    );
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'chat', id: 'a', input: 'x' }));
    await ended;
    ws.close();
    expect(JSON.parse(frames.at(-1) ?? '{}')).toMatchObject({ id: 'a', error: { code: 'unauthorized' } });
    expectNoOperatorDetails(frames.join('\n'));
  });
});

describe('/v1 model ids', () => {
  it('an unknown model is a 404 model_not_found in the OpenAI error shape', async () => {
    const err = await client()
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e as { status: number; code: string; type: string; param: string });
    expect(err).toMatchObject({ status: 404, code: 'model_not_found', type: 'invalid_request_error' });
    expect(shared.fake.requests).toHaveLength(0);
  });

  it("the agent's name and its model id are both accepted", async () => {
    shared.fake.enqueue({ text: 'by name' }, { text: 'by model id' });
    for (const [model, text] of [
      ['tester', 'by name'],
      ['fake-model', 'by model id'],
    ]) {
      const done = await client().chat.completions.create({
        model: model as string,
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(done.choices[0]?.message.content).toBe(text);
    }
  });

  it('GET /v1/models/{id} answers the agent, and 404 model_not_found for anything else', async () => {
    expect(await client().models.retrieve('tester')).toMatchObject({
      id: 'tester',
      object: 'model',
      owned_by: 'agentor',
    });
    expect(await client().models.retrieve('fake-model')).toMatchObject({ id: 'fake-model', object: 'model' });
    await expect(client().models.retrieve('org/other-model')).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
  });
});
