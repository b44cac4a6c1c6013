/**
 * Prompt history (↑/↓), persisted as JSON lines in the XDG state dir so it survives restarts. The file is private
 * (0600): prompts can contain things the user would not want others on the machine to read. A line is the prompt as
 * sent (a JSON string), or `{"text": …, "pasted": [[start, end], …]}` when parts of it were pasted as placeholders,
 * so that ↑ shows them as placeholders again. A prompt over 64 K characters is recalled in this session only: the
 * file is read at every start and should stay small.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stateDir } from '../core/config.js';
import { wellFormed } from './graphemes.js';
import { validSpans, type PromptEntry } from './paste.js';

const KEEP = 500;
/** Longest prompt written to the file (UTF-16 units). */
export const HISTORY_MAX_SAVED = 64 * 1024;

/** Input history backed by a file (by default history.jsonl in the XDG state dir); `null` keeps it in memory only. */
export class InputHistory {
  /** The prompts, oldest first, with where their pastes are. */
  readonly items: PromptEntry[];
  /** The file does not end with a line break (a torn last line): the next line starts on a line of its own. */
  private torn = false;
  constructor(readonly path: string | null = join(stateDir(), 'history.jsonl')) {
    const loaded = path ? load(path) : { items: [], torn: false };
    this.items = loaded.items;
    this.torn = loaded.torn;
  }

  /** The prompts' texts, oldest first. */
  get entries(): string[] {
    return this.items.map((i) => i.text);
  }

  /** Records a submitted prompt (not repeated when equal to the previous one). */
  add(prompt: string | PromptEntry): void {
    const entry = normalize(typeof prompt === 'string' ? { text: prompt } : prompt);
    const last = this.items[this.items.length - 1];
    if (!entry.text.trim() || (last && serialize(last) === serialize(entry))) return;
    this.items.push(entry);
    if (!this.path) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      if (this.items.length > KEEP * 2) {
        this.items.splice(0, this.items.length - KEEP);
        const lines = this.items.filter(saved).map(serialize);
        writeFileSync(this.path, lines.join('\n') + '\n', { mode: 0o600 });
      } else if (saved(entry)) {
        appendFileSync(this.path, (this.torn ? '\n' : '') + serialize(entry) + '\n', { mode: 0o600 });
      }
      this.torn = false;
    } catch {
      // History is a convenience: a read-only or full disk must not break the chat.
    }
  }
}

const saved = (e: PromptEntry): boolean => e.text.length <= HISTORY_MAX_SAVED;

function serialize(e: PromptEntry): string {
  return JSON.stringify(e.pasted?.length ? { text: e.text, pasted: e.pasted } : e.text);
}

/** Never a lone surrogate in history: a broken character becomes U+FFFD (same length, so the spans stay right). */
function normalize(e: PromptEntry): PromptEntry {
  const text = wellFormed(e.text);
  return e.pasted?.length && validSpans(e.pasted, text.length) ? { text, pasted: e.pasted } : { text };
}

function load(path: string): { items: PromptEntry[]; torn: boolean } {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    return { items: [], torn: false };
  }
  const out: PromptEntry[] = [];
  for (const line of raw.split('\n')) {
    if (!line) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === 'string') out.push(normalize({ text: v }));
      else if (v && typeof v === 'object' && typeof (v as { text?: unknown }).text === 'string') {
        const { text, pasted } = v as { text: string; pasted?: unknown };
        out.push(normalize(validSpans(pasted, text.length) ? { text, pasted } : { text }));
      }
    } catch {
      // a torn last line from a crash: skip it
    }
  }
  return { items: out.slice(-KEEP * 2), torn: raw.length > 0 && !raw.endsWith('\n') };
}
