/**
 * The session of `agentor chat`: every chat is recorded (unless `--no-session` or config `"sessions": false`),
 * `--continue` picks the latest session of the current directory and `--resume <id|prefix>` a given one. What can go
 * wrong with the state directory never stops a chat: it goes on unsaved, with one warning.
 */
import { ConfigError, readConfigFile, sessionsDir } from '../core/config.js';
import { FileSessionStore } from '../core/sessions/file-store.js';
import { resolveSession } from '../core/sessions/resolve.js';
import { Session, describeHolder } from '../core/sessions/session.js';
import type { SessionAgentInfo, SessionHeader, SessionStore, SessionSummary } from '../core/sessions/types.js';
import { loadUi } from './load-ui.js';

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
  session: Session | undefined;
  store: SessionStore | undefined;
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
    const [latest] = await store.list({ cwd, limit: 1 });
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
  const home = process.env['HOME'];
  const here = process.cwd();
  const id = await ui.pickFromList({
    title: 'Resume a session',
    items: recent.map((s) => {
      const dir = s.cwd === here ? 'here' : home && s.cwd.startsWith(home) ? `~${s.cwd.slice(home.length)}` : s.cwd;
      return {
        id: s.id,
        label: oneLine(s.firstPrompt, 70) || '(no message)',
        detail: `${ago(s.updated)} · ${s.turns} msg · ${oneLine(s.agents.length > 1 ? s.agents.join(',') : s.model, 24)} · ${oneLine(dir, 30)} · ${shortId(s.id)}`,
        keywords: s.cwd,
      };
    }),
  });
  return id === undefined ? undefined : loaded(store, id);
}

async function loaded(store: SessionStore, id: string): Promise<SessionPlan> {
  const session = await store.load(id);
  if (!session) throw new ConfigError(`--resume: session ${id} cannot be read (it was removed meanwhile?)`);
  return { kind: 'resume', id, header: session.header };
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
  let created = false;
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
      created = true;
    } catch (e) {
      warn(`this chat is not being saved: ${describeFailure(e)}`);
    }
  }
  let closed = false;
  return {
    session,
    store,
    close: async () => {
      if (closed) return;
      closed = true;
      if (session) {
        await session.close();
        // A chat in which nothing was said is not worth listing.
        if (created && session.turns === 0) await store.remove(session.id).catch(() => false);
      }
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

/** The first 8 characters of an id (what listings show; a unique prefix resumes it). */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

/** When, relative to now: "just now", "5 min ago", "3 h ago", "2 days ago", then a date. */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.floor(s / 86_400)} day${s < 2 * 86_400 ? '' : 's'} ago`;
  return new Date(ms).toISOString().slice(0, 10);
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

/** A text on one line (control characters dropped, whitespace collapsed), cut to `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...flat];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
}
