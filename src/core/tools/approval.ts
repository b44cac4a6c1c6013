/**
 * Tool approvals: which calls run at once, which wait for someone to allow them, which are refused. The policy is pure
 * (a tool, the settings, the tools allowed this session → an action); asking is the caller's `Approver`, so the core
 * never knows whether the answer comes from a key press, an HTTP request or an A2A message.
 */
import type { AgentEvent, ApprovalDecision, ApprovalScope, ToolApprovalEvent } from '../events.js';
import type { Tool } from './tool.js';

/** `ask` (default): ask before calls that need approval; `auto`: run every call; `never`: refuse those calls. */
export type ApprovalMode = 'ask' | 'auto' | 'never';

/** The modes, in the order help texts list them. */
export const APPROVAL_MODES: readonly ApprovalMode[] = ['ask', 'auto', 'never'];

/** How an agent's tool calls are approved (flags, the agent file's `approve:`/`allow:`, the config file). */
export interface ApprovalPolicy {
  /** Default `ask`. */
  mode?: ApprovalMode;
  /** Tools that run without asking: a tool name, `server__tool`, `server__*` (every tool of an MCP server) or `*`. */
  allow?: readonly string[];
}

/** What the policy says about one call. */
export type ApprovalAction =
  | { action: 'auto' }
  /** `reason` says why, for the person asked. */
  | { action: 'ask'; reason: string }
  /** `reason` says why, for the model and the user. */
  | { action: 'deny'; reason: string };

/** A call waiting for a decision, as the approver sees it. */
export interface ApprovalRequest {
  run_id: string;
  agent: string;
  call_id: string;
  name: string;
  args: Record<string, unknown>;
  reason: string;
  server?: string;
}

/** Someone's answer to an ApprovalRequest. */
export interface ApprovalAnswer {
  decision: ApprovalDecision;
  /** `session`: allowed, and every later call of this tool in the session runs without asking (default `once`). */
  scope?: ApprovalScope;
  /** Why it was denied, passed on to the model. */
  reason?: string;
}

/** What an approver gets besides the request. */
export interface ApproverContext {
  /** Aborted when the run is cancelled or the approval times out: stop asking, the answer is no longer read. */
  signal: AbortSignal;
}

/** Asks someone (a terminal user, an HTTP client) about a call; called one call at a time, only when the policy asks. */
export type Approver = (request: ApprovalRequest, ctx: ApproverContext) => Promise<ApprovalAnswer>;

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Parses an approval mode (`--approve`, `approve:`, the config file); throws with the allowed values. */
export function parseApprovalMode(value: unknown, where = '--approve'): ApprovalMode {
  if (typeof value === 'string' && (APPROVAL_MODES as readonly string[]).includes(value.trim())) {
    return value.trim() as ApprovalMode;
  }
  throw new Error(
    `${where} must be one of ${APPROVAL_MODES.join(', ')} (ask before tools that may change things, run everything, or refuse them), not ${JSON.stringify(value)}`,
  );
}

/** Checks an allow pattern (`--allow-tool`, `allow:`); throws with the accepted forms. */
export function parseAllowPattern(value: unknown, where = '--allow-tool'): string {
  const text = typeof value === 'string' ? value.trim() : '';
  const server = text.endsWith('__*') ? text.slice(0, -3) : undefined;
  if (text === '*' || (server !== undefined ? NAME.test(server) : NAME.test(text))) return text;
  throw new Error(
    `${where}: ${JSON.stringify(value)} is not a tool pattern; use a tool name (write_file), server__tool, server__* (every tool of an MCP server) or *`,
  );
}

/** True when the tool says it may change things: MCP tools not annotated `readOnlyHint: true`, tools with `readOnly: false`. */
export function needsApproval(tool: Pick<Tool, 'readOnly'>): boolean {
  return tool.readOnly === false;
}

/** True when an allow pattern covers the tool (an MCP tool is also `server__tool` when its name did not clash). */
export function allows(pattern: string, tool: Pick<Tool, 'name' | 'server'>): boolean {
  if (pattern === '*' || pattern === tool.name) return true;
  if (tool.server === undefined) return false;
  return pattern === `${tool.server}__*` || pattern === `${tool.server}__${tool.name}`;
}

/** Why a tool needs approval, in words for the person asked. */
function askReason(tool: Pick<Tool, 'name' | 'server'>): string {
  return tool.server !== undefined
    ? `MCP server "${tool.server}" does not mark "${tool.name}" read-only: it may change things`
    : `"${tool.name}" may change things`;
}

/**
 * The policy's verdict on a call of `tool`. `sessionAllowed` holds the tools someone allowed for the rest of the
 * session ("always"). Read-only tools, allowed tools and `auto` run; `never` refuses; otherwise the call is asked about.
 */
export function decide(
  tool: Pick<Tool, 'name' | 'server' | 'readOnly'>,
  policy: ApprovalPolicy | undefined,
  sessionAllowed: ReadonlySet<string> = new Set(),
): ApprovalAction {
  const mode = policy?.mode ?? 'ask';
  if (mode === 'auto' || !needsApproval(tool) || sessionAllowed.has(tool.name)) return { action: 'auto' };
  if ((policy?.allow ?? []).some((p) => allows(p, tool))) return { action: 'auto' };
  if (mode === 'never') {
    return { action: 'deny', reason: `${askReason(tool)}, and the approval policy refuses such calls (never)` };
  }
  return { action: 'ask', reason: askReason(tool) };
}

/** An "always" answer: an allowed `tool_approval` with `scope: session` (the tool then runs without asking). */
export function allowsForSession(e: { readonly type: string }): e is ToolApprovalEvent {
  const approval = e as ToolApprovalEvent;
  return approval.type === 'tool_approval' && approval.decision === 'allowed' && approval.scope === 'session';
}

/**
 * The tools allowed for the rest of a session, folded from its recorded events (see allowsForSession). A resumed
 * session starts with them, so "always" outlives the process.
 */
export function sessionApprovals(events: Iterable<Pick<AgentEvent, 'type'>>): Set<string> {
  const allowed = new Set<string>();
  for (const e of events) if (allowsForSession(e)) allowed.add(e.name);
  return allowed;
}

/** How waiting for an approver ended. */
export type AskOutcome =
  | { kind: 'answer'; answer: ApprovalAnswer }
  /** Nobody answered within the approval timeout. */
  | { kind: 'timeout'; reason: string }
  /** The run was cancelled while it waited. */
  | { kind: 'cancelled' }
  /** The approver threw. */
  | { kind: 'failed'; reason: string };

/** "5 min", "90 s", "250 ms": a timeout as a person reads it. */
function duration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/**
 * Asks `approver` about one call and waits for the first of: its answer, the run's `signal`, `timeoutMs`. The approver's
 * own signal fires on cancel and on timeout, so it can withdraw the question (close a panel, forget a pending request).
 */
export async function askApprover(
  approver: Approver,
  request: ApprovalRequest,
  signal: AbortSignal,
  timeoutMs?: number,
): Promise<AskOutcome> {
  if (signal.aborted) return { kind: 'cancelled' };
  const deadline = new AbortController();
  const timer = timeoutMs !== undefined && timeoutMs > 0 ? setTimeout(() => deadline.abort(), timeoutMs) : undefined;
  const stop = AbortSignal.any([signal, deadline.signal]);
  let onStop: (() => void) | undefined;
  const stopped = new Promise<AskOutcome>((resolve) => {
    onStop = () =>
      resolve(
        signal.aborted
          ? { kind: 'cancelled' }
          : { kind: 'timeout', reason: `no answer to the approval request within ${duration(timeoutMs ?? 0)}` },
      );
    stop.addEventListener('abort', onStop, { once: true });
  });
  let asked: Promise<ApprovalAnswer>;
  try {
    // Called at once, not after a tick: the request is registered before its event can reach anyone who answers it.
    asked = Promise.resolve(approver(request, { signal: stop }));
  } catch (e) {
    asked = Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  const answered = asked.then(
    (answer): AskOutcome => ({
      kind: 'answer',
      // Whatever an approver returns, only an explicit "allowed" runs the call.
      answer: {
        decision: answer?.decision === 'allowed' ? 'allowed' : 'denied',
        scope: answer?.decision === 'allowed' && answer.scope === 'session' ? 'session' : 'once',
        ...(answer?.decision !== 'allowed' && answer?.reason?.trim() ? { reason: answer.reason.trim() } : {}),
      },
    }),
    (e: unknown): AskOutcome => ({
      kind: 'failed',
      reason: `the approval could not be asked (${e instanceof Error ? e.message : String(e)})`,
    }),
  );
  try {
    return await Promise.race([answered, stopped]);
  } finally {
    clearTimeout(timer);
    if (onStop) stop.removeEventListener('abort', onStop);
  }
}
