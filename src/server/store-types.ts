/** The interface of what `serve` keeps beyond one request (store.ts has the implementations). */
import type { ReadinessCheck } from './readiness.js';
import type { ConversationStore, SessionOptions } from './sessions.js';
import type { LiveTaskStore, TaskStoreOptions } from './task-store.js';

/** Where a server keeps sessions and tasks, and how it reaches runs on other replicas. */
export interface ServerStore {
  /** `memory` or the Redis URL with its password masked. */
  readonly shown: string;
  /** The conversations behind `session_id` / A2A `contextId`. */
  sessions(options?: SessionOptions): ConversationStore;
  /** The A2A task store; undefined for the in-process default (so the A2A SDK loads only with the A2A routes). */
  tasks(options?: TaskStoreOptions): LiveTaskStore | undefined;
  /**
   * Asks the replica running `taskId` to cancel it; resolves true once the task has ended there, false when no replica
   * owns it (the memory store never has other replicas).
   */
  cancelRemote(taskId: string): Promise<boolean>;
  /** How this replica cancels a task it runs when another replica asks (true when it was running here). */
  onCancel(handler: (taskId: string) => boolean): void;
  /** The store's readiness checks (none for memory). */
  readiness(): ReadinessCheck[];
  /** False while a shared store is unreachable: requests that need it are answered 503. */
  readonly available: boolean;
  close(): Promise<void>;
}

/** Options of a shared store. */
export interface OpenStoreOptions {
  /** How long a replica's lease lasts without a heartbeat: its running tasks fail after it (default 15 s). */
  leaseMs?: number;
  /** How long finished tasks and idle sessions are kept in the store (default 24 h). */
  ttlMs?: number;
  /** The operator's log. */
  log?: (line: string) => void;
}
