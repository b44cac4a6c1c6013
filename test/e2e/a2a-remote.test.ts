/** `agentor chat --a2a <url>`: a remote A2A agent (started here with the SDK's server side) instead of a model. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ndjson, runCli, startCli, SESSION_LINE } from '../support/cli.js';
import { startFakeA2AAgent, type FakeA2AAgent } from '../support/a2a-agent.js';

let remote: FakeA2AAgent;
let legacy: FakeA2AAgent;
beforeAll(async () => {
  [remote, legacy] = await Promise.all([startFakeA2AAgent(), startFakeA2AAgent({ name: 'Old Timer', legacy: true })]);
});
afterAll(async () => {
  await Promise.all([remote.close(), legacy.close()]);
});

describe('chat --a2a', () => {
  it('streams the artifact chunks as text_delta events and ends completed (A2A 1.0)', async () => {
    const { code, stdout, stderr } = await runCli(['chat', '--a2a', remote.url, '--json', 'hi there']);
    expect(stderr).toMatch(SESSION_LINE);
    expect(code).toBe(0);
    const events = ndjson(stdout);
    expect(events[0]).toMatchObject({
      type: 'run_start',
      agent: 'Remote-Helper',
      model: 'a2a:Remote Helper',
      input: 'hi there',
    });
    const deltas = events.filter((e) => e.type === 'text_delta').map((e) => e.text);
    expect(deltas).toEqual(['Hello ', 'from ', 'remote: ', 'hi there']);
    expect(events.some((e) => e.type === 'reasoning_delta' && e.text === 'thinking\n')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'Hello from remote: hi there' });
    expect(remote.received.at(-1)?.text).toBe('hi there');
  });

  it('works in plain mode, against a v0.3 server, through the legacy transport', async () => {
    const { code, stdout, stderr } = await runCli(['chat', '--a2a', legacy.url, 'good morning']);
    expect(code).toBe(0);
    expect(stderr).toMatch(SESSION_LINE);
    expect(stdout).toBe('Hello from remote: good morning\n');
    expect(legacy.requests.filter((r) => r.path === '/a2a/jsonrpc').every((r) => r.version === '0.3')).toBe(true);
    expect(legacy.requests.some((r) => r.path === '/a2a/jsonrpc')).toBe(true);
  });

  it('maps a failed task to run_end failed (exit 1) with the remote message', async () => {
    const { code, stdout } = await runCli(['chat', '--a2a', remote.url, '--json', 'please fail']);
    expect(code).toBe(1);
    expect(ndjson(stdout).at(-1)).toMatchObject({
      type: 'run_end',
      status: 'failed',
      error: { message: 'the remote agent failed the task: the remote tool broke', code: 'a2a_failed' },
    });
  });

  it('Ctrl+C cancels the remote task: run_end cancelled, exit 130, cancelTask reached the agent', async () => {
    const cli = startCli(['chat', '--a2a', remote.url, '--json', 'hang on']);
    await remote.waitForHang();
    await cli.waitFor('"type":"text_delta"');
    cli.child.kill('SIGINT');
    const { code, stdout } = await cli.done;
    expect(code).toBe(130);
    expect(ndjson(stdout).at(-1)).toMatchObject({ type: 'run_end', status: 'cancelled', text: 'partial ' });
    const taskId = remote.received.find((r) => r.text === 'hang on')?.taskId;
    expect(taskId).toBeTruthy();
    expect(remote.cancelled).toContain(taskId);
  });

  it('reports an unreachable agent as a failed run that says what to check', async () => {
    const { code, stdout } = await runCli(['chat', '--a2a', 'http://127.0.0.1:9', '--json', 'hi']);
    expect(code).toBe(1);
    const end = ndjson(stdout).at(-1);
    expect(end).toMatchObject({ type: 'run_end', status: 'failed', agent: '127.0.0.1-9' });
    expect(String((end?.error as { message: string }).message)).toMatch(
      /could not reach the A2A agent at http:\/\/127\.0\.0\.1:9 .*agent-card\.json/,
    );
  });

  it('sends AGENTOR_A2A_TOKEN as a bearer token, and says so when the agent refuses', async () => {
    const guarded = await startFakeA2AAgent({ token: 't0ken' });
    try {
      const ok = await runCli(['chat', '--a2a', guarded.url, 'hi'], { env: cleanEnv({ AGENTOR_A2A_TOKEN: 't0ken' }) });
      expect(ok.code).toBe(0);
      expect(ok.stdout).toBe('Hello from remote: hi\n');
      const refused = await runCli(['chat', '--a2a', guarded.url, 'hi']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/run failed: .*set AGENTOR_A2A_TOKEN/);
      expect(refused.stderr).not.toContain('t0ken');
    } finally {
      await guarded.close();
    }
  });

  it('rejects a URL that is not http(s) with exit 2', async () => {
    const { code, stderr } = await runCli(['chat', '--a2a', 'ftp://example', 'hi']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--a2a ftp:\/\/example: not an http\(s\) URL/);
  });
});
