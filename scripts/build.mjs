// Build: tsc emits the library (dist/*.js + .d.ts); esbuild bundles the CLI into dist/bundle/ with code splitting, so
// each command's dependencies load only when it runs and module resolution stops dominating startup.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

// tsc emits even when it reports type errors; the bundle is still built, and the exit code reports the failure.
let typeErrors = false;
try {
  execFileSync(process.execPath, [new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname, '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
    cwd: new URL('..', import.meta.url).pathname,
  });
} catch {
  typeErrors = true;
}

// Commander requires child_process at load time (3 ms) only to run executable subcommands, which agentor has none of:
// it gets a proxy that loads the real module on first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('node_modules/commander/') ? { path: 'child_process', namespace: 'agentor-lazy' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'agentor-lazy' }, () => ({
      contents: "let real; module.exports = new Proxy({}, { get: (_t, key) => (real ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

const staging = `dist/.bundle-${process.pid}`;
const result = await build({
  metafile: true,
  entryPoints: { cli: 'src/cli.ts' },
  // Written beside the live bundle and swapped in by rename, so a CLI started during a build never sees a half bundle.
  outdir: staging,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  // Less to parse at every start; identifiers are kept so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  absWorkingDir: new URL('..', import.meta.url).pathname,
  // Optional peers never used by agentor's code paths (dev tools, other transports of the A2A SDK).
  external: ['react-devtools-core', '@grpc/grpc-js', '@bufbuild/protobuf', 'better-sqlite3', 'kysely', 'mysql2', 'pg', 'node-pty'],
  // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
  banner: { js: "import { createRequire as __agentorCreateRequire } from 'node:module'; const require = __agentorCreateRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [lazyChildProcess],
});
// Which input modules each output file holds: the startup test uses it to prove what a command loads.
const outputs = Object.fromEntries(
  Object.entries(result.metafile.outputs).map(([file, out]) => [file, Object.keys(out.inputs)]),
);
writeFileSync(new URL(`../${staging}/meta.json`, import.meta.url), JSON.stringify(outputs).replaceAll(`${staging}/`, 'dist/bundle/'));
const live = new URL('../dist/bundle', import.meta.url);
const old = new URL(`../dist/.old-bundle-${process.pid}`, import.meta.url);
if (existsSync(live)) renameSync(live, old);
renameSync(new URL(`../${staging}`, import.meta.url), live);
rmSync(old, { recursive: true, force: true });

if (typeErrors) {
  process.stderr.write('build: type errors (see above); the bundle was still written\n');
  process.exitCode = 1;
}
