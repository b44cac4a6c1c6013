/**
 * Writes a plan to disk in place: unchanged files are left untouched, changed ones replaced atomically (temp file +
 * rename, so a crash never leaves half a Dockerfile), files a previous run wrote and this one does not are removed.
 */
import { mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DeployError } from './errors.js';
import { fileChanges, type DeployPlan, type FileChangeRow } from './plan.js';

/** Writes the plan, given how its files compare with the disk (fileChanges); returns how many files it changed. */
export function writePlan(plan: DeployPlan, changes: readonly FileChangeRow[] = fileChanges(plan)): number {
  const unchanged = new Set(changes.filter((c) => c.change === 'unchanged').map((c) => c.path));
  let changed = 0;
  try {
    mkdirSync(plan.outDir, { recursive: true });
    for (const file of plan.files) {
      if (unchanged.has(file.path)) continue;
      const target = join(plan.outDir, file.path);
      mkdirSync(dirname(target), { recursive: true });
      const temp = `${target}.agentor-tmp-${process.pid}`;
      writeFileSync(temp, file.content, { mode: 0o644 });
      renameSync(temp, target);
      changed++;
    }
    for (const path of plan.stale) {
      const target = join(plan.outDir, path);
      rmSync(target, { force: true });
      removeEmptyParents(dirname(target), plan.outDir);
      changed++;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DeployError(
      `cannot write to ${err.path ?? plan.outDir}: ${err.code ?? err.message}. Check its permissions or choose another --out.`,
      1,
    );
  }
  return changed;
}

function removeEmptyParents(dir: string, root: string): void {
  let current = dir;
  while (relative(root, current) !== '' && !relative(root, current).startsWith('..')) {
    try {
      if (readdirSync(current).length > 0) return;
      rmdirSync(current);
    } catch {
      return;
    }
    current = dirname(current);
  }
}
