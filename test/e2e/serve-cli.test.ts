/** `agentor serve` as a process: startup line, flags, auth, graceful shutdown. Spawns the built CLI. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, listeningUrl, runCli, startCli, type CliRun } from '../support/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { parseSse, postJson } from './serve-support.js';
import { tempDir } from '../support/cleanup.js';

const API_KEY = 'sk-serve-secret-key-value';
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

/** Starts `agentor serve --port 0 …` and resolves with the URL from its "listening on" line. */
async function startServe(args: string[], env: Record<string, string> = {}): Promise<{ cli: CliRun; url: string }> {
  const cli = startCli(['serve', '--port', '0', '--base-url', fake.url, ...args], {
    env: cleanEnv({ OPENAI_API_KEY: API_KEY, ...env }),
  });
  const url = await listeningUrl(cli);
  return { cli, url };
}

describe('agentor serve (process)', () => {
  it('prints where it listens, serves, and stops on SIGINT with exit 130', async () => {
    const { cli, url } = await startServe([]);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    fake.enqueue({ text: 'served' });
    expect((await postJson(`${url}/chat`, { input: 'x' })).json()).toMatchObject({
      text: 'served',
      status: 'completed',
    });
    cli.child.kill('SIGINT');
    const done = await cli.done;
    expect(done.code).toBe(130);
    expect(done.stderr).not.toContain(API_KEY);
  });

  it('SIGTERM lets running streams end with run_end cancelled, then exits 143', async () => {
    const { cli, url } = await startServe([]);
    fake.enqueue({ fault: 'hang', text: ['half ', 'way'] });
    const res = await fetch(`${url}/chat`, { method: 'POST', body: JSON.stringify({ input: 'long', stream: true }) });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let body = '';
    while (!body.includes('event: text_delta'))
      body += decoder.decode((await reader.read()).value ?? new Uint8Array(), { stream: true });
    cli.child.kill('SIGTERM');
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      body += decoder.decode(value, { stream: true });
    }
    const frames = parseSse(body);
    expect(frames.at(-1)?.event).toBe('run_end');
    expect(JSON.parse(frames.at(-1)?.data ?? '{}')).toMatchObject({ status: 'cancelled', text: 'half way' });
    const done = await cli.done;
    expect(done.code).toBe(143);
    expect(done.stderr).toMatch(/shutting down/);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('with --token, routes need the bearer token (the token is never printed)', async () => {
    const token = 'cli-token-abcdef';
    const { cli, url } = await startServe(['--token', token]);
    try {
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect((await postJson(`${url}/chat`, { input: 'x' })).status).toBe(401);
      fake.enqueue({ text: 'authorised' });
      expect((await postJson(`${url}/chat`, { input: 'x' }, { authorization: `Bearer ${token}` })).json().text).toBe(
        'authorised',
      );
    } finally {
      cli.child.kill('SIGTERM');
    }
    const done = await cli.done;
    expect(done.code).toBe(143);
    expect(done.stderr).not.toContain(token);
    expect(done.stderr).toMatch(/bearer token required/);
  });

  it('AGENTOR_TOKEN and PORT come from the environment', async () => {
    const cli = startCli(['serve', '--base-url', fake.url], {
      env: cleanEnv({ OPENAI_API_KEY: API_KEY, AGENTOR_TOKEN: 'env-token-0123456789', PORT: '0' }),
    });
    const url = await listeningUrl(cli);
    expect((await fetch(`${url}/v1/models`)).status).toBe(401);
    expect(
      (await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer env-token-0123456789' } })).status,
    ).toBe(200);
    cli.child.kill('SIGTERM');
    expect((await cli.done).code).toBe(143);
  });

  it('refuses to bind a non-loopback host without a token (exit 2)', async () => {
    const r = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--base-url', fake.url], {
      env: cleanEnv({ OPENAI_API_KEY: API_KEY }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to bind 0\.0\.0\.0 without a token.*--token.*AGENTOR_TOKEN/s);
  });

  it('refuses a token shorter than 16 characters (exit 2), before starting anything', async () => {
    const r = await runCli(['serve', '--port', '0', '--token', 'hunter2', '--base-url', fake.url], {
      env: cleanEnv({ OPENAI_API_KEY: API_KEY }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/7 characters long; use at least 16/);
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stderr).not.toMatch(/listening/);
  });

  it('--headers-timeout, --request-timeout and --max-connections apply; bad values exit 2', async () => {
    const { cli, url } = await startServe([
      '--headers-timeout',
      '200ms',
      '--request-timeout',
      '400ms',
      '--max-connections',
      '1',
      '--a2a-task-store-mb',
      '8',
    ]);
    const port = Number(new URL(url).port);
    try {
      const { connect } = await import('node:net');
      const holder = connect(port, '127.0.0.1');
      const held = new Promise<string>((resolve) => holder.once('data', (d) => resolve(String(d))));
      holder.write('GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      expect(await held).toMatch(/^HTTP\/1\.1 200 /);
      expect((await fetch(`${url}/livez`)).status).toBe(503);
      holder.destroy();
      // Headers that never finish are answered 408 whatever the connection count.
      const slow = connect(port, '127.0.0.1', () => slow.write('GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
      let answer = '';
      slow.setEncoding('utf8').on('data', (d: string) => (answer += d));
      await new Promise((resolve) => slow.once('close', resolve));
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect((await cli.done).code).toBe(143);
    const env = cleanEnv({ OPENAI_API_KEY: API_KEY });
    const inverted = await runCli(
      ['serve', '--port', '0', '--headers-timeout', '2m', '--request-timeout', '1m', '--base-url', fake.url],
      { env },
    );
    expect(inverted.code).toBe(2);
    expect(inverted.stderr).toMatch(/headers timeout.*cannot be longer than the request timeout/);
    const bad = await runCli(
      ['serve', '--port', '0', '--request-timeout', 'soon', '--base-url', fake.url, '--log-format', 'text'],
      { env },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--request-timeout: invalid duration "soon"/);
  });

  it('rejects bad flags with exit 2', async () => {
    const env = cleanEnv({ OPENAI_API_KEY: API_KEY });
    const bodies = await runCli(['serve', '--port', '0', '--max-body', 'lots', '--base-url', fake.url], { env });
    expect(bodies.code).toBe(2);
    expect(bodies.stderr).toMatch(/--max-body/);
    const pub = await runCli(['serve', '--port', '0', '--public-url', 'not a url', '--base-url', fake.url], { env });
    expect(pub.code).toBe(2);
    expect(pub.stderr).toMatch(/--public-url/);
    const port = await runCli(['serve', '--base-url', fake.url], {
      env: cleanEnv({ OPENAI_API_KEY: API_KEY, PORT: 'eighty' }),
    });
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/PORT/);
  });

  it('serves an agent file given with --agent, and --max-body applies', async () => {
    const dir = tempDir('agentor-serve-');
    const file = join(dir, 'helper.md');
    writeFileSync(
      file,
      '---\nname: helper\ndescription: Helps with things\ntools: [calculator]\n---\nSECRET helper instructions\n',
    );
    const { cli, url } = await startServe(['--agent', file, '--max-body', '2kb']);
    try {
      const card = (await (
        await fetch(`${url}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } })
      ).json()) as { skills: Array<{ id: string }> };
      expect(card).toMatchObject({ name: 'helper', description: 'Helps with things' });
      expect(card.skills.map((s: { id: string }) => s.id)).toEqual(['calculator']);
      expect(JSON.stringify(card)).not.toContain('SECRET');
      expect((await postJson(`${url}/chat`, { input: 'x'.repeat(3000) })).status).toBe(413);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect((await cli.done).code).toBe(143);
  });

  it('serves the offline demo with --demo', async () => {
    const cli = startCli(['serve', '--port', '0', '--demo'], { env: cleanEnv() });
    const url = await listeningUrl(cli);
    expect(cli.stderr()).toMatch(/DEMO/);
    const res = (await postJson(`${url}/chat`, { input: 'hello' })).json();
    expect(res.status).toBe('completed');
    expect(res.text.length).toBeGreaterThan(0);
    cli.child.kill('SIGTERM');
    expect((await cli.done).code).toBe(143);
  });
});
