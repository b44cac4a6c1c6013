/**
 * The file session store (the CLI's default): one append-only JSONL file per session, `<dir>/<id>.jsonl`, private to
 * the user (files 0600, directory 0700: sessions hold prompts and answers). Appends are synchronous writes of whole
 * lines, so what `append` returned for is in the kernel: a crash or `kill -9` loses at most the batch not yet handed
 * over. Loading skips corrupt lines (naming file and line) and a torn last line.
 *
 * Leases are lock files, `<id>.lock`, created with O_EXCL and holding the owner's pid, host and start time. A lock is
 * stale when its process is gone (same host) or, from another host, when it was not renewed within the lease's time;
 * a stale lock is taken over by renaming it away first, so two processes cannot both take it.
 */
import {
  closeSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
  constants,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  isSessionHeader,
  isSessionRecord,
  type LeaseHolder,
  type LeaseResult,
  type ListOptions,
  type LoadedSession,
  type SessionHeader,
  type SessionRecord,
  type SessionStore,
  type SessionSummary,
} from './types.js';

/** Session ids are file names: letters, digits, `-`, `_` and `.` (not first), at most 128. */
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** A lock that holds no readable owner yet (its creator is writing it) is left alone this long. */
const UNREADABLE_LOCK_GRACE_MS = 2_000;
const DEFAULT_LEASE_MS = 30_000;
const HEAD_BYTES = 64 * 1024;
/** How a user record's line starts (records are written with `type` first). */
const USER_LINE = Buffer.from('\n{"type":"user"');

/** Throws for an id that cannot be a session file name. */
export function checkSessionId(id: string): void {
  if (!ID.test(id)) throw new Error(`invalid session id "${id}": use letters, digits, "-", "_" or "." (at most 128)`);
}

/** Options of the file store (the defaults are the real machine's). */
export interface FileSessionStoreOptions {
  pid?: number;
  host?: string;
  /** Whether a process of this host is alive (default: `process.kill(pid, 0)`). */
  alive?: (pid: number) => boolean;
}

/** Sessions as JSONL files in one directory. */
export class FileSessionStore implements SessionStore {
  private readonly fds = new Map<string, number>();
  private readonly held = new Map<string, { timer: NodeJS.Timeout; token: string }>();
  private readonly pid: number;
  private readonly host: string;
  private readonly alive: (pid: number) => boolean;
  private exitHook: (() => void) | undefined;

  constructor(
    readonly dir: string,
    options: FileSessionStoreOptions = {},
  ) {
    this.pid = options.pid ?? process.pid;
    this.host = options.host ?? hostname();
    this.alive = options.alive ?? processAlive;
  }

  /** The file of a session. */
  path(id: string): string {
    checkSessionId(id);
    return join(this.dir, `${id}.jsonl`);
  }

  private lockPath(id: string): string {
    return join(this.dir, `${id}.lock`);
  }

  async create(header: SessionHeader): Promise<void> {
    const path = this.path(header.id);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeAll(fd, `${JSON.stringify(header)}\n`);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.fds.set(header.id, fd);
    return;
  }

  async append(id: string, records: readonly SessionRecord[]): Promise<void> {
    return this.appendLines(
      id,
      records.map((r) => JSON.stringify(r)),
    );
  }

  async appendLines(id: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    writeAll(this.fd(id), `${lines.join('\n')}\n`);
    return;
  }

  /** The open descriptor of a session (appending only: a missing session is an error, never a new file). */
  private fd(id: string): number {
    let fd = this.fds.get(id);
    if (fd !== undefined) return fd;
    fd = openSync(this.path(id), constants.O_WRONLY | constants.O_APPEND);
    try {
      // A torn last line (the process was killed mid-write) must not swallow the next record.
      const size = fstatSync(fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        const reader = openSync(this.path(id), 'r');
        try {
          readSync(reader, last, 0, 1, size - 1);
        } finally {
          closeSync(reader);
        }
        if (last[0] !== 0x0a) writeAll(fd, '\n');
      }
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.fds.set(id, fd);
    return fd;
  }

  async load(id: string): Promise<LoadedSession | undefined> {
    const path = this.path(id);
    let text: Buffer;
    try {
      text = readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return parseSessionLog(text, path);
  }

  async header(id: string): Promise<SessionHeader | undefined> {
    if (!ID.test(id)) return undefined;
    const header = readHeader(this.path(id));
    return header?.id === id ? header : undefined;
  }

  async list(options: ListOptions = {}): Promise<SessionSummary[]> {
    const files = this.files(options.prefix);
    const out: SessionSummary[] = [];
    for (const f of files) {
      if (options.limit !== undefined && out.length >= options.limit) break;
      const header = readHeader(f.path);
      if (!header || header.id !== f.id) continue;
      if (options.cwd !== undefined && header.cwd !== options.cwd) continue;
      out.push(summarize(f.path, header, f.mtime, options.brief === true));
    }
    return out;
  }

  /** The session files, most recently written first. */
  private files(prefix = ''): Array<{ id: string; path: string; mtime: number }> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const files: Array<{ id: string; path: string; mtime: number }> = [];
    for (const name of names) {
      if (!name.endsWith('.jsonl') || !name.startsWith(prefix)) continue;
      const id = name.slice(0, -'.jsonl'.length);
      if (!ID.test(id)) continue;
      const path = join(this.dir, name);
      try {
        files.push({ id, path, mtime: statSync(path).mtimeMs });
      } catch {
        // removed meanwhile
      }
    }
    return files.sort((a, b) => b.mtime - a.mtime || (a.id < b.id ? -1 : 1));
  }

  async lease(id: string, ttlMs = DEFAULT_LEASE_MS): Promise<LeaseResult> {
    const path = this.lockPath(id);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    let holder: LeaseHolder | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const mine: LeaseHolder = { pid: this.pid, host: this.host, since: Date.now() };
      const token = JSON.stringify(mine);
      try {
        const fd = openSync(path, 'wx', 0o600);
        try {
          writeAll(fd, token);
        } finally {
          closeSync(fd);
        }
        return { lease: this.hold(id, path, token, ttlMs) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const found = readLock(path);
      if (!found) continue; // released meanwhile
      holder = found.holder ?? { pid: 0, host: '', since: found.mtime };
      if (!this.stale(found, ttlMs)) return { heldBy: holder };
      takeOver(path, found.raw);
    }
    return { heldBy: holder ?? { pid: 0, host: '', since: Date.now() } };
  }

  private stale(found: { holder: LeaseHolder | undefined; mtime: number }, ttlMs: number): boolean {
    const { holder, mtime } = found;
    if (!holder) return Date.now() - mtime > UNREADABLE_LOCK_GRACE_MS;
    if (holder.host === this.host) return !this.alive(holder.pid);
    return Date.now() - mtime > ttlMs;
  }

  /** Keeps a taken lock fresh (its mtime, for other hosts) until released; released at exit at the latest. */
  private hold(id: string, path: string, token: string, ttlMs: number): { id: string; release(): Promise<void> } {
    const timer = setInterval(
      () => {
        try {
          utimesSync(path, new Date(), new Date());
        } catch {
          // removed by someone who judged it stale: nothing to renew
        }
      },
      Math.max(1_000, Math.floor(ttlMs / 3)),
    );
    timer.unref();
    this.held.set(id, { timer, token });
    if (!this.exitHook) {
      // A process that exits without closing the store (process.exit, an uncaught error) still frees its locks.
      this.exitHook = () => {
        for (const [heldId, h] of this.held) unlinkIfMine(this.lockPath(heldId), h.token);
      };
      process.on('exit', this.exitHook);
    }
    let released = false;
    return {
      id,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        this.held.delete(id);
        // A process that gave up writing the session keeps no descriptor of it (a server opens many sessions).
        this.closeFile(id);
        unlinkIfMine(path, token);
      },
    };
  }

  private closeFile(id: string): void {
    const fd = this.fds.get(id);
    if (fd === undefined) return;
    this.fds.delete(id);
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }

  async remove(id: string): Promise<boolean> {
    const path = this.path(id);
    this.closeFile(id);
    try {
      unlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    try {
      unlinkSync(this.lockPath(id));
    } catch {
      // no lock
    }
    return true;
  }

  async close(): Promise<void> {
    for (const fd of this.fds.values()) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.fds.clear();
    for (const [id, h] of this.held) {
      clearInterval(h.timer);
      unlinkIfMine(this.lockPath(id), h.token);
    }
    this.held.clear();
    if (this.exitHook) process.off('exit', this.exitHook);
    this.exitHook = undefined;
    return;
  }
}

/** Writes all of `text` (a short write is continued, not dropped). */
function writeAll(fd: number, text: string): void {
  // The string is written as it is (no Buffer made for it); only a short write (a full disk) needs its bytes.
  const written = writeSync(fd, text);
  const size = Buffer.byteLength(text);
  if (written === size) return;
  const buf = Buffer.from(text, 'utf8');
  for (let off = written; off < size;) off += writeSync(fd, buf, off, size - off);
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

function readLock(path: string): { raw: string; holder: LeaseHolder | undefined; mtime: number } | undefined {
  let raw: string;
  let mtime: number;
  try {
    raw = readFileSync(path, 'utf8');
    mtime = statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
  let holder: LeaseHolder | undefined;
  try {
    const v = JSON.parse(raw) as Partial<LeaseHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.since === 'number') {
      holder = { pid: v.pid, host: v.host, since: v.since };
    }
  } catch {
    // being written, or garbage
  }
  return { raw, holder, mtime };
}

/**
 * Moves a stale lock out of the way. Renaming is atomic, so of two processes taking over the same stale lock only one
 * moves it; if what was moved is not the lock judged stale (a new owner took it meanwhile), it is put back.
 */
function takeOver(path: string, staleRaw: string): void {
  const aside = `${path}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else moved it
  }
  try {
    if (readFileSync(aside, 'utf8') !== staleRaw) {
      try {
        linkSync(aside, path);
      } catch {
        // a third owner holds it now; either way the next attempt sees a live lock
      }
    }
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // gone
    }
  }
}

function unlinkIfMine(path: string, token: string): void {
  try {
    if (readFileSync(path, 'utf8') === token) unlinkSync(path);
  } catch {
    // gone already
  }
}

/** Parses a session log; corrupt lines are skipped with a notice naming `file` and the line. */
export function parseSessionLog(text: string | Buffer, file: string): LoadedSession | undefined {
  // Read as bytes and decoded at once: about twice as fast as readFileSync(path, 'utf8') for a long session.
  const str = typeof text === 'string' ? text : text.toString('utf8');
  const notices: string[] = [];
  const records: SessionRecord[] = [];
  let header: SessionHeader | undefined;
  let line = 0;
  let start = 0;
  while (start < str.length) {
    let end = str.indexOf('\n', start);
    const torn = end === -1;
    if (torn) end = str.length;
    line++;
    const raw = str.slice(start, end);
    start = end + 1;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      notices.push(
        torn
          ? `${file}:${line}: the last line was cut off (the process was stopped while writing it); ignored`
          : `${file}:${line}: skipped a corrupt line`,
      );
      continue;
    }
    if (!header) {
      if (!isSessionHeader(value)) return undefined; // the first line says what the file is
      header = value;
      continue;
    }
    if (isSessionRecord(value)) records.push(value);
    else notices.push(`${file}:${line}: skipped a line that is not a session record`);
  }
  if (!header) return undefined;
  return { header, records, notices };
}

/** The header of a session file, from its first line (undefined when unreadable or not a session). */
function readHeader(path: string): SessionHeader | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    const nl = buf.indexOf(0x0a);
    const first = buf.subarray(0, nl === -1 || nl > n ? n : nl).toString('utf8');
    const value: unknown = JSON.parse(first);
    return isSessionHeader(value) ? value : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** A listing line: the header's facts, user messages counted and the first one read, without parsing every line. */
function summarize(path: string, header: SessionHeader, mtime: number, brief: boolean): SessionSummary {
  const { turns, firstPrompt } = brief ? { turns: 0, firstPrompt: '' } : userMessages(path);
  return {
    id: header.id,
    created: header.created,
    updated: mtime,
    cwd: header.cwd,
    agents: header.agents.map((a) => a.name),
    model: header.model,
    turns,
    firstPrompt,
    ...(header.parent ? { parent: header.parent } : {}),
  };
}

/** How many user messages a session file holds, and the first one. */
function userMessages(path: string): { turns: number; firstPrompt: string } {
  let turns = 0;
  let firstPrompt = '';
  try {
    const buf = readFileSync(path);
    for (let at = buf.indexOf(USER_LINE); at !== -1; at = buf.indexOf(USER_LINE, at + USER_LINE.length)) {
      turns++;
      if (turns === 1) {
        const end = buf.indexOf(0x0a, at + 1);
        try {
          const rec = JSON.parse(buf.subarray(at + 1, end === -1 ? buf.length : end).toString('utf8')) as {
            text?: unknown;
          };
          if (typeof rec.text === 'string') firstPrompt = rec.text;
        } catch {
          // a torn line: no prompt to show
        }
      }
    }
  } catch {
    // unreadable now: the header's facts are still worth listing
  }
  return { turns, firstPrompt };
}
