/**
 * `!command` asks first: the first one of a chat shows what it will run and where, and runs only on `y` (which also
 * lets the rest of this chat's commands run without asking) or `a` (which remembers the working directory, so chats
 * started there later do not ask either); `n` or Esc runs nothing. A typo'd `!rm …` or a `!` pasted by mistake then
 * costs a keypress, not a file, as with the trust prompts peer agent CLIs show before they run shell commands.
 * Remembered directories are a private JSON file beside the input history (none when the history is in memory only).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sanitize } from '../core/text/sanitize.js';
import { truncate } from './layout/width.js';

/** File name of the remembered directories, beside history.jsonl. */
export const SHELL_TRUST_FILE = 'shell-trusted-dirs.json';

/** Whether `!command`s may run without asking: for this chat, or in remembered working directories. */
export class ShellTrust {
  private chatAllowed = false;
  private readonly dirs: Set<string>;

  /** `path`: the file of remembered directories; null remembers nothing past this chat. */
  constructor(readonly path: string | null) {
    this.dirs = new Set(path ? load(path) : []);
  }

  /** The store beside the history file `historyPath` (in memory only when that is null). */
  static besideHistory(historyPath: string | null): ShellTrust {
    return new ShellTrust(historyPath ? join(dirname(historyPath), SHELL_TRUST_FILE) : null);
  }

  /** True when a command in `cwd` must be confirmed first. */
  needsConfirmation(cwd: string): boolean {
    return !this.chatAllowed && !this.dirs.has(resolve(cwd));
  }

  /** `y`: the later commands of this chat run without asking. */
  allowForChat(): void {
    this.chatAllowed = true;
  }

  /** `a`: commands in `cwd` run without asking, in this chat and later ones; an error message when it cannot be saved. */
  remember(cwd: string): string | undefined {
    this.chatAllowed = true;
    this.dirs.add(resolve(cwd));
    if (!this.path) return undefined;
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      // Written aside and renamed, so a chat in another terminal never reads half a file.
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ dirs: [...this.dirs].sort() }, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, this.path);
      return undefined;
    } catch (e) {
      return `could not remember ${cwd} (${(e as NodeJS.ErrnoException).code ?? 'error'} on ${this.path}): this chat will not ask again, later ones will`;
    }
  }
}

function load(path: string): string[] {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { dirs?: unknown };
    return Array.isArray(parsed.dirs) ? parsed.dirs.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    // Missing or unreadable: nothing is remembered, so the chat asks (the safe side).
    return [];
  }
}

/** What a key does to the confirmation: run (for this chat, or remembered), decline, or nothing. */
export type ShellConfirmKey = 'yes' | 'always' | 'no' | undefined;

/** The decision a key press stands for: y, a, n (either case), Esc, Ctrl+C. */
export function shellConfirmKey(name: string, ctrl: boolean): ShellConfirmKey {
  if (ctrl) return name === 'c' ? 'no' : undefined;
  if (name === 'y') return 'yes';
  if (name === 'a') return 'always';
  if (name === 'n' || name === 'escape') return 'no';
  return undefined;
}

/** The panel shown instead of the prompt: what will run, where, what happens to its output, and the keys. */
export function shellConfirmLines(command: string, cwd: string, width: number, color: boolean): string[] {
  const fit = (line: string): string => truncate(line, Math.max(1, width));
  const yellow = (s: string): string => (color ? `\x1b[33m${s}\x1b[39m` : s);
  const dim = (s: string): string => (color ? `\x1b[2m${s}\x1b[22m` : s);
  const shown = sanitize(command).split('\n');
  const lines = shown.slice(0, 3).map((l, i) => fit(`${i === 0 ? '  $ ' : '    '}${l}`));
  if (shown.length > 3) lines.push(dim(fit(`    … ${shown.length - 3} more lines`)));
  return [
    yellow(fit('⏸ run this shell command? (the first ! command of a chat asks)')),
    ...lines,
    dim(fit(`  in ${sanitize(cwd)} · output goes into the prompt, sent only on Enter`)),
    fit('y run (and later ones in this chat) · a always in this dir · n/esc don’t run'),
  ];
}
