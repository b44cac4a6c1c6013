/**
 * An in-memory model for tests of the agent loop: each model call plays the next scripted reply as an async generator
 * of ModelChunks — no HTTP, no SDK. Wire-level behaviour (SSE framing, retries, status codes) is what
 * fake-openai.ts is for; this one covers what the loop does with the chunks.
 */
import type { ErrorInfo, Usage } from '../../src/core/events.js';
import {
  ProviderError,
  type ChatMessage,
  type ModelChunk,
  type ModelProvider,
  type ModelRequest,
} from '../../src/core/providers/types.js';
import { EventLatch } from './latch.js';
import { Agent, type AgentOptions } from '../../src/core/agent.js';
import { BUILTIN_TOOLS } from '../../src/core/tools/builtins.js';

/** A tool call the fake model asks for; object arguments are JSON-encoded. */
export interface FakeCall {
  id?: string;
  name: string;
  arguments: string | Record<string, unknown>;
}

/** A scripted answer: notices, reasoning, text, then tool calls and usage. */
export interface FakeReply {
  text?: string | string[];
  reasoning?: string[];
  toolCalls?: FakeCall[];
  /** Reported usage (omitted: none, so the loop estimates it). */
  usage?: Usage;
  /** Non-fatal notices sent before the answer (retries and the like). */
  notices?: ErrorInfo[];
  /** Deliver the text chunks as one batch, the way a provider hands over a whole network read. */
  batch?: boolean;
}

/** A scripted failure mode. */
export type FakeFault =
  /** Streams `text`, then waits until the request is aborted (or `release()` finishes it normally). */
  | { fault: 'hang'; text?: string[] }
  /** Streams `text`, then fails the call the way a dropped connection does. */
  | { fault: 'drop'; text?: string[] }
  /** Fails before the first chunk. */
  | { fault: 'error'; error: Error };

/** One scripted model call: an answer, a fault, or a generator of its own. */
export type FakeTurn =
  FakeReply | FakeFault | ((req: ModelRequest) => AsyncIterable<ModelChunk | readonly ModelChunk[]>);

/** What a model call was given (the messages as they were at the time of the call). */
export interface RecordedCall {
  model: string;
  messages: ChatMessage[];
  tools: string[];
  temperature: number | undefined;
  signal: AbortSignal;
}

/** A scripted ModelProvider: one reply per call, in order; a call with nothing scripted fails loudly. */
export class FakeProvider implements ModelProvider {
  readonly id = 'fake';
  readonly calls: RecordedCall[] = [];
  /** Calls whose request signal was aborted while they were streaming. */
  aborts = 0;
  private readonly queue: FakeTurn[];
  private readonly started = new EventLatch();
  private readonly abortLatch = new EventLatch();
  private hanging = new Set<() => void>();

  constructor(...turns: FakeTurn[]) {
    this.queue = turns;
  }

  enqueue(...turns: FakeTurn[]): void {
    this.queue.push(...turns);
  }

  /** Resolves once a hanging reply has streamed its text (one call per event). */
  waitForHang(): Promise<void> {
    return this.started.wait();
  }

  /** Resolves when a call's request signal is aborted while it streams (one call per event). */
  waitForAbort(): Promise<void> {
    return this.abortLatch.wait();
  }

  /** Lets every hanging reply finish normally. */
  release(): void {
    const current = this.hanging;
    this.hanging = new Set();
    for (const finish of current) finish();
  }

  async *stream(req: ModelRequest): AsyncGenerator<ModelChunk | readonly ModelChunk[]> {
    this.calls.push({
      model: req.model,
      messages: structuredClone(req.messages),
      tools: req.tools.map((t) => t.function.name),
      temperature: req.temperature,
      signal: req.signal,
    });
    const turn = this.queue.shift();
    if (!turn) throw new Error(`FakeProvider: nothing scripted for model call ${this.calls.length}`);
    let streaming = true;
    const onAbort = (): void => {
      if (!streaming) return;
      this.aborts++;
      this.abortLatch.fire();
    };
    req.signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (typeof turn === 'function') yield* turn(req);
      else if ('fault' in turn) yield* this.fault(turn, req);
      else yield* reply(turn);
    } finally {
      streaming = false;
      req.signal.removeEventListener('abort', onAbort);
    }
  }

  private async *fault(turn: FakeFault, req: ModelRequest): AsyncGenerator<ModelChunk> {
    if (turn.fault === 'error') throw turn.error;
    for (const text of turn.text ?? []) yield { type: 'text', text };
    if (turn.fault === 'drop') {
      throw new ProviderError('the model stream ended before the model finished (connection dropped?)', {
        code: 'stream_incomplete',
        retryable: true,
      });
    }
    this.started.fire();
    await new Promise<void>((resolve, reject) => {
      if (req.signal.aborted) return reject(req.signal.reason);
      const finish = (): void => {
        req.signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.hanging.delete(finish);
        reject(req.signal.reason);
      };
      req.signal.addEventListener('abort', onAbort, { once: true });
      this.hanging.add(finish);
    });
  }
}

async function* reply(turn: FakeReply): AsyncGenerator<ModelChunk | ModelChunk[]> {
  for (const error of turn.notices ?? []) yield { type: 'notice', error };
  for (const text of turn.reasoning ?? []) yield { type: 'reasoning', text };
  const texts = typeof turn.text === 'string' ? [turn.text] : (turn.text ?? []);
  const chunks: ModelChunk[] = texts.map((text) => ({ type: 'text', text }));
  if (turn.batch) yield chunks;
  else yield* chunks;
  if (turn.toolCalls) {
    yield {
      type: 'tool_calls',
      calls: turn.toolCalls.map((c, i) => ({
        id: c.id ?? `call_${i}`,
        name: c.name,
        arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
      })),
    };
  }
  if (turn.usage) yield { type: 'usage', usage: turn.usage };
}

/** An agent 'tester' (instructions 'be brief', model 'fake-model', the built-in tools) answering through `model`. */
export function agentOn(model: FakeProvider, extra: Partial<AgentOptions> = {}): Agent {
  return new Agent({
    name: 'tester',
    instructions: 'be brief',
    model: 'fake-model',
    provider: model,
    tools: BUILTIN_TOOLS,
    ...extra,
  });
}
