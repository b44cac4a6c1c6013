/**
 * The session of `agentor chat`: every chat is recorded (unless `--no-session` or config `"sessions": false`),
 * `--continue` picks the latest session of the current directory and `--resume <id|prefix>` a given one. What can go
 * wrong with the state directory never stops a chat: it goes on unsaved, with one warning.
 */
import { ConfigError, readConfigFile, sessionsDir } from '../core/config.js';
import { FileSessionStore } from '../core/sessions/file-store.js';
import { ago, sessionChoices, shortId } from '../core/sessions/describe.js';
import { oneLine } from '../core/text/one-line.js';
import { resolveSession } from '../core/sessions/resolve.js';
import { Session, describeHolder } from '../core/sessions/session.js';
import type { SessionAgentInfo, SessionHeader, SessionStore, SessionSummary } from '../core/sessions/types.js';
import type { SessionSwitcher } from '../ui/options.js';
import { loadUi } from './load-ui.js';

export { ago, shortId } from '../core/sessions/describe.js';
export { oneLine } from '../core/text/one-line.js';

/** The session flags of `agentor chat`, as Commander parses them. */
export interface ChatSessionFlags {
  /** `-c, --continue`. */
  continue?: boolean;
  /** `-r, --resume [id]`: the id or prefix typed, or true when none was. */
  resume?: string | boolean;
  /** `--no-session` makes it false. */
  session?: boolean;
}

/** What the flags ask for, once checked. */
export type SessionPlan =
  | { kind: 'off' }
  | { kind: 'new' }
  | { kind: 'resume'; id: string; header: SessionHeader }
  /** `--resume` without an id in a terminal: the user picks one. */
  | { kind: 'pick'; recent: SessionSummary[] };

/** An open chat session and what the command must do with it. */
export interface ChatSession {
  /** The current session: the chat's `/new` and `/resume` change it. */
  readonly session: Session | undefined;
  store: SessionStore | undefined;
  /** What the interactive chat does with sessions (absent with --no-session). */
  switcher?: SessionSwitcher;
  /** Flushes and releases the session (an empty new session is removed), and closes the store. */
  close(): Promise<void>;
}

/** Writes a warning line on stderr. */
export type Warn = (message: string) => void;

/** Where sessions are kept (a function so tests and `serve --sessions-dir` can name another directory). */
export function openSessionStore(env: NodeJS.ProcessEnv = process.env, dir?: string): FileSessionStore {
  return new FileSessionStore(dir ?? sessionsDir(env));
}

/**
 * Checks the session flags and finds the session to continue. Throws ConfigError (exit 2) for conflicting flags, an
 * unknown id (naming the closest ones), an ambiguous prefix (naming the candidates), and `--resume` without an id when
 * there is no terminal to pick in (naming the recent sessions).
 */
export async function planSession(
  flags: ChatSessionFlags,
  store: SessionStore,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; terminal: boolean; warn: Warn },
): Promise<SessionPlan> {
  const resume = flags.resume;
  if (flags.session === false && (flags.continue || resume !== undefined)) {
    throw new ConfigError(
      '--no-session cannot be combined with --continue or --resume: they continue a saved session.',
    );
  }
  if (flags.continue && resume !== undefined) {
    throw new ConfigError(
      '--continue and --resume cannot be combined: --continue takes the latest session here, --resume the one named.',
    );
  }
  if (flags.session === false) return { kind: 'off' };
  if (!flags.continue && resume === undefined) {
    let enabled = true;
    try {
      enabled = readConfigFile(options.env).sessions !== false;
    } catch {
      // a broken config file is reported where the provider is configured
    }
    return enabled ? { kind: 'new' } : { kind: 'off' };
  }
  if (flags.continue) {
    const cwd = options.cwd ?? process.cwd();
    const [latest] = await store.list({ cwd, limit: 1, brief: true });
    if (!latest) {
      options.warn('no earlier session in this directory: starting a new one');
      return { kind: 'new' };
    }
    return loaded(store, latest.id);
  }
  if (resume === true || resume === '') {
    const recent = await store.list({ limit: options.terminal ? 200 : 10 });
    if (recent.length === 0) throw new ConfigError('--resume: there are no saved sessions yet.');
    if (options.terminal) return { kind: 'pick', recent };
    throw new ConfigError(
      `--resume needs a session id without a terminal to pick one in. Recent sessions:\n${listLines(recent)}\n` +
        'Resume one with: agentor chat --resume <id> "…" (a unique prefix of the id is enough).',
    );
  }
  const found = await resolveSession(store, String(resume));
  if ('id' in found) return loaded(store, found.id);
  if (found.error === 'ambiguous') {
    throw new ConfigError(
      `--resume: "${String(resume)}" matches ${found.candidates.length} sessions; type more of the id:\n${listLines(found.candidates.slice(0, 10))}`,
    );
  }
  throw new ConfigError(
    found.closest.length > 0
      ? `--resume: no session "${String(resume)}". The closest ones:\n${listLines(found.closest)}`
      : `--resume: no session "${String(resume)}", and there are no saved sessions yet.`,
  );
}

/** `--resume` in a terminal: the user picks a session (undefined when they left with Esc). */
export async function pickSession(
  store: SessionStore,
  recent: readonly SessionSummary[],
): Promise<SessionPlan | undefined> {
  const ui = await loadUi();
  const id = await ui.pickFromList({
    title: 'Resume a session',
    items: sessionChoices(recent, { cwd: process.cwd(), home: process.env['HOME'] }),
  });
  return id === undefined ? undefined : loaded(store, id);
}

async function loaded(store: SessionStore, id: string): Promise<SessionPlan> {
  const header = await store.header(id);
  if (!header) throw new ConfigError(`--resume: session ${id} cannot be read (it was removed meanwhile?)`);
  return { kind: 'resume', id, header };
}

/** The `--agent` values a resumed session was started with, when the command names none itself. */
export function resumedAgentRefs(plan: SessionPlan, given: readonly string[] | undefined): string[] | undefined {
  if (given && given.length > 0) return [...given];
  if (plan.kind !== 'resume') return given ? [...given] : undefined;
  const refs = plan.header.agents.map((a) => a.ref);
  return refs.length > 0 && refs.every((r): r is string => typeof r === 'string') ? refs : undefined;
}

/**
 * Starts or resumes the session the plan names, for these agents. A store that cannot be written to (a read-only
 * state directory, a full disk) gives one warning and no session: the chat goes on unsaved.
 */
export async function openChatSession(
  plan: SessionPlan,
  store: SessionStore,
  agents: readonly SessionAgentInfo[],
  warn: Warn,
): Promise<ChatSession> {
  const onWarning = (message: string): void => warn(message);
  let session: Session | undefined;
  /** Sessions started here (not resumed): removed on leaving them when nothing was said. */
  const created = new WeakSet<Session>();
  if (plan.kind === 'resume') {
    session = await Session.resume(plan.id, { store, onWarning, agents: agents.map((a) => a.name) });
    for (const notice of session.notices) warn(notice);
    if (session.forkedFrom) {
      warn(
        `session ${shortId(session.forkedFrom.id)} is in use by another agentor process (${describeHolder(session.forkedFrom.heldBy)}): continuing in a copy of it, session ${session.id}`,
      );
    }
  } else if (plan.kind === 'new') {
    try {
      session = await Session.create({ agents: [...agents] }, { store, onWarning });
      created.add(session);
    } catch (e) {
      warn(`this chat is not being saved: ${describeFailure(e)}`);
    }
  }
  const leave = async (s: Session | undefined): Promise<void> => {
    if (!s) return;
    await s.close();
    // A chat in which nothing was said is not worth listing.
    if (created.has(s) && s.turns === 0) await store.remove(s.id).catch(() => false);
  };
  const names = agents.map((a) => a.name);
  const switcher: SessionSwitcher = {
    recent: (limit) => store.list({ cwd: process.cwd(), limit }),
    startNew: async () => {
      let next: Session;
      try {
        next = await Session.create({ agents: [...agents] }, { store, onWarning });
      } catch (e) {
        throw new Error(`cannot start a new session: ${describeFailure(e)}`, { cause: e });
      }
      created.add(next);
      const previous = session;
      session = next;
      await leave(previous);
      return next;
    },
    resume: async (typed) => {
      const found = await resolveSession(store, typed);
      if (!('id' in found)) {
        throw new Error(
          found.error === 'ambiguous'
            ? `"${typed}" matches ${found.candidates.length} sessions; type more of the id:\n${listLines(found.candidates.slice(0, 10))}`
            : found.closest.length > 0
              ? `no session "${typed}". The closest ones:\n${listLines(found.closest)}`
              : `no session "${typed}", and there are no other saved sessions yet`,
        );
      }
      if (found.id === session?.id) throw new Error(`this chat is session ${shortId(found.id)} already`);
      const next = await Session.resume(found.id, { store, onWarning, agents: names });
      const previous = session;
      session = next;
      await leave(previous);
      return next;
    },
  };
  let closed = false;
  return {
    get session() {
      return session;
    },
    store,
    ...(plan.kind === 'off' ? {} : { switcher }),
    close: async () => {
      if (closed) return;
      closed = true;
      await leave(session);
      await store.close();
    },
  };
}

function describeFailure(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS') {
    return `cannot write to ${err.path ?? 'the sessions directory'} (${err.code}); set XDG_STATE_HOME to a writable directory`;
  }
  if (err.code === 'ENOSPC') return 'the disk is full';
  return err.message ?? String(e);
}

/** One line per session: id, when, turns, first prompt (for error messages and listings without a terminal). */
export function listLines(sessions: readonly SessionSummary[]): string {
  return sessions
    .map((s) => {
      const prompt = oneLine(s.firstPrompt, 60);
      return `  ${s.id}  ${ago(s.updated)}, ${s.turns} message${s.turns === 1 ? '' : 's'}${prompt ? `  "${prompt}"` : ''}`;
    })
    .join('\n');
}
