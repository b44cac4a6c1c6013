/**
 * The A2A executor: one more consumer of `agent.streamChat`. Text deltas become chunks of one answer artifact (the
 * deltas of one event-loop turn — one network read of the upstream — travel as one chunk, so a fast model does not pay
 * the A2A pipeline once per token), tool activity becomes working-status metadata, `run_end` the final state. Each
 * event is recorded in the task store before it is published, so the stored task is right even with nobody listening.
 *
 * A dropped connection is not a cancel while someone else listens: the run goes on while another stream of the task
 * is open, and for a grace period after the last one closes, so a client can come back with SubscribeToTask (the
 * spec's answer to a network interruption). Nobody back in time: the run is cancelled.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Role, TaskState, type Message, type Part } from '@a2a-js/sdk';
import {
  AgentEvent as A2AEvent,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import type { AgentInput } from '../core/agent.js';
import type { AgentEvent, RunEndEvent } from '../core/events.js';
import { IMAGE_MAX_COUNT, imagePart, sniffImage } from '../core/providers/images.js';
import { userContent } from '../core/providers/messages.js';
import type { ImagePart } from '../core/providers/types.js';
import type { ApprovalAnswer, ApprovalRequest, Approver } from '../core/tools/approval.js';
import { approvalTimeout, describeRequest, parseApprovalAnswer } from './approvals.js';
import { TurnJoiner } from '../core/stream.js';
import type { RunHandle, ServerContext } from './context.js';
import type { SessionLease } from './sessions.js';
import { publicRunError } from './public-errors.js';
import { HttpError } from './http.js';
import type { LiveTaskStore } from './task-store.js';

/** Where the context builder leaves each request's disconnect signal. */
export const SIGNAL_KEY = 'agentor.signal';
/** The key under which the call context carries the HTTP request that started it. */
export const REQUEST_KEY = 'agentor.request';

/** Default time a task with no listener waits for a resubscribe before it is cancelled. */
export const DEFAULT_RESUBSCRIBE_GRACE_MS = 30_000;

/** A text part (the only kind agentor writes). */
export function textPart(value: string): Part {
  return { content: { $case: 'text', value }, mediaType: 'text/plain', filename: '', metadata: undefined };
}

/** A data part (the description of a call waiting for approval). */
function dataPart(value: unknown): Part {
  return { content: { $case: 'data', value }, mediaType: 'application/json', filename: '', metadata: undefined };
}

function agentMessage(taskId: string, contextId: string, text: string, data?: unknown): Message {
  return {
    messageId: randomUUID(),
    taskId,
    contextId,
    role: Role.ROLE_AGENT,
    parts: data === undefined ? [textPart(text)] : [textPart(text), dataPart(data)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

function userText(message: Message): string {
  return message.parts
    .map((p) =>
      p.content?.$case === 'text'
        ? p.content.value
        : p.content?.$case === 'data'
          ? JSON.stringify(p.content.value)
          : '',
    )
    .filter(Boolean)
    .join('\n');
}

/**
 * A user message as the agent's input: its text (and data) parts, and image file parts (`raw` bytes, checked as a
 * mention is: by their bytes, capped) sent as images; or why the task is rejected.
 */
function userInput(message: Message): { input: AgentInput } | { error: string } {
  const text = userText(message);
  const images: ImagePart[] = [];
  for (const p of message.parts) {
    if (
      p.content?.$case !== 'raw' ||
      !(p.mediaType.startsWith('image/') || sniffImage(p.content.value).kind !== 'none')
    )
      continue;
    const name = p.filename || `image ${images.length + 1}`;
    if (images.length >= IMAGE_MAX_COUNT) return { error: `a message carries at most ${IMAGE_MAX_COUNT} images` };
    const made = imagePart(p.content.value, name);
    if ('error' in made) return { error: `file part ${name}: ${made.error}` };
    images.push(made.part);
  }
  if (!text.trim() && images.length === 0) {
    return { error: 'the message has no text part; send the prompt as a text part' };
  }
  return { input: images.length ? [{ role: 'user', content: userContent(text, images) }] : text };
}

/** How long a client following a task from another replica counts as listening after each sign (sent every second). */
const REMOTE_LISTENER_MS = 3_000;

/** Who is listening to a running task; cancels the run when nobody has been for `graceMs`. */
class Listeners {
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiting = false;
  /** Until when a client following from another replica counts as listening. */
  private remoteUntil = 0;

  constructor(
    private readonly run: RunHandle,
    private readonly graceMs: number,
  ) {}

  /** A request streaming this task; its disconnect signal says when it leaves. */
  join(signal: AbortSignal | undefined): void {
    if (!signal || signal.aborted) return;
    this.count++;
    clearTimeout(this.timer);
    this.timer = undefined;
    signal.addEventListener('abort', () => this.leave(), { once: true });
  }

  /** While the task waits for an approval (input-required), nobody needs to listen: the approval timeout governs. */
  hold(waiting: boolean): void {
    this.waiting = waiting;
    if (waiting) {
      clearTimeout(this.timer);
      this.timer = undefined;
    } else if (this.count === 0) this.arm();
  }

  /** A listener on another replica is still there: it counts for `REMOTE_LISTENER_MS` after each sign. */
  touch(): void {
    this.remoteUntil = Date.now() + REMOTE_LISTENER_MS;
    if (this.count === 0 && !this.waiting) this.arm();
  }

  private leave(): void {
    if (--this.count > 0 || this.waiting) return;
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        if (Date.now() < this.remoteUntil) return this.arm();
        this.run.abort(new Error(`no client listened to the task for ${this.graceMs} ms`));
      },
      Math.max(this.graceMs, this.remoteUntil - Date.now()),
    );
  }

  close(): void {
    clearTimeout(this.timer);
  }
}

/** A tool call of a running task that waits for the client's decision (the task is input-required). */
interface WaitingCall {
  request: ApprovalRequest;
  resolve(answer: ApprovalAnswer): void;
}

/** A task whose run is in flight. */
interface RunningTask {
  run: RunHandle;
  listeners: Listeners;
  waiting?: WaitingCall;
  /** Executions answering an approval wait here until the run stops again (next question or its end). */
  stops: Array<() => void>;
}

/** Runs the agent for A2A tasks and projects its events onto task, status and artifact updates. */
export class AgentorExecutor implements AgentExecutor {
  private readonly running = new Map<string, RunningTask>();

  constructor(
    private readonly ctx: ServerContext,
    private readonly store: LiveTaskStore,
  ) {
    // Another replica asked (CancelTask reached it, the task runs here).
    ctx.store.onCancel((taskId) => {
      const task = this.running.get(taskId);
      task?.run.abort(new Error('cancelled by the A2A client'));
      return task !== undefined;
    });
    // A client follows the task from another replica: it counts as listening here.
    ctx.store.onRequest((request) => {
      if (request.op === 'a2a-answer') return this.answerFromElsewhere(request.taskId, request.message);
      if (request.op !== 'listen') return false;
      const task = this.running.get(request.taskId);
      task?.listeners.touch();
      return task !== undefined;
    });
  }

  /** A message sent through another replica to a task running here: taken when it answers the waiting question. */
  private answerFromElsewhere(taskId: string, message: Message): boolean {
    const task = this.running.get(taskId);
    const waiting = task?.waiting;
    if (!task || !waiting) return false;
    let answer: ApprovalAnswer;
    try {
      answer = approvalAnswer(message, waiting.request);
    } catch {
      return false;
    }
    task.waiting = undefined;
    task.listeners.hold(false);
    waiting.resolve(answer);
    return true;
  }

  /** True while this replica runs `taskId`. */
  isRunning(taskId: string): boolean {
    return this.running.has(taskId);
  }

  /** A resubscribe (or any other request) now listens to `taskId` until `signal` aborts. */
  listen(taskId: string, signal: AbortSignal | undefined): void {
    this.running.get(taskId)?.listeners.join(signal);
  }

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    const task = this.running.get(taskId);
    // A running task ends itself: the aborted run yields run_end(cancelled), published as the canceled state.
    if (task) task.run.abort(new Error('cancelled by the A2A client'));
    else
      this.publishStatus(bus, taskId, '', {
        state: TaskState.TASK_STATE_CANCELED,
        message: undefined,
        timestamp: new Date().toISOString(),
      });
  };

  /**
   * What is wrong with a message sent to a task in flight, before the SDK hands it to `execute`: a task waiting for an
   * approval takes only an answer (`not_an_answer`); a task running otherwise takes nothing (`running`).
   */
  refusal(message: Message): { kind: 'running' | 'not_an_answer'; message: string } | undefined {
    const task = message.taskId ? this.running.get(message.taskId) : undefined;
    if (!task) return undefined;
    if (!task.waiting)
      return {
        kind: 'running',
        message: `task ${message.taskId} is still running; wait for it to finish, or cancel it`,
      };
    try {
      approvalAnswer(message, task.waiting.request);
      return undefined;
    } catch (e) {
      return { kind: 'not_an_answer', message: (e as Error).message };
    }
  }

  execute = async (rc: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = rc;
    const paused = this.running.get(taskId);
    // A message on a task in flight answers its approval (the handler refused anything else); should the question
    // have timed out meanwhile, the message only follows the run.
    if (paused) return this.resume(paused, rc, bus);
    const status = (state: TaskState, text?: string, metadata?: Record<string, unknown>, data?: unknown): void =>
      this.publishStatus(
        bus,
        taskId,
        contextId,
        {
          state,
          message: text === undefined ? undefined : agentMessage(taskId, contextId, text, data),
          timestamp: new Date().toISOString(),
        },
        metadata,
      );
    const task = {
      id: taskId,
      contextId,
      status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
      artifacts: [],
      history: rc.task ? [...rc.task.history] : [rc.userMessage],
      metadata: {},
    };
    this.store.begin(rc.task ?? task);
    if (!rc.task) bus.publish(A2AEvent.task(task));
    try {
      const given = userInput(rc.userMessage);
      if ('error' in given) return status(TaskState.TASK_STATE_REJECTED, given.error);
      const input = given.input;
      let lease;
      try {
        lease = await this.ctx.sessions.acquire(`a2a:${contextId}`);
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        return status(TaskState.TASK_STATE_FAILED, e.message);
      }
      if (!lease)
        return status(
          TaskState.TASK_STATE_REJECTED,
          `context ${contextId} is busy with another task; wait for it to finish`,
        );
      try {
        await this.runAgent(rc, bus, input, lease, status);
      } finally {
        await lease.release();
      }
    } finally {
      this.store.release(taskId); // only matters when no terminal state was recorded
    }
  };

  /** A message answering the approval a task waits for: resolve it, and wait until the run stops again. */
  private async resume(task: RunningTask, rc: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const waiting = task.waiting;
    let answer: ApprovalAnswer | undefined;
    try {
      answer = waiting ? approvalAnswer(rc.userMessage, waiting.request) : undefined;
    } catch {
      answer = undefined; // checked before execute; throwing here would fail the task under its running run
    }
    // A stream starts with the task (the SDK refuses one that starts with a status update).
    const snapshot = await this.store.load(rc.taskId, rc.context);
    if (snapshot) bus.publish(A2AEvent.task(snapshot));
    const stopped = new Promise<void>((resolve) => task.stops.push(resolve));
    task.listeners.join(rc.context.state.get(SIGNAL_KEY) as AbortSignal | undefined);
    if (waiting && answer && task.waiting === waiting) {
      task.waiting = undefined;
      task.listeners.hold(false);
      waiting.resolve(answer);
    }
    // Returning now would let the SDK close the task's event bus under the running task.
    await stopped;
  }

  /** The approver of a task's run: the task goes input-required with the call described, until a message answers. */
  private approver(
    taskId: string,
    status: (state: TaskState, text?: string, metadata?: Record<string, unknown>, data?: unknown) => void,
  ): Approver {
    return (request, { signal }) =>
      new Promise<ApprovalAnswer>((resolve) => {
        const task = this.running.get(taskId);
        if (!task) return resolve({ decision: 'denied' });
        task.waiting = { request, resolve };
        task.listeners.hold(true);
        signal.addEventListener(
          'abort',
          () => {
            if (task.waiting?.request !== request) return;
            task.waiting = undefined;
            task.listeners.hold(false);
          },
          { once: true },
        );
        status(
          TaskState.TASK_STATE_INPUT_REQUIRED,
          `The agent wants to call the tool "${request.name}" (${request.reason}). Reply "yes" to allow it, "no" to deny it, or send a data part {"call_id": "${request.call_id}", "decision": "allowed"|"denied"} on this task.`,
          { agentor: { type: 'tool_approval_request', callId: request.call_id, name: request.name } },
          describeRequest(request),
        );
        // The stream of whoever answered the previous question ends here, as does the first client's.
        for (const stop of task.stops.splice(0)) stop();
      });
  }

  private async runAgent(
    rc: RequestContext,
    bus: ExecutionEventBus,
    input: AgentInput,
    lease: Pick<SessionLease, 'conversation' | 'session'>,
    status: (state: TaskState, text?: string, metadata?: Record<string, unknown>, data?: unknown) => void,
  ): Promise<void> {
    const { taskId, contextId } = rc;
    const run = this.ctx.runs.start();
    const listeners = new Listeners(run, this.ctx.options.a2aResubscribeGraceMs ?? DEFAULT_RESUBSCRIBE_GRACE_MS);
    listeners.join(rc.context.state.get(SIGNAL_KEY) as AbortSignal | undefined);
    const task: RunningTask = { run, listeners, stops: [] };
    this.running.set(taskId, task);
    const answer = new AnswerArtifact(taskId, contextId, (update) => {
      this.store.artifact(update);
      bus.publish(A2AEvent.artifactUpdate(update));
    });
    try {
      status(TaskState.TASK_STATE_WORKING);
      let end: RunEndEvent | undefined;
      for await (const e of this.ctx.agent.streamChat(input, {
        signal: run.signal,
        conversation: lease.conversation,
        session: lease.session,
        timeoutMs: this.ctx.options.runTimeoutMs,
        approve: this.approver(taskId, status),
        approvalTimeoutMs: approvalTimeout(this.ctx),
        observer: this.ctx.telemetry.observeRun(rc.context.state.get(REQUEST_KEY) as IncomingMessage | undefined, {
          protocol: 'a2a',
          conversationId: contextId,
        }),
      })) {
        if (e.type === 'text_delta') answer.add(e.text, e.turn);
        else if (e.type === 'tool_call' || e.type === 'tool_result' || e.type === 'tool_approval') {
          answer.flush(false);
          status(TaskState.TASK_STATE_WORKING, undefined, toolMetadata(e));
        } else if (e.type === 'run_end') end = e;
      }
      answer.finish(end?.status === 'completed' ? end.text : undefined);
      this.finalStatus(end, status);
    } finally {
      listeners.close();
      this.running.delete(taskId);
      for (const stop of task.stops.splice(0)) stop();
      run.done();
    }
  }

  private finalStatus(
    end: RunEndEvent | undefined,
    status: (state: TaskState, text?: string, metadata?: Record<string, unknown>) => void,
  ): void {
    const meta = end
      ? {
          agentor: {
            runId: end.run_id,
            status: end.status,
            usage: {
              inputTokens: end.usage.input_tokens,
              outputTokens: end.usage.output_tokens,
              totalTokens: end.usage.total_tokens,
            },
          },
        }
      : {};
    if (end?.status === 'completed') status(TaskState.TASK_STATE_COMPLETED, undefined, meta);
    else if (end?.status === 'cancelled') status(TaskState.TASK_STATE_CANCELED, 'the task was cancelled', meta);
    else {
      const text = end ? publicRunError(end, this.ctx.log).message : 'the run failed';
      status(TaskState.TASK_STATE_FAILED, text, meta);
    }
  }

  private publishStatus(
    bus: ExecutionEventBus,
    taskId: string,
    contextId: string,
    status: { state: TaskState; message: Message | undefined; timestamp: string },
    metadata?: Record<string, unknown>,
  ): void {
    // Metadata stays undefined unless there is some: the SDK deep-copies any metadata object (even {}) per event.
    const update = { taskId, contextId, status, metadata };
    this.store.status(update);
    bus.publish(A2AEvent.statusUpdate(update));
  }
}

/** Tool activity as working-status metadata (never the tool's result: that is for the model, not the answer). */
function toolMetadata(
  e: Extract<AgentEvent, { type: 'tool_call' | 'tool_result' | 'tool_approval' }>,
): Record<string, unknown> {
  if (e.type === 'tool_approval')
    return {
      agentor: {
        type: 'tool_approval',
        callId: e.call_id,
        name: e.name,
        decision: e.decision,
        by: e.by,
        scope: e.scope,
      },
    };
  return e.type === 'tool_call'
    ? { agentor: { type: 'tool_call', callId: e.call_id, name: e.name, args: e.args } }
    : {
        agentor: {
          type: 'tool_result',
          callId: e.call_id,
          name: e.name,
          isError: e.is_error,
          durationMs: e.duration_ms,
        },
      };
}

const YES = /^\s*(?:yes|y|allow|allowed|approve|approved|ok)\s*[.!]?\s*$/i;
const ALWAYS = /^\s*(?:always|yes,? always)\s*[.!]?\s*$/i;
const NO = /^\s*(?:no|n|deny|denied)\b[\s:,.;!-]*([\s\S]*)$/i;

/**
 * The decision a message carries about `request`: a data part `{call_id, decision, scope?, reason?}`, or text —
 * "yes", "always" (this tool for the rest of the session), "no" (optionally followed by the reason, for the model).
 * Throws, saying what to send, when it carries none.
 */
export function approvalAnswer(message: Message, request: ApprovalRequest): ApprovalAnswer {
  for (const part of message.parts) {
    if (part.content?.$case !== 'data') continue;
    const value: unknown = part.content.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const fields = value as Record<string, unknown>;
    if (fields['decision'] === undefined) continue;
    let parsed;
    try {
      parsed = parseApprovalAnswer({ call_id: request.call_id, ...fields });
    } catch (e) {
      throw new Error(`the approval data part is not valid: ${(e as Error).message}`, { cause: e });
    }
    if (parsed.callId !== request.call_id)
      throw new Error(`the task waits for a decision on call "${request.call_id}", not "${parsed.callId}"`);
    return parsed.answer;
  }
  const text = userText(message).trim();
  if (YES.test(text)) return { decision: 'allowed', scope: 'once' };
  if (ALWAYS.test(text)) return { decision: 'allowed', scope: 'session' };
  const no = NO.exec(text);
  if (no) return { decision: 'denied', ...(no[1]?.trim() ? { reason: no[1].trim().slice(0, 2000) } : {}) };
  throw new Error(
    `the task waits for a decision on the tool call "${request.name}": reply "yes", "always", "no" (optionally with a reason), or send a data part {"call_id": "${request.call_id}", "decision": "allowed"|"denied"}`,
  );
}

type ArtifactUpdate = Parameters<typeof A2AEvent.artifactUpdate>[0];

/** The answer artifact: deltas gathered until the event loop turns, then sent as one chunk. */
class AnswerArtifact {
  private readonly artifactId = randomUUID();
  private chunks = 0;
  private pending = '';
  private readonly turns = new TurnJoiner();
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly taskId: string,
    private readonly contextId: string,
    private readonly publish: (update: ArtifactUpdate) => void,
  ) {}

  add(text: string, turn: number): void {
    // Turns are joined as in the run's text (run_end.text).
    this.pending += this.turns.append(turn, text);
    this.scheduled ??= setImmediate(() => this.flush(false));
  }

  /** Sends what is pending (the last chunk is sent even when empty, to say it is the last). */
  flush(lastChunk: boolean): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pending === '' && !(lastChunk && this.chunks > 0)) return;
    this.publish({
      taskId: this.taskId,
      contextId: this.contextId,
      artifact: {
        artifactId: this.artifactId,
        name: 'answer',
        description: '',
        parts: [textPart(this.pending)],
        metadata: undefined,
        extensions: [],
      },
      append: this.chunks > 0,
      lastChunk,
      metadata: undefined,
    });
    this.chunks++;
    this.pending = '';
  }

  /** Ends the artifact; `fallback` is the answer when no delta streamed (a provider that sends it whole). */
  finish(fallback: string | undefined): void {
    if (this.chunks === 0 && this.pending === '' && fallback) this.pending = fallback;
    this.flush(true);
  }
}
