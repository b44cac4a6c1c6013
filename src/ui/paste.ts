/**
 * Pasted text in the prompt. A paste of more than a couple of lines (or a very long line) stands in the editor's text
 * as one placeholder character, drawn as "[pasted 300 lines, 22 KB]" and expanded into the pasted text when the prompt
 * is sent. The placeholders are code points of Unicode's last private-use plane, which typed and inline-pasted text
 * never contains (`withoutPlaceholders`), so a placeholder is one grapheme the cursor steps over and Backspace removes
 * whole, and no text a user types can be mistaken for one. A sent prompt is a `PromptEntry`: the expanded text and
 * where the pastes are in it, which history and the type-ahead queue keep, so ↑ brings back the placeholders.
 */
import { clusters, wellFormed } from './graphemes.js';

/** A paste with more lines than this becomes a placeholder; smaller ones are inserted as text. */
export const PASTE_INLINE_MAX_LINES = 2;
/** A paste longer than this (in UTF-16 units) becomes a placeholder, however few lines it has. */
export const PASTE_INLINE_MAX_CHARS = 1000;

const FIRST = 0x100000;
const LAST = 0x10fffd;
const PLACEHOLDER = /[\u{100000}-\u{10fffd}]/u;
const PLACEHOLDERS = new RegExp(PLACEHOLDER.source, 'gu');

/** The pasted texts of a prompt, by the placeholder character that stands for each in the editor's text. */
export type Pastes = Readonly<Record<string, string>>;
/** No pastes (one shared object: layouts are cached by identity). */
export const NO_PASTES: Pastes = Object.freeze({});

/** A prompt as sent: its text, and the ranges of it that were pasted (start and end offsets, in order). */
export interface PromptEntry {
  text: string;
  pasted?: ReadonlyArray<readonly [number, number]>;
}

/** True when `cluster` is a paste placeholder. */
export function isPlaceholder(cluster: string): boolean {
  const cp = cluster.codePointAt(0) ?? 0;
  return cp >= FIRST && cp <= LAST && cluster.length === 2;
}

/** True when `text` holds a paste placeholder. */
export function hasPlaceholder(text: string): boolean {
  return PLACEHOLDER.test(text);
}

/** Text with any placeholder-plane character replaced by U+FFFD, lone surrogates too: safe to insert as typed text. */
export function withoutPlaceholders(text: string): string {
  return wellFormed(text).replace(PLACEHOLDERS, '\ufffd');
}

/** Lines of a pasted text, a final line break not counting as the start of another line. */
export function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) if (i < text.length - 1) n++;
  return n;
}

/** True when a paste is small enough to go into the prompt as text. */
export function pastesInline(text: string): boolean {
  return text.length <= PASTE_INLINE_MAX_CHARS && lineCount(text) <= PASTE_INLINE_MAX_LINES;
}

/** "850 B", "2.4 KB", "22 KB", "1.3 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : [bytes / (1024 * 1024), 'MB'];
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value)} ${unit}`;
}

/** The first words of a shell command's output offered as context (shell-command.ts), which is labelled by its command. */
export const SHELL_CONTEXT_HEADER = 'Output of the shell command `';

/** How a placeholder is drawn: "[pasted 300 lines, 22 KB]", or "[output of `ls -la`, 12 lines]" for `!ls -la`. */
export function pasteLabel(content: string): string {
  const lines = lineCount(content);
  if (content.startsWith(SHELL_CONTEXT_HEADER)) {
    const end = content.indexOf('` (', SHELL_CONTEXT_HEADER.length);
    const command = content.slice(SHELL_CONTEXT_HEADER.length, end === -1 ? undefined : end).replace(/\s+/g, ' ');
    const shown = [...command].length > 30 ? `${[...command].slice(0, 29).join('')}…` : command;
    return `[output of \`${shown}\`, ${Math.max(0, lines - 3)} ${lines - 3 === 1 ? 'line' : 'lines'}]`;
  }
  return `[pasted ${lines} ${lines === 1 ? 'line' : 'lines'}, ${formatBytes(Buffer.byteLength(content))}]`;
}

/** A placeholder character not used in `pastes` yet. */
export function newPlaceholder(pastes: Pastes): string {
  let cp = FIRST;
  for (const key of Object.keys(pastes)) cp = Math.max(cp, (key.codePointAt(0) ?? FIRST) + 1);
  // 65,534 pastes in one prompt: start over at the first unused one.
  if (cp > LAST) for (cp = FIRST; String.fromCodePoint(cp) in pastes; cp++);
  return String.fromCodePoint(cp);
}

/**
 * The prompt as it is sent: every placeholder replaced by its paste, trailing white space dropped, and where the pastes
 * ended up. A placeholder without a paste (it cannot happen through the editor) is dropped.
 */
export function expand(text: string, pastes: Pastes = {}): PromptEntry {
  let out = '';
  const pasted: Array<[number, number]> = [];
  let from = 0;
  for (const m of text.matchAll(PLACEHOLDERS)) {
    out += text.slice(from, m.index);
    from = m.index + m[0].length;
    const content = pastes[m[0]];
    if (content === undefined) continue;
    pasted.push([out.length, out.length + content.length]);
    out += content;
  }
  out = wellFormed(out + text.slice(from)).replace(/\s+$/, '');
  const kept = pasted.map(([s, e]): [number, number] => [s, Math.min(e, out.length)]).filter(([s, e]) => e > s);
  return kept.length > 0 ? { text: out, pasted: kept } : { text: out };
}

/** True when `pasted` are ordered, non-overlapping, non-empty ranges inside a text of `length`. */
export function validSpans(pasted: unknown, length: number): pasted is ReadonlyArray<readonly [number, number]> {
  if (!Array.isArray(pasted)) return false;
  let end = 0;
  for (const span of pasted as unknown[]) {
    if (!Array.isArray(span) || span.length !== 2) return false;
    const [s, e] = span as unknown[];
    if (!Number.isInteger(s) || !Number.isInteger(e)) return false;
    if ((s as number) < end || (e as number) <= (s as number) || (e as number) > length) return false;
    end = e as number;
  }
  return true;
}

/** A sent prompt back in the editor: each pasted range becomes a placeholder again, added to `pastes`. */
export function collapse(entry: PromptEntry, pastes: Pastes = {}): { text: string; pastes: Pastes } {
  if (!entry.pasted?.length) return { text: withoutPlaceholders(entry.text), pastes };
  const next: Record<string, string> = { ...pastes };
  let text = '';
  let from = 0;
  for (const [s, e] of entry.pasted) {
    const mark = newPlaceholder(next);
    next[mark] = entry.text.slice(s, e);
    text += withoutPlaceholders(entry.text.slice(from, s)) + mark;
    from = e;
  }
  return { text: text + withoutPlaceholders(entry.text.slice(from)), pastes: next };
}

/** A sent prompt as the prompt showed it: each paste drawn as its label. */
export function entryPreview(entry: PromptEntry): string {
  if (!entry.pasted?.length) return entry.text;
  let out = '';
  let from = 0;
  for (const [s, e] of entry.pasted) {
    out += entry.text.slice(from, s) + pasteLabel(entry.text.slice(s, e));
    from = e;
  }
  return out + entry.text.slice(from);
}

/** Only the pastes `text` still refers to (the others were deleted from it). */
export function keepReferenced(pastes: Pastes, ...texts: string[]): Pastes {
  const used = new Set(texts.flatMap((t) => t.match(PLACEHOLDERS) ?? []));
  const keys = Object.keys(pastes);
  if (keys.every((k) => used.has(k))) return pastes;
  const kept = keys.filter((k) => used.has(k));
  return kept.length === 0 ? NO_PASTES : Object.fromEntries(kept.map((k) => [k, pastes[k] as string]));
}

/** The clusters of `text` the editor moves by: graphemes, with every placeholder one of its own. */
export function editClusters(text: string): string[] {
  const out: string[] = [];
  for (const c of clusters(text)) {
    if (c.length <= 2 || !hasPlaceholder(c)) {
      out.push(c);
      continue;
    }
    // A mark or joiner typed right after a placeholder would join its cluster: split it off again.
    for (const part of c.split(/([\u{100000}-\u{10fffd}])/u)) if (part) out.push(part);
  }
  return out;
}
