/**
 * `@photo.png` in the interactive chat, in a real terminal (node-pty + headless xterm, 80x24) on the built CLI against
 * the loopback fake upstream: Tab completes the name, the message shows the image's placeholder (never its bytes),
 * the upstream gets an image_url part; `/save` writes the placeholder; `chat -c` shows it in the resumed transcript
 * and sends the image again. Synchronised on screen content, never on sleeps.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cleanup.js';
import { cleanEnv } from '../support/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { pngBytes } from '../support/images.js';
import { startPty, type PtyTerminal } from './terminal.js';

let fake: FakeOpenAI;
const running: PtyTerminal[] = [];
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  for (const t of running) t.kill();
  await fake?.close();
});

const PLACEHOLDER = '[image photo.png · PNG 320×200 · 1 KB]';
/** The user messages of the n-th chat request, as sent. */
const userMessages = (n: number): unknown[] =>
  (fake.requests.filter((r) => r.method === 'POST')[n]?.body as { messages: Array<{ role: string }> }).messages.filter(
    (m) => m.role === 'user',
  );

describe('@image in a real terminal', () => {
  it('attaches with Tab, shows the placeholder, /save keeps it, chat -c shows it and sends the image again', async () => {
    const home = tempDir('agentor-pty-images-');
    const png = pngBytes(320, 200);
    writeFileSync(join(home, 'photo.png'), png);
    const env = cleanEnv({
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_STATE_HOME: join(home, 'state'),
      OPENAI_API_KEY: 'test',
    });
    const opts = { env, cols: 80, rows: 24, cwd: home };
    const image = { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } };

    const t = startPty(['chat', '--base-url', fake.url, '--model', 'gpt-4.1-mini'], opts);
    running.push(t);
    await t.waitFor('ctrl+c twice to exit');
    fake.enqueue({ text: ['A grey rectangle.'] });
    t.write('what is in @pho');
    t.write('\t');
    await t.waitFor('❯ what is in @photo.png');
    t.write('\r');
    await t.waitFor('A grey rectangle.');
    await t.waitFor(`attached ${PLACEHOLDER}`);
    expect(userMessages(0)).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'what is in @photo.png' }, image] },
    ]);
    t.write('/save chat.md\r');
    await t.waitFor('saved the transcript to');
    expect(readFileSync(join(home, 'chat.md'), 'utf8')).toContain(`what is in @photo.png\n${PLACEHOLDER}`);
    expect(t.text()).not.toContain(png.toString('base64').slice(0, 24));
    t.write('\x04');
    expect((await t.exit).exitCode).toBe(0);

    const again = startPty(['chat', '-c', '--base-url', fake.url, '--model', 'gpt-4.1-mini'], opts);
    running.push(again);
    await again.waitFor('── resumed ──');
    await again.waitFor(PLACEHOLDER);
    await again.waitFor('↑↓ history');
    fake.enqueue({ text: ['Still grey.'] });
    again.write('and now?\r');
    await again.waitFor('Still grey.');
    expect(userMessages(1)).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'what is in @photo.png' }, image] },
      { role: 'user', content: 'and now?' },
    ]);
    expect(again.text()).not.toContain(png.toString('base64').slice(0, 24));
    again.write('\x04');
    expect((await again.exit).exitCode).toBe(0);
    expect(readdirSync(join(home, 'state', 'agentor', 'sessions'))).toHaveLength(1);
  });
});
