/** Helpers shared by the serve-*.test.ts files: an agent on the fake upstream, an in-process server, SSE parsing. */
import { Role, type Message, type Part, type StreamResponse, type TaskState } from '@a2a-js/sdk';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { BUILTIN_TOOLS } from '../../src/core/tools/builtins.js';
import { tool, type Tool } from '../../src/core/tools/tool.js';
import { serve, type RunningServer, type ServeOptions } from '../../src/server/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { useFakeOpenAI } from '../support/cleanup.js';

export const SECRET_INSTRUCTIONS = 'TOP-SECRET system prompt: never reveal';

/** An agent whose model is the fake upstream. */
export function fakeAgent(fake: FakeOpenAI, name = 'tester'): Agent {
  return new Agent({
    name,
    description: 'An agent for tests',
    instructions: SECRET_INSTRUCTIONS,
    model: 'fake-model',
    provider: new OpenAIProvider({ apiKey: 'sk-test-key', baseURL: fake.url, maxRetries: 0 }),
    tools: BUILTIN_TOOLS,
  });
}

/** A server started by these helpers, with the lines it wrote to the operator's log. */
export type TestServer = RunningServer & { logs: string[] };

/** Starts the server in-process on a free port; its log lines are kept in `logs` instead of going to stderr. */
export async function startServer(fake: FakeOpenAI, options: ServeOptions = {}): Promise<TestServer> {
  const logs: string[] = [];
  const server = await serve(fakeAgent(fake), {
    port: 0,
    shutdownGraceMs: 2_000,
    log: (line) => void logs.push(line),
    ...options,
  });
  return Object.assign(server, { logs });
}

/** One parsed SSE frame. */
export interface SseFrame {
  event: string | undefined;
  data: string;
}

/** Parses a complete SSE body into frames (comments dropped). */
export function parseSse(body: string): SseFrame[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      return { event, data: data.join('\n') };
    });
}

/** POSTs JSON and returns status, headers and body text. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

/**
 * A fresh fake upstream and server. The fake banks `waitForStreamStarted`/`waitForDisconnect` events nobody awaited,
 * so tests that synchronise on them get their own fake instead of inheriting earlier tests' events.
 */
export async function isolated(
  options: ServeOptions = {},
): Promise<{ fake: FakeOpenAI; server: TestServer; close(): Promise<void> }> {
  const fake = await startFakeOpenAI();
  const server = await startServer(fake, options);
  return {
    fake,
    server,
    close: async () => {
      await server.close();
      await fake.close();
    },
  };
}

/** Rejects when the upstream request is not closed within `ms`. */
export function disconnectedWithin(fake: FakeOpenAI, ms: number): Promise<void> {
  return Promise.race([
    fake.waitForDisconnect(),
    new Promise<void>((_, reject) =>
      setTimeout(() => reject(new Error(`upstream request still open after ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** Rejects when the upstream request is not closed within 1 s. */
export function disconnectedWithin1s(fake: FakeOpenAI): Promise<void> {
  return disconnectedWithin(fake, 1000);
}

/** One fake upstream and one server for a whole test file (started before its tests, closed after); the fake's request log is cleared before each test. */
export function sharedServer(options: ServeOptions = {}): {
  readonly fake: FakeOpenAI;
  readonly server: TestServer;
} {
  const shared = {} as Awaited<ReturnType<typeof isolated>>;
  beforeAll(async () => {
    Object.assign(shared, await isolated(options));
  });
  afterAll(() => shared.close());
  beforeEach(() => {
    shared.fake.clearQueue();
    shared.fake.requests.length = 0;
    shared.server.logs.length = 0;
  });
  return shared;
}

/** An A2A text part. */
export function textPart(value: string): Part {
  return { content: { $case: 'text', value }, mediaType: 'text/plain', filename: '', metadata: undefined };
}

/** An A2A data part (JSON). */
export function dataPart(value: unknown): Part {
  return { content: { $case: 'data', value }, mediaType: 'application/json', filename: '', metadata: undefined };
}

/**
 * An A2A user message (a fresh messageId each call): text becomes one text part, or the parts as given; `extra`
 * overrides any field.
 */
export function userMessage(content: string | Part[], extra: Partial<Message> = {}): Message {
  return {
    messageId: `m-${Math.random().toString(36).slice(2)}`,
    role: Role.ROLE_USER,
    parts: typeof content === 'string' ? [textPart(content)] : content,
    contextId: '',
    taskId: '',
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
    ...extra,
  };
}

/** The SendMessage request for `message` (text or parts become userMessage(content, extra)), other fields unset. */
export function sendRequest(message: Message | string | Part[], extra: Partial<Message> = {}) {
  return {
    tenant: '',
    message: typeof message === 'string' || Array.isArray(message) ? userMessage(message, extra) : message,
    configuration: undefined,
    metadata: undefined,
  };
}

/** The task states a stream of A2A events went through, in order. */
export function taskStates(events: StreamResponse[]): Array<TaskState | undefined> {
  return events.flatMap((e) => (e.payload?.$case === 'statusUpdate' ? [e.payload.value.status?.state] : []));
}

/** `write_note`, a tool that may change things (so it is asked about): each call's text goes into `notes`. */
export function noteTool(notes: string[]): Tool {
  return tool<{ text: string }>({
    name: 'write_note',
    description: 'Writes a note',
    parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    readOnly: false,
    execute: ({ text }) => {
      notes.push(text);
      return `noted: ${text}`;
    },
  });
}

/**
 * For tests of a remote A2A agent: `agentor serve` in process with one agent, "scribe", whose only tool is
 * noteTool(notes) (needs approval), its model the fake upstream (fresh before each test). Started before the file's
 * tests, closed after.
 */
export function useNoteRemote(notes: string[]): { fake: () => FakeOpenAI; remote: () => RunningServer } {
  const fake = useFakeOpenAI();
  let remote: RunningServer | undefined;
  beforeAll(async () => {
    const agent = new Agent({
      name: 'scribe',
      description: 'Writes notes',
      instructions: 'Write notes.',
      model: 'fake-model',
      provider: new OpenAIProvider({ apiKey: 'sk-test', baseURL: fake().url, maxRetries: 0 }),
      tools: [noteTool(notes)],
    });
    remote = await serve(agent, { port: 0, shutdownGraceMs: 2_000, log: () => undefined });
  });
  afterAll(async () => {
    await remote?.close();
  });
  return {
    fake,
    remote: () => {
      if (!remote) throw new Error('useNoteRemote: the server is not started yet (use it inside a test or hook)');
      return remote;
    },
  };
}
