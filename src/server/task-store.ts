/**
 * The A2A task store, in memory and bounded: finished tasks are kept up to a byte budget (and a count), least recently
 * used first out; running tasks are never evicted. A running task is written by its executor, event by event, before
 * the event is published (`begin`, `status`, `artifact`), so the stored state is right whether or not anyone is still
 * streaming it; the SDK's own per-event saves of such a task are ignored. Streamed answer chunks are held merged into
 * one text part, and a finished task keeps its answer as one flat string (not a rope of thousands of appends).
 * One tenant: the server has a single bearer token, not per-user scopes.
 */
import {
  TaskState,
  type Artifact,
  type Part,
  type StreamResponse,
  type Task,
  type TaskArtifactUpdateEvent,
  type TaskStatusUpdateEvent,
} from '@a2a-js/sdk';
import type { TaskStore } from '@a2a-js/sdk/server';

/** Parameters and result of ListTasks. */
export type ListParams = Parameters<TaskStore['list']>[0];
/** One page of ListTasks. */
export type ListResult = Awaited<ReturnType<TaskStore['list']>>;

const DEFAULT_PAGE_SIZE = 50;
/** Default byte budget of finished tasks. */
export const DEFAULT_TASK_STORE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_TASKS = 10_000;
const TERMINAL = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);

/** A state after which a task never changes again. */
export const isTerminal = (state: TaskState | undefined): boolean => state !== undefined && TERMINAL.has(state);

/** Limits of the store. */
export interface TaskStoreOptions {
  /** Byte budget of finished tasks (estimated from their content; default 64 MB). */
  maxBytes?: number;
  /** Most tasks kept, running ones included (default 10,000). */
  maxTasks?: number;
}

/** A text part being appended to: its pieces, joined once when the task finishes. */
interface GrowingText {
  part: Part & { content: { $case: 'text'; value: string } };
  pieces: string[];
}

interface Entry {
  task: Task;
  /** An executor is writing this task: the SDK's saves of it are ignored, and it is never evicted. */
  live: boolean;
  /** Estimated size once finished (0 while live). */
  bytes: number;
  growing: Map<Part, GrowingText>;
}

const isText = (p: Part | undefined): p is Part & { content: { $case: 'text'; value: string } } =>
  p?.content?.$case === 'text';

/** Adjacent text parts of one media type and no metadata, as one part. */
function mergeParts(parts: readonly Part[]): Part[] {
  const out: Part[] = [];
  for (const part of parts) {
    const prev = out.at(-1);
    if (isText(prev) && isText(part) && prev.mediaType === part.mediaType && !prev.metadata && !part.metadata) {
      out[out.length - 1] = { ...prev, content: { $case: 'text', value: prev.content.value + part.content.value } };
    } else out.push(part);
  }
  return out;
}

/**
 * A copy the SDK may change freely. It replaces fields rather than editing nested objects, except for the task, its
 * artifact list, each artifact and part — so those are copied, and messages and metadata are shared.
 */
export function snapshot(task: Task, artifacts = true): Task {
  return {
    ...task,
    history: [...task.history],
    artifacts: artifacts
      ? task.artifacts.map((a) => ({
          ...a,
          parts: a.parts.map((p) => (p.content ? { ...p, content: { ...p.content } } : { ...p })),
        }))
      : [],
  };
}

/** Rough size in bytes of plain task data: string lengths, byte arrays, a little per field. */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return value.length + 8;
  if (value === null || typeof value !== 'object') return 8;
  if (value instanceof Uint8Array) return value.byteLength + 16;
  let n = 16;
  for (const v of Array.isArray(value) ? value : Object.values(value)) n += 8 + sizeOf(v);
  return n;
}

function encodeToken(task: Task): string {
  return Buffer.from(JSON.stringify([task.status?.timestamp ?? '', task.id])).toString('base64url');
}

function decodeToken(token: string): [string, string] | undefined {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    return Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'string' ? [v[0], v[1]] : undefined;
  } catch {
    return undefined;
  }
}

/** One page of ListTasks over `tasks`: filtered, newest first (ties by id, as the SDK's own store does). */
export function pageTasks(all: readonly Task[], params: ListParams): ListResult {
  const pageSize = params.pageSize ?? DEFAULT_PAGE_SIZE;
  let tasks = [...all];
  if (params.contextId) tasks = tasks.filter((t) => t.contextId === params.contextId);
  if (params.status !== undefined && params.status !== TaskState.TASK_STATE_UNSPECIFIED)
    tasks = tasks.filter((t) => t.status?.state === params.status);
  if (params.statusTimestampAfter) {
    const after = new Date(params.statusTimestampAfter).getTime();
    tasks = tasks.filter((t) => t.status?.timestamp && new Date(t.status.timestamp).getTime() > after);
  }
  tasks.sort(
    (a, b) => (b.status?.timestamp ?? '').localeCompare(a.status?.timestamp ?? '') || b.id.localeCompare(a.id),
  );
  const totalSize = tasks.length;
  if (params.pageToken) {
    const cursor = decodeToken(params.pageToken);
    const at = cursor ? tasks.findIndex((t) => (t.status?.timestamp ?? '') === cursor[0] && t.id === cursor[1]) : -1;
    tasks = at === -1 ? [] : tasks.slice(at + 1);
  }
  const page = tasks.slice(0, pageSize);
  const last = page.at(-1);
  return {
    tasks: page.map((t) => snapshot(t, params.includeArtifacts === true)),
    nextPageToken: last && tasks.length > page.length ? encodeToken(last) : '',
    pageSize,
    totalSize,
  };
}

/** How a task is followed from another replica. */
export interface FollowOptions {
  /** Follow a task that waits for an approval answer too (the answer is on its way). */
  waiting?: boolean;
}

/** The task store an A2A executor writes to event by event (memory or Redis; callers do not know which). */
export interface LiveTaskStore extends TaskStore {
  /** Starts (or resumes) the executor's ownership of a task, with its initial state. */
  begin(task: Task): void;
  /** Records a status update of a running task; a terminal state finishes it. */
  status(update: TaskStatusUpdateEvent): void;
  /** Records an artifact update of a running task. */
  artifact(update: TaskArtifactUpdateEvent): void;
  /** Ends the executor's ownership without a terminal state (it failed). */
  release(taskId: string): void;
  /**
   * The rest of a task that another replica runs, as stream responses: its snapshot, then every later event, ending
   * with a final or input-required status. Undefined when no other replica runs it (a shared store only).
   */
  follow?(
    taskId: string,
    signal: AbortSignal | undefined,
    options?: FollowOptions,
  ): Promise<AsyncGenerator<StreamResponse> | undefined>;
  /** The replica other than this one running `taskId`, if any (a shared store only). */
  ownerElsewhere?(taskId: string): Promise<string | undefined>;
}

/** A bounded in-memory TaskStore that running tasks' executors write to directly. */
export class BoundedTaskStore implements LiveTaskStore {
  /** Map order is recency: the first finished entries are the least recently used. */
  private readonly entries = new Map<string, Entry>();
  private readonly maxBytes: number;
  private readonly maxTasks: number;
  private finishedBytes = 0;

  constructor(options: TaskStoreOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_TASK_STORE_BYTES;
    this.maxTasks = options.maxTasks ?? DEFAULT_MAX_TASKS;
  }

  /** Estimated bytes held by finished tasks. */
  get bytes(): number {
    return this.finishedBytes;
  }

  /** Tasks held, running ones included. */
  get size(): number {
    return this.entries.size;
  }

  /** Starts (or resumes) the executor's ownership of a task, with its initial state. */
  begin(task: Task): void {
    this.remove(task.id);
    this.entries.set(task.id, {
      task: { ...task, history: [...task.history], artifacts: [], metadata: task.metadata },
      live: true,
      bytes: 0,
      growing: new Map(),
    });
    for (const artifact of task.artifacts) this.putArtifact(this.entries.get(task.id) as Entry, artifact, false);
    this.evict();
  }

  /** Records a status update of a running task; a terminal state finishes it. */
  status(update: TaskStatusUpdateEvent): void {
    const entry = this.entries.get(update.taskId);
    if (!entry?.live) return;
    const task = entry.task;
    task.status = update.status;
    if (update.metadata) task.metadata = { ...task.metadata, ...update.metadata };
    const message = update.status?.message;
    if (message && !task.history.some((m) => m.messageId === message.messageId))
      task.history = [...task.history, message];
    if (update.status && TERMINAL.has(update.status.state)) this.finish(update.taskId);
  }

  /** Records an artifact update of a running task (appended chunks merge into the answer's text part). */
  artifact(update: TaskArtifactUpdateEvent): void {
    const entry = this.entries.get(update.taskId);
    if (!entry?.live || !update.artifact) return;
    this.putArtifact(entry, update.artifact, update.append);
    if (update.metadata) entry.task.metadata = { ...entry.task.metadata, ...update.metadata };
  }

  /** Ends the executor's ownership without a terminal state (it failed): the SDK's own writes apply again. */
  release(taskId: string): void {
    if (this.entries.get(taskId)?.live) this.finish(taskId);
  }

  async load(taskId: string): Promise<Task | undefined> {
    const entry = this.entries.get(taskId);
    if (!entry) return undefined;
    if (!entry.live) {
      this.entries.delete(taskId); // re-inserted: most recently used
      this.entries.set(taskId, entry);
    }
    return snapshot(entry.task);
  }

  async save(task: Task): Promise<void> {
    if (this.entries.get(task.id)?.live) return; // its executor has already recorded this state
    this.remove(task.id);
    const stored = { ...snapshot(task), artifacts: task.artifacts.map((a) => ({ ...a, parts: mergeParts(a.parts) })) };
    const bytes = sizeOf(stored);
    this.entries.set(task.id, { task: stored, live: false, bytes, growing: new Map() });
    this.finishedBytes += bytes;
    this.evict();
  }

  async list(params: ListParams): Promise<ListResult> {
    return pageTasks(
      [...this.entries.values()].map((e) => e.task),
      params,
    );
  }

  /** True while an executor is writing this task. */
  isLive(taskId: string): boolean {
    return this.entries.get(taskId)?.live === true;
  }

  /** Drops a task (its executor's store has handed it on). */
  forget(taskId: string): void {
    this.remove(taskId);
  }

  private putArtifact(entry: Entry, artifact: Artifact, append: boolean): void {
    const artifacts = entry.task.artifacts;
    const at = artifacts.findIndex((a) => a.artifactId === artifact.artifactId);
    const existing = at === -1 ? undefined : artifacts[at];
    if (!existing || !append) {
      const fresh: Artifact = { ...artifact, parts: [] };
      if (at === -1) artifacts.push(fresh);
      else artifacts[at] = fresh;
      this.appendParts(entry, fresh, artifact.parts);
      return;
    }
    if (artifact.name) existing.name = artifact.name;
    if (artifact.description) existing.description = artifact.description;
    if (artifact.metadata) existing.metadata = { ...existing.metadata, ...artifact.metadata };
    this.appendParts(entry, existing, artifact.parts);
  }

  /** Appends parts; text continuing the last text part grows it (pieces kept for one join at the end). */
  private appendParts(entry: Entry, artifact: Artifact, parts: readonly Part[]): void {
    for (const part of parts) {
      const last = artifact.parts.at(-1);
      const growing = last && entry.growing.get(last);
      if (growing && isText(part) && part.mediaType === growing.part.mediaType && !part.metadata) {
        growing.part.content.value += part.content.value;
        growing.pieces.push(part.content.value);
        continue;
      }
      if (isText(part) && !part.metadata) {
        const own = { ...part, content: { $case: 'text' as const, value: part.content.value } };
        entry.growing.set(own, { part: own, pieces: [part.content.value] });
        artifact.parts.push(own);
      } else artifact.parts.push(part);
    }
  }

  private finish(taskId: string): void {
    const entry = this.entries.get(taskId) as Entry;
    // One flat string per text part: the appended rope would cost a few dozen bytes per chunk for as long as it is kept.
    for (const { part, pieces } of entry.growing.values()) part.content.value = pieces.join('');
    entry.growing.clear();
    entry.live = false;
    entry.bytes = sizeOf(entry.task);
    this.finishedBytes += entry.bytes;
    this.entries.delete(taskId); // re-inserted: most recently used
    this.entries.set(taskId, entry);
    this.evict();
  }

  private remove(taskId: string): void {
    const entry = this.entries.get(taskId);
    if (!entry) return;
    if (!entry.live) this.finishedBytes -= entry.bytes;
    this.entries.delete(taskId);
  }

  /** Drops least recently used finished tasks past the budgets (the newest finished task always stays). */
  private evict(): void {
    if (this.finishedBytes <= this.maxBytes && this.entries.size <= this.maxTasks) return;
    let newestFinished: string | undefined;
    for (const [id, e] of this.entries) if (!e.live) newestFinished = id;
    for (const [id, e] of this.entries) {
      if (this.finishedBytes <= this.maxBytes && this.entries.size <= this.maxTasks) break;
      if (!e.live && id !== newestFinished) this.remove(id);
    }
  }
}
