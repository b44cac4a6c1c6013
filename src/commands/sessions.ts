/**
 * `agentor sessions`: the saved chats. `list` (the default), `show <id>` (the conversation as text), `export <id>`
 * (the log as JSONL, or Markdown), `rm <id…>` and `prune --older-than <age>`. Ids may be given as unique prefixes.
 */
import { writeFileSync } from 'node:fs';
import { ConfigError, parseDuration } from '../core/config.js';
import { resolveSession } from '../core/sessions/resolve.js';
import { describeHolder } from '../core/sessions/session.js';
import { sessionTranscript, transcriptMarkdown, type TranscriptEntry } from '../core/sessions/transcript.js';
import type { FileSessionStore } from '../core/sessions/file-store.js';
import type { SessionSummary } from '../core/sessions/types.js';
import { sanitize } from '../core/text/sanitize.js';
import { ago, listLines, oneLine, openSessionStore, shortId } from './chat-session.js';

/** `--dir`: the sessions directory of every subcommand (default: the CLI's own; `serve --sessions-dir` names another). */
export interface SessionsDirOption {
  dir?: string;
}

/** Options of `agentor sessions list`. */
export interface SessionsListOptions extends SessionsDirOption {
  json?: boolean;
  /** Only sessions started in the current directory. */
  here?: boolean;
  limit?: number;
}

/** Options of `agentor sessions show`. */
export interface SessionsShowOptions extends SessionsDirOption {
  /** The raw log (header and records, one JSON object a line) instead of the conversation. */
  json?: boolean;
}

/** Options of `agentor sessions export`. */
export interface SessionsExportOptions extends SessionsDirOption {
  format?: string;
  output?: string;
}

/** Options of `agentor sessions rm`. */
export interface SessionsRemoveOptions extends SessionsDirOption {
  /** Remove also a session another process is writing. */
  force?: boolean;
}

/** Options of `agentor sessions prune`. */
export interface SessionsPruneOptions extends SessionsDirOption {
  olderThan?: string;
  dryRun?: boolean;
}

function fail(message: string): number {
  process.stderr.write(`agentor: ${message}\n`);
  return 2;
}

/** Runs one `agentor sessions` subcommand with a store that is closed afterwards; ConfigError → exit 2. */
async function withStore(opts: SessionsDirOption, fn: (store: FileSessionStore) => Promise<number>): Promise<number> {
  const store = openSessionStore(process.env, opts.dir);
  try {
    return await fn(store);
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EACCES' || err.code === 'EPERM') return fail(`cannot read ${err.path ?? store.dir}: ${err.code}`);
    throw e;
  } finally {
    await store.close();
  }
}

/** A typed id or prefix → the session's id; ConfigError naming the closest or the candidates otherwise. */
async function resolveId(store: FileSessionStore, typed: string): Promise<string> {
  const found = await resolveSession(store, typed);
  if ('id' in found) return found.id;
  if (found.error === 'ambiguous') {
    throw new ConfigError(
      `"${typed}" matches ${found.candidates.length} sessions; type more of the id:\n${listLines(found.candidates.slice(0, 10))}`,
    );
  }
  throw new ConfigError(
    found.closest.length > 0
      ? `no session "${typed}". The closest ones:\n${listLines(found.closest)}`
      : `no session "${typed}": there are no saved sessions (${store.dir}).`,
  );
}

/** `agentor sessions [list]`. */
export function runSessionsList(opts: SessionsListOptions): Promise<number> {
  return withStore(opts, async (store) => {
    const limit = opts.limit ?? (opts.json ? undefined : 20);
    const sessions = await store.list({
      ...(opts.here ? { cwd: process.cwd() } : {}),
      ...(limit !== undefined ? { limit } : {}),
    });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(sessions)}\n`);
      return 0;
    }
    if (sessions.length === 0) {
      process.stderr.write(
        opts.here
          ? 'No saved sessions started in this directory (agentor sessions lists all of them).\n'
          : 'No saved sessions yet: every `agentor chat` is saved, unless --no-session.\n',
      );
      return 0;
    }
    process.stdout.write(table(sessions, process.stdout.columns || 100));
    if (limit !== undefined && sessions.length === limit) {
      process.stderr.write(`(the ${limit} most recent; --limit <n> for more)\n`);
    }
    return 0;
  });
}

function table(sessions: readonly SessionSummary[], columns: number): string {
  const home = process.env['HOME'];
  const rows = sessions.map((s) => [
    shortId(s.id),
    ago(s.updated),
    String(s.turns),
    oneLine(s.agents.length > 1 ? s.agents.join(',') : s.model || (s.agents[0] ?? ''), 24),
    oneLine(home && s.cwd.startsWith(home) ? `~${s.cwd.slice(home.length)}` : s.cwd, 28),
  ]);
  const head = ['ID', 'UPDATED', 'MSGS', 'MODEL/AGENTS', 'DIRECTORY'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  const used = widths.reduce((a, b) => a + b + 2, 0);
  const room = Math.max(20, columns - used - 1);
  const out = [`${line(head)}  FIRST MESSAGE`];
  sessions.forEach((s, i) => out.push(`${line(rows[i] as string[])}  ${oneLine(s.firstPrompt, room)}`));
  return `${out.join('\n')}\n`;
}

/** `agentor sessions show <id>`: the conversation as text (sanitised: recorded text never drives the terminal). */
export function runSessionsShow(typed: string, opts: SessionsShowOptions = {}): Promise<number> {
  return withStore(opts, async (store) => {
    const id = await resolveId(store, typed);
    const loaded = await store.load(id);
    if (!loaded) return fail(`session ${id} was removed meanwhile`);
    for (const n of loaded.notices) process.stderr.write(`agentor: ${n}\n`);
    if (opts.json) {
      process.stdout.write([loaded.header, ...loaded.records].map((r) => `${JSON.stringify(r)}\n`).join(''));
      return 0;
    }
    const h = loaded.header;
    const color = Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'];
    const dim = (s: string): string => (color ? `\x1b[2m${s}\x1b[22m` : s);
    const bold = (s: string): string => (color ? `\x1b[1m${s}\x1b[22m` : s);
    const out: string[] = [
      dim(
        `session ${h.id} · ${new Date(h.created).toISOString().slice(0, 16).replace('T', ' ')} · ${sanitize(h.agents.map((a) => `${a.name} (${a.model})`).join(', '))} · ${sanitize(h.cwd)}${h.parent ? ` · forked from ${h.parent}` : ''}`,
      ),
    ];
    for (const e of sessionTranscript(loaded.records)) out.push(showEntry(e, h.agents.length > 1, bold, dim));
    process.stdout.write(`${out.join('\n\n')}\n`);
    return 0;
  });
}

function showEntry(
  e: TranscriptEntry,
  several: boolean,
  bold: (s: string) => string,
  dim: (s: string) => string,
): string {
  switch (e.kind) {
    case 'user':
      return `${bold(`› you${e.to && several ? ` → ${e.to.join(', ')}` : ''}`)}\n${sanitize(e.text)}`;
    case 'assistant':
      return `${bold(sanitize(e.agent))}\n${sanitize(e.text)}`;
    case 'tool': {
      const mark = e.result === undefined ? '…' : e.isError ? '✗' : '✓';
      const result = e.result === undefined ? '' : ` → ${oneLine(sanitize(e.result), 120)}`;
      return dim(`${mark} ${sanitize(e.name)}(${oneLine(sanitize(JSON.stringify(e.args)), 100)})${result}`);
    }
    case 'end':
      return dim(`${sanitize(e.agent)}: run ${e.status}${e.error ? `: ${sanitize(e.error.message)}` : ''}`);
    case 'clear':
      return dim('(the conversation was cleared here: what follows starts over)');
    case 'compact':
      return dim(
        `${sanitize(e.agent)}: ${e.before - e.keep} earlier messages were compacted into a summary:\n${sanitize(e.summary)}`,
      );
  }
}

/** `agentor sessions export <id>`: the log as it is (JSONL, the default) or a Markdown transcript. */
export function runSessionsExport(typed: string, opts: SessionsExportOptions): Promise<number> {
  return withStore(opts, async (store) => {
    const format = (opts.format ?? 'jsonl').toLowerCase();
    if (!['jsonl', 'json', 'md', 'markdown'].includes(format)) {
      throw new ConfigError(`--format must be jsonl or md, not "${opts.format}"`);
    }
    const id = await resolveId(store, typed);
    const loaded = await store.load(id);
    if (!loaded) return fail(`session ${id} was removed meanwhile`);
    for (const n of loaded.notices) process.stderr.write(`agentor: ${n}\n`);
    const text =
      format === 'jsonl' || format === 'json'
        ? [loaded.header, ...loaded.records].map((r) => `${JSON.stringify(r)}\n`).join('')
        : transcriptMarkdown(sessionTranscript(loaded.records), `Session ${id}`);
    if (opts.output && opts.output !== '-') {
      writeFileSync(opts.output, text, { mode: 0o600 });
      process.stderr.write(`agentor: wrote ${opts.output}\n`);
    } else {
      process.stdout.write(text);
    }
    return 0;
  });
}

/** `agentor sessions rm <id…>`: a session another live process is writing is kept unless --force. */
export function runSessionsRemove(typed: string[], opts: SessionsRemoveOptions): Promise<number> {
  return withStore(opts, async (store) => {
    let code = 0;
    for (const t of typed) {
      let id: string;
      try {
        id = await resolveId(store, t);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        code = fail(e.message);
        continue;
      }
      if (!opts.force) {
        const taken = await store.lease(id);
        if ('heldBy' in taken) {
          code = fail(`session ${id} is in use (${describeHolder(taken.heldBy)}); --force removes it anyway`);
          continue;
        }
        await taken.lease.release();
      }
      if (await store.remove(id)) process.stdout.write(`removed ${id}\n`);
    }
    return code;
  });
}

/** `agentor sessions prune`: removes sessions not written to for longer than `--older-than` (default 30 days). */
export function runSessionsPrune(opts: SessionsPruneOptions): Promise<number> {
  return withStore(opts, async (store) => {
    const age = parseDuration(opts.olderThan ?? '30d');
    const cutoff = Date.now() - age;
    const old = (await store.list()).filter((s) => s.updated < cutoff);
    let removed = 0;
    let busy = 0;
    for (const s of old) {
      if (opts.dryRun) {
        process.stdout.write(`would remove ${s.id}  ${ago(s.updated)}  ${oneLine(s.firstPrompt, 60)}\n`);
        continue;
      }
      // Removed while holding its lock: a chat or a `serve --sessions-dir` run cannot take it up in between.
      const taken = await store.lease(s.id);
      if ('heldBy' in taken) {
        busy++; // in use: not old after all
        continue;
      }
      try {
        if (await store.remove(s.id)) removed++;
      } finally {
        await taken.lease.release();
      }
    }
    if (!opts.dryRun) {
      process.stderr.write(
        `removed ${removed} session${removed === 1 ? '' : 's'} older than ${opts.olderThan ?? '30d'}${busy > 0 ? `; kept ${busy} in use` : ''}\n`,
      );
    }
    return 0;
  });
}
