/**
 * `agentor serve --log-format json` through the CLI: every line on stderr is one JSON record, also the lines that come
 * before it listens or from elsewhere than a request — a real MCP stdio server that fails its first start, comes up,
 * crashes and is restarted; a signal while MCP servers are still starting; a start-up that fails.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanEnv, ndjson, startCli, type CliRun } from '../support/cli.js';
import { useFakeOpenAI } from '../support/cleanup.js';
import { lateFixtureMcpConfig } from '../support/mcp-notify.js';
const API_KEY = 'sk-json-logs-secret-key';

const fake = useFakeOpenAI();

function serve(args: string[]): CliRun {
  const cli = startCli(['serve', '--port', '0', '--log-format', 'json', ...args], {
    env: cleanEnv({ OPENAI_API_KEY: API_KEY }),
  });
  onTestFinished(() => void cli.child.kill('SIGKILL'));
  return cli;
}

describe('serve --log-format json', () => {
  it('MCP notices (failed start, up, down, back) are JSON records like every other line', async () => {
    const { fx, config, flag } = await lateFixtureMcpConfig();
    const cli = serve(['--base-url', fake().url, '--mcp-config', config]);
    await fx.next('started');
    fx.release(); // no flag yet: the first start fails
    await cli.waitFor(/"msg":"listening on /, 'stderr');

    writeFileSync(flag, '');
    await fx.next('started', 2);
    fx.release();
    await cli.waitFor(/is up \(it had failed to start/, 'stderr');

    // The server crashes: it is reported down, restarted, and reported back.
    process.kill((await fx.next('started', 2)).pid, 'SIGKILL');
    await fx.next('started', 3);
    fx.release();
    await cli.waitFor(/is back \(restarted after/, 'stderr');
    cli.child.kill('SIGTERM');
    const done = await cli.done;
    expect(done.code).toBe(143);

    const all = ndjson(done.stderr);
    for (const r of all) {
      expect(typeof r['time']).toBe('string');
      expect(['debug', 'info', 'warn', 'error']).toContain(r['level']);
      expect(typeof r['msg']).toBe('string');
    }
    const mcp = all.filter((r) => String(r['msg']).includes('MCP server "fixture"'));
    expect(mcp.map((r) => [r['level'], r['code']])).toEqual([
      ['warn', 'mcp_server_failed'],
      ['info', 'mcp_server_started'],
      ['warn', 'mcp_server_down'],
      ['info', 'mcp_server_restarted'],
    ]);
    expect(all.at(-1)).toMatchObject({ level: 'info', msg: 'stopped' });
    expect(done.stderr).not.toContain(API_KEY);
  });

  it('a signal while MCP servers start is a JSON record too, and serve never listens', async () => {
    const { fx, config } = await lateFixtureMcpConfig();
    const cli = serve(['--base-url', fake().url, '--mcp-config', config]);
    await fx.next('started'); // held at the gate: serve is still starting it
    cli.child.kill('SIGTERM');
    const done = await cli.done;
    expect(done.code).toBe(143);
    const all = ndjson(done.stderr);
    expect(all).toContainEqual(expect.objectContaining({ level: 'info', msg: 'SIGTERM: stopping', signal: 'SIGTERM' }));
    expect(all.some((r) => String(r['msg']).startsWith('listening on'))).toBe(false);
  });

  it('a start-up that fails says why in an error record', async () => {
    const cli = serve(['--base-url', fake().url, '--store', 'redis://127.0.0.1:1/0', '--store-lease', '10ms']);
    const done = await cli.done;
    expect(done.code).toBe(2);
    expect(ndjson(done.stderr)).toEqual([
      expect.objectContaining({ level: 'error', msg: '--store-lease must be at least 300ms' }),
    ]);
  });

  it('a bad --log-format is said in plain text: there is no format to say it in', async () => {
    const cli = startCli(['serve', '--port', '0', '--log-format', 'xml'], {
      env: cleanEnv({ OPENAI_API_KEY: API_KEY }),
    });
    onTestFinished(() => void cli.child.kill('SIGKILL'));
    const done = await cli.done;
    expect(done.code).toBe(2);
    expect(done.stderr).toMatch(/^agentor serve: --log-format: unknown log format "xml" \(use json or text\)\n$/);
  });
});
