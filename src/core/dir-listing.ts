/**
 * `@dir/` attaches a directory as a tree listing of its names (not their contents), bounded so that a mention of a
 * big tree stays a small message: a few levels deep, a few hundred entries, the shallow ones first (a breadth-first
 * walk decides what is listed, so one huge subdirectory cannot crowd out its siblings). Hidden entries, node_modules
 * and the names a .gitignore lists plainly (the listed directory's own, each subdirectory's, and the working
 * directory's) are left out, as Tab completion leaves them out; symbolic links are listed, never followed.
 */
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

/** Levels below the mentioned directory that are listed. */
export const LIST_MAX_DEPTH = 4;
/** Entries listed at most; the rest are counted. */
export const LIST_MAX_ENTRIES = 300;
/** Entries read from one directory at most (a directory of a million files is not read whole). */
const READ_MAX = 5000;
const ALWAYS_SKIPPED = new Set(['node_modules']);

/** Names a .gitignore in `dir` lists plainly ("dist", "/coverage/"): patterns with wildcards or inner slashes are not read. */
export function plainGitignored(dir: string): Set<string> {
  try {
    return new Set(
      readFileSync(join(dir, '.gitignore'), 'utf8')
        .split('\n')
        .map((l) => l.trim().replace(/^\//, '').replace(/\/$/, ''))
        .filter((l) => l && !l.startsWith('#') && !l.startsWith('!') && !/[*?[\]/\\]/.test(l)),
    );
  } catch {
    return new Set();
  }
}

/** A directory's listing: the tree as text, how many entries it shows, and how many it left out. */
export interface DirListing {
  text: string;
  entries: number;
  /**
   * Entries left out past the entry cap, in the directories that were read; a directory whose entries were not read
   * (past the depth cap, or reached after the cap) is marked "…".
   */
  more: number;
}

interface Node {
  name: string;
  dir: boolean;
  children: Node[];
  /** A directory whose entries were not read (too deep, or the cap was reached first). */
  unread: boolean;
}

function readEntries(path: string): Dirent[] | undefined {
  try {
    return readdirSync(path, { withFileTypes: true }).slice(0, READ_MAX);
  } catch {
    return undefined;
  }
}

/** Lists `path` (a directory) as `shown` names it, ignoring what `inheritedIgnores` names (the working directory's). */
export function listDirectory(
  path: string,
  shown: string,
  inheritedIgnores: ReadonlySet<string> = new Set(),
): DirListing {
  const root: Node = { name: shown.endsWith('/') ? shown : `${shown}/`, dir: true, children: [], unread: false };
  let entries = 0;
  let more = 0;
  const queue: Array<{ node: Node; path: string; depth: number }> = [{ node: root, path, depth: 0 }];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const { node, path: at, depth } = next;
    if (entries >= LIST_MAX_ENTRIES) {
      node.unread = true;
      continue;
    }
    const dirents = readEntries(at);
    if (!dirents) continue;
    const ignored = new Set([...inheritedIgnores, ...plainGitignored(at)]);
    const kept = dirents
      .filter((e) => !e.name.startsWith('.') && !ALWAYS_SKIPPED.has(e.name) && !ignored.has(e.name))
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    for (const e of kept) {
      if (entries >= LIST_MAX_ENTRIES) {
        more++;
        continue;
      }
      entries++;
      const child: Node = { name: e.name, dir: e.isDirectory(), children: [], unread: false };
      node.children.push(child);
      if (!child.dir) continue;
      if (depth + 1 >= LIST_MAX_DEPTH) child.unread = true;
      else queue.push({ node: child, path: join(at, e.name), depth: depth + 1 });
    }
  }
  const lines: string[] = [];
  const print = (node: Node, indent: string): void => {
    lines.push(`${indent}${node.name}${node.dir && !node.name.endsWith('/') ? '/' : ''}${node.unread ? ' …' : ''}`);
    for (const c of node.children) print(c, `${indent}  `);
  };
  print(root, '');
  if (more > 0) lines.push(`[… ${more} more entries not listed]`);
  return { text: `${lines.join('\n')}\n`, entries, more };
}
