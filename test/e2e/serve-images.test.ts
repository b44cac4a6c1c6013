/**
 * Images through serve: `/v1/chat/completions` `image_url` data URLs from the official `openai` client, and A2A file
 * parts from the official `@a2a-js/sdk` client and from `chat --a2a`'s provider, reach the model as image parts;
 * limits (format, size, count, URLs the server would have to fetch) are 4xx JSON / a rejected task.
 */
import { type Part, type Task, TaskState } from '@a2a-js/sdk';
import { ClientFactory } from '@a2a-js/sdk/client';
import OpenAI from 'openai';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { IMAGE_MAX_COUNT } from '../../src/core/providers/images.js';
import { userContent } from '../../src/core/providers/messages.js';
import { A2AProvider } from '../../src/core/providers/a2a.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { serve } from '../../src/server/index.js';
import { startFakeOpenAI } from '../support/fake-openai.js';
import { gifBytes, jpegBytes, pngBytes } from '../support/images.js';
import { sendRequest, sharedServer, textPart } from './serve-support.js';

// Room for a 5 MB image in a JSON body (the default --max-body is 1 MB).
const shared = sharedServer({ maxBodyBytes: 16 * 1024 * 1024 });
const client = (): OpenAI => new OpenAI({ apiKey: 'unused', baseURL: `${shared.server.url}/v1`, maxRetries: 0 });
const dataUrl = (mime: string, bytes: Buffer): string => `data:${mime};base64,${bytes.toString('base64')}`;
const upstreamUser = (n = 0): unknown =>
  (
    shared.fake.requests.filter((r) => r.path.endsWith('/chat/completions'))[n]?.body as { messages: unknown[] }
  ).messages.at(-1);

function filePart(bytes: Buffer, mediaType: string, filename: string): Part {
  return { content: { $case: 'raw', value: bytes }, mediaType, filename, metadata: undefined };
}

describe('/v1/chat/completions image parts (official openai client)', () => {
  it('passes image_url data URLs to the model, with the mime the bytes say', async () => {
    shared.fake.enqueue({ text: 'A small grey picture.' });
    const png = pngBytes(40, 30);
    const completion = await client().chat.completions.create({
      model: 'tester',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: dataUrl('image/png', png), detail: 'low' } },
            // Declared as PNG, the bytes are a JPEG: sent as what they are.
            { type: 'image_url', image_url: { url: dataUrl('image/png', jpegBytes(8, 8)) } },
          ],
        },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe('A small grey picture.');
    expect(upstreamUser()).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: dataUrl('image/png', png) } },
        { type: 'image_url', image_url: { url: dataUrl('image/jpeg', jpegBytes(8, 8)) } },
      ],
    });
  });

  it('refuses what it cannot pass on with a 4xx OpenAI error, before any model call', async () => {
    const send = (content: OpenAI.Chat.Completions.ChatCompletionContentPart[]) =>
      client()
        .chat.completions.create({ model: 'tester', messages: [{ role: 'user', content }] })
        .then(
          () => undefined,
          (e: InstanceType<typeof OpenAI.APIError>) => ({ status: e.status, code: e.code, message: e.message }),
        );
    const image = (url: string) => ({ type: 'image_url' as const, image_url: { url } });
    expect(await send([image('https://example.invalid/cat.png')])).toMatchObject({
      status: 400,
      code: 'invalid_request',
      message: expect.stringContaining('only data:<mime>;base64,… image URLs are accepted'),
    });
    expect(await send([image(dataUrl('image/png', Buffer.from('not an image')))])).toMatchObject({
      status: 400,
      code: 'invalid_image',
      message: expect.stringContaining('messages[0].content[0]: it is not a PNG, JPEG, GIF or WebP image'),
    });
    const huge = Buffer.concat([pngBytes(2, 2), Buffer.alloc(5 * 1024 * 1024)]);
    expect(await send([image(dataUrl('image/png', huge))])).toMatchObject({
      status: 413,
      code: 'image_too_large',
      message: expect.stringContaining('over the 5.0 MB limit for an image'),
    });
    const many = Array.from({ length: IMAGE_MAX_COUNT + 1 }, () => image(dataUrl('image/gif', gifBytes(1, 1))));
    expect(await send(many)).toMatchObject({ status: 400, code: 'too_many_images' });
    expect(shared.fake.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(0);
  });
});

describe('an agent whose model takes no images', () => {
  it('/v1 answers 400 images_not_supported (an error frame when streaming); the upstream is never called', async () => {
    const fake = await startFakeOpenAI();
    onTestFinished(() => fake.close());
    const agent = new Agent({
      name: 'coder',
      model: 'gpt-3.5-turbo',
      provider: new OpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0 }),
    });
    const server = await serve(agent, { port: 0, log: () => undefined });
    onTestFinished(() => server.close());
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is it?' },
          { type: 'image_url', image_url: { url: dataUrl('image/gif', gifBytes(2, 2)) } },
        ],
      },
    ];
    const refused = {
      status: 400,
      code: 'images_not_supported',
      message: "400 this agent's model does not accept images: send the message without them",
    };
    await expect(openai.chat.completions.create({ model: 'coder', messages })).rejects.toMatchObject(refused);
    const stream = await openai.chat.completions.create({ model: 'coder', messages, stream: true });
    await expect(
      (async () => {
        for await (const chunk of stream) void chunk;
      })(),
    ).rejects.toMatchObject({ code: 'images_not_supported' });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('A2A file parts', () => {
  it('the official client sends an image file part: the model gets it as an image part', async () => {
    shared.fake.enqueue({ text: 'A tiny GIF.' });
    const a2a = await new ClientFactory().createFromUrl(shared.server.url);
    const gif = gifBytes(16, 9);
    const task = (await a2a.sendMessage(
      sendRequest([textPart('Describe it'), filePart(gif, 'image/gif', 'anim.gif')]),
    )) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(upstreamUser()).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Describe it' },
        { type: 'image_url', image_url: { url: dataUrl('image/gif', gif) } },
      ],
    });
  });

  it('an image file part whose bytes are no image rejects the task, saying why', async () => {
    const a2a = await new ClientFactory().createFromUrl(shared.server.url);
    const task = (await a2a.sendMessage(
      sendRequest([textPart('Describe it'), filePart(Buffer.from('hello'), 'image/png', 'x.png')]),
    )) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_REJECTED);
    const parts = task.status?.message?.parts ?? [];
    expect(parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('')).toBe(
      'file part x.png: it is not a PNG, JPEG, GIF or WebP image (its bytes say otherwise)',
    );
    expect(shared.fake.requests).toHaveLength(0);
  });

  it('chat --a2a (the A2A provider) sends the image as a file part, which reaches the remote model', async () => {
    shared.fake.enqueue({ text: 'Seen.' });
    const png = pngBytes(12, 8);
    const local = new Agent({ name: 'local', model: 'remote', provider: new A2AProvider({ url: shared.server.url }) });
    const [image] = [
      { type: 'image' as const, mime: 'image/png' as const, data: png.toString('base64'), name: 'p.png' },
    ];
    const result = await local.chat([{ role: 'user', content: userContent('what is p.png?', [image]) }]);
    expect(result.status).toBe('completed');
    expect(result.text).toBe('Seen.');
    expect(upstreamUser()).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'what is p.png?' },
        { type: 'image_url', image_url: { url: dataUrl('image/png', png) } },
      ],
    });
  });
});
