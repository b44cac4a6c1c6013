/**
 * `@photo.png` in one-shot runs against the loopback fake upstream: what the upstream receives (an `image_url` data
 * URL of the file's bytes, with the mime its bytes say), a `-c` resume sending the image again, what a person and a
 * script see (a placeholder, never base64), a text-only model refused before any request, and an upstream 400 about
 * the image becoming a clear failed run.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, ndjson, runCli } from '../support/cli.js';
import { tempDir, useFakeOpenAI } from '../support/cleanup.js';
import { jpegBytes, pngBytes } from '../support/images.js';

const fake = useFakeOpenAI();
const chat = (...args: string[]) => ['chat', '--base-url', fake().url, ...args];
const posts = () => fake().requests.filter((r) => r.path.endsWith('/chat/completions'));
const lastUser = (n: number): unknown => (posts()[n]?.body as { messages: { content: unknown }[] }).messages.at(-1);
const PLACEHOLDER = '[image photo.png · PNG 320×200 · 1 KB]';

function project(): { cwd: string; png: Buffer } {
  const cwd = tempDir('agentor-e2e-images-');
  const png = pngBytes(320, 200);
  writeFileSync(join(cwd, 'photo.png'), png);
  writeFileSync(join(cwd, 'scan.png'), jpegBytes(1024, 768)); // a JPEG with the wrong name
  return { cwd, png };
}

describe('@image in one-shot runs', () => {
  it('--json sends the image as an image_url part; the events show the placeholder; -c sends it again', async () => {
    const { cwd, png } = project();
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test' });
    fake().enqueue({ text: 'A grey rectangle.' }, { text: 'Still grey.' });
    const r = await runCli(chat('--json', '--model', 'gpt-4.1-mini', 'what is in @photo.png and @scan.png?'), {
      env,
      cwd,
    });
    expect(r.code).toBe(0);
    const expected = {
      role: 'user',
      content: [
        { type: 'text', text: 'what is in @photo.png and @scan.png?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
        { type: 'image_url', image_url: { url: expect.stringMatching(/^data:image\/jpeg;base64,\/9j\//) } },
      ],
    };
    expect(lastUser(0)).toEqual(expected);
    const events = ndjson(r.stdout);
    expect(events[0]).toMatchObject({
      type: 'run_start',
      input: `what is in @photo.png and @scan.png?\n${PLACEHOLDER} [image scan.png · JPEG 1024×768 · 1 KB]`,
    });
    expect(r.stdout).not.toContain(png.toString('base64').slice(0, 40));

    // The session log keeps the image (0600), so a resumed conversation sends it again.
    const dir = join(env['XDG_STATE_HOME'] as string, 'agentor', 'sessions');
    const file = join(dir, readdirSync(dir)[0] as string);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await runCli(chat('--plain', '--model', 'gpt-4.1-mini', '-c', 'and the colour?'), { env, cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('Still grey.\n');
    const resent = (posts()[1]?.body as { messages: unknown[] }).messages;
    expect(resent).toContainEqual(expected);
    expect(resent.at(-1)).toEqual({ role: 'user', content: 'and the colour?' });

    const shown = await runCli(['sessions', 'show', readdirSync(dir)[0]!.replace(/\.jsonl$/, '')], { env, cwd });
    expect(shown.stdout).toContain(PLACEHOLDER);
    expect(shown.stdout).not.toContain('base64');
    expect(readFileSync(file, 'utf8')).toContain(png.toString('base64'));
  });

  it('a model known to be text-only, or an agent file saying vision: false, is refused before any request', async () => {
    const { cwd } = project();
    writeFileSync(join(cwd, 'coder.md'), '---\nname: coder\nmodel: my-local-coder\nvision: false\n---\nBe brief.\n');
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test' });
    for (const [flags, model] of [
      [['--model', 'gpt-3.5-turbo'], 'gpt-3.5-turbo'],
      [['--agent', 'coder.md'], 'my-local-coder'],
    ] as const) {
      const r = await runCli(chat('--json', '--no-session', ...flags, 'what is @photo.png'), { env, cwd });
      expect(r.code).toBe(1);
      expect(ndjson(r.stdout).at(-1)).toMatchObject({
        type: 'run_end',
        status: 'failed',
        error: {
          code: 'images_not_supported',
          message: `model "${model}" does not accept images, so ${PLACEHOLDER} was not sent: pick a vision model with --model (or /model), or send the message without the image`,
        },
      });
    }
    expect(posts()).toHaveLength(0);
  });

  it('an upstream 400 about the image part is a failed run that says the model does not accept images', async () => {
    const { cwd } = project();
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test' });
    fake().enqueue({
      fault: 'status',
      status: 400,
      message: 'Invalid content type. image_url is only supported by certain models.',
    });
    const r = await runCli(chat('--plain', '--no-session', '--model', 'local-llm', 'what is @photo.png'), {
      env,
      cwd,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `model "local-llm" at ${fake().url} does not accept images (400: Invalid content type. image_url is only supported by certain models). Pick a vision model with --model (or /model), or send the message without the image.`,
    );
    expect(posts()).toHaveLength(1);
  });
});
