/**
 * `serve --sessions-dir DIR`: the conversations behind `session_id` (/chat, /ws) and A2A `contextId` kept as core
 * session logs (one JSONL file each, as `agentor chat` writes them), so they survive a restart of the server and
 * `agentor sessions --dir DIR` lists and shows them. Each run takes the session's lock file for as long as it runs:
 * a second run of the same session, in this process or in another one on the directory, is answered busy (409), as
 * the memory store answers it. The run continues the conversation folded from the log and records its input and
 * events; releasing the lease writes what is pending and frees the lock.
 */
import { createHash } from 'node:crypto';
import { FileSessionStore } from '../core/sessions/file-store.js';
import { Session, SessionBusyError, SessionNotFoundError } from '../core/sessions/session.js';
import type { SessionAgentInfo } from '../core/sessions/types.js';
import { HttpError } from './http.js';
import type { ConversationStore, SessionLease } from './sessions.js';
import type { ServerStore } from './store-types.js';

/** What a session file may be called (the file store's rule), with room for a prefix. */
const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * The file id of a store key: a `session_id` that is already a valid file name is kept as it is (so the operator
 * finds it under that name); A2A contexts (`a2a:<contextId>`) become `a2a-<contextId>`; anything else is hashed.
 * Client ids that start with `a2a-` are hashed too, so a `/chat` client cannot land in an A2A context's file.
 */
export function sessionFileId(key: string): string {
  if (key.startsWith('a2a:')) {
    const context = key.slice(4);
    return `a2a-${PLAIN_ID.test(context) ? context : digest(context)}`;
  }
  return PLAIN_ID.test(key) && !key.startsWith('a2a-') ? key : `chat-${digest(key)}`;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 40);
}

/** Options of the file conversation store. */
export interface FileConversationOptions {
  /** The served agent, as the session headers name it. */
  agent: SessionAgentInfo;
  /** The operator's log (notices about skipped lines, a session that stopped being saved). */
  log?: (line: string) => void;
}

/** Conversations as session files in one directory, one run at a time per session. */
export class FileConversationStore implements ConversationStore {
  readonly store: FileSessionStore;
  /** Sessions held by a run of this process (checked before the lock file, which says the same more slowly). */
  private readonly busy = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly options: FileConversationOptions,
  ) {
    this.store = new FileSessionStore(dir);
  }

  async acquire(key: string): Promise<SessionLease | undefined> {
    const id = sessionFileId(key);
    if (this.busy.has(id)) return undefined;
    this.busy.add(id);
    const { agent, log } = this.options;
    const onWarning = (message: string): void => log?.(`session ${id}: ${message}`);
    let session: Session;
    let created = false;
    try {
      try {
        session = await Session.resume(id, { store: this.store, busy: 'refuse', agents: [agent.name], onWarning });
        for (const notice of session.notices) onWarning(notice);
      } catch (e) {
        if (!(e instanceof SessionNotFoundError)) throw e;
        session = await Session.create({ id, agents: [agent] }, { store: this.store, onWarning });
        created = true;
      }
    } catch (e) {
      this.busy.delete(id);
      // Another process holds it, or created it a moment ago.
      if (e instanceof SessionBusyError || (e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      log?.(`session ${id}: cannot open it in ${this.dir}: ${(e as Error)?.message ?? String(e)}`);
      throw new HttpError(503, 'the session store is unavailable right now; retry in a moment', 'store_unavailable', {
        'retry-after': '1',
      });
    }
    let released = false;
    return {
      conversation: session.conversation(agent.name),
      session,
      release: async () => {
        if (released) return;
        released = true;
        try {
          await session.close();
          // A run that never started (its request failed first) leaves no empty session behind.
          if (created && session.turns === 0) await this.store.remove(id).catch(() => false);
        } finally {
          this.busy.delete(id);
        }
      },
    };
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * The server store with its sessions kept in `dir` instead (A2A tasks and everything else stay where `store` keeps
 * them). Closing it closes both.
 */
export function withSessionsDir(store: ServerStore, dir: string, options: FileConversationOptions): ServerStore {
  let files: FileConversationStore | undefined;
  return {
    get shown() {
      return store.shown;
    },
    get available() {
      return store.available;
    },
    sessions: () => (files ??= new FileConversationStore(dir, options)),
    tasks: (o) => store.tasks(o),
    cancelRemote: (taskId) => store.cancelRemote(taskId),
    onCancel: (handler) => store.onCancel(handler),
    ask: (request) => store.ask(request),
    tell: (request) => store.tell(request),
    onRequest: (handler) => store.onRequest(handler),
    readiness: () => store.readiness(),
    close: async () => {
      await files?.close();
      await store.close();
    },
  };
}
