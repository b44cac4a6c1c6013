/**
 * `agentor serve` as an operator starts it: the start-up banner in each log format (one JSON record in JSON mode),
 * `--metrics-port` and `--log-level` through the CLI, and the tools of an MCP server that comes up after the server
 * started: counted in the banner as pending, then listed as skills on the A2A card (whose ETag changes).
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanEnv, listeningUrl, ndjson, startCli, type CliRun } from '../support/cli.js';
import { useFakeOpenAI } from '../support/cleanup.js';
import { lateFixtureMcpConfig } from '../support/mcp-notify.js';
import { parsePrometheusText, sampleValue } from '../support/prom-text.js';
import { postJson } from './serve-support.js';

const TOKEN = 'banner-token-0123456789';
const API_KEY = 'sk-banner-secret-key';

const fake = useFakeOpenAI();

function serve(args: string[]): CliRun {
  const cli = startCli(['serve', '--port', '0', ...args], { env: cleanEnv({ OPENAI_API_KEY: API_KEY }) });
  onTestFinished(() => void cli.child.kill('SIGKILL'));
  return cli;
}

describe('the start-up banner', () => {
  it('is one JSON record in JSON log mode, with what a collector needs and never the token or key', async () => {
    const cli = serve(['--base-url', fake().url, '--log-format', 'json', '--token', TOKEN]);
    const url = await listeningUrl(cli);
    await cli.waitFor(/"agent_card"/, 'stderr');
    const banner = ndjson(cli.stderr()).filter((r) => typeof r['msg'] === 'string' && r['url'] === url);
    expect(banner).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: `listening on ${url}`,
        agent: 'assistant',
        tools: 2,
        auth: 'bearer token required',
        metrics: `${url}/metrics`,
        agent_card: `${url}/.well-known/agent-card.json`,
      }),
    ]);
    cli.child.kill('SIGTERM');
    const done = await cli.done;
    expect(done.code).toBe(143);
    // Every line is JSON, the shutdown ones included.
    const all = ndjson(done.stderr);
    expect(all.map((r) => r['msg'])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^SIGTERM: shutting down/), 'stopped']),
    );
    expect(done.stderr).not.toContain(TOKEN);
    expect(done.stderr).not.toContain(API_KEY);
  });

  it('is text lines in text log mode, ending with Ctrl+C to stop', async () => {
    const cli = serve(['--base-url', fake().url, '--log-format', 'text']);
    const url = await listeningUrl(cli);
    await cli.waitFor('Ctrl+C to stop', 'stderr');
    expect(cli.stderr()).toContain('agentor serve: agent "assistant" (model gpt-4.1-mini, 2 tools)\n');
    expect(cli.stderr()).toContain(`agentor serve: metrics on ${url}/metrics\n`);
    expect(cli.stderr()).not.toMatch(/^\{/m);
    cli.child.kill('SIGINT');
    expect((await cli.done).code).toBe(130);
  });
});

describe('--metrics-port and --log-level through the CLI', () => {
  it('serves /metrics on its own loopback port without the token, and not on the main port', async () => {
    const cli = serve(['--base-url', fake().url, '--token', TOKEN, '--metrics-port', '0', '--log-level', 'warn']);
    const url = await listeningUrl(cli);
    await cli.waitFor(/"metrics":"http:\/\/127\.0\.0\.1:\d+\/metrics"/, 'stderr');
    const banner = ndjson<Record<string, unknown>>(cli.stderr()).find((r) => r['url'] === url) as {
      metrics: string;
      level: string;
    };
    // --log-level warn keeps the banner (serve's own start-up record) but drops request lines.
    expect(banner.level).toBe('info');
    const metricsUrl = banner.metrics;
    expect(metricsUrl).not.toBe(`${url}/metrics`);

    fake().enqueue({ text: 'counted' });
    const res = await postJson(`${url}/chat`, { input: 'x' }, { authorization: `Bearer ${TOKEN}` });
    expect(res.json().text).toBe('counted');
    const scraped = await fetch(metricsUrl);
    expect(scraped.status).toBe(200);
    const families = parsePrometheusText(await scraped.text());
    expect(
      sampleValue(families, 'agentor_runs_total', { agent: 'assistant', status: 'completed', protocol: 'chat' }),
    ).toBe(1);
    // The main port has no /metrics when it has its own port.
    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    cli.child.kill('SIGTERM');
    const done = await cli.done;
    expect(done.code).toBe(143);
    expect(ndjson(done.stderr).filter((r) => r['msg'] === 'request' || r['msg'] === 'run')).toEqual([]);
  });
});

interface Card {
  skills: Array<{ id: string }>;
}

describe('tools of an MCP server that comes up late', () => {
  it('the banner says they are pending; the A2A card lists them once the server is up, under a new ETag', async () => {
    const { fx, config, flag } = await lateFixtureMcpConfig();
    const cli = serve(['--demo', '--mcp-config', config, '--log-format', 'text']);
    await fx.next('started');
    fx.release(); // no flag yet: the first start fails
    const url = await listeningUrl(cli);
    expect(cli.stderr()).toMatch(
      /agent "assistant" \(model demo, 2 tools \+ those of MCP server "fixture" once started\)/,
    );

    const cardUrl = `${url}/.well-known/agent-card.json`;
    const before = await fetch(cardUrl);
    expect(before.headers.get('cache-control')).toBe('no-cache');
    const etag = before.headers.get('etag') as string;
    expect(((await before.json()) as Card).skills.map((s) => s.id)).toEqual(['calculator', 'get_time']);
    expect((await fetch(cardUrl, { headers: { 'if-none-match': etag } })).status).toBe(304);

    writeFileSync(flag, '');
    await fx.next('started', 2);
    fx.release();
    await cli.waitFor(/MCP: MCP server "fixture" is up/, 'stderr');

    const after = await fetch(cardUrl, { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    const skills = ((await after.json()) as Card).skills.map((s) => s.id);
    expect(skills).toEqual(expect.arrayContaining(['calculator', 'get_time', 'add', 'echo', 'write_note']));
    expect(after.headers.get('etag')).not.toBe(etag);
    // The 0.3 card (what older clients ask for) follows too.
    const legacy = (await (await fetch(`${url}/.well-known/agent.json`)).json()) as Card;
    expect(legacy.skills.map((s) => s.id)).toEqual(expect.arrayContaining(['add', 'echo']));
    cli.child.kill('SIGTERM');
    expect((await cli.done).code).toBe(143);
  });
});
