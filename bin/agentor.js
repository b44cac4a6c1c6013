#!/usr/bin/env node
// Launcher. `--version` is answered here without loading anything. Everything else runs the bundled CLI: its hot path
// (dist/bundle/cli.cjs) is compiled with the V8 code cache the build made for it, which Node 20 offers only through
// vm.Script; commands import their other dependencies (dist/bundle/cold/) only when they run.
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  // WebAssembly stays on V8's baseline compiler (Liftoff): once a model's stream has run a moment, V8 optimises undici's
  // llhttp parser on a background thread (~180 ms of CPU), and an exit waits for that job — Ctrl+C during the first
  // tokens took 150–300 ms. Set before the bundle is compiled, so every run (the build's warm-up too) has the same V8
  // flags, which the code cache is checked against.
  createRequire(import.meta.url)('node:v8').setFlagsFromString('--liftoff-only');
  const main = loadHotCli();
  main(process.argv).catch((error) => {
    process.stderr.write(`agentor: ${error && error.message ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

/** The CLI's main() from dist/bundle/cli.cjs. */
function loadHotCli() {
  const url = new URL('../dist/bundle/cli.cjs', import.meta.url);
  const file = fileURLToPath(url);
  let source;
  try {
    source = readFileSync(url, 'utf8');
  } catch {
    process.stderr.write(`agentor: ${file} is missing: build the CLI with \`npm run build\` (or reinstall agentor)\n`);
    process.exit(1);
  }
  const cacheUrl = new URL('../dist/bundle/cli.cjs.cache', import.meta.url);
  let cachedData;
  try {
    cachedData = readFileSync(cacheUrl);
  } catch {
    // no cache: V8 compiles from source
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname, __agentorImport, __agentorImportMetaUrl) {${source}\n})`;
  const script = new Script(wrapper, { filename: file, cachedData });
  // For the startup test (test/support/record-imports.mjs): was the cache there, and did V8 take it?
  globalThis.__agentorModuleLog?.push(
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
  // The build's warm-up runs name the file to write. Otherwise a missing cache, or one V8 rejected (made by another
  // Node version), is replaced with what this run compiled, when the install is writable.
  const out =
    process.env.AGENTOR_WRITE_CODE_CACHE ||
    (cachedData === undefined || script.cachedDataRejected ? fileURLToPath(cacheUrl) : undefined);
  if (out) {
    process.on('exit', () => {
      const tmp = `${out}.${process.pid}.tmp`;
      let fd;
      try {
        // The file first: a read-only install stops here, before the cache is serialised for nothing.
        fd = openSync(tmp, 'w');
      } catch {
        return;
      }
      try {
        writeFileSync(fd, script.createCachedData());
        closeSync(fd);
        renameSync(tmp, out);
      } catch {
        rmSync(tmp, { force: true });
      }
    });
  }
  return module.exports.main;
}
