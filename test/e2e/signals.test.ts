/**
 * Signals, end to end, in every mode: SIGINT, SIGTERM and SIGHUP end a run cleanly (exactly one `run_end`, cancelled)
 * and exit 130, 143 and 129 — also while MCP servers are still starting, and with an MCP call in flight, leaving no
 * server process behind. Timings are asserted loosely here; bench/ measures them.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanEnv, listeningUrl, ndjson, startCli } from '../support/cli.js';
import { useFakeOpenAI } from '../support/cleanup.js';
import { fixtureMcpConfig, isRunning, lateFixtureMcpConfig } from '../support/mcp-notify.js';
import { startPty } from '../pty/terminal.js';

const fake = useFakeOpenAI();

const env = () => cleanEnv({ OPENAI_API_KEY: 'sk-test' });
const chat = (...args: string[]) => ['chat', '--base-url', fake().url, ...args];

const runEnds = (stdout: string) => ndjson(stdout).filter((e) => e.type === 'run_end');

describe('chat --json', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s mid-answer: one run_end cancelled with the partial text, exit %i', async (signal, code) => {
    fake().enqueue({ fault: 'hang', text: ['partial ', 'answer'] });
    const run = startCli(chat('--json', 'wait'), { env: env() });
    await run.waitFor('"text":"answer"');
    const sent = Date.now();
    run.child.kill(signal);
    const r = await run.done;
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(r.code).toBe(code);
    expect(runEnds(r.stdout)).toEqual([expect.objectContaining({ status: 'cancelled', text: 'partial answer' })]);
    expect(ndjson(r.stdout).at(-1)?.type).toBe('run_end');
  });

  it('SIGINT while an MCP server is still starting: one run_end cancelled, exit 130, no server process left', async () => {
    const { fx, config } = await fixtureMcpConfig({ MCP_FIXTURE_HANG: '1', MCP_FIXTURE_GRANDCHILD: '1' });
    const run = startCli(chat('--json', '--mcp-config', config, 'hi'), { env: env() });
    const { pid, grandchild } = await fx.next('started');
    expect(isRunning(pid)).toBe(true);
    const sent = Date.now();
    run.child.kill('SIGINT');
    const r = await run.done;
    // Loose (far below the 30 s start-up timeout it must not wait for): it includes the fixture's own exit, a tsx
    // process, on a busy machine; bench/ measures it precisely.
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(r.code).toBe(130);
    const events = ndjson(r.stdout);
    expect(events[0]).toMatchObject({ type: 'run_start', input: 'hi' });
    expect(runEnds(r.stdout)).toEqual([expect.objectContaining({ status: 'cancelled', text: '' })]);
    expect(events.at(-1)?.type).toBe('run_end');
    expect(fake().requests).toHaveLength(0);
    // The server is gone when the CLI is; what it started went with its process group.
    expect(isRunning(pid)).toBe(false);
    await expect.poll(() => isRunning(grandchild!), { timeout: 2000 }).toBe(false);
  });

  it('SIGINT with an MCP call in flight: run_end cancelled within a second, exit 130, the server stopped', async () => {
    const { fx, config } = await fixtureMcpConfig();
    fake().enqueue({ toolCalls: [{ name: 'slow', arguments: { ms: 60_000 } }] });
    const run = startCli(chat('--json', '--mcp-config', config, 'wait'), { env: env() });
    const { pid } = await fx.next('slow');
    const sent = Date.now();
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(r.code).toBe(130);
    const events = ndjson(r.stdout);
    expect(events.find((e) => e.type === 'tool_result')).toMatchObject({ name: 'slow', is_error: true });
    expect(runEnds(r.stdout)).toEqual([expect.objectContaining({ status: 'cancelled' })]);
    expect(isRunning(pid)).toBe(false);
  });
});

describe('chat, plain output', () => {
  it('SIGTERM mid-answer keeps the partial text on stdout and exits 143', async () => {
    fake().enqueue({ fault: 'hang', text: ['half ', 'way'] });
    const run = startCli(chat('wait'), { env: env() });
    await run.waitFor('half way');
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(143);
    expect(r.stdout).toContain('half way');
  });
});

describe('serve', () => {
  it('SIGHUP shuts down gracefully and exits 129', async () => {
    const cli = startCli(['serve', '--port', '0', '--demo'], { env: cleanEnv() });
    await cli.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/, 'stderr');
    cli.child.kill('SIGHUP');
    const r = await cli.done;
    expect(r.code).toBe(129);
    expect(r.stderr).toMatch(/SIGHUP: shutting down/);
    expect(r.stderr).toMatch(/stopped/);
  });

  it('SIGTERM while MCP servers start: they are stopped, it never listens, exit 143', async () => {
    const { fx, config } = await fixtureMcpConfig({ MCP_FIXTURE_HANG: '1' });
    const cli = startCli(['serve', '--port', '0', '--demo', '--mcp-config', config], { env: cleanEnv() });
    const { pid } = await fx.next('started');
    cli.child.kill('SIGTERM');
    const r = await cli.done;
    expect(r.code).toBe(143);
    expect(r.stderr).toMatch(/SIGTERM: stopping/);
    expect(r.stderr).not.toMatch(/listening on/);
    expect(isRunning(pid)).toBe(false);
  });

  it('an MCP server killed while serving: logged, /readyz 503 naming it until its restart, then ready again', async () => {
    // The gate holds each start of the fixture until the test releases it: the restart is observed while it is pending.
    const { fx, config } = await fixtureMcpConfig({ MCP_FIXTURE_GATE: '1' });
    const cli = startCli(['serve', '--port', '0', '--demo', '--mcp-config', config, '--log-format', 'text'], {
      env: cleanEnv(),
    });
    onTestFinished(() => void cli.child.kill('SIGKILL'));
    const { pid } = await fx.next('started');
    fx.release();
    const url = await listeningUrl(cli);
    const readyz = async () => {
      const res = await fetch(`${url}/readyz`);
      return { status: res.status, body: (await res.json()) as { checks: unknown[] } };
    };
    expect(await readyz()).toEqual({
      status: 200,
      body: expect.objectContaining({ checks: expect.arrayContaining([{ name: 'mcp:fixture', ok: true }]) }),
    });

    process.kill(pid, 'SIGKILL');
    await cli.waitFor(
      /MCP: MCP server "fixture" stopped \(.*\): killed by SIGKILL\. Restarting it, next try at \S+Z \(after 0\.5 s\)/,
      'stderr',
    );
    await fx.next('started', 2);
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.checks).toContainEqual({ name: 'mcp:fixture', ok: false, reason: expect.stringMatching(/\S/) });

    fx.release();
    await cli.waitFor(/MCP: MCP server "fixture" is back/, 'stderr');
    expect((await readyz()).status).toBe(200);
    cli.child.kill('SIGTERM');
    expect((await cli.done).code).toBe(143);
  });

  it('an MCP server that fails its first start: warned once, /readyz 503 with when it retries, then 200 once it is up', async () => {
    // The gate holds each start until the test releases it; the fixture exits there unless `flag` exists.
    const { fx, config, flag } = await lateFixtureMcpConfig();
    const cli = startCli(['serve', '--port', '0', '--demo', '--mcp-config', config, '--log-format', 'text'], {
      env: cleanEnv(),
    });
    onTestFinished(() => void cli.child.kill('SIGKILL'));
    await fx.next('started');
    fx.release();
    const url = await listeningUrl(cli);
    const readyz = async () => {
      const res = await fetch(`${url}/readyz`);
      return { status: res.status, body: (await res.json()) as { checks: unknown[] } };
    };
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.checks).toContainEqual({
      name: 'mcp:fixture',
      ok: false,
      reason: expect.stringMatching(
        /^failed to start \(.*\): exited with code 3 .*; (retrying it, next try at \S+Z \(after 0\.5 s\)|trying again now)$/,
      ),
    });

    // The second start fails too, quietly; the third comes up.
    await fx.next('started', 2);
    fx.release();
    await fx.next('started', 3);
    expect((await readyz()).status).toBe(503);
    writeFileSync(flag, '');
    fx.release();
    await cli.waitFor(/MCP: MCP server "fixture" is up \(it had failed to start: exited with code 3/, 'stderr');
    expect(await readyz()).toEqual({
      status: 200,
      body: expect.objectContaining({ checks: expect.arrayContaining([{ name: 'mcp:fixture', ok: true }]) }),
    });
    // Reported once (the retries that failed are not logged), and the readiness change once each way.
    expect(cli.stderr().match(/MCP server "fixture" failed to start/g)).toHaveLength(1);
    expect(cli.stderr().match(/not ready: mcp:fixture/g)).toHaveLength(1);
    expect(cli.stderr()).toMatch(/warning: MCP server "fixture" failed to start .*retrying it in the background\./);
    cli.child.kill('SIGTERM');
    expect((await cli.done).code).toBe(143);
  });
});

describe('the Ink UI (in a terminal)', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s during a one-shot run ends it and exits %i', async (signal, code) => {
    fake().enqueue({ fault: 'hang', text: ['streaming ', 'along'] });
    const t = startPty(chat('wait for it'), { env: env(), cols: 80, rows: 24 });
    onTestFinished(() => t.kill());
    await t.waitFor('streaming along');
    t.pty.kill(signal);
    expect((await t.exit).exitCode).toBe(code);
  });

  it('a slow MCP start-up says so; Ctrl+C there exits 130 and stops the server', async () => {
    const { fx, config } = await fixtureMcpConfig({ MCP_FIXTURE_HANG: '1' });
    const t = startPty(['chat', '--demo', '--mcp-config', config], { env: cleanEnv(), cols: 80, rows: 24 });
    onTestFinished(() => t.kill());
    const { pid } = await fx.next('started');
    await t.waitFor('Ctrl+C to cancel');
    t.write('\x03');
    expect((await t.exit).exitCode).toBe(130);
    expect(isRunning(pid)).toBe(false);
  });

  it('SIGTERM in the interactive chat, waiting at the prompt, exits 143', async () => {
    const t = startPty(['chat', '--demo'], { env: cleanEnv(), cols: 80, rows: 24 });
    onTestFinished(() => t.kill());
    await t.waitFor('ctrl+c twice to exit');
    t.pty.kill('SIGTERM');
    expect((await t.exit).exitCode).toBe(143);
  });
});
