/**
 * Tab completion in the prompt, as a shell does it: the word before the cursor is completed to the longest text every
 * match shares; with one match the word is finished (a space after it, or `/` after a directory), with several the
 * matches are listed. `/co` completes slash commands (at the start of the prompt), their first argument too (`/model g`
 * the model ids the provider listed, `/resume 3f` session ids, `/save notes/` paths, `/copy c` code, `/copy code ` the
 * numbers of the last answer's code blocks, listed with their language and first line), `@src/ui/ke` paths against the working directory (hidden entries, and node_modules, .git and the
 * names .gitignore lists at its top, only when typed), and with several agents `@na` their names too.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { plainGitignored } from '../core/dir-listing.js';
import { resolveMention } from '../core/file-mentions.js';
import type { EditorState } from './input.js';
import { displayWidth } from './layout/width.js';

/** What completion may look at. */
export interface CompletionContext {
  cwd: string;
  /** Slash command names (without "/"). */
  commands: readonly string[];
  /** Names `@` addresses besides paths (the agents of a conversation with several). */
  names?: readonly string[];
  /** The model ids `/model <Tab>` completes (the provider's list, once the picker fetched it). */
  models?: readonly string[];
  /** The session ids `/resume <Tab>` completes (short ids of the directory's other recent sessions). */
  sessions?: readonly string[];
  /** One hint per code block of the last answer ("2 ts: const x = 1"): `/copy code <Tab>` completes their numbers. */
  codeBlocks?: readonly string[];
}

/** The fixed words a command's argument completes to (`/copy c` → `code`). */
const ARGUMENT_WORDS: Readonly<Record<string, readonly string[]>> = { copy: ['code'] };

/** The matches of an argument being typed, how one is finished, and how it is listed (default: as it is). */
interface ArgumentMatches {
  matches: string[];
  finish: (m: string) => string;
  paths?: true;
  label?: (m: string) => string;
}

/** `/copy code <Tab>`: the numbers of the last answer's code blocks, listed with their hints. */
function codeBlockMatches(before: string, word: string, ctx: CompletionContext): ArgumentMatches | undefined {
  const hints = ctx.codeBlocks;
  if (!hints?.length || !/^\/copy\s+code\s+\d*$/i.test(before)) return undefined;
  const numbers = hints.map((_, i) => String(i + 1));
  return {
    matches: numbers.filter((n) => n.startsWith(word)),
    finish: (m) => `${m} `,
    label: (m) => hints[Number(m) - 1] ?? m,
  };
}

/** The matches for a slash command's argument being typed, and how one is finished; undefined when it takes none. */
function argumentMatches(command: string, word: string, ctx: CompletionContext): ArgumentMatches | undefined {
  const words = (list: readonly string[] | undefined) =>
    list?.length ? { matches: list.filter((m) => m.startsWith(word)), finish: (m: string) => m } : undefined;
  if (command === 'model') return words(ctx.models);
  if (command === 'resume') return words(ctx.sessions);
  if (command === 'save' || command === 'save!')
    return { matches: completePath(word, ctx.cwd), finish: (m) => m, paths: true };
  return words(ARGUMENT_WORDS[command]);
}

/** What Tab does: replace `from`…`to` of the text by `insert`; `choices` lists the matches when there are several. */
export interface Completion {
  from: number;
  to: number;
  insert: string;
  /** The matches (as the list shows them: last path part only), when more than one. */
  choices: string[];
}

/** Listed at most, however many match. */
const MAX_ENTRIES = 2000;
const ALWAYS_SKIPPED = new Set(['node_modules', '.git']);

function isDirectory(dir: string, entry: Dirent): boolean {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(join(dir, entry.name)).isDirectory();
  } catch {
    return false;
  }
}

const escapeSpaces = (s: string): string => s.replace(/ /g, '\\ ');

/** The entries of the directory `typed` points into that complete it, as `@`-mentions (directories end with "/"). */
export function completePath(typed: string, cwd: string): string[] {
  const slash = typed.lastIndexOf('/');
  const dirPart = typed.slice(0, slash + 1);
  const base = typed.slice(slash + 1).replace(/\\ /g, ' ');
  const dir = dirPart ? resolveMention(dirPart.replace(/\\ /g, ' '), cwd) : cwd;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).slice(0, MAX_ENTRIES);
  } catch {
    return [];
  }
  const ignored = dirPart ? new Set<string>() : plainGitignored(cwd);
  const out: string[] = [];
  for (const e of entries) {
    if (!e.name.startsWith(base)) continue;
    // Hidden and ignored entries only when typed: ".g" offers .github, "node_modules" is offered only whole.
    if (e.name.startsWith('.') && !base.startsWith('.')) continue;
    if ((ALWAYS_SKIPPED.has(e.name) || ignored.has(e.name)) && base !== e.name) continue;
    out.push(`${dirPart}${escapeSpaces(e.name)}${isDirectory(dir, e) ? '/' : ''}`);
  }
  return out.sort((a, b) => a.localeCompare(b));
}

function commonPrefix(items: readonly string[]): string {
  let prefix = items[0] ?? '';
  for (const s of items) while (!s.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/** How a match is listed: a path by its last part ("keys.ts", "layout/"), anything else whole. */
function choiceLabel(match: string): string {
  const trimmed = match.endsWith('/') ? match.slice(0, -1) : match;
  const at = trimmed.lastIndexOf('/');
  return at === -1 ? match : match.slice(at + 1);
}

/** What Tab completes at `cursor` in `text`; undefined when the word there is nothing to complete. */
export function complete(text: string, cursor: number, ctx: CompletionContext): Completion | undefined {
  const before = text.slice(0, cursor);
  // The word before the cursor: back to white space that is not escaped ("my\ file").
  let start = cursor;
  while (start > 0 && !(/\s/.test(before[start - 1] as string) && before[start - 2] !== '\\')) start--;
  const word = before.slice(start);
  const typedCommand = /^\/([a-zA-Z][\w-]*!?)\s+(?:\\ |\S)*$/.exec(before);
  const argument =
    codeBlockMatches(before, word, ctx) ??
    (typedCommand ? argumentMatches((typedCommand[1] as string).toLowerCase(), word, ctx) : undefined);
  let matches: string[];
  let finish: (match: string) => string;
  if (word.startsWith('/') && start === 0 && !/\s/.test(before)) {
    matches = ctx.commands.filter((c) => `/${c}`.startsWith(word)).map((c) => `/${c}`);
    finish = (m) => `${m} `;
  } else if (argument) {
    ({ matches, finish } = argument);
  } else if (word.startsWith('@')) {
    const typed = word.slice(1);
    const names = (ctx.names ?? []).filter((n) => n.startsWith(typed)).map((n) => `@${n}`);
    matches = [...names, ...completePath(typed, ctx.cwd).map((p) => `@${p}`)];
    finish = (m) => (m.endsWith('/') ? m : `${m} `);
  } else return undefined;
  if (matches.length === 0) return { from: start, to: cursor, insert: word, choices: [] };
  if (matches.length === 1) return { from: start, to: cursor, insert: finish(matches[0] as string), choices: [] };
  const common = commonPrefix(matches);
  return {
    from: start,
    to: cursor,
    insert: common.length > word.length ? common : word,
    choices: matches.map((m) =>
      argument?.label
        ? argument.label(m)
        : argument?.paths
          ? choiceLabel(m)
          : m.startsWith('@')
            ? choiceLabel(m.slice(1))
            : m,
    ),
  };
}

/** The editor after Tab: the word replaced, the cursor after what was inserted. */
export function applyCompletion(editor: EditorState, c: Completion): EditorState {
  const text = editor.text.slice(0, c.from) + c.insert + editor.text.slice(c.to);
  return { ...editor, text, cursor: c.from + c.insert.length };
}

/** The matches as one line of at most `width` columns: "keys.ts  keys-x.ts  … 12 more". */
export function choicesLine(choices: readonly string[], width: number): string {
  let line = '';
  for (const [i, c] of choices.entries()) {
    const more = choices.length - i;
    const next = line ? `${line}  ${c}` : c;
    const tail = more > 1 ? `  … ${more - 1} more` : '';
    if (displayWidth(next) + tail.length > width) return `${line}  … ${more} more`.trim();
    line = next;
  }
  return line;
}
