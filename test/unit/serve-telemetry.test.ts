import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/log.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { ServeTelemetry } from '../../src/observability/serve-telemetry.js';
import { parsePrometheusText, sampleValue } from '../support/prom-text.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function logSink(): { lines: () => Array<Record<string, unknown>>; write: (l: string) => void } {
  const raw: string[] = [];
  return {
    write: (l) => void raw.push(l),
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('ServeTelemetry', () => {
  it('gives each request an id, answers it in x-request-id, and logs and counts it when the response ends', async () => {
    const metrics = await createMetrics({ processMetrics: false });
    const sink = logSink();
    const telemetry = new ServeTelemetry({ metrics, logger: createLogger({ name: 't', format: 'json', sink }) });
    const closed: Array<() => void> = [];
    const server = createServer((req, res) => {
      res.once('close', () => closed.shift()?.());
      const id = telemetry.begin(req, res, (path) => (path === '/chat' ? '/chat' : 'other'));
      if (req.url === '/hang') return; // answered never: the client gives up
      res.writeHead(req.url?.startsWith('/chat') ? 200 : 404, { 'content-type': 'text/plain' }).end(id);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const given = await fetch(`${base}/chat?q=secret`, { headers: { 'x-request-id': 'client-id-1' } });
    expect(given.headers.get('x-request-id')).toBe('client-id-1');
    expect(await given.text()).toBe('client-id-1');
    const bad = await fetch(`${base}/nope`, { headers: { 'x-request-id': 'bad id with spaces' } });
    const generated = bad.headers.get('x-request-id') ?? '';
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    await bad.text();
    const gone = new Promise<void>((r) => closed.push(r));
    await new Promise<void>((resolve) => {
      const req = request(`${base}/hang`);
      req.on('error', () => resolve());
      req.end(() => setImmediate(() => req.destroy()));
    });
    await gone;

    const lines = sink.lines();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      msg: 'request',
      request_id: 'client-id-1',
      method: 'GET',
      route: '/chat',
      status: 200,
    });
    expect(lines[1]).toMatchObject({ request_id: generated, route: 'other', status: 404 });
    expect(lines[2]).toMatchObject({ route: 'other', status: 499 });
    expect(JSON.stringify(lines)).not.toContain('secret');
    const m = parsePrometheusText(await metrics.render());
    expect(sampleValue(m, 'agentor_http_requests_total', { route: '/chat', method: 'GET', status: '200' })).toBe(1);
    expect(sampleValue(m, 'agentor_http_requests_total', { route: 'other', status: '404' })).toBe(1);
    expect(sampleValue(m, 'agentor_http_requests_total', { route: 'other', status: '499' })).toBe(1);
  });

  it('observes a run only when something listens, and logs one line per run with ids, tokens and the error code', async () => {
    expect(new ServeTelemetry().observeRun(undefined, { protocol: 'chat' })).toBeUndefined();
    const sink = logSink();
    const telemetry = new ServeTelemetry({ logger: createLogger({ name: 't', format: 'json', sink }) });
    const observer = telemetry.observeRun(undefined, { protocol: 'ws' });
    const base = { run_id: 'run_1', seq: 0, ts: 0, agent: 'helper' };
    observer?.event?.({ ...base, type: 'run_start', model: 'm', input: 'secret prompt' });
    observer?.event?.({ ...base, type: 'text_delta', text: 'secret answer', turn: 1 });
    observer?.event?.({
      ...base,
      type: 'run_end',
      status: 'failed',
      text: 'secret answer',
      usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 },
      error: { message: 'upstream said: secret detail', code: 'connection', retryable: true },
      duration_ms: 12,
    });
    const lines = sink.lines();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'run',
        run_id: 'run_1',
        agent: 'helper',
        protocol: 'ws',
        status: 'failed',
        duration_ms: 12,
        input_tokens: 3,
        output_tokens: 4,
        error_code: 'connection',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('secret');
  });
});
