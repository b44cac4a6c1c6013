import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, ndjson, runCli, startCli } from '../support/cli.js';
import { useFakeOpenAI } from '../support/cleanup.js';

const fake = useFakeOpenAI();

const env = () => cleanEnv({ OPENAI_API_KEY: 'sk-test-secret-value' });
const chat = (...args: string[]) => ['chat', '--base-url', fake().url, ...args];

describe('agentor chat --json', () => {
  it('writes one compact JSON event per line, run_end last, exit 0', async () => {
    fake().enqueue({ text: ['Hello', ', ', 'world'] });
    const r = await runCli(chat('--json', 'hi'), { env: env() });
    expect(r.code).toBe(0);
    const events = ndjson(r.stdout);
    expect(events.map((e) => e.type)).toEqual([
      'run_start',
      'text_delta',
      'text_delta',
      'text_delta',
      'message',
      'run_end',
    ]);
    expect(events.at(-1)).toMatchObject({ status: 'completed', text: 'Hello, world' });
    for (const e of events) expect(Object.keys(e).slice(0, 5)).toEqual(['type', 'run_id', 'seq', 'ts', 'agent']);
    expect(r.stdout).not.toContain('sk-test-secret-value');
    expect(r.stderr).not.toContain('sk-test-secret-value');
  });

  it('runs tools and reports them as events', async () => {
    fake().enqueue({ toolCalls: [{ name: 'calculator', arguments: { expression: '17 * 23' } }] }, { text: '391' });
    const r = await runCli(chat('--json', 'compute'), { env: env() });
    expect(r.code).toBe(0);
    const events = ndjson(r.stdout);
    expect(events.find((e) => e.type === 'tool_call')).toMatchObject({
      name: 'calculator',
      args: { expression: '17 * 23' },
    });
    expect(events.find((e) => e.type === 'tool_result')).toMatchObject({ result: '391', is_error: false });
  });

  it('--events keeps only the listed types and --buffer-ms keeps the text intact', async () => {
    fake().enqueue({ text: ['a', 'b', 'c'] });
    const r = await runCli(chat('--json', '--events', 'text_delta,run_end', '--buffer-ms', '5000', 'x'), {
      env: env(),
    });
    const events = ndjson(r.stdout);
    expect(events.map((e) => e.type)).toEqual(['text_delta', 'run_end']);
    expect(events[0]).toMatchObject({ text: 'abc' });
  });

  it('rejects an unknown --events type with exit 2', async () => {
    const r = await runCli(chat('--json', '--events', 'text_delta,bogus', 'x'), { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown event type "bogus"/);
  });
});

describe('agentor chat, plain output', () => {
  it('writes only the streamed answer to stdout when piped', async () => {
    fake().enqueue({ text: ['Just ', 'the ', 'answer.'] });
    const r = await runCli(chat('q'), { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Just the answer.\n');
  });

  it('reads piped stdin as context after the prompt', async () => {
    fake().enqueue({ text: 'summary' });
    const r = await runCli(chat('summarise this'), { env: env(), input: '# Notes\nline one\n' });
    expect(r.code).toBe(0);
    const user = fake().requests[0]?.body.messages.at(-1);
    expect(user).toEqual({ role: 'user', content: 'summarise this\n\n# Notes\nline one' });
  });

  it('shows tool activity on stderr, keeping stdout clean', async () => {
    fake().enqueue({ toolCalls: [{ name: 'calculator', arguments: { expression: '2+2' } }] }, { text: 'Four.' });
    const r = await runCli(chat('q'), { env: env() });
    expect(r.stdout).toBe('Four.\n');
    expect(r.stderr).toMatch(/calculator/);
    expect(r.stderr).toMatch(/✓ calculator .*→ 4/);
  });

  it('neutralises terminal control sequences from the model', async () => {
    fake().enqueue({ text: ['safe', '\u001b]0;pwned\u0007', ' text\u001b[2J', '\u001b[31m!\u001b[0m'] });
    const r = await runCli(chat('q'), { env: env() });
    expect(r.stdout).toBe('safe text!\n');
  });
});

describe('cancellation, timeouts and faults', () => {
  it('SIGINT closes the upstream request, emits run_end cancelled with the partial text, exits 130', async () => {
    fake().enqueue({ fault: 'hang', text: ['partial ', 'answer'] });
    const run = startCli(chat('--json', 'wait'), { env: env() });
    await fake().waitForStreamStarted();
    await run.waitFor('"text":"answer"');
    const t0 = Date.now();
    run.child.kill('SIGINT');
    await fake().waitForDisconnect();
    expect(Date.now() - t0).toBeLessThan(1000);
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(ndjson(r.stdout).at(-1)).toMatchObject({ type: 'run_end', status: 'cancelled', text: 'partial answer' });
  });

  it('--timeout ends the run with status timeout and exit 124', async () => {
    fake().enqueue({ fault: 'hang', text: ['slow'] });
    // Long enough for a start on a busy machine to reach the first token (the reply hangs after it) before the deadline.
    const r = await runCli(chat('--json', '--timeout', '2s', 'x'), { env: env() });
    expect(r.code).toBe(124);
    expect(ndjson(r.stdout).at(-1)).toMatchObject({ type: 'run_end', status: 'timeout', text: 'slow' });
  });

  it('retries a 429 with Retry-After and announces the retry', async () => {
    fake().enqueue({ fault: 'status', status: 429, retryAfter: 0 }, { text: 'fine' });
    const r = await runCli(chat('--json', 'x'), { env: env() });
    expect(r.code).toBe(0);
    const events = ndjson(r.stdout);
    expect(events.find((e) => e.type === 'error')).toMatchObject({ error: { retryable: true, code: '429' } });
    expect(events.at(-1)).toMatchObject({ status: 'completed', text: 'fine' });
  });

  it('a rejected key fails with exit 1 and a message about the key', async () => {
    fake().enqueue({ fault: 'status', status: 401 });
    const r = await runCli(chat('x'), { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/401.*OPENAI_API_KEY/);
    expect(r.stderr).not.toContain('sk-test-secret-value');
  });

  it.each(['drop', 'malformed'] as const)('a %s stream fails with exit 1 and keeps the partial text', async (fault) => {
    fake().enqueue({ fault, text: ['half ', 'done'] });
    const r = await runCli(chat('--json', 'x'), { env: env() });
    expect(r.code).toBe(1);
    expect(ndjson(r.stdout).at(-1)).toMatchObject({ type: 'run_end', status: 'failed', text: 'half done' });
  });

  it('--max-turns ends with status max_turns and exit 1', async () => {
    fake().enqueue({ toolCalls: [{ name: 'calculator', arguments: { expression: '1' } }] });
    const r = await runCli(chat('--json', '--max-turns', '1', 'x'), { env: env() });
    expect(r.code).toBe(1);
    expect(ndjson(r.stdout).at(-1)).toMatchObject({ status: 'max_turns' });
  });
});

describe('configuration and usage errors', () => {
  it('with no provider configured, exits 2 naming OPENAI_API_KEY, --base-url and --demo', async () => {
    const r = await runCli(['chat', 'hello'], { env: cleanEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/OPENAI_API_KEY/);
    expect(r.stderr).toMatch(/--base-url/);
    expect(r.stderr).toMatch(/--demo/);
  });

  it('an unknown option is a usage error (exit 2)', async () => {
    const r = await runCli(['chat', '--bogus'], { env: cleanEnv() });
    expect(r.code).toBe(2);
  });

  it('reads the model from the XDG config file', async () => {
    const e = env();
    const dir = join(e['XDG_CONFIG_HOME'] as string, 'agentor');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model: 'from-config' }));
    fake().enqueue({ text: 'ok' });
    await runCli(chat('x'), { env: e });
    expect(fake().requests[0]?.body.model).toBe('from-config');
  });
});

describe('the offline demo', () => {
  it('--demo streams a labelled answer built on a real tool result, with no network', async () => {
    const r = await runCli(['chat', '--demo', '--json', 'What is 6 * 7?'], { env: cleanEnv() });
    expect(r.code).toBe(0);
    const events = ndjson(r.stdout);
    expect(events[0]).toMatchObject({ type: 'run_start', model: 'demo' });
    expect(events.find((e) => e.type === 'tool_result')).toMatchObject({ name: 'calculator', result: '42' });
    expect(String(events.at(-1)?.['text'])).toContain('**42**');
    expect(fake().requests).toHaveLength(0);
  });

  it('plain demo output is labelled DEMO on stderr', async () => {
    const r = await runCli(['chat', '--model', 'demo', 'hi'], { env: cleanEnv() });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/DEMO/);
    expect(r.stdout).toMatch(/Demo mode/);
  });
});

describe('the demo without a prompt', () => {
  it('answers its own scripted question when there is no terminal to chat in', async () => {
    const r = await runCli(['chat', '--demo'], { env: cleanEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(17 * 23) + sqrt(144)');
    expect(r.stdout).toContain('**403**');
  });

  it('a real model without a prompt is still a usage error', async () => {
    const r = await runCli(['chat', '--base-url', 'http://127.0.0.1:9/v1'], { env: cleanEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing to ask/);
  });
});
