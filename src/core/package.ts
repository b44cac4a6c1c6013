/**
 * agentor's own package.json, wherever this code runs: src/ under tsx, dist/, the bundled CLI in dist/bundle/ (and its
 * cold chunks), or a deployment's single-file bundle. It is the nearest package.json above this module that is named
 * "agentor". (bin/agentor.js answers `--version` on its own: it reads ../package.json directly, importing nothing.)
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where agentor is installed, and its version. */
export interface AgentorPackage {
  /** The directory holding its package.json. */
  root: string;
  version: string;
}

let found: AgentorPackage | null | undefined;

/** The agentor package this module belongs to, or undefined when none is above it; looked up once. */
export function agentorPackage(): AgentorPackage | undefined {
  if (found === undefined) found = lookUp(dirname(fileURLToPath(import.meta.url))) ?? null;
  return found ?? undefined;
}

/** agentor's version ("0.0.0" when its package.json cannot be found). */
export function agentorVersion(): string {
  return agentorPackage()?.version ?? '0.0.0';
}

function lookUp(start: string): AgentorPackage | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'agentor' && typeof pkg.version === 'string') return { root: dir, version: pkg.version };
    } catch {
      // no package.json here, or not one we can read
    }
    if (dirname(dir) === dir) return undefined;
  }
}
