#!/usr/bin/env node
// Launcher. `--version` is answered here without loading anything; a help request (or a bare `agentor`) runs
// dist/bundle/help.cjs, Commander and the option declarations only. Everything else runs the bundled CLI: its hot path
// (dist/bundle/cli.cjs) is compiled with a V8 code cache, which Node 20 offers only through vm.Script; commands import
// their other dependencies (dist/bundle/cold/) only when they run.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

// A code cache is valid for one V8 build: one file per V8 version lets several Node versions share an install.
const CACHE_KEY = `${process.versions.v8}-${process.arch}`;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else if (isHelpRequest(args)) {
  // help.cjs throws `agentorNeedsFullCli` when the arguments were not a help request after all (`--system --help`).
  run('help.cjs').catch((error) => (error && error.agentorNeedsFullCli ? run('cli.cjs').catch(fail) : fail(error)));
} else {
  run('cli.cjs').catch(fail);
}

/** No arguments, `help …`, or `-h`/`--help` before a `--`: what Commander answers with help text. */
function isHelpRequest(argv) {
  if (argv.length === 0 || argv[0] === 'help') return true;
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

function fail(error) {
  process.stderr.write(`agentor: ${error && error.message ? error.message : String(error)}\n`);
  process.exit(1);
}

/** Runs main() of dist/bundle/<name>. */
function run(name) {
  return loadBundle(name)(process.argv);
}

/** The main() of a launcher-compiled bundle, compiled with its code cache. */
function loadBundle(name) {
  const url = new URL(`../dist/bundle/${name}`, import.meta.url);
  const file = fileURLToPath(url);
  let source;
  try {
    source = readFileSync(url, 'utf8');
  } catch {
    process.stderr.write(`agentor: ${file} is missing: build the CLI with \`npm run build\` (or reinstall agentor)\n`);
    process.exit(1);
  }
  // The install's own cache; failing that (a read-only install run by a Node version it was not built with), the
  // user's, named by the bundle's build id so another build of the file never picks it up.
  const installCache = `${file}.${CACHE_KEY}.cache`;
  const buildId = source.startsWith('//agentor-build:') ? source.slice(16, source.indexOf('\n')) : undefined;
  const home = process.env.XDG_CACHE_HOME || (process.env.HOME && `${process.env.HOME}/.cache`);
  const userDir = home && buildId ? `${home}/agentor/code-cache` : undefined;
  const userCache = userDir && `${userDir}/${name}.${buildId}.${CACHE_KEY}.cache`;
  let cachedData;
  for (const candidate of [installCache, userCache]) {
    if (cachedData !== undefined || !candidate) continue;
    try {
      cachedData = readFileSync(candidate);
    } catch {
      // not there: the next candidate, or V8 compiles from source
    }
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname, __agentorImport, __agentorImportMetaUrl) {${source}\n})`;
  const script = new Script(wrapper, { filename: file, cachedData });
  // For the startup test (test/support/record-imports.mjs): which bundle ran, was a cache there, did V8 take it?
  globalThis.__agentorModuleLog?.push(
    `bundle:${name}`,
    cachedData === undefined
      ? 'code-cache:none'
      : script.cachedDataRejected
        ? 'code-cache:rejected'
        : 'code-cache:used',
  );
  const module = { exports: {} };
  const importCold = (specifier) => import(new URL(specifier, url).href);
  script.runInThisContext()(
    module.exports,
    createRequire(url),
    module,
    file,
    fileURLToPath(new URL('.', url)),
    importCold,
    url.href,
  );
  // The build's warm-up runs always write the install's cache. Otherwise a missing cache, or one V8 rejected, is
  // replaced with what this run compiled: in the install when it is writable, else in the user's cache directory.
  if (process.env.AGENTOR_WRITE_CODE_CACHE || cachedData === undefined || script.cachedDataRejected) {
    process.on('exit', () => {
      if (writeCache(script, installCache) || process.env.AGENTOR_WRITE_CODE_CACHE || !userCache) return;
      try {
        mkdirSync(userDir, { recursive: true });
        // Caches of earlier builds of this bundle are dead weight once a new one is written.
        for (const old of readdirSync(userDir))
          if (old.startsWith(`${name}.`) && !old.startsWith(`${name}.${buildId}.`)) rmSync(`${userDir}/${old}`);
      } catch {
        return;
      }
      writeCache(script, userCache);
    });
  }
  return module.exports.main;
}

/** Writes the script's code cache to `out` atomically; false when `out` cannot be written (a read-only install). */
function writeCache(script, out) {
  const tmp = `${out}.${process.pid}.tmp`;
  let fd;
  try {
    // The file first: a read-only install stops here, before the cache is serialised for nothing.
    fd = openSync(tmp, 'w');
  } catch {
    return false;
  }
  try {
    writeFileSync(fd, script.createCachedData());
    closeSync(fd);
    renameSync(tmp, out);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}
