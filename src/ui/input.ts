/**
 * The prompt editor as pure functions: text + cursor, ↑/↓ through history, multi-line entry (Alt+Enter or a trailing
 * backslash), paste. Slash commands are parsed here too. The App only maps Ink key presses onto these.
 */
import type { Key } from 'ink';
import { truncateLine } from './format.js';

/** The prompt being edited. */
export interface EditorState {
  text: string;
  /** Cursor offset in `text` (UTF-16 units). */
  cursor: number;
  /** Position in history while browsing (history.length = the draft). */
  historyIndex: number;
  /** What was typed before browsing history. */
  draft: string;
}

/** What a key press asks the App to do besides editing. */
export type EditorOutcome = { state: EditorState; submit?: string };

/** An empty prompt positioned after the given history. */
export function emptyEditor(historyLength = 0): EditorState {
  return { text: '', cursor: 0, historyIndex: historyLength, draft: '' };
}

const set = (s: EditorState, text: string, cursor: number): EditorState => ({
  ...s,
  text,
  cursor: Math.max(0, Math.min(text.length, cursor)),
});
const insert = (s: EditorState, chunk: string): EditorState =>
  set(s, s.text.slice(0, s.cursor) + chunk + s.text.slice(s.cursor), s.cursor + chunk.length);

function lineStart(text: string, cursor: number): number {
  return text.lastIndexOf('\n', cursor - 1) + 1;
}
function lineEnd(text: string, cursor: number): number {
  const i = text.indexOf('\n', cursor);
  return i === -1 ? text.length : i;
}

/** Applies one key press (as Ink reports it) to the editor. */
export function editKey(
  s: EditorState,
  input: string,
  key: Key,
  history: readonly string[],
  pasting = false,
): EditorOutcome {
  // Inside a bracketed paste every line break is text, never a submit.
  if (pasting)
    return {
      state: insert(s, (key.return ? '\n' : input).replace(/\r\n?/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')),
    };
  // Typed-ahead text and Enter can arrive as one chunk: "hello\r", or "hello\n" when it was typed before the terminal
  // went into raw mode (the line discipline turned Enter into a line feed). One line, then Enter: the text, then a submit.
  const typedLine = !key.return && input.length > 1 ? /^([^\r\n]+)(?:\r\n?|\n)$/.exec(input) : null;
  if (typedLine) {
    const typed = editKey(s, typedLine[1] as string, { ...key, return: false }, history).state;
    return editKey(typed, '\r', { ...key, return: true }, history);
  }
  if (key.return) {
    if (key.meta || key.shift) return { state: insert(s, '\n') };
    // A trailing backslash continues the prompt on a new line.
    if (s.cursor === s.text.length && s.text.endsWith('\\'))
      return { state: set(s, `${s.text.slice(0, -1)}\n`, s.text.length) };
    return { state: emptyEditor(history.length), submit: s.text };
  }
  if (key.upArrow || key.downArrow) {
    const onFirst = lineStart(s.text, s.cursor) === 0;
    const onLast = lineEnd(s.text, s.cursor) === s.text.length;
    if (key.upArrow && !onFirst) {
      const start = lineStart(s.text, s.cursor);
      const prevStart = lineStart(s.text, start - 1);
      return { state: set(s, s.text, Math.min(prevStart + (s.cursor - start), start - 1)) };
    }
    if (key.downArrow && !onLast) {
      const start = lineStart(s.text, s.cursor);
      const nextStart = lineEnd(s.text, s.cursor) + 1;
      return { state: set(s, s.text, Math.min(nextStart + (s.cursor - start), lineEnd(s.text, nextStart))) };
    }
    const index = key.upArrow ? Math.max(0, s.historyIndex - 1) : Math.min(history.length, s.historyIndex + 1);
    if (index === s.historyIndex) return { state: s };
    const draft = s.historyIndex === history.length ? s.text : s.draft;
    const text = index === history.length ? draft : (history[index] ?? '');
    return { state: { text, cursor: text.length, historyIndex: index, draft } };
  }
  if (key.leftArrow) return { state: set(s, s.text, key.ctrl || key.meta ? wordLeft(s.text, s.cursor) : s.cursor - 1) };
  if (key.rightArrow)
    return { state: set(s, s.text, key.ctrl || key.meta ? wordRight(s.text, s.cursor) : s.cursor + 1) };
  if (key.home || (key.ctrl && input === 'a')) return { state: set(s, s.text, lineStart(s.text, s.cursor)) };
  if (key.end || (key.ctrl && input === 'e')) return { state: set(s, s.text, lineEnd(s.text, s.cursor)) };
  if (key.backspace || (key.delete && !input)) {
    // Terminals send DEL (0x7f) for Backspace; Ink reports it as `delete`. Both erase to the left.
    if (key.meta || (key.ctrl && input === 'w')) return { state: deleteWordLeft(s) };
    if (s.cursor === 0) return { state: s };
    return { state: set(s, s.text.slice(0, s.cursor - 1) + s.text.slice(s.cursor), s.cursor - 1) };
  }
  if (key.ctrl) {
    switch (input) {
      case 'u':
        return { state: set(s, s.text.slice(s.cursor), 0) };
      case 'k':
        return { state: set(s, s.text.slice(0, s.cursor), s.cursor) };
      case 'w':
        return { state: deleteWordLeft(s) };
      case 'd':
        return { state: set(s, s.text.slice(0, s.cursor) + s.text.slice(s.cursor + 1), s.cursor) };
      default:
        return { state: s };
    }
  }
  if (key.escape || key.tab || key.pageUp || key.pageDown || !input) return { state: s };
  // Typed or pasted text: a paste arrives as one chunk, its line breaks stay line breaks (never a submit).
  const text = input.replace(/\r\n?/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return { state: insert(s, text) };
}

function wordLeft(text: string, cursor: number): number {
  let i = cursor;
  while (i > 0 && /\s/.test(text[i - 1] as string)) i--;
  while (i > 0 && !/\s/.test(text[i - 1] as string)) i--;
  return i;
}
function wordRight(text: string, cursor: number): number {
  let i = cursor;
  while (i < text.length && /\s/.test(text[i] as string)) i++;
  while (i < text.length && !/\s/.test(text[i] as string)) i++;
  return i;
}
function deleteWordLeft(s: EditorState): EditorState {
  const to = wordLeft(s.text, s.cursor);
  return set(s, s.text.slice(0, to) + s.text.slice(s.cursor), to);
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
  { name: 'model', usage: '/model <id>', help: 'use another model for the next turns' },
  { name: 'tools', usage: '/tools', help: 'list the tools the agent can call' },
  { name: 'agents', usage: '/agents', help: 'list the agents and how to address them' },
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
 * the order they were typed, then whatever is being typed now, one per line, with the cursor at the end.
 */
export function restoreQueued(s: EditorState, queued: readonly string[], historyLength: number): EditorState {
  if (queued.length === 0) return s;
  const text = [...queued, s.text].filter((t) => t !== '').join('\n');
  return { text, cursor: text.length, historyIndex: historyLength, draft: '' };
}

/** A queued message as one line: line breaks shown as "⏎", cut to `max` characters. */
export function queuedPreview(text: string, max: number): string {
  // Cut before collapsing: a huge paste must not cost a full scan on every frame.
  const head = text
    .slice(0, Math.max(1, max) + 1)
    .replace(/[\x00-\x1f\x7f-\x9f]+/g, (m) => (m.includes('\n') ? ' ⏎ ' : ' '));
  return truncateLine(head, max);
}
