/**
 * Compaction: a conversation too long for the model's context window (or one the user compacts with `/compact`) is
 * replaced by a model-written summary plus its last turns. This module asks the model for the summary, decides where
 * the kept part starts, and wraps a provider so that a request the upstream rejects for context length is compacted
 * and sent once more, inside the same run.
 */
import type { ErrorInfo } from '../events.js';
import { contentText } from '../providers/messages.js';
import type { ChatMessage, ModelChunk, ModelProvider, ModelRequest } from '../providers/types.js';
import type { Conversation } from '../run.js';

/** The instructions of the summary request. */
export const COMPACT_INSTRUCTIONS =
  'You compact a conversation between a user and an AI assistant so that it can continue within a limited context ' +
  'window. Write a summary the assistant can continue from without the original messages: what the user wants and ' +
  'asked for, decisions and conclusions, facts, names, numbers, file paths, commands and code that still matter, ' +
  'what tools returned that still matters, and what was being worked on last and what is still open. Be concise and ' +
  'specific; use the language of the conversation. Write only the summary.';

/** The longest tool result (characters) shown to the summary request; longer ones are cut in the middle. */
const TOOL_RESULT_CHARS = 2_000;

const CONTEXT_PATTERNS = [
  /context[_ ]length/i,
  /context window/i,
  /maximum context/i,
  /prompt is too long/i,
  /too many (input )?tokens/i,
  /reduce the length of the messages/i,
  /exceeds? the (model'?s? )?(maximum|max) (context|input|prompt)/i,
];

/** True when a failure says the request did not fit the model's context window. */
export function isContextLengthError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null | undefined;
  if (!e) return false;
  if (e.code === 'context_length_exceeded' || e.code === 'context_window_exceeded') return true;
  return typeof e.message === 'string' && CONTEXT_PATTERNS.some((p) => p.test(e.message as string));
}

/**
 * How many trailing messages a compaction keeps: the last `turns` exchanges (each from a user message on, so a tool
 * call is never kept without its result), fewer when that would leave nothing to summarise.
 */
export function keptMessages(history: readonly ChatMessage[], turns: number): number {
  const starts: number[] = [];
  for (let i = 0; i < history.length; i++) if ((history[i] as ChatMessage).role === 'user') starts.push(i);
  for (let t = Math.min(turns, starts.length); t > 0; t--) {
    const from = starts[starts.length - t] as number;
    if (from > 0) return history.length - from;
  }
  return 0;
}

/** The conversation as plain text for the summary request (works with every chat template and no tool schemas). */
export function transcriptText(messages: readonly ChatMessage[]): string {
  const parts: string[] = [];
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        parts.push(`[system]\n${m.content}`);
        break;
      case 'user':
        parts.push(`[user]\n${contentText(m.content)}`);
        break;
      case 'assistant': {
        const calls = (m.tool_calls ?? []).map((c) => `(called ${c.function.name} ${c.function.arguments})`);
        parts.push(`[assistant]\n${[m.content ?? '', ...calls].filter(Boolean).join('\n')}`);
        break;
      }
      case 'tool':
        parts.push(`[tool result]\n${middleCut(m.content, TOOL_RESULT_CHARS)}`);
        break;
    }
  }
  return parts.join('\n\n');
}

function middleCut(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)}\n[… ${text.length - max} characters left out …]\n${text.slice(-half)}`;
}

/** Options of a summary request. */
export interface SummaryRequest {
  provider: ModelProvider;
  model: string;
  messages: readonly ChatMessage[];
  signal: AbortSignal;
}

/**
 * Asks the model for a summary of `messages`. When even that request is too long, the oldest part is left out (the
 * summary says so) and it is asked again, up to three times.
 */
export async function summarize(req: SummaryRequest): Promise<string> {
  let text = transcriptText(req.messages);
  for (let attempt = 0; ; attempt++) {
    try {
      return await collectText(
        req.provider.stream({
          model: req.model,
          messages: [
            { role: 'system', content: COMPACT_INSTRUCTIONS },
            { role: 'user', content: `The conversation to summarise:\n\n${text}` },
          ],
          tools: [],
          signal: req.signal,
        }),
      );
    } catch (e) {
      if (attempt >= 2 || req.signal.aborted || !isContextLengthError(e)) throw e;
      const cut = text.indexOf('\n\n[', Math.floor(text.length / 2));
      text = `[… the earliest part of the conversation was left out …]${cut === -1 ? text.slice(Math.floor(text.length / 2)) : text.slice(cut)}`;
    }
  }
}

async function collectText(stream: AsyncIterable<ModelChunk | readonly ModelChunk[]>): Promise<string> {
  let text = '';
  for await (const item of stream) {
    for (const chunk of Array.isArray(item) ? (item as readonly ModelChunk[]) : [item as ModelChunk]) {
      if (chunk.type === 'text') text += chunk.text;
    }
  }
  text = text.trim();
  if (!text) throw new Error('the model returned an empty summary');
  return text;
}

const isContent = (chunk: ModelChunk): boolean => chunk.type !== 'notice';

/** What the compacting provider needs from its session. */
export interface CompactingOptions {
  /** The conversation the run continues. */
  conversation: Conversation;
  /** Its length when the run started (the run sends those messages first, after the system prompt). */
  snapshot: number;
  /** Whether the run sends a system prompt before them. */
  system: boolean;
  /**
   * Compacts the conversation keeping its last `turns` exchanges; resolves with a notice for the run, or undefined
   * when there was nothing to compact.
   */
  compact(turns: number, model: string, signal: AbortSignal): Promise<ErrorInfo | undefined>;
}

/**
 * Wraps a provider so that a request rejected for context length, before anything was streamed, is compacted and sent
 * again (keeping the last exchange, then nothing but the summary). Later requests of the same run carry the compacted
 * conversation too. The compaction's notice reaches the run as a notice chunk (an `error` event).
 */
export function compactingProvider(inner: ModelProvider, opts: CompactingOptions): ModelProvider {
  const rewrite = (messages: ChatMessage[]): ChatMessage[] => {
    const head = opts.system ? 1 : 0;
    return [...messages.slice(0, head), ...opts.conversation.messages, ...messages.slice(head + opts.snapshot)];
  };
  let compacted = false;
  const wrapped: ModelProvider = {
    id: inner.id,
    ...(inner.isDemo ? { isDemo: true } : {}),
    async *stream(req: ModelRequest): AsyncGenerator<ModelChunk | readonly ModelChunk[]> {
      let request = compacted ? { ...req, messages: rewrite(req.messages) } : req;
      for (let attempt = 0; ; attempt++) {
        let streamed = false;
        try {
          for await (const item of inner.stream(request)) {
            // A notice (a retry announced) is not part of the answer: a rejection after it can still be retried.
            if (!streamed) streamed = Array.isArray(item) ? item.some(isContent) : isContent(item as ModelChunk);
            yield item;
          }
          return;
        } catch (e) {
          if (streamed || attempt >= 2 || req.signal.aborted || !isContextLengthError(e)) throw e;
          const notice = await opts.compact(attempt === 0 ? 1 : 0, req.model, req.signal);
          if (!notice) throw e;
          compacted = true;
          request = { ...req, messages: rewrite(req.messages) };
          yield { type: 'notice', error: notice };
        }
      }
    },
  };
  return wrapped;
}
