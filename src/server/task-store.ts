/**
 * The A2A task store: in memory like the SDK's, but bounded (least recently saved tasks are dropped past `max`, so a
 * long-running server does not grow without limit) and compacting: the answer artifact arrives as one part per
 * streamed chunk, and stored tasks keep adjacent text parts merged into one, so `GetTask` and blocking sends return
 * the answer as a single text part. One tenant: the server has a single bearer token, not per-user scopes.
 */
import { TaskState, type Artifact, type Part, type Task } from '@a2a-js/sdk';
import type { TaskStore } from '@a2a-js/sdk/server';

type ListParams = Parameters<TaskStore['list']>[0];
type ListResult = Awaited<ReturnType<TaskStore['list']>>;

const DEFAULT_PAGE_SIZE = 50;

function mergeParts(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const part of parts) {
    const prev = out.at(-1);
    if (
      prev?.content?.$case === 'text' &&
      part.content?.$case === 'text' &&
      prev.mediaType === part.mediaType &&
      !prev.metadata &&
      !part.metadata
    ) {
      out[out.length - 1] = { ...prev, content: { $case: 'text', value: prev.content.value + part.content.value } };
    } else out.push(part);
  }
  return out;
}

/**
 * A deep copy of plain task data (objects, arrays, primitives, bytes). Not `structuredClone`: on Node 20 that costs
 * ~7 µs a call, and the SDK loads and saves the task on every streamed chunk.
 */
function clone<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value instanceof Uint8Array) return value.slice() as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = clone(v);
  return out as T;
}

function compact(task: Task): Task {
  const copy = clone(task);
  copy.artifacts = copy.artifacts.map((a: Artifact) => ({ ...a, parts: mergeParts(a.parts) }));
  return copy;
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

/** A bounded, compacting in-memory TaskStore. */
export class BoundedTaskStore implements TaskStore {
  private readonly tasks = new Map<string, Task>();

  constructor(private readonly max = 10_000) {}

  async load(taskId: string): Promise<Task | undefined> {
    const task = this.tasks.get(taskId);
    return task ? clone(task) : undefined;
  }

  async save(task: Task): Promise<void> {
    this.tasks.delete(task.id); // re-insert: Map order is the eviction order
    this.tasks.set(task.id, compact(task));
    for (const id of this.tasks.keys()) {
      if (this.tasks.size <= this.max) break;
      this.tasks.delete(id);
    }
  }

  async list(params: ListParams): Promise<ListResult> {
    const pageSize = params.pageSize ?? DEFAULT_PAGE_SIZE;
    let tasks = [...this.tasks.values()];
    if (params.contextId) tasks = tasks.filter((t) => t.contextId === params.contextId);
    if (params.status !== undefined && params.status !== TaskState.TASK_STATE_UNSPECIFIED)
      tasks = tasks.filter((t) => t.status?.state === params.status);
    if (params.statusTimestampAfter) {
      const after = new Date(params.statusTimestampAfter).getTime();
      tasks = tasks.filter((t) => t.status?.timestamp && new Date(t.status.timestamp).getTime() > after);
    }
    // Newest first, ties by id, as the SDK's own store does.
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
      tasks: page.map((t) => {
        const copy = clone(t);
        if (!params.includeArtifacts) copy.artifacts = [];
        return copy;
      }),
      nextPageToken: last && tasks.length > page.length ? encodeToken(last) : '',
      pageSize,
      totalSize,
    };
  }
}
