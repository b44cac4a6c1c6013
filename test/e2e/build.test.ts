/**
 * The incremental build: `scripts/build.mjs --check` says whether a build would do anything, judged by a content hash
 * of the inputs (sources, build scripts, launcher, package.json, lockfile) and this Node version's code cache.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/cleanup.js';

const ROOT = join(import.meta.dirname, '../..');
const CACHE_KEY = `${process.versions.v8}-${process.arch}`;

async function check(root: string): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await promisify(execFile)(process.execPath, [join(root, 'scripts/build.mjs'), '--check']);
    return { code: 0, stderr };
  } catch (e) {
    const { code, stderr } = e as { code: number; stderr: string };
    return { code, stderr };
  }
}

describe('the incremental build', () => {
  it('finds dist/ current for the checkout the tests run against', async () => {
    const r = await check(ROOT);
    expect(r.stderr).toBe('build: dist/ is up to date\n');
    expect(r.code).toBe(0);
  });

  it('is stale after a source, lockfile or build script changes, and without a cache for this Node', async () => {
    const copy = tempDir('agentor-build-');
    for (const part of ['src', 'scripts', 'bin', 'dist', 'package.json', 'package-lock.json', 'tsconfig.json'])
      cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    cpSync(join(ROOT, 'tsconfig.build.json'), join(copy, 'tsconfig.build.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    expect((await check(copy)).code).toBe(0);

    for (const file of ['src/cli.ts', 'package-lock.json', 'scripts/warm-code-cache.mjs']) {
      const fresh = join(tempDir('agentor-build-orig-'), 'orig');
      cpSync(join(copy, file), fresh);
      appendFileSync(join(copy, file), '\n');
      const r = await check(copy);
      expect(r.code, file).toBe(1);
      expect(r.stderr).toContain('dist/ is stale');
      cpSync(fresh, join(copy, file));
      expect((await check(copy)).code, file).toBe(0);
    }

    rmSync(join(copy, `dist/bundle/cli.cjs.${CACHE_KEY}.cache`));
    const r = await check(copy);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`without a code cache for Node ${process.version}`);
  });
});
