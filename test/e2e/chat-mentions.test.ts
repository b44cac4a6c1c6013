/**
 * `@path` in one-shot runs with plain and `--json` output: what reaches the loopback fake upstream (the prompt, then
 * the attached files, then piped text, which is never scanned), and a refused mention stopping the run with exit 2
 * before any request.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, ndjson, runCli } from '../support/cli.js';
import { tempDir, useFakeOpenAI } from '../support/cleanup.js';

const fake = useFakeOpenAI();
const env = () => cleanEnv({ OPENAI_API_KEY: 'sk-test' });
const chat = (...args: string[]) => ['chat', '--base-url', fake().url, '--no-session', ...args];

function project(): string {
  const dir = tempDir('agentor-e2e-mentions-');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'x.ts'), 'export const X = 1;\n');
  writeFileSync(join(dir, 'secret.txt'), 'do not send\n');
  writeFileSync(join(dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
  return dir;
}

const sentUser = (): unknown => fake().requests[0]?.body.messages.at(-1)?.content;

describe('@path in one-shot runs', () => {
  it('--plain attaches the file the prompt mentions; stdout has only the answer', async () => {
    const cwd = project();
    fake().enqueue({ text: 'It exports X.' });
    const r = await runCli(chat('--plain', 'explain @src/x.ts, @alice'), { env: env(), cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('It exports X.\n');
    expect(r.stderr).toBe('');
    expect(sentUser()).toBe(
      'explain @src/x.ts, @alice\n\nThe file I mentioned:\n\n<file path="src/x.ts">\nexport const X = 1;\n</file>',
    );
  });

  it('--json with piped text: the file goes after the prompt, the piped text last and unscanned', async () => {
    const cwd = project();
    fake().enqueue({ text: 'ok' });
    const r = await runCli(chat('--json', 'review @src/x.ts'), { env: env(), cwd, input: 'see @secret.txt\n' });
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout).at(-1)).toMatchObject({ type: 'run_end', status: 'completed' });
    const sent = String(sentUser());
    expect(sent).toBe(
      'review @src/x.ts\n\nThe file I mentioned:\n\n<file path="src/x.ts">\nexport const X = 1;\n</file>\n\nsee @secret.txt',
    );
    expect(sent).not.toContain('do not send');
  });

  it('a mention that cannot be attached stops the run before any request: exit 2, why on stderr', async () => {
    const cwd = project();
    const r = await runCli(chat('--json', 'describe @logo.png and @src/x.ts'), { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'agentor: not attached: logo.png — it is named like an image but is not a PNG, JPEG, GIF or WebP image',
    );
    expect(r.stderr).toContain('agentor: nothing was sent');
    expect(fake().requests.filter((q) => q.method === 'POST')).toHaveLength(0);
  });
});
