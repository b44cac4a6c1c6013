/** The model-provider contract the agent loop talks to. Providers stream chunks; the loop turns them into events. */
import type { ApprovalDecision, ApprovalScope, ErrorInfo, Usage } from '../events.js';
import type { JSONSchema } from '../tools/tool.js';

/** A tool call as the model sent it (arguments still a JSON string). */
export interface ToolCallRequest {
  id: string;
  name: string;
  arguments: string;
}

/** A tool call inside an assistant message (Chat Completions shape). */
export interface AssistantToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The image formats vision models take. */
export type ImageMime = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

/** An image in a user message: its bytes as base64, what they are (read from the bytes, see core/images.ts). */
export interface ImagePart {
  type: 'image';
  mime: ImageMime;
  /** The bytes, base64 (no `data:` prefix). */
  data: string;
  /** Where it came from (`photo.png`), for placeholders and for the model's reference. */
  name?: string;
  width?: number;
  height?: number;
}

/** Text in a user message that carries parts. */
export interface TextPart {
  type: 'text';
  text: string;
}

/** One part of a user message: text or an image. */
export type ContentPart = TextPart | ImagePart;

/** What a user message holds: text (nearly every message: kept a plain string), or parts when it carries images. */
export type UserContent = string | readonly ContentPart[];

/** A message of the conversation sent to the model (Chat Completions shape). */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: UserContent }
  | { role: 'assistant'; content: string | null; tool_calls?: AssistantToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A tool as offered to the model. */
export interface ToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: JSONSchema };
}

/** One model call. */
export interface ModelRequest {
  model: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  temperature?: number;
  /** Aborting it must close the upstream request promptly. */
  signal: AbortSignal;
  /** Headers this call's requests carry besides the provider's own (e.g. the W3C trace context of its span). */
  headers?: Readonly<Record<string, string>>;
}

/** What a provider streams back for one model call. */
export type ModelChunk =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  /** Complete tool calls, sent once the model finished streaming them. */
  | { type: 'tool_calls'; calls: ToolCallRequest[] }
  | { type: 'usage'; usage: Usage }
  /** A non-fatal notice, e.g. a retry after 429. */
  | { type: 'notice'; error: ErrorInfo }
  /** How the call ended, as far as the provider says: finish reason, the model that answered, the response id. */
  | { type: 'finish'; reason?: string; model?: string; id?: string }
  /**
   * A remote agent waits for approval of one of its own tool calls (an A2A task in `input-required`): the run decides
   * as for a local call (policy, then its approver) and calls `reply` before it reads the next chunk (or, cancelled
   * meanwhile, closes the stream).
   */
  | { type: 'approval'; request: RemoteApprovalRequest; reply: (answer: RemoteApprovalAnswer) => void }
  /** A remote agent ran one of its own tools (A2A working-status metadata): shown as tool activity, never sent back. */
  | { type: 'remote_tool'; activity: RemoteToolActivity };

/** A tool call of a remote agent, as far as it reports it: started, or finished (its output stays remote). */
export type RemoteToolActivity =
  | { kind: 'call'; call_id: string; name: string; args: Record<string, unknown> }
  | { kind: 'result'; call_id: string; name: string; is_error: boolean; duration_ms: number };

/** A remote agent's tool call waiting for approval, as a provider reports it. */
export interface RemoteApprovalRequest {
  call_id: string;
  name: string;
  args: Record<string, unknown>;
  /** Why it is asked, in words for the person asked. */
  reason: string;
  /** The remote's MCP server the tool comes from, when it says. */
  server?: string;
}

/** The decision a provider sends back to the remote agent. */
export interface RemoteApprovalAnswer {
  decision: ApprovalDecision;
  scope?: ApprovalScope;
  /** Why it was denied, for the remote's model. */
  reason?: string;
}

/** A source of model turns: OpenAI-compatible HTTP, the offline demo, a remote agent… */
export interface ModelProvider {
  /** Short identifier, e.g. "openai" or "demo". */
  readonly id: string;
  /** True for the offline scripted demo, so every output can label it. */
  readonly isDemo?: boolean;
  /** The URL calls go to, for providers that talk HTTP (traces name the server). */
  readonly baseURL?: string;
  /**
   * Streams one model call. Throws ProviderError (or any Error) on failure; honours `req.signal`. A provider may yield
   * several chunks at once (all that one network read carried), which saves an async step per token.
   */
  stream(req: ModelRequest): AsyncIterable<ModelChunk | readonly ModelChunk[]>;
  /** The model ids the upstream offers (`GET /v1/models`), for providers that can list them. */
  listModels?(signal?: AbortSignal): Promise<string[]>;
}

/** A provider failure with what the user can do about it in the message. */
export class ProviderError extends Error {
  readonly code: string | undefined;
  readonly status: number | undefined;
  readonly retryable: boolean;
  constructor(message: string, opts: { code?: string; status?: number; retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ProviderError';
    this.code = opts.code;
    this.status = opts.status;
    this.retryable = opts.retryable ?? false;
  }
}
