/**
 * `@path` mentions in a message: each one that names a readable text file (relative to the working directory, or
 * absolute, `~/` for the home directory) is attached to the message the model gets, as a block that names the path
 * and holds the file's text (a directory, `@src/`, as a bounded tree listing of its names: dir-listing.ts; an image —
 * PNG, JPEG, GIF or WebP by its bytes — as an image part: images.ts). The message as typed is kept for the transcript;
 * what the user sees is one note per mention ("attached src/a.ts (120 lines)", or why it was not attached). A mention
 * that names nothing is left as text: `@alice` in a message, or an agent's name, stays a word.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { listDirectory, plainGitignored } from './dir-listing.js';
import {
  IMAGE_EXTENSION,
  IMAGE_MAX_BYTES,
  IMAGE_MAX_COUNT,
  imageLabel,
  imagePart,
  sizeText,
  sniffImage,
} from './providers/images.js';
import type { ImagePart } from './providers/types.js';

/** Largest file attached (bytes): bigger ones are refused with a note, not cut. */
export const ATTACH_MAX_BYTES = 256 * 1024;

/** What happened to one `@path` of a message. */
export type MentionNote =
  /** The file's text is attached. */
  | { kind: 'attached'; path: string; lines: number; bytes: number }
  /** An image is attached as an image part (providers/images.ts); `label` is its placeholder, `[image a.png · PNG …]`. */
  | { kind: 'image'; path: string; label: string }
  /** A directory's tree listing is attached (dir-listing.ts): `entries` names, `more` left out past the cap. */
  | { kind: 'listed'; path: string; entries: number; more: number }
  /** It names a file that was not attached, and why (too large, binary, unreadable, not a file). */
  | { kind: 'skipped'; path: string; why: string };

/** A message with its mentioned files attached. */
export interface AttachedMessage {
  /** What the model gets: the message, then one block per attached file. */
  prompt: string;
  /** The images mentioned, in order, to send with the prompt as image parts (see userContent). */
  images: ImagePart[];
  notes: MentionNote[];
}

// `@` at the start or after white space or an opening bracket/quote, then a path without white space.
const MENTION = /(?<=^|[\s(["'`])@((?:\\ |[^\s])+)/g;
// Punctuation that ends a sentence rather than the path ("look at @a.ts, then…").
const TRAILING = /[,.;:!?)\]}"'`]+$/;

/** The `@path` tokens of `text`, in order, each once, as typed (without the `@`). */
export function mentionedPaths(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(MENTION)) {
    const token = (m[1] as string).replace(/\\ /g, ' ');
    if (!out.includes(token)) out.push(token);
  }
  return out;
}

/** `path` as typed, resolved against `cwd` (`~/` is the home directory). */
export function resolveMention(path: string, cwd: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(cwd, path);
}

function kind(path: string): 'file' | 'dir' | 'other' | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
  } catch {
    return undefined;
  }
}

/** The token as a path that exists: as typed, or without sentence punctuation after it; undefined when neither does. */
function existing(token: string, cwd: string): string | undefined {
  if (kind(resolveMention(token, cwd))) return token;
  const cut = token.replace(TRAILING, '');
  return cut && cut !== token && kind(resolveMention(cut, cwd)) ? cut : undefined;
}

function readHead(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** True when the bytes are not text: a NUL byte, or not UTF-8. */
export function looksBinary(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return false;
  } catch {
    return true;
  }
}

function lineCount(text: string): number {
  if (!text) return 0;
  const breaks = text.split('\n').length - 1;
  return text.endsWith('\n') ? breaks : breaks + 1;
}

/** The block the model reads for one file: the path on the opening line, the text, a closing line. */
export function fileBlock(path: string, text: string): string {
  return `<file path="${path.replace(/"/g, '\\"')}">\n${text}${text.endsWith('\n') || !text ? '' : '\n'}</file>`;
}

/**
 * Attaches the files `text` mentions. Each is read once however often it is mentioned; one over ATTACH_MAX_BYTES,
 * binary, or unreadable is left out with a note that says so (and the message still goes).
 */
export function attachMentions(text: string, cwd: string, maxBytes = ATTACH_MAX_BYTES): AttachedMessage {
  const notes: MentionNote[] = [];
  const blocks: string[] = [];
  const images: ImagePart[] = [];
  const seen = new Set<string>();
  for (const token of mentionedPaths(text)) {
    const path = existing(token, cwd);
    if (path === undefined || seen.has(path)) continue;
    seen.add(path);
    const full = resolveMention(path, cwd);
    const what = kind(full);
    if (what === 'dir') {
      const listing = listDirectory(full, path, plainGitignored(cwd));
      blocks.push(`<directory path="${path.replace(/"/g, '\\"')}">\n${listing.text}</directory>`);
      notes.push({ kind: 'listed', path, entries: listing.entries, more: listing.more });
      continue;
    }
    if (what !== 'file') {
      notes.push({ kind: 'skipped', path, why: 'it is not a regular file' });
      continue;
    }
    try {
      // Read one byte past the cap, so a file that grew since it was looked at is still caught.
      const bytes = readHead(full, maxBytes + 1);
      // What the bytes are decides, not the name: a JPEG called .png is a JPEG, a .png that is text is refused.
      if (sniffImage(bytes).kind !== 'none') {
        notes.push(attachImage(full, path, images));
        continue;
      }
      if (IMAGE_EXTENSION.test(path)) {
        notes.push({
          kind: 'skipped',
          path,
          why: 'it is named like an image but is not a PNG, JPEG, GIF or WebP image',
        });
        continue;
      }
      if (bytes.length > maxBytes) {
        const size = Math.max(statSync(full).size, bytes.length);
        notes.push({
          kind: 'skipped',
          path,
          why: `it is ${kib(size)}, over the ${kib(maxBytes)} limit: paste the part that matters instead`,
        });
        continue;
      }
      if (looksBinary(bytes)) {
        notes.push({ kind: 'skipped', path, why: 'it is a binary file, not text' });
        continue;
      }
      const content = bytes.toString('utf8');
      blocks.push(fileBlock(path, content));
      notes.push({ kind: 'attached', path, lines: lineCount(content), bytes: bytes.length });
    } catch (e) {
      notes.push({
        kind: 'skipped',
        path,
        why: `it could not be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      });
    }
  }
  if (blocks.length === 0) return { prompt: text, images, notes };
  const dirs = notes.filter((n) => n.kind === 'listed').length;
  const intro =
    dirs > 0 ? 'What I mentioned:' : blocks.length === 1 ? 'The file I mentioned:' : 'The files I mentioned:';
  return { prompt: `${text}\n\n${intro}\n\n${blocks.join('\n\n')}`, images, notes };
}

/** Reads a file whose first bytes say "image" whole (up to the image cap) and adds it to `images`, or says why not. */
function attachImage(full: string, path: string, images: ImagePart[]): MentionNote {
  if (images.length >= IMAGE_MAX_COUNT) {
    return { kind: 'skipped', path, why: `a message carries at most ${IMAGE_MAX_COUNT} images` };
  }
  const size = statSync(full).size;
  if (size > IMAGE_MAX_BYTES) {
    return {
      kind: 'skipped',
      path,
      why: `it is ${sizeText(size)}, over the ${sizeText(IMAGE_MAX_BYTES)} limit for an image: send a smaller copy`,
    };
  }
  // Read one byte past the cap, so a file that grew since it was looked at is still caught (imagePart says so).
  const made = imagePart(readHead(full, IMAGE_MAX_BYTES + 1), path);
  if ('error' in made) return { kind: 'skipped', path, why: made.error };
  images.push(made.part);
  return { kind: 'image', path, label: imageLabel(made.part) };
}

function kib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A note as the transcript shows it: "attached src/a.ts (120 lines)" or "not attached: a.png (it is a binary file…)". */
export function noteText(note: MentionNote): string {
  if (note.kind === 'image') return `attached ${note.label}`;
  if (note.kind === 'attached') return `attached ${note.path} (${note.lines} ${note.lines === 1 ? 'line' : 'lines'})`;
  if (note.kind === 'listed') {
    const count = `${note.entries} ${note.entries === 1 ? 'entry' : 'entries'}`;
    return `attached ${note.path} (${note.more ? `${count} listed, ${note.more} more left out` : count})`;
  }
  return `not attached: ${note.path} — ${note.why}`;
}
