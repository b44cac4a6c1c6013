/** The interface of what `serve` keeps beyond one request (store.ts has the implementations). */
import type { Message } from '@a2a-js/sdk';
import type { ApprovalAnswer } from '../core/tools/approval.js';
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
  /**
   * Asks the other replicas to act on a run this one does not hold; resolves true once one of them did, false when
   * none did (the memory store has no other replica: always false).
   */
  ask(request: ReplicaRequest): Promise<boolean>;
  /** Tells the other replicas, without waiting for an answer. */
  tell(request: ReplicaRequest): void;
  /** How this replica acts on what another asks or tells (true when it did: the run is here). */
  onRequest(handler: (request: ReplicaRequest) => boolean): void;
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

/** What one replica asks of the replica holding a run. */
export type ReplicaRequest =
  /** Cancel the run holding this session (a /ws `cancel` frame naming the session). */
  | { op: 'cancel-session'; sessionId: string }
  /** The answer to a tool approval question of a /chat or /ws run. */
  | { op: 'approval'; runId: string; callId: string; answer: ApprovalAnswer }
  /** A message sent to an A2A task through another replica: the answer to the tool approval the task waits for. */
  | { op: 'a2a-answer'; taskId: string; message: Message }
  /** A client follows this A2A task from another replica: keep the run going as if it listened here. */
  | { op: 'listen'; taskId: string };
