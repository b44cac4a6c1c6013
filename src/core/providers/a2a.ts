/**
 * A remote A2A agent as a ModelProvider, so it runs through the same agent loop and reaches every output (plain,
 * NDJSON, Ink, serve). Uses `@a2a-js/sdk`'s client with the v0.3 compatibility layer switched on, so A2A 1.0 and 0.3
 * servers both work: the card comes from `/.well-known/agent-card.json` and picks the transport.
 *
 * Mapping: artifact chunks (and a direct reply message) → text; `working` status messages → reasoning; the remote's own
 * tool activity (agentor's working-status metadata `{agentor: {type: "tool_call"|"tool_result", callId, name, …}}`) →
 * `remote_tool` chunks, shown as tool calls marked remote; a failed,
 * rejected or remotely cancelled task → a ProviderError (run_end `failed`). `input-required` asking to approve a tool
 * call (agentor's data part `{type: "tool_approval_request", call_id, …}`) becomes an `approval` chunk: the run decides
 * as for a local call, and the decision goes back on the same task, whose stream then goes on. Any other
 * `input-required` ends the run normally with the agent's question, and the next run answers inside the same task.
 * Aborting the request signal closes the stream and cancels the remote task.
 */
import { randomUUID } from 'node:crypto';
import type {
  AgentCard,
  Message,
  Part,
  SendMessageRequest,
  StreamResponse,
  Task,
  TaskStatusUpdateEvent,
} from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { contentImages, contentTexts, lastUserText } from './messages.js';
import type {
  ModelChunk,
  ModelProvider,
  ModelRequest,
  RemoteApprovalAnswer,
  RemoteApprovalRequest,
  RemoteToolActivity,
} from './types.js';
import { ProviderError } from './types.js';

/** How to reach a remote agent. */
export interface A2AProviderOptions {
  /** The agent's base URL (the card is read from `<url>/.well-known/agent-card.json`) or the card's own URL (`….json`). */
  url: string;
  /** Extra HTTP headers for every request; `AGENTOR_A2A_TOKEN` adds `Authorization: Bearer …` when set. */
  headers?: Record<string, string>;
  /** Card download timeout in ms (default 15 s). */
  cardTimeoutMs?: number;
  /** How long to wait for the remote side to acknowledge a cancel (default 3 s). */
  cancelTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

// Numeric values of the SDK's TaskState enum (stable protobuf numbers); kept here so types-only imports suffice.
const STATE = {
  submitted: 1,
  working: 2,
  completed: 3,
  failed: 4,
  canceled: 5,
  inputRequired: 6,
  rejected: 7,
  authRequired: 8,
} as const;
const TERMINAL: ReadonlySet<number> = new Set([STATE.completed, STATE.failed, STATE.canceled, STATE.rejected]);
const ROLE_USER = 1;

function partsText(parts: readonly Part[] | undefined): string {
  let out = '';
  for (const p of parts ?? []) {
    const c = p.content;
    if (!c) continue;
    if (c.$case === 'text') out += c.value;
    else if (c.$case === 'data') out += `\n\`\`\`json\n${JSON.stringify(c.value, null, 2)}\n\`\`\`\n`;
    else if (c.$case === 'url') out += `[${p.filename || 'file'}](${c.value})`;
    else if (c.$case === 'raw') out += `[${p.filename || 'file'}: ${p.mediaType || 'binary'}, ${c.value.length} bytes]`;
  }
  return out;
}

/** The last user message as A2A parts: its text, then each image as a file part (raw bytes: base64 on the wire). */
function userParts(messages: ModelRequest['messages']): Part[] {
  const last = messages.findLast((m) => m.role === 'user');
  const images = last?.role === 'user' ? contentImages(last.content) : [];
  if (images.length === 0) return textParts(lastUserText(messages));
  const text = last?.role === 'user' ? contentTexts(last.content) : '';
  const files = images.map((i): Part => ({
    content: { $case: 'raw', value: Buffer.from(i.data, 'base64') },
    metadata: undefined,
    filename: i.name ?? '',
    mediaType: i.mime,
  }));
  return [...(text ? textParts(text) : []), ...files];
}

/** The user's text as the parts of a message. */
function textParts(value: string): Part[] {
  return [{ content: { $case: 'text', value }, metadata: undefined, filename: '', mediaType: 'text/plain' }];
}

/** A decision about a remote tool call as the data part agentor's A2A server reads (`{call_id, decision, …}`). */
function approvalPart(callId: string, answer: RemoteApprovalAnswer): Part {
  const value = {
    call_id: callId,
    decision: answer.decision,
    ...(answer.decision === 'allowed' && answer.scope === 'session' ? { scope: 'session' } : {}),
    ...(answer.decision === 'denied' && answer.reason ? { reason: answer.reason.slice(0, 2000) } : {}),
  };
  return { content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' };
}

/**
 * The tool call an `input-required` status asks to approve: agentor's data part `{type: "tool_approval_request",
 * call_id, name, args?, reason?, server?}`; undefined for any other question.
 */
function approvalRequest(parts: readonly Part[] | undefined): RemoteApprovalRequest | undefined {
  for (const p of parts ?? []) {
    if (p.content?.$case !== 'data') continue;
    const v: unknown = p.content.value;
    if (typeof v !== 'object' || v === null) continue;
    const d = v as Record<string, unknown>;
    if (d['type'] !== 'tool_approval_request' || typeof d['call_id'] !== 'string' || typeof d['name'] !== 'string')
      continue;
    const args = d['args'];
    const reason = typeof d['reason'] === 'string' && d['reason'] ? d['reason'] : 'it may change things';
    return {
      call_id: d['call_id'],
      name: d['name'],
      args: typeof args === 'object' && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : {},
      reason: `the remote agent asks before it runs "${d['name']}": ${reason}`,
      ...(typeof d['server'] === 'string' && d['server'] ? { server: d['server'] } : {}),
    };
  }
  return undefined;
}

/**
 * The remote's own tool activity a status update reports in its metadata (agentor's serve: `{agentor: {type:
 * "tool_call", callId, name, args}}` or `{…type: "tool_result", callId, name, isError, durationMs}`); undefined for
 * anything else. Remote text, so shapes are checked and sizes bounded.
 */
function remoteToolActivity(metadata: Record<string, unknown> | undefined): RemoteToolActivity | undefined {
  const m: unknown = metadata?.['agentor'];
  if (typeof m !== 'object' || m === null) return undefined;
  const d = m as Record<string, unknown>;
  const callId = d['callId'];
  const name = d['name'];
  if (typeof callId !== 'string' || !callId || callId.length > 256) return undefined;
  if (typeof name !== 'string' || !name || name.length > 256) return undefined;
  if (d['type'] === 'tool_call') {
    const args = d['args'];
    const plain = typeof args === 'object' && args !== null && !Array.isArray(args);
    return { kind: 'call', call_id: callId, name, args: plain ? (args as Record<string, unknown>) : {} };
  }
  if (d['type'] !== 'tool_result') return undefined;
  const ms = d['durationMs'];
  return {
    kind: 'result',
    call_id: callId,
    name,
    is_error: d['isError'] === true,
    duration_ms: typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : 0,
  };
}

/** A hint for authentication failures: the token comes from the environment, never from a flag. */
function authHint(message: string): string {
  return /\b401\b|\b403\b|unauthori[sz]ed|forbidden|bearer/i.test(message)
    ? ' — set AGENTOR_A2A_TOKEN to a bearer token the agent accepts'
    : '';
}

/** A remote A2A agent answering in place of a model. */
export class A2AProvider implements ModelProvider {
  readonly id = 'a2a';
  readonly url: string;
  private readonly opts: A2AProviderOptions;
  private clientPromise: Promise<{ client: Client; card: AgentCard }> | undefined;
  /** The remote conversation (A2A contextId) continued by follow-up runs of the same conversation. */
  private contextId: string | undefined;
  /** A task waiting for the user's answer (input-required). */
  private openTaskId: string | undefined;
  /** The last HTTP response was 401/403. */
  private refused = false;

  constructor(opts: A2AProviderOptions) {
    try {
      const u = new URL(opts.url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new ProviderError(`--a2a ${opts.url}: not an http(s) URL (e.g. http://127.0.0.1:8000)`, {
        code: 'invalid_url',
      });
    }
    this.url = opts.url;
    this.opts = opts;
  }

  /** Where calls go (traces name the server). */
  get baseURL(): string {
    return this.url;
  }

  /** The agent card (fetched once; a failed fetch is retried on the next call). */
  async card(): Promise<AgentCard> {
    return (await this.connect()).card;
  }

  /** What runs report as their `model`. */
  modelLabel(card?: AgentCard): string {
    return `a2a:${card?.name || new URL(this.url).host}`;
  }

  private headers(): Record<string, string> {
    const env = this.opts.env ?? process.env;
    const token = env['AGENTOR_A2A_TOKEN'];
    return { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(this.opts.headers ?? {}) };
  }

  private connect(): Promise<{ client: Client; card: AgentCard }> {
    this.clientPromise ??= (async () => {
      const sdk = await import('@a2a-js/sdk/client');
      const extra = this.headers();
      const fetchImpl: typeof fetch = (input, init) => {
        const headers = new Headers(init?.headers);
        for (const [k, v] of Object.entries(extra)) if (!headers.has(k)) headers.set(k, v);
        return fetch(input, { ...init, headers }).then((res) => {
          // The SDK does not always keep the HTTP status in its errors; remember refusals for a useful message.
          this.refused = res.status === 401 || res.status === 403;
          return res;
        });
      };
      const cardTimeout = this.opts.cardTimeoutMs ?? 15_000;
      const cardFetch: typeof fetch = (input, init) =>
        fetchImpl(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(cardTimeout) });
      const legacyCompat = { enabled: true };
      const factory = new sdk.ClientFactory(
        sdk.ClientFactoryOptions.createFrom(sdk.ClientFactoryOptions.default, {
          cardResolver: new sdk.DefaultAgentCardResolver({ legacyCompat, fetchImpl: cardFetch }),
          transports: [
            new sdk.JsonRpcTransportFactory({ legacyCompat, fetchImpl }),
            new sdk.RestTransportFactory({ legacyCompat, fetchImpl }),
          ],
        }),
      );
      const cardUrl = /\.json(?:[?#].*)?$/.test(this.url);
      try {
        const client = cardUrl ? await factory.createFromUrl(this.url, '') : await factory.createFromUrl(this.url);
        return { client, card: await client.getAgentCard() };
      } catch (e) {
        const cause =
          e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e);
        throw new ProviderError(
          `could not reach the A2A agent at ${this.url} (${cause}).${authHint(this.refused ? '401' : cause) || ' Check that it is running and that the URL is its base URL (the card is read from /.well-known/agent-card.json).'}`,
          { code: 'a2a_unreachable', retryable: true, cause: e },
        );
      }
    })();
    this.clientPromise.catch(() => {
      this.clientPromise = undefined;
    });
    return this.clientPromise;
  }

  async *stream(req: ModelRequest): AsyncGenerator<ModelChunk> {
    const { client } = await this.connect();
    // A conversation without earlier answers is a fresh one (first run, or after /clear): start a new remote context.
    if (!req.messages.some((m) => m.role === 'assistant')) {
      this.contextId = undefined;
      this.openTaskId = undefined;
    }
    let params = this.request(userParts(req.messages));
    this.openTaskId = undefined;
    const task = new TaskProgress();
    const answered = new Set<string>();
    try {
      // The call's own headers (its span's trace context) go out as A2A service parameters, which are HTTP headers.
      const options = { signal: req.signal, ...(req.headers ? { serviceParameters: { ...req.headers } } : {}) };
      // The question the message being sent answers, if it answers one.
      let answering: RemoteApprovalRequest | undefined;
      for (;;) {
        let heard = false;
        try {
          for await (const response of client.sendMessageStream(params, options) as AsyncGenerator<StreamResponse>) {
            heard = true;
            const chunks = task.read(response);
            if (task.contextId) this.contextId = task.contextId;
            yield* chunks;
          }
        } catch (e) {
          // An answer the remote no longer waits for (its approval timeout passed, so it denied the call and went on)
          // is refused: follow the task to its end instead of failing the run.
          const late = heard || req.signal.aborted ? undefined : answering;
          const rest = late && task.taskId ? await this.afterLateAnswer(client, task.taskId, late, options) : undefined;
          if (!late || !rest) throw e;
          yield {
            type: 'notice',
            error: {
              message: `the remote agent stopped waiting for approval of "${late.name}"; the call was denied`,
              code: 'a2a_approval_expired',
              retryable: false,
            },
          };
          for await (const response of rest) {
            const chunks = task.read(response);
            if (task.contextId) this.contextId = task.contextId;
            yield* chunks;
          }
        }
        answering = undefined;
        const question = task.approval;
        if (!question) break;
        if (answered.has(question.call_id))
          throw new ProviderError(
            `the A2A agent at ${this.url} asked again about tool call "${question.call_id}" after it was answered`,
            { code: 'a2a_approval_loop' },
          );
        answered.add(question.call_id);
        let answer: RemoteApprovalAnswer | undefined;
        yield {
          type: 'approval',
          request: question,
          reply: (a) => {
            answer ??= a;
          },
        };
        if (req.signal.aborted) return; // the remote task is cancelled below, not left open for the next message
        // Whoever read this stream did not decide (not an agent run): the call is not allowed.
        answer ??= { decision: 'denied', reason: 'nobody could be asked about it' };
        // The decision goes back into the same task, the A2A way: a data part naming the call.
        params = this.request([approvalPart(question.call_id, answer)], task.taskId);
        answering = question;
        task.resume();
      }
    } catch (e) {
      throw this.failure(e, req);
    } finally {
      // Ctrl+C, a timeout or a closed client: the remote side must stop working on it too.
      if (req.signal.aborted && task.taskId && !task.ended) await this.cancel(client, task.taskId);
    }
    const last = task.finish(this.url);
    if (last.inputRequired) this.openTaskId = task.taskId;
    if (last.text) yield { type: 'text', text: last.text };
  }

  /**
   * After an answer to `question` was refused: the task as it is now, then (still running) its stream to the end —
   * or undefined when it still waits for that very question (the refusal was about something else).
   */
  private async afterLateAnswer(
    client: Client,
    id: string,
    question: RemoteApprovalRequest,
    options: { signal: AbortSignal },
  ): Promise<Iterable<StreamResponse> | AsyncIterable<StreamResponse> | undefined> {
    const snapshot = async (): Promise<StreamResponse> => ({
      payload: { $case: 'task', value: await client.getTask({ tenant: '', id }, options) },
    });
    let first: StreamResponse;
    try {
      first = await snapshot();
    } catch {
      return undefined;
    }
    const status = first.payload?.$case === 'task' ? first.payload.value.status : undefined;
    const state: number | undefined = status?.state;
    if (state === STATE.inputRequired && approvalRequest(status?.message?.parts)?.call_id === question.call_id)
      return undefined;
    if (state !== undefined && (TERMINAL.has(state) || state === STATE.inputRequired)) return [first];
    return (async function* () {
      yield first;
      try {
        yield* client.resubscribeTask({ tenant: '', id }, options) as AsyncGenerator<StreamResponse>;
      } catch (e) {
        // It ended between the two requests: what it ended with.
        if (options.signal.aborted) throw e;
        yield await snapshot();
      }
    })();
  }

  /** A message to send: inside the remote conversation, and inside `taskId` or the open task when there is one. */
  private request(parts: Part[], taskId = this.openTaskId): SendMessageRequest {
    const message: Message = {
      messageId: randomUUID(),
      role: ROLE_USER,
      parts,
      contextId: this.contextId ?? '',
      taskId: taskId ?? '',
      extensions: [],
      metadata: undefined,
      referenceTaskIds: [],
    };
    return { tenant: '', message, configuration: undefined, metadata: undefined };
  }

  /** A failed stream as a ProviderError that says what to do; an abort passes through as itself. */
  private failure(e: unknown, req: ModelRequest): unknown {
    if (req.signal.aborted) return req.signal.reason ?? e;
    if (e instanceof ProviderError) return e;
    const message = (e as Error).message ?? String(e);
    return new ProviderError(
      `the A2A agent at ${this.url} failed: ${message}${authHint(this.refused ? '401' : message)}`,
      { code: 'a2a_error', retryable: false, cause: e },
    );
  }

  private async cancel(client: Client, id: string): Promise<void> {
    try {
      await client.cancelTask(
        { tenant: '', id, metadata: undefined },
        { signal: AbortSignal.timeout(this.opts.cancelTimeoutMs ?? 3000) },
      );
    } catch {
      // Already finished, not cancelable, or unreachable: the local run is cancelled either way.
    }
  }
}

/**
 * What one streamed A2A call has said so far, and the chunks each of its responses adds: text from a direct reply and
 * from artifacts, reasoning from `working` status messages.
 */
class TaskProgress {
  taskId: string | undefined;
  contextId: string | undefined;
  private state: number | undefined;
  private statusText = '';
  /** The tool call the task waits to have approved (input-required with agentor's approval data part). */
  approval: RemoteApprovalRequest | undefined;
  private emitted = false;
  private readonly artifacts = new Map<string, string>();
  private lastArtifact: string | undefined;

  /** True once the task reached a state it cannot leave (no remote work left to cancel). */
  get ended(): boolean {
    return this.state !== undefined && TERMINAL.has(this.state);
  }

  read(response: StreamResponse): ModelChunk[] {
    const p = response.payload;
    if (!p) return [];
    switch (p.$case) {
      case 'message':
        this.contextId = p.value.contextId || this.contextId;
        this.state = STATE.completed; // a direct reply: no task
        return this.text(partsText(p.value.parts));
      case 'task':
        return this.task(p.value);
      case 'statusUpdate':
        return this.statusUpdate(p.value);
      case 'artifactUpdate': {
        this.taskId = p.value.taskId || this.taskId;
        const a = p.value.artifact;
        return a ? this.text(this.artifactText(a.artifactId || 'artifact', partsText(a.parts), p.value.append)) : [];
      }
    }
  }

  /**
   * How the task ended: the last text to show for `completed` (a status-only answer) and `input-required` (the agent's
   * question, whose answer the next run sends into the same task); a ProviderError for every other end.
   */
  finish(url: string): { text: string; inputRequired: boolean } {
    const status = this.statusText;
    switch (this.state) {
      case STATE.completed:
        return { text: this.emitted ? '' : status, inputRequired: false };
      case STATE.inputRequired:
        return { text: status && this.emitted ? `\n\n${status}` : status, inputRequired: true };
      case STATE.failed:
      case STATE.rejected: {
        const rejected = this.state === STATE.rejected;
        throw new ProviderError(
          `the remote agent ${rejected ? 'rejected' : 'failed'} the task${status ? `: ${status}` : ''}`,
          { code: rejected ? 'a2a_rejected' : 'a2a_failed' },
        );
      }
      case STATE.canceled:
        throw new ProviderError(`the remote agent cancelled the task${status ? `: ${status}` : ''}`, {
          code: 'a2a_cancelled',
        });
      case STATE.authRequired:
        throw new ProviderError(
          'the remote agent requires authentication: set AGENTOR_A2A_TOKEN to a bearer token it accepts',
          { code: 'a2a_auth_required' },
        );
      default:
        throw new ProviderError(`the A2A agent at ${url} ended the stream before the task finished`, {
          code: 'a2a_incomplete',
          retryable: true,
        });
    }
  }

  private text(text: string): ModelChunk[] {
    if (!text) return [];
    this.emitted = true;
    return [{ type: 'text', text }];
  }

  /** The decision about `approval` was sent: the task's next stream goes on from there. */
  resume(): void {
    this.approval = undefined;
    this.state = undefined;
  }

  /** Takes a new status: an approval question is kept apart from the text shown. */
  private status(state: number, parts: readonly Part[] | undefined): string {
    this.state = state;
    this.approval = state === STATE.inputRequired ? approvalRequest(parts) : undefined;
    return this.approval ? '' : partsText(parts);
  }

  private task(task: Task): ModelChunk[] {
    this.taskId = task.id || this.taskId;
    this.contextId = task.contextId || this.contextId;
    if (task.status) this.statusText = this.status(task.status.state, task.status.message?.parts) || this.statusText;
    // A non-streaming answer (or a late snapshot): take artifacts, or the part of them, that did not stream.
    const out: ModelChunk[] = [];
    for (const a of task.artifacts ?? []) {
      const text = partsText(a.parts);
      const before = this.artifacts.get(a.artifactId);
      if (before === undefined || (text.length > before.length && text.startsWith(before)))
        out.push(...this.text(this.artifactText(a.artifactId, text, false)));
    }
    return out;
  }

  private statusUpdate(update: TaskStatusUpdateEvent): ModelChunk[] {
    this.taskId = update.taskId || this.taskId;
    this.contextId = update.contextId || this.contextId;
    if (!update.status) return [];
    const t = this.status(update.status.state, update.status.message?.parts);
    const activity = remoteToolActivity(update.metadata);
    if (activity) return [{ type: 'remote_tool', activity }];
    if (t && this.state === STATE.working) return [{ type: 'reasoning', text: t.endsWith('\n') ? t : `${t}\n` }];
    if (t) this.statusText = t;
    return [];
  }

  /** The text an artifact chunk adds to what was shown of it. */
  private artifactText(id: string, text: string, append: boolean): string {
    const before = this.artifacts.get(id);
    let delta: string;
    if (before === undefined) {
      // A new artifact after text of another one starts a new paragraph.
      delta = (this.emitted && this.lastArtifact !== id ? '\n\n' : '') + text;
      this.artifacts.set(id, text);
    } else if (append) {
      delta = text;
      this.artifacts.set(id, before + text);
    } else {
      // A replacement: show only what was not shown yet when it extends the old text.
      delta = text.startsWith(before) ? text.slice(before.length) : `\n\n${text}`;
      this.artifacts.set(id, text);
    }
    this.lastArtifact = id;
    return delta;
  }
}
