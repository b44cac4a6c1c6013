/**
 * `serve` left running: DNS rebinding (raw Host/Origin headers over node:net and node:http, HTTP and the WebSocket
 * upgrade), token rules, slow clients (408), the connection cap (503), a 413 fetch can read, the probes.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { createRequestHandler, serve } from '../../src/server/index.js';
import { parseSse, postJson, sharedServer, startServer, type TestServer } from './serve-support.js';

const shared = sharedServer();
const TOKEN = 'sec-token-0123456789abcdef';

/** Servers a test starts beyond the shared one; closed after it. */
const started: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});
async function extra(options: Parameters<typeof startServer>[1]): Promise<TestServer> {
  const server = await startServer(shared.fake, options);
  started.push(server);
  return server;
}

/** A raw HTTP exchange over node:net: writes `text`, resolves with what came back until the server closed. */
function raw(port: number, text: string, opts: { endAfter?: RegExp } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      got += d;
      if (opts.endAfter?.test(got)) socket.end();
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

/** Status and JSON body of a raw HTTP response. */
function parsed(response: string): { status: number; body: any } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
  const body = response.slice(response.indexOf('\r\n\r\n') + 4);
  return { status, body: body.trim().startsWith('{') ? JSON.parse(body) : body };
}

/** GET with whatever Host and headers a hostile page could cause, via node:http. */
function get(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const wsUpgrade = (host: string, origin?: string, extraHeaders = ''): string =>
  `GET /ws HTTP/1.1\r\nHost: ${host}\r\n${origin ? `Origin: ${origin}\r\n` : ''}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`;

describe('DNS rebinding: without a token only requests addressed to this machine are answered', () => {
  it('the attack from the issue (POST /chat, Host and Origin of another domain, text/plain) is refused 403', async () => {
    const port = shared.server.port;
    const body = JSON.stringify({ input: 'run a tool for me' });
    const response = await raw(
      port,
      `POST /chat HTTP/1.1\r\nHost: attacker.example:${port}\r\nOrigin: http://attacker.example:${port}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    const { status, body: error } = parsed(response);
    expect(status).toBe(403);
    expect(error.error.code).toBe('host_not_allowed');
    expect(error.error.message).toMatch(/DNS rebinding/);
    expect(error.error.message).toMatch(/--public-url|--token/);
    expect(shared.fake.requests).toHaveLength(0);
  });

  it('every route is refused for a foreign Host: probes, the card, A2A, /v1', async () => {
    const port = shared.server.port;
    for (const path of [
      '/livez',
      '/health',
      '/readyz',
      '/.well-known/agent-card.json',
      '/v1/models',
      '/a2a/rest/tasks/x',
    ])
      expect((await get(port, path, { host: `rebind.example:${port}` })).status, path).toBe(403);
    const rpc = await raw(
      port,
      `POST /a2a/jsonrpc HTTP/1.1\r\nHost: rebind.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    expect(parsed(rpc).status).toBe(403);
    // 0.0.0.0 reaches this machine in some browsers: it is not a name clients of a loopback server use.
    expect((await get(port, '/livez', { host: `0.0.0.0:${port}` })).status).toBe(403);
  });

  it('localhost, 127.0.0.1 and [::1] are answered, on any port', async () => {
    const port = shared.server.port;
    for (const host of [`localhost:${port}`, '127.0.0.1', `[::1]:${port}`, 'LOCALHOST:1'])
      expect((await get(port, '/v1/models', { host })).status, host).toBe(200);
  });

  it("--public-url's host is answered too", async () => {
    const pub = await extra({ publicUrl: 'https://agent.example.com/base' });
    expect((await get(pub.port, '/v1/models', { host: 'agent.example.com' })).status).toBe(200);
    expect((await get(pub.port, '/v1/models', { host: 'other.example.com' })).status).toBe(403);
  });

  it('the WebSocket upgrade follows the same rule', async () => {
    const port = shared.server.port;
    const refused = await raw(port, wsUpgrade(`attacker.example:${port}`, `http://attacker.example:${port}`));
    expect(parsed(refused).status).toBe(403);
    expect(parsed(refused).body.error.code).toBe('host_not_allowed');
    const accepted = await raw(port, wsUpgrade(`localhost:${port}`), { endAfter: /\r\n\r\n/ });
    expect(accepted).toMatch(/^HTTP\/1\.1 101 /);
  });

  it('with a token Host is free (proxies), but the token still guards everything', async () => {
    const secured = await extra({ token: TOKEN });
    const host = 'agents.internal.example';
    expect((await get(secured.port, '/v1/models', { host })).status).toBe(401);
    expect((await get(secured.port, '/v1/models', { host, authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect(parsed(await raw(secured.port, wsUpgrade(host))).status).toBe(401);
    expect(
      await raw(secured.port, wsUpgrade(host, undefined, `Authorization: Bearer ${TOKEN}\r\n`), {
        endAfter: /\r\n\r\n/,
      }),
    ).toMatch(/^HTTP\/1\.1 101 /);
  });
});

describe('tokens', () => {
  it('a token shorter than 16 characters is refused at start, with the reason and without echoing it', async () => {
    await expect(startServer(shared.fake, { token: 'short-secret' })).rejects.toThrow(
      /12 characters long.*at least 16/,
    );
    expect(() => createRequestHandler(new Agent({ model: 'demo' }), { token: 'short-secret' })).toThrow(/at least 16/);
    await expect(startServer(shared.fake, { token: 'short-secret' })).rejects.not.toThrow(/short-secret/);
  });

  it('a wrong token is refused whatever its length: a prefix, the token plus a byte, another of the same length', async () => {
    const secured = await extra({ token: TOKEN });
    for (const wrong of [TOKEN.slice(0, 8), `${TOKEN}x`, TOKEN.replace(/.$/, '!'), ''])
      expect((await get(secured.port, '/v1/models', { authorization: `Bearer ${wrong}` })).status).toBe(401);
  });
});

describe('slow clients and greedy ones', () => {
  it('headers that do not arrive in time are answered 408', async () => {
    const slow = await extra({ headersTimeoutMs: 150, requestTimeoutMs: 300 });
    const response = await raw(slow.port, 'POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect(parsed(response)).toMatchObject({ status: 408, body: { error: { code: 'request_timeout' } } });
  });

  it('a body that does not arrive in time is answered 408', async () => {
    const slow = await extra({ headersTimeoutMs: 150, requestTimeoutMs: 300 });
    const response = await raw(
      slow.port,
      'POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"inp',
    );
    expect(parsed(response)).toMatchObject({ status: 408, body: { error: { code: 'request_timeout' } } });
  });

  it('a streamed answer may take longer than the request timeout', async () => {
    // Timeouts generous enough that a loaded machine still delivers the request's headers in time; the answer (8 tokens
    // 200 ms apart) outlasts the request timeout by far.
    const slow = await extra({ headersTimeoutMs: 800, requestTimeoutMs: 800 });
    shared.fake.enqueue({ text: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], delayMs: 200 });
    const res = await postJson(`${slow.url}/chat`, { input: 'x', stream: true });
    expect(res.status, res.text).toBe(200);
    const end = JSON.parse(parseSse(res.text).at(-1)?.data ?? '{}');
    expect(end).toMatchObject({ type: 'run_end', status: 'completed', text: 'abcdefgh' });
  });

  it('beyond --max-connections a connection is answered 503 (HTTP and WebSocket), and served again once one closes', async () => {
    const capped = await extra({ maxConnections: 2 });
    const holders = [0, 1].map(() => connect(capped.port, '127.0.0.1'));
    try {
      // A request on each proves both connections were accepted before the third arrives.
      for (const socket of holders) {
        const answered = new Promise<string>((resolve) => socket.once('data', (d) => resolve(String(d))));
        socket.write('GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        expect(await answered).toMatch(/^HTTP\/1\.1 200/);
      }
      const busy = await fetch(`${capped.url}/livez`);
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('too_many_connections');
      expect(parsed(await raw(capped.port, wsUpgrade('127.0.0.1'))).status).toBe(503);
    } finally {
      const closed = holders.map((s) => new Promise((resolve) => s.once('close', resolve)));
      for (const s of holders) s.destroy();
      await Promise.all(closed);
    }
    await expect.poll(async () => (await fetch(`${capped.url}/livez`)).status).toBe(200);
  });

  it('fetch reads the 413 of a body over the limit, declared or chunked, and the server goes on', async () => {
    const declared = await fetch(`${shared.server.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'x'.repeat(12 * 1024 * 1024) }),
    });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');

    const piece = new Uint8Array(256 * 1024).fill(120);
    let sent = 0;
    const chunked = await fetch(`${shared.server.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        pull(controller) {
          if (sent++ < 20) controller.enqueue(piece);
          else controller.close();
        },
      }),
      duplex: 'half',
    });
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');

    shared.fake.enqueue({ text: 'still here' });
    expect((await postJson(`${shared.server.url}/chat`, { input: 'x' })).json().text).toBe('still here');
  });

  it('Expect: 100-continue with a body over the limit is refused before the body is sent', async () => {
    const outcome = await new Promise<string>((resolve, reject) => {
      const req = request(`${shared.server.url}/chat`, {
        method: 'POST',
        headers: {
          expect: '100-continue',
          'content-type': 'application/json',
          'content-length': String(5 * 1024 * 1024),
        },
      });
      req.on('continue', () => resolve('continue'));
      req.on('response', (res) => {
        res.resume();
        resolve(String(res.statusCode));
      });
      req.on('error', reject);
    });
    expect(outcome).toBe('413');
  });
});

describe('probes', () => {
  it('/livez and /health say the process is up', async () => {
    for (const path of ['/livez', '/health']) {
      const res = await fetch(`${shared.server.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    }
  });

  it('/readyz is 200 when the provider is configured and every check passes', async () => {
    const res = await fetch(`${shared.server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: [{ name: 'provider', ok: true }] });
  });

  it('a failing check makes /readyz 503 with the reasons; the change is logged', async () => {
    let mcpUp = false;
    const server = await extra({
      readiness: () => [{ name: 'mcp:files', ok: mcpUp, ...(mcpUp ? {} : { reason: 'not connected' }) }],
    });
    const down = await fetch(`${server.url}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      status: 'not_ready',
      checks: [
        { name: 'provider', ok: true },
        { name: 'mcp:files', ok: false, reason: 'not connected' },
      ],
    });
    mcpUp = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(server.logs).toEqual(['not ready: mcp:files (not connected)', 'ready']);
    expect((await fetch(`${server.url}/livez`)).status).toBe(200);
  });

  it('a check that throws, or a provider with nowhere to send requests, is not ready', async () => {
    const throwing = await extra({
      readiness: () => {
        throw new Error('store unreachable');
      },
    });
    expect(await (await fetch(`${throwing.url}/readyz`)).json()).toMatchObject({
      status: 'not_ready',
      checks: [
        { name: 'provider', ok: true },
        { name: 'readiness', ok: false, reason: expect.stringMatching(/store unreachable/) },
      ],
    });
    const unconfigured = await serve(new Agent({ model: 'm', provider: new OpenAIProvider({}) }), {
      port: 0,
      log: () => undefined,
    });
    started.push(unconfigured);
    const res = await fetch(`${unconfigured.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ checks: [{ name: 'provider', ok: false }] });
  });

  it('with a token, /readyz answers anyone but shows the reasons only to callers with the token', async () => {
    const secured = await extra({
      token: TOKEN,
      readiness: () => [{ name: 'mcp:db', ok: false, reason: 'spawn ENOENT' }],
    });
    const anonymous = await fetch(`${secured.url}/readyz`);
    expect(anonymous.status).toBe(503);
    expect(await anonymous.text()).not.toContain('ENOENT');
    const insider = await fetch(`${secured.url}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await insider.json()).toMatchObject({ checks: [{}, { name: 'mcp:db', reason: 'spawn ENOENT' }] });
  });

  it('shutting down is not ready', async () => {
    const { createServer } = await import('node:http');
    const handler = createRequestHandler(new Agent({ model: 'demo' }), { log: () => undefined });
    const plain = createServer(handler);
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    started.push({ close: () => new Promise((resolve) => plain.close(() => resolve())) });
    const url = `http://127.0.0.1:${(plain.address() as { port: number }).port}`;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    await handler.shutdown(100);
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      checks: expect.arrayContaining([{ name: 'server', ok: false, reason: 'shutting down' }]),
    });
  });
});
