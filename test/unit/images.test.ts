/**
 * Image attachments: what bytes are (magic bytes and header, never the name), the refusals, the message content a
 * run sends (text stays a plain string; images go as parts), the OpenAI wire shape, the text-only refusal, the demo's
 * answer, and what a session keeps and shows.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Conversation } from '../../src/core/agent.js';
import { parseAgentFile } from '../../src/core/agent-file.js';
import { attachMentions, noteText } from '../../src/core/file-mentions.js';
import { DemoProvider } from '../../src/core/providers/demo.js';
import {
  acceptsImages,
  IMAGE_MAX_BYTES,
  IMAGE_MAX_COUNT,
  imageLabel,
  imagePart,
  imagePartFromBase64,
  sniffImage,
} from '../../src/core/providers/images.js';
import { contentText, userContent } from '../../src/core/providers/messages.js';
import { wireMessages } from '../../src/core/providers/openai.js';
import type { ChatMessage, ImagePart } from '../../src/core/providers/types.js';
import { transcriptText } from '../../src/core/sessions/compact.js';
import { foldSession } from '../../src/core/sessions/fold.js';
import { MemorySessionStore } from '../../src/core/sessions/memory-store.js';
import { Session } from '../../src/core/sessions/session.js';
import { collect } from '../../src/core/stream.js';
import { tempDir } from '../support/cleanup.js';
import { agentOn, FakeProvider } from '../support/fake-provider.js';
import { gifBytes, jpegBytes, pngBytes, webpBytes, webpLosslessBytes } from '../support/images.js';

function part(bytes: Buffer, name: string): ImagePart {
  const made = imagePart(bytes, name);
  if ('error' in made) throw new Error(made.error);
  return made.part;
}

describe('sniffImage', () => {
  it('reads format and size from the header of PNG, JPEG, GIF and WebP (extended, lossless, lossy)', () => {
    expect(sniffImage(pngBytes(640, 480))).toEqual({
      kind: 'image',
      info: { mime: 'image/png', format: 'PNG', width: 640, height: 480 },
    });
    expect(sniffImage(jpegBytes(1920, 1080))).toMatchObject({
      info: { mime: 'image/jpeg', width: 1920, height: 1080 },
    });
    expect(sniffImage(gifBytes(32, 16))).toMatchObject({ info: { mime: 'image/gif', width: 32, height: 16 } });
    expect(sniffImage(webpBytes(4000, 3000))).toMatchObject({
      info: { mime: 'image/webp', width: 4000, height: 3000 },
    });
    expect(sniffImage(webpLosslessBytes(300, 200))).toMatchObject({
      info: { format: 'WebP', width: 300, height: 200 },
    });
    const lossy = Buffer.alloc(30);
    lossy.write('RIFF', 0, 'latin1');
    lossy.write('WEBPVP8 ', 8, 'latin1');
    lossy.set([0x9d, 0x01, 0x2a], 23);
    lossy.writeUInt16LE(512, 26);
    lossy.writeUInt16LE(256, 28);
    expect(sniffImage(lossy)).toMatchObject({ info: { width: 512, height: 256 } });
  });

  it('finds a JPEG frame header after other segments (EXIF before SOF2, a progressive JPEG)', () => {
    const exif = [0xff, 0xe1, 0x00, 0x08, 0x45, 0x78, 0x69, 0x66, 0x00, 0x00];
    const sof2 = [0xff, 0xc2, 0, 11, 8, 0x01, 0xe0, 0x02, 0x80, 1, 1, 0x11, 0];
    expect(sniffImage(Buffer.from([0xff, 0xd8, ...exif, ...sof2, 0xff, 0xd9]))).toMatchObject({
      info: { mime: 'image/jpeg', width: 640, height: 480 },
    });
  });

  it('says "damaged" for a known format whose header is cut short, "none" for other bytes', () => {
    expect(sniffImage(pngBytes(10, 10).subarray(0, 16))).toEqual({ kind: 'damaged', format: 'PNG' });
    expect(sniffImage(jpegBytes(10, 10).subarray(0, 12))).toEqual({ kind: 'damaged', format: 'JPEG' });
    expect(sniffImage(gifBytes(1, 1).subarray(0, 7))).toEqual({ kind: 'damaged', format: 'GIF' });
    expect(sniffImage(webpBytes(1, 1).subarray(0, 20))).toEqual({ kind: 'damaged', format: 'WebP' });
    expect(sniffImage(Buffer.from('hello, world\n'))).toEqual({ kind: 'none' });
    expect(sniffImage(Buffer.alloc(0))).toEqual({ kind: 'none' });
    expect(sniffImage(Buffer.from('BM\0\0\0\0'))).toEqual({ kind: 'none' }); // BMP: not a format models take
  });
});

describe('imagePart', () => {
  it('holds base64 bytes, the sniffed mime and size; the label never shows the bytes', () => {
    const bytes = pngBytes(64, 48);
    const p = part(bytes, 'shots/a.png');
    expect(p).toEqual({
      type: 'image',
      mime: 'image/png',
      data: bytes.toString('base64'),
      name: 'shots/a.png',
      width: 64,
      height: 48,
    });
    expect(imageLabel(p)).toBe('[image shots/a.png · PNG 64×48 · 1 KB]');
  });

  it('refuses over the cap (saying the cap), non-images and damaged headers', () => {
    expect(imagePart(pngBytes(8, 8), 'a.png', 10)).toEqual({
      error: 'it is 1 KB, over the 1 KB limit for an image',
      tooLarge: true,
    });
    expect(imagePartFromBase64(pngBytes(8, 8).toString('base64'), undefined, 10)).toMatchObject({ tooLarge: true });
    expect(imagePartFromBase64('not base64!', undefined)).toEqual({ error: 'it is not valid base64' });
    expect(imagePart(Buffer.from('text'), 'a.png')).toEqual({
      error: 'it is not a PNG, JPEG, GIF or WebP image (its bytes say otherwise)',
    });
    expect(imagePart(pngBytes(8, 8).subarray(0, 20), 'a.png')).toEqual({
      error: 'it starts like a PNG image but its header is damaged or cut short',
    });
  });
});

describe('@image mentions', () => {
  it('attaches an image as a part (not text), with a placeholder note; the prompt keeps only the text', () => {
    const dir = tempDir('agentor-images-');
    writeFileSync(join(dir, 'photo.png'), pngBytes(640, 480));
    writeFileSync(join(dir, 'notes.md'), 'hello\n');
    const out = attachMentions('compare @photo.png with @notes.md', dir);
    expect(out.images).toHaveLength(1);
    expect(out.images[0]).toMatchObject({ mime: 'image/png', name: 'photo.png', width: 640, height: 480 });
    expect(out.notes.map(noteText)).toEqual([
      'attached [image photo.png · PNG 640×480 · 2 KB]',
      'attached notes.md (1 line)',
    ]);
    expect(out.prompt).not.toContain(out.images[0]?.data);
    expect(out.prompt).toContain('<file path="notes.md">');
  });

  it('goes by the bytes: a JPEG named .png is image/jpeg; a .png that is text, damaged or too large is refused', () => {
    const dir = tempDir('agentor-images-');
    writeFileSync(join(dir, 'really-a-jpeg.png'), jpegBytes(800, 600));
    writeFileSync(join(dir, 'fake.png'), 'I am text\n');
    writeFileSync(join(dir, 'cut.png'), pngBytes(10, 10).subarray(0, 14));
    writeFileSync(join(dir, 'huge.png'), Buffer.concat([pngBytes(2, 2), Buffer.alloc(IMAGE_MAX_BYTES)]));
    const out = attachMentions('@really-a-jpeg.png @fake.png @cut.png @huge.png', dir);
    expect(out.images.map((i) => i.mime)).toEqual(['image/jpeg']);
    expect(out.notes.map(noteText)).toEqual([
      'attached [image really-a-jpeg.png · JPEG 800×600 · 1 KB]',
      'not attached: fake.png — it is named like an image but is not a PNG, JPEG, GIF or WebP image',
      'not attached: cut.png — it starts like a PNG image but its header is damaged or cut short',
      'not attached: huge.png — it is 5.0 MB, over the 5.0 MB limit for an image: send a smaller copy',
    ]);
  });

  it(`takes at most ${IMAGE_MAX_COUNT} images in one message`, () => {
    const dir = tempDir('agentor-images-');
    const names = Array.from({ length: IMAGE_MAX_COUNT + 1 }, (_, i) => `i${i}.gif`);
    for (const n of names) writeFileSync(join(dir, n), gifBytes(1, 1));
    const out = attachMentions(names.map((n) => `@${n}`).join(' '), dir);
    expect(out.images).toHaveLength(IMAGE_MAX_COUNT);
    expect(noteText(out.notes.at(-1)!)).toBe(
      `not attached: i${IMAGE_MAX_COUNT}.gif — a message carries at most ${IMAGE_MAX_COUNT} images`,
    );
  });
});

describe('message content', () => {
  const img = part(pngBytes(4, 3), 'a.png');

  it('stays a plain string without images; text + image parts with them; shown as text with placeholders', () => {
    expect(userContent('hi', [])).toBe('hi');
    expect(userContent('what is this?', [img])).toEqual([{ type: 'text', text: 'what is this?' }, img]);
    expect(contentText(userContent('what is this?', [img]))).toBe('what is this?\n[image a.png · PNG 4×3 · 1 KB]');
    expect(contentText('plain')).toBe('plain');
  });

  it('goes to Chat Completions as image_url data URLs; text-only message lists are passed as they are', () => {
    const plain: ChatMessage[] = [{ role: 'user', content: 'hi' }];
    expect(wireMessages(plain)).toBe(plain);
    expect(
      wireMessages([
        { role: 'system', content: 's' },
        { role: 'user', content: userContent('look', [img]) },
      ]),
    ).toEqual([
      { role: 'system', content: 's' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${img.data}` } },
        ],
      },
    ]);
  });

  it("an agent file's vision: true|false is read; anything else is an error naming the field", () => {
    expect(parseAgentFile('---\nname: v\nvision: false\n---\n').vision).toBe(false);
    expect(parseAgentFile('---\nname: v\nvision: true\n---\n').vision).toBe(true);
    expect(() => parseAgentFile('---\nname: v\nvision: maybe\n---\n', 'v.md')).toThrow(/vision.*must be true or false/);
  });

  it('knows a few text-only models (router prefixes ignored) and nothing of the rest', () => {
    expect(acceptsImages('gpt-3.5-turbo')).toBe(false);
    expect(acceptsImages('deepseek/deepseek-chat')).toBe(false);
    expect(acceptsImages('o3-mini')).toBe(false);
    expect(acceptsImages('gpt-4o-mini')).toBeUndefined();
    expect(acceptsImages('gpt-4.1-mini')).toBeUndefined();
    expect(acceptsImages('llava:13b')).toBeUndefined();
  });
});

describe('runs with images', () => {
  const img = part(pngBytes(640, 480), 'photo.png');
  const input = [{ role: 'user' as const, content: userContent('what is in it?', [img]) }];

  it('sends the image parts to the model; run_start shows the placeholder, not the bytes', async () => {
    const model = new FakeProvider({ text: 'a gradient' });
    const events = await collect(agentOn(model).streamChat(input));
    expect(model.calls[0]?.messages.at(-1)).toEqual({ role: 'user', content: input[0]?.content });
    const start = events[0];
    expect(start?.type === 'run_start' && start.input).toBe('what is in it?\n[image photo.png · PNG 640×480 · 2 KB]');
    expect(JSON.stringify(events)).not.toContain(img.data.slice(0, 40));
  });

  it('a model known to be text-only (or vision: false) is never called; the run fails saying so', async () => {
    for (const extra of [{ model: 'gpt-3.5-turbo' }, { model: 'llava', vision: false }]) {
      const model = new FakeProvider({ text: 'never' });
      const conversation = new Conversation();
      const events = await collect(agentOn(model, extra).streamChat(input, { conversation }));
      const end = events.at(-1);
      expect(end?.type === 'run_end' && end.status).toBe('failed');
      expect(end?.type === 'run_end' && end.error).toMatchObject({
        code: 'images_not_supported',
        message: expect.stringContaining(
          'does not accept images, so [image photo.png · PNG 640×480 · 2 KB] was not sent',
        ),
      });
      expect(model.calls).toHaveLength(0);
      // The next message is not refused again for an image it does not carry.
      expect(conversation.messages).toEqual([
        { role: 'user', content: 'what is in it?\n[image photo.png · PNG 640×480 · 2 KB]' },
      ]);
    }
  });

  it('a conversation with images that goes on with a text-only model sends them as placeholders', async () => {
    const conversation = new Conversation();
    await collect(agentOn(new FakeProvider({ text: 'a gradient' })).streamChat(input, { conversation }));
    const model = new FakeProvider({ text: 'sure' });
    const events = await collect(agentOn(model).streamChat('and in words?', { conversation, model: 'gpt-3.5-turbo' }));
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed' });
    expect(model.calls[0]?.messages.filter((m) => m.role === 'user')).toEqual([
      { role: 'user', content: 'what is in it?\n[image photo.png · PNG 640×480 · 2 KB]' },
      { role: 'user', content: 'and in words?' },
    ]);
    // The conversation itself keeps the image, for a model that takes it.
    expect(conversation.messages[0]).toEqual({ role: 'user', content: input[0]?.content });
  });

  it('the demo model says what it got, from the header', async () => {
    const agent = agentOn(new FakeProvider(), { provider: new DemoProvider({ tokenDelayMs: 0 }), model: 'demo' });
    const result = await agent.chat(input);
    expect(result.text).toContain('I got an image: photo.png, PNG 640×480, 2 KB.');
    expect(result.events.some((e) => e.type === 'tool_call')).toBe(false);
  });

  it('a session keeps the image (resumed, it is sent again) and shows only its placeholder', async () => {
    const store = new MemorySessionStore();
    const session = await Session.create({ agents: [{ name: 'tester', model: 'fake-model' }], cwd: '/w' }, { store });
    await collect(agentOn(new FakeProvider({ text: 'a gradient' })).streamChat(input, { session }));
    await session.close();
    const loaded = await store.load(session.id);
    const folded = foldSession(loaded!.records);
    expect(folded.histories.get('tester')?.[0]).toEqual({ role: 'user', content: input[0]?.content });
    const user = loaded!.records.find((r) => r.type === 'user');
    expect(user?.type === 'user' && user.text).toBe('what is in it?\n[image photo.png · PNG 640×480 · 2 KB]');
    // A summary request carries the placeholder, not the bytes a second time.
    const summaryInput = transcriptText(folded.histories.get('tester') ?? []);
    expect(summaryInput).toContain('[image photo.png · PNG 640×480 · 2 KB]');
    expect(summaryInput).not.toContain(img.data.slice(0, 40));
  });
});
