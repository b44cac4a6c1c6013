/**
 * The prompt editor as pure functions: text + cursor, ↑/↓ through history, multi-line entry (Alt+Enter, Ctrl+J or a
 * trailing backslash), paste. The cursor moves and deletes by grapheme cluster, never by UTF-16 unit: an emoji (with a
 * skin tone or ZWJ parts), a flag or a letter with combining marks is one step, and the text never holds half of a
 * surrogate pair. A long paste is one placeholder cluster (paste.ts). Slash commands are parsed here too.
 * use-prompt-keys.ts feeds it the key presses decoded by keys.ts.
 */
import { cutsCleanly, truncateToWidth, wellFormed, words } from './graphemes.js';
import type { KeyPress } from './keys.js';
import {
  collapse,
  editClusters,
  expand,
  hasPlaceholder,
  keepReferenced,
  newPlaceholder,
  NO_PASTES,
  pastesInline,
  withoutPlaceholders,
  type Pastes,
  type PromptEntry,
} from './paste.js';
import { columnOf, locate, offsetAtColumn, promptRows, promptTextWidth } from './prompt-rows.js';

export type { PromptEntry } from './paste.js';

/** The prompt being edited. */
export interface EditorState {
  text: string;
  /** Cursor offset in `text` (UTF-16 units), always at a grapheme cluster boundary. */
  cursor: number;
  /** Position in history while browsing (history.length = the draft). */
  historyIndex: number;
  /** What was typed before browsing history. */
  draft: string;
  /** What the paste placeholders in `text` and `draft` stand for (none when absent). */
  pastes?: Pastes;
}

/** What a key press asks the App to do besides editing: `submit` is the prompt to send, pastes expanded. */
export type EditorOutcome = { state: EditorState; submit?: PromptEntry };

/** What the editor needs to know about the screen. */
export interface EditOptions {
  /** The terminal's width: ↑/↓ move by the rows the prompt shows (by lines when absent). */
  width?: number;
}

/** An empty prompt positioned after the given history. */
export function emptyEditor(historyLength = 0): EditorState {
  return { text: '', cursor: 0, historyIndex: historyLength, draft: '' };
}

function lineStart(text: string, i: number): number {
  return i <= 0 ? 0 : text.lastIndexOf('\n', i - 1) + 1;
}
function lineEnd(text: string, i: number): number {
  const at = text.indexOf('\n', i);
  return at === -1 ? text.length : at;
}

/** The cluster boundaries from a clean cut at or before `from` to one at or after `to` (see cutsCleanly). */
function boundaries(text: string, from: number, to: number): number[] {
  let start = Math.max(0, from);
  while (!cutsCleanly(text, start)) start--;
  let end = Math.min(text.length, to);
  while (!cutsCleanly(text, end)) end++;
  const out = [start];
  for (const c of editClusters(text.slice(start, end))) out.push((start += c.length));
  return out;
}
function prevBoundary(text: string, i: number): number {
  return i <= 0 ? 0 : (boundaries(text, i - 1, i).findLast((b) => b < i) ?? 0);
}
function nextBoundary(text: string, i: number): number {
  return i >= text.length ? text.length : (boundaries(text, i, i + 1).find((b) => b > i) ?? text.length);
}
/** `i`, or the end of the cluster it falls inside (an edit can join clusters: two flag letters, a mark after a letter). */
function snap(text: string, i: number): number {
  return cutsCleanly(text, i) ? i : (boundaries(text, i, i).find((b) => b >= i) ?? text.length);
}

const set = (s: EditorState, text: string, cursor: number): EditorState => ({
  ...s,
  text,
  cursor: snap(text, Math.max(0, Math.min(text.length, cursor))),
});
const insert = (s: EditorState, chunk: string, pastes = s.pastes): EditorState => ({
  ...set(s, s.text.slice(0, s.cursor) + chunk + s.text.slice(s.cursor), s.cursor + chunk.length),
  ...(pastes ? { pastes } : {}),
});
/** Removes `from`…`to` (cluster boundaries); a placeholder removed with it lets its paste go. */
function remove(s: EditorState, from: number, to: number): EditorState {
  if (from === to) return s;
  const next = set(s, s.text.slice(0, from) + s.text.slice(to), from);
  return s.pastes ? { ...next, pastes: keepReferenced(s.pastes, next.text, next.draft) } : next;
}

const isWord = (w: { segment: string; isWord: boolean }): boolean => w.isWord || hasPlaceholder(w.segment);

/**
 * Word moves segment a window before or after the cursor, growing until it holds a word: word segmentation is slow on
 * long texts (and dictionary-based for CJK).
 */
const FIRST_WORD_WINDOW = 64;

/** The start of the word before the cursor (or the one it is in): Unicode word boundaries, a placeholder is a word. */
function wordLeft(text: string, cursor: number): number {
  for (let size = FIRST_WORD_WINDOW; ; size *= 4) {
    const from = snap(text, Math.max(0, cursor - size));
    let start = -1;
    // The window's first word may go on to its left: it only counts when the window starts the text.
    for (const w of words(text.slice(from, cursor)))
      if (isWord(w) && (from === 0 || w.start > 0)) start = from + w.start;
    if (start !== -1 || from === 0) return start === -1 ? 0 : snap(text, start);
  }
}
/** The end of the word after the cursor (or the one it is in). */
function wordRight(text: string, cursor: number): number {
  for (let size = FIRST_WORD_WINDOW; ; size *= 4) {
    const to = snap(text, Math.min(text.length, cursor + size));
    const ws = words(text.slice(cursor, to));
    // The window's last word may go on to its right: it only counts when the window ends the text.
    for (const w of ws) if (isWord(w) && (to === text.length || w.end < to - cursor)) return snap(text, cursor + w.end);
    if (to === text.length) return text.length;
  }
}

/** Ctrl+W: back over white space, then over everything up to the previous white space (readline's unix-word-rubout). */
function spaceWordLeft(text: string, cursor: number): number {
  const cs = editClusters(text.slice(0, cursor));
  let at = cursor;
  let i = cs.length;
  while (i > 0 && /^\s/u.test(cs[i - 1] as string)) at -= (cs[--i] as string).length;
  while (i > 0 && !/^\s/u.test(cs[i - 1] as string)) at -= (cs[--i] as string).length;
  return at;
}

/** Typed text as it may enter the prompt: no control characters, no placeholder characters, no lone surrogates. */
function typed(text: string): string {
  return withoutPlaceholders(text.replace(/[\x00-\x1f\x7f-\x9f]/g, ''));
}

/** A bracketed paste: a line or two goes in as text, anything longer as a placeholder. */
function paste(s: EditorState, text: string): EditorState {
  const clean = wellFormed(text.replace(/\r\n?/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, ''));
  if (!clean) return s;
  if (pastesInline(clean)) return insert(s, withoutPlaceholders(clean));
  const pastes = s.pastes ?? NO_PASTES;
  const mark = newPlaceholder(pastes);
  return insert(s, mark, { ...pastes, [mark]: clean });
}

/** ↑/↓: a row up or down in the prompt, or through history from its first or last row. */
function verticalMove(s: EditorState, up: boolean, history: readonly PromptEntry[], opts: EditOptions): EditorOutcome {
  const pastes = s.pastes ?? NO_PASTES;
  const rows = promptRows(s.text, pastes, opts.width === undefined ? Infinity : promptTextWidth(opts.width));
  const at = locate(rows, s.cursor);
  const target = rows[up ? at.row - 1 : at.row + 1];
  const here = rows[at.row];
  if (target && here) return { state: set(s, s.text, offsetAtColumn(target, columnOf(here, at.cell))) };
  const index = up ? Math.max(0, s.historyIndex - 1) : Math.min(history.length, s.historyIndex + 1);
  if (index === s.historyIndex) return { state: s };
  const draft = s.historyIndex === history.length ? s.text : s.draft;
  const recalled = index === history.length ? { text: draft, pastes } : collapse(history[index] as PromptEntry, pastes);
  const text = recalled.text;
  return {
    state: {
      text,
      cursor: text.length,
      historyIndex: index,
      draft,
      pastes: keepReferenced(recalled.pastes, text, draft),
    },
  };
}

/** Applies one key press to the editor. */
export function editKey(
  s: EditorState,
  press: KeyPress,
  history: readonly PromptEntry[],
  opts: EditOptions = {},
): EditorOutcome {
  if (press.kind === 'paste') return { state: paste(s, press.text) };
  if (press.kind === 'text') return { state: insert(s, typed(press.text)) };
  const { name, ctrl, meta, shift } = press;
  const { text, cursor } = s;
  switch (name) {
    case 'return':
      if (meta || shift) return { state: insert(s, '\n') };
      // A trailing backslash continues the prompt on a new line.
      if (cursor === text.length && text.endsWith('\\'))
        return { state: set(s, `${text.slice(0, -1)}\n`, text.length) };
      return { state: emptyEditor(history.length), submit: expand(text, s.pastes) };
    case 'up':
    case 'down':
      return verticalMove(s, name === 'up', history, opts);
    case 'left':
      return { state: set(s, text, ctrl || meta ? wordLeft(text, cursor) : prevBoundary(text, cursor)) };
    case 'right':
      return { state: set(s, text, ctrl || meta ? wordRight(text, cursor) : nextBoundary(text, cursor)) };
    case 'home':
      return { state: set(s, text, lineStart(text, cursor)) };
    case 'end':
      return { state: set(s, text, lineEnd(text, cursor)) };
    case 'backspace':
      return { state: remove(s, ctrl || meta ? wordLeft(text, cursor) : prevBoundary(text, cursor), cursor) };
    case 'delete':
      return { state: remove(s, cursor, ctrl || meta ? wordRight(text, cursor) : nextBoundary(text, cursor)) };
  }
  if (meta && !ctrl) {
    // Alt+B / Alt+F / Alt+D: readline's word keys (what Alt+←/→ send in some terminals).
    if (name === 'b') return { state: set(s, text, wordLeft(text, cursor)) };
    if (name === 'f') return { state: set(s, text, wordRight(text, cursor)) };
    if (name === 'd') return { state: remove(s, cursor, wordRight(text, cursor)) };
    return { state: s };
  }
  if (!ctrl) return { state: s };
  switch (name) {
    case 'a':
      return { state: set(s, text, lineStart(text, cursor)) };
    case 'e':
      return { state: set(s, text, lineEnd(text, cursor)) };
    case 'b':
      return { state: set(s, text, prevBoundary(text, cursor)) };
    case 'f':
      return { state: set(s, text, nextBoundary(text, cursor)) };
    case 'j':
      return { state: insert(s, '\n') };
    case 'u': {
      // To the start of the line; at the start, the line break before it (the lines join).
      const from = lineStart(text, cursor);
      return { state: remove(s, from === cursor ? Math.max(0, cursor - 1) : from, cursor) };
    }
    case 'k': {
      const to = lineEnd(text, cursor);
      return { state: remove(s, cursor, to === cursor ? Math.min(text.length, cursor + 1) : to) };
    }
    case 'w':
      return { state: remove(s, spaceWordLeft(text, cursor), cursor) };
    case 'd':
      return { state: remove(s, cursor, nextBoundary(text, cursor)) };
    default:
      return { state: s };
  }
}

/** A parsed `/command arg`. */
export interface SlashCommand {
  name: string;
  arg: string;
}

/** The slash commands, for /help and hints. */
export const SLASH_COMMANDS: ReadonlyArray<{ name: string; usage: string; help: string }> = [
  { name: 'help', usage: '/help', help: 'show commands and keys' },
  { name: 'clear', usage: '/clear', help: 'forget the conversation and clear the screen' },
  {
    name: 'model',
    usage: '/model [id]',
    help: "pick a model from the provider's list, or switch to <id>, for the next turns",
  },
  { name: 'tools', usage: '/tools', help: 'list the tools the agent can call' },
  { name: 'agents', usage: '/agents', help: 'list the agents and how to address them' },
  { name: 'status', usage: '/status', help: 'the session, tokens used and how full the context window is' },
  {
    name: 'compact',
    usage: '/compact',
    help: 'replace the conversation so far by a summary (frees the context window)',
  },
  { name: 'new', usage: '/new', help: 'start a new session (the current one stays resumable)' },
  {
    name: 'resume',
    usage: '/resume [id]',
    help: 'continue another session (without an id: pick one of this directory)',
  },
  { name: 'sessions', usage: '/sessions', help: "list this directory's recent sessions" },
  { name: 'save', usage: '/save [file.md]', help: 'write the transcript as markdown (/save! overwrites)' },
  { name: 'copy', usage: '/copy [code [n]]', help: 'copy the last answer, or its code block n, to the clipboard' },
  { name: 'exit', usage: '/exit', help: 'quit (also Ctrl+D, or Ctrl+C twice)' },
];

/** Parses a prompt starting with "/" (but not "//" or a path like "/usr/bin …"); undefined otherwise. */
export function parseSlash(text: string): SlashCommand | undefined {
  const m = /^\/([a-zA-Z][\w-]*)(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m) return undefined;
  return { name: (m[1] as string).toLowerCase(), arg: (m[2] ?? '').trim() };
}

/**
 * The prompt after typed-ahead messages were taken back (a cancelled or unfinished run): the queued messages first, in
 * the order they were typed, then whatever is being typed now, one per line, with the cursor at the end. Their pastes
 * become placeholders again.
 */
export function restoreQueued(s: EditorState, queued: readonly PromptEntry[], historyLength: number): EditorState {
  if (queued.length === 0) return s;
  let pastes = s.pastes ?? NO_PASTES;
  const parts: string[] = [];
  for (const entry of queued) {
    const back = collapse(entry, pastes);
    pastes = back.pastes;
    parts.push(back.text);
  }
  const text = [...parts, s.text].filter((t) => t !== '').join('\n');
  const kept = keepReferenced(pastes, text);
  return {
    text,
    cursor: text.length,
    historyIndex: historyLength,
    draft: '',
    ...(kept !== NO_PASTES ? { pastes: kept } : {}),
  };
}

/** A queued message as one line: line breaks shown as "⏎", cut to `max` columns. */
export function queuedPreview(text: string, max: number): string {
  // Cut before collapsing: a huge message must not cost a full scan on every frame.
  const head = wellFormed(text.slice(0, Math.max(1, max) * 4 + 16)).replace(/[\x00-\x1f\x7f-\x9f]+/g, (m) =>
    m.includes('\n') ? ' ⏎ ' : ' ',
  );
  return truncateToWidth(head, max);
}
