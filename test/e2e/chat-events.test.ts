/** `--events` changes what is shown, never how a run ends: the exit code comes from the run's real run_end. */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanEnv, ndjson, runCli } from '../support/cli.js';

function env(): NodeJS.ProcessEnv {
  const e = cleanEnv();
  onTestFinished(() => rmSync(dirname(e['XDG_CONFIG_HOME'] as string), { recursive: true, force: true }));
  return e;
}

describe('agentor chat --events', () => {
  it("the README's example without run_end exits 0 for a completed run", async () => {
    const r = await runCli(['chat', '--demo', '--json', '--events', 'tool_call,tool_result', 'What is 17 * 23?'], {
      env: env(),
    });
    expect(r.code).toBe(0);
    const events = ndjson(r.stdout);
    expect(events.map((e) => e.type)).toEqual(['tool_call', 'tool_result']);
    expect(events[1]).toMatchObject({ name: 'calculator', result: '391' });
  });

  it('plain text with only tool events exits 0 and prints only those', async () => {
    const r = await runCli(['chat', '--demo', '--plain', '--events', 'tool_call', 'What is 2 + 2?'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/⚙ calculator\(\{"expression":"2 \+ 2"\}\)/);
    expect(r.stderr).not.toMatch(/✓/);
  });

  it('a run that does not complete still sets the exit code when run_end is filtered away', async () => {
    const r = await runCli(['chat', '--base-url', 'http://127.0.0.1:9/v1', '--json', '--events', 'text_delta', 'hi'], {
      env: env(),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });
});
