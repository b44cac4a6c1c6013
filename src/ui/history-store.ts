/**
 * Prompt history (↑/↓), persisted as JSON lines in the XDG state dir so it survives restarts. The file is private
 * (0600): prompts can contain things the user would not want others on the machine to read.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stateDir } from '../core/config.js';

const KEEP = 500;

/** Input history backed by a file (by default history.jsonl in the XDG state dir); `null` keeps it in memory only. */
export class InputHistory {
  readonly entries: string[];
  constructor(readonly path: string | null = join(stateDir(), 'history.jsonl')) {
    this.entries = path ? load(path) : [];
  }

  /** Records a submitted prompt (not repeated when equal to the previous one). */
  add(entry: string): void {
    if (!entry.trim() || this.entries[this.entries.length - 1] === entry) return;
    this.entries.push(entry);
    if (!this.path) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      if (this.entries.length > KEEP * 2) {
        this.entries.splice(0, this.entries.length - KEEP);
        writeFileSync(this.path, this.entries.map((e) => JSON.stringify(e)).join('\n') + '\n', { mode: 0o600 });
      } else {
        appendFileSync(this.path, JSON.stringify(entry) + '\n', { mode: 0o600 });
      }
    } catch {
      // History is a convenience: a read-only or full disk must not break the chat.
    }
  }
}

function load(path: string): string[] {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of raw.split('\n')) {
    if (!line) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === 'string') out.push(v);
    } catch {
      // a torn last line from a crash: skip it
    }
  }
  return out.slice(-KEEP * 2);
}
