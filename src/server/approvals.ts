/**
 * Tool approvals over the network: runs started by `/chat` (SSE) and `/ws` ask their client about the calls the
 * approval policy will not run on its own. The question is the `tool_approval_request` event of the stream; the answer
 * comes back as `POST /chat/approvals {run_id, call_id, decision}` or a WebSocket `approval` frame. An unanswered
 * question counts as denied after the approval timeout (default 5 min).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentEvent, RunEndEvent } from '../core/events.js';
import type { RunOptions } from '../core/run.js';
import { parseAllowPattern, type ApprovalAnswer, type ApprovalRequest, type Approver } from '../core/tools/approval.js';
import { HttpError, readJsonObject, sendJson } from './http.js';
import type { ServerStore } from './store-types.js';

/** What these handlers need of the server context (a structural subset, so context.ts can hold PendingApprovals). */
interface ApprovalsContext {
  approvals: PendingApprovals;
  /** Forwards an answer for a run of another replica. */
  store: Pick<ServerStore, 'ask'>;
  maxBodyBytes: number;
  options: { approvalTimeoutMs?: number };
}

/** How long a tool call waits for its client's decision before it counts as denied. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 5 * 60_000;

const MAX_REASON = 2000;

/** The questions waiting for an answer, by run and call. */
export class PendingApprovals {
  private readonly pending = new Map<string, (answer: ApprovalAnswer) => void>();

  /** An approver that waits for `answer(run_id, call_id, …)`; the question is withdrawn when the run stops waiting. */
  readonly approver: Approver = (request, { signal }) =>
    new Promise<ApprovalAnswer>((resolve) => {
      const key = keyOf(request.run_id, request.call_id);
      this.pending.set(key, resolve);
      signal.addEventListener('abort', () => this.pending.delete(key), { once: true });
    });

  /** Questions waiting now. */
  get size(): number {
    return this.pending.size;
  }

  /** True when `run_id` has a question about `call_id` waiting. */
  has(runId: string, callId: string): boolean {
    return this.pending.has(keyOf(runId, callId));
  }

  /** Answers a waiting question; false when there is none (already answered, timed out, or never asked). */
  answer(runId: string, callId: string, answer: ApprovalAnswer): boolean {
    const key = keyOf(runId, callId);
    const resolve = this.pending.get(key);
    if (!resolve) return false;
    this.pending.delete(key);
    resolve(answer);
    return true;
  }
}

const keyOf = (runId: string, callId: string): string => `${runId}\u0000${callId}`;

/** The approval fields of a request body or frame; 400 with what is accepted when they are wrong. */
export function parseApprovalAnswer(body: Record<string, unknown>): { callId: string; answer: ApprovalAnswer } {
  const callId = body['call_id'];
  if (typeof callId !== 'string' || callId === '' || callId.length > 256)
    throw new HttpError(400, '"call_id" must be the call_id of the tool_approval_request event', 'invalid_request');
  const decision = body['decision'];
  if (decision !== 'allowed' && decision !== 'denied')
    throw new HttpError(400, '"decision" must be "allowed" or "denied"', 'invalid_request');
  const scope = body['scope'] ?? 'once';
  if (scope !== 'once' && scope !== 'session')
    throw new HttpError(
      400,
      '"scope" must be "once" (this call) or "session" (every call of this tool in the session)',
      'invalid_request',
    );
  const reason = body['reason'];
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON))
    throw new HttpError(400, `"reason" must be a string of at most ${MAX_REASON} characters`, 'invalid_request');
  return { callId, answer: { decision, scope, ...(reason ? { reason } : {}) } };
}

/**
 * Answers the question here, or forwards it to the replica whose run asked it (a shared store); 404 when nothing
 * waits for it anywhere.
 */
export async function answerOrThrow(
  ctx: ApprovalsContext,
  runId: string,
  body: Record<string, unknown>,
): Promise<void> {
  const { callId, answer } = parseApprovalAnswer(body);
  if (!ctx.approvals.answer(runId, callId, answer) && !(await ctx.store.ask({ op: 'approval', runId, callId, answer })))
    throw new HttpError(
      404,
      `run "${runId}" is not waiting for a decision on call "${callId}" (already decided, timed out, or the run ended)`,
      'approval_not_found',
    );
}

/** `POST /chat/approvals {run_id, call_id, decision, scope?, reason?}`. */
export async function handleApproval(ctx: ApprovalsContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonObject(req, ctx.maxBodyBytes);
  const runId = body['run_id'];
  if (typeof runId !== 'string' || runId === '' || runId.length > 256)
    throw new HttpError(400, '"run_id" must be the run_id of the tool_approval_request event', 'invalid_request');
  await answerOrThrow(ctx, runId, body);
  sendJson(res, 200, { ok: true });
}

/** The run options that let a streamed run ask its client. */
export function askClient(ctx: ApprovalsContext): { approve: Approver; approvalTimeoutMs: number } {
  return { approve: ctx.approvals.approver, approvalTimeoutMs: approvalTimeout(ctx) };
}

/** The configured approval timeout. */
export function approvalTimeout(ctx: ApprovalsContext): number {
  return ctx.options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
}

/** What an approval request looks like to a client that did not see the event (A2A data part). */
export function describeRequest(request: ApprovalRequest): Record<string, unknown> {
  return {
    type: 'tool_approval_request',
    run_id: request.run_id,
    call_id: request.call_id,
    name: request.name,
    args: request.args,
    reason: request.reason,
    ...(request.server !== undefined ? { server: request.server } : {}),
  };
}

/** The largest `allow_tools` list a request may send. */
const MAX_ALLOW_TOOLS = 64;

/**
 * A request's `allow_tools`: the tools its client allows in advance for this run (patterns as `--allow-tool`: a name,
 * `server__tool`, `server__*`, `*`). The client is the one a streaming run would ask, so this only answers ahead of
 * time what it would be asked; `--approve never` still refuses. 400 with the accepted forms when malformed.
 */
export function parseAllowTools(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > MAX_ALLOW_TOOLS)
    throw new HttpError(
      400,
      `"allow_tools" must be a list of at most ${MAX_ALLOW_TOOLS} tool patterns, e.g. ["write_note", "fs__*"]`,
      'invalid_request',
    );
  return value.map((pattern, i) => {
    try {
      return parseAllowPattern(pattern, `"allow_tools[${i}]"`);
    } catch (e) {
      throw new HttpError(400, (e as Error).message, 'invalid_request');
    }
  });
}

/** A tool call the policy denied in a run nobody could be asked about, as the response lists it. */
export interface DeniedCall {
  call_id: string;
  name: string;
  reason: string;
}

/**
 * The run options of a request whose client cannot be asked (non-streaming `/chat`, `/v1/chat/completions`): calls
 * needing approval run only when `allow_tools` allowed them, else they are denied at once — never run, never waited
 * on — and the model is told why and how a client gets them allowed.
 */
export function unaskedRun(endpoint: string, allowTools: string[] | undefined): RunApprovalOptions {
  return {
    unaskable: `${endpoint} cannot ask for it: the client can allow it in advance with "allow_tools": ["<tool name>"], or use a streaming POST /chat, /ws or A2A, which ask`,
    ...(allowTools ? { preApproved: allowTools } : {}),
  };
}

/** What an approval-aware handler adds to a run's options. */
export type RunApprovalOptions = Pick<RunOptions, 'unaskable' | 'preApproved'>;

/** Reads a run to its `run_end`, collecting the calls its policy denied (`tool_approval` events with `by: policy`). */
export async function endAndDenials(
  events: AsyncIterable<AgentEvent>,
): Promise<{ end: RunEndEvent; denied: DeniedCall[] }> {
  let end: RunEndEvent | undefined;
  const denied: DeniedCall[] = [];
  for await (const e of events) {
    if (e.type === 'run_end') end = e;
    else if (e.type === 'tool_approval' && e.decision === 'denied' && e.by === 'policy')
      denied.push({ call_id: e.call_id, name: e.name, reason: e.reason ?? '' });
  }
  if (!end) throw new Error('the run ended without run_end');
  return { end, denied };
}
