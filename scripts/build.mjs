// Build: tsc emits the library (dist/*.js + .d.ts); esbuild bundles the CLI into dist/bundle/:
//
//   cli.cjs        the hot path (option parsing, `chat`, the agent loop, the OpenAI provider) as one CommonJS file, which
//                  bin/agentor.js compiles with a V8 code cache (cli.cjs.<v8>-<arch>.cache, made here by running it
//                  once): parsing and compiling it is most of the time to a first token, and Node 20 has no compile
//                  cache for ESM. The cache is per V8 version, so installs shared by several Node versions keep one each.
//   help.cjs       Commander and the option declarations only: `--help` (and a bare `agentor`) needs nothing else.
//   cold/*.js      what the hot path imports only sometimes (the Ink UI, serve, deploy, the MCP and A2A SDKs): ES
//   chunks/*.js    modules with code splitting, loaded by import() when a command needs them.
//
// Incremental: the build is skipped when dist/ was built from the same inputs (sources, build scripts, launcher,
// package.json, lockfile; a content hash in dist/.build-stamp.json) and this Node version's code cache is there; with
// only the cache missing (another Node version), it makes just the cache. `npm run build -- --force` rebuilds all;
// `-- --check` only reports (exit 1 when a build would do something).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { boundedInkTextCaches } from './ink-text-caches.mjs';
import { cacheKey, warmCodeCache } from './warm-code-cache.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const STAMP = join(ROOT, 'dist/.build-stamp.json');
const OUTPUTS = ['dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'dist/bundle/cli.cjs', 'dist/bundle/help.cjs'];

/** A hash of everything dist/ is made from; node_modules is represented by the lockfile. */
function inputsHash() {
  const files = [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'bin/agentor.js',
    'scripts/build.mjs',
    'scripts/warm-code-cache.mjs',
    'scripts/ink-text-caches.mjs',
  ];
  const walk = (dir) =>
    readdirSync(join(ROOT, dir), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`]));
  const hash = createHash('sha256');
  for (const file of [...files, ...walk('src')]) {
    if (!existsSync(join(ROOT, file))) continue;
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(ROOT, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

const inputs = inputsHash();
let stamp;
try {
  stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
} catch {
  // never built, or built before stamps
}
const current = stamp?.inputs === inputs && OUTPUTS.every((f) => existsSync(join(ROOT, f)));
const cached = existsSync(join(ROOT, `dist/bundle/cli.cjs.${cacheKey()}.cache`));
if (process.argv.includes('--check')) {
  // Reports without building: exit 0 when a build would do nothing.
  process.stderr.write(
    !current
      ? 'build: dist/ is stale (sources, lockfile or build scripts changed since it was built): run `npm run build`\n'
      : !cached
        ? `build: dist/ is current, without a code cache for Node ${process.version}: run \`npm run build\`\n`
        : 'build: dist/ is up to date\n',
  );
  process.exit(current && cached ? 0 : 1);
}
if (current && !process.argv.includes('--force')) {
  if (cached) {
    process.stderr.write('build: dist/ is up to date (same sources, lockfile and build scripts); skipped\n');
  } else {
    process.stderr.write(`build: dist/ is up to date; making its code cache for Node ${process.version}\n`);
    await warmOrWarn();
  }
  process.exit(0);
}
rmSync(STAMP, { force: true });
// Imported only when there is something to build: a skipped build stays a fraction of a second.
const { build } = await import('esbuild');

/** Runs the warm-up; a failure costs startup time, never the build. */
async function warmOrWarn() {
  try {
    await warmCodeCache(ROOT);
  } catch (e) {
    process.stderr.write(
      `build: no code cache (the CLI still works, it starts slower): ${e instanceof Error ? e.message : e}\n`,
    );
  }
}

// tsc emits even when it reports type errors; the bundle is still built, and the exit code reports the failure.
let typeErrors = false;
try {
  execFileSync(
    process.execPath,
    [new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname, '-p', 'tsconfig.build.json'],
    {
      stdio: 'inherit',
      cwd: ROOT,
    },
  );
} catch {
  typeErrors = true;
}

// Commander requires child_process at load time (3 ms) only to run executable subcommands, which agentor has none of:
// it gets a proxy that loads the real module on first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('node_modules/commander/')
        ? { path: 'child_process', namespace: 'agentor-lazy' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'agentor-lazy' }, () => ({
      contents:
        "let real; module.exports = new Proxy({}, { get: (_t, key) => (real ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

// Dynamic imports that stay inside the hot file (evaluated only when imported, but compiled from the code cache).
// Every other dynamic import reachable from src/cli.ts becomes an ES module entry under cold/.
const HOT = [
  /^src\/commands\/chat\.ts$/,
  /^src\/render\/(json|text)\.ts$/,
  /^src\/core\/agent-file\.ts$/,
  /^src\/core\/providers\/a2a\.ts$/,
  /(^|\/)node_modules\/openai\//,
];
const coldEntries = new Map(); // entry name → absolute path

/** cold/<name>: the module's path without node_modules/, its extension and punctuation. */
const coldName = (rel) =>
  rel
    .replace(/^.*node_modules\//, '')
    .replace(/\.(m?[jt]sx?)$/, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const splitCold = {
  name: 'split-cold',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.pluginData === 'split-cold') return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'split-cold',
      });
      if (resolved.errors.length > 0 || resolved.external) return resolved;
      const rel = relative(ROOT, resolved.path);
      if (HOT.some((re) => re.test(rel))) return resolved;
      const name = coldName(rel);
      coldEntries.set(name, resolved.path);
      return { path: `./cold/${name}.js`, external: true };
    });
  },
};

// Tests can ask which lazily evaluated hot modules ran: each logs itself to globalThis.__agentorModuleLog if present.
const logHotModules = {
  name: 'log-hot-modules',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]openai[\\/]index\.m?js$/ }, (args) => ({
      contents: `globalThis.__agentorModuleLog?.push("openai");\n${readFileSync(args.path, 'utf8')}`,
      loader: 'js',
    }));
  },
};

// Every string-width the UI imports (Ink's, widest-line's, wrap-ansi's) gets src/ui/string-width-fast.ts in front:
// plain text skips Intl.Segmenter and the \p{RGI_Emoji} expression, whose first use costs ~20 ms at every chat's first frame.
const fastStringWidth = {
  name: 'fast-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === 'fast-string-width') return undefined;
      const real = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'fast-string-width',
      });
      return real.errors.length > 0 ? real : { path: real.path, namespace: 'fast-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'fast-string-width' }, (args) => ({
      contents: [
        `import real from ${JSON.stringify(args.path)};`,
        `import { withFastPath } from ${JSON.stringify(`${ROOT}src/ui/string-width-fast.ts`)};`,
        'export default withFastPath(real);',
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  // Less to parse at every start; identifiers are kept so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  absWorkingDir: ROOT,
  // React, its reconciler (Ink's renderer) and Express pick their production code from NODE_ENV; unset, they would run
  // their development builds (several times slower, and twice the code to load).
  define: { 'process.env.NODE_ENV': '"production"' },
  // Optional peers never used by agentor's code paths (dev tools, other transports of the A2A SDK).
  external: [
    'react-devtools-core',
    '@grpc/grpc-js',
    '@bufbuild/protobuf',
    'better-sqlite3',
    'kysely',
    'mysql2',
    'pg',
    'node-pty',
  ],
};

// Written beside the live bundle and swapped in by rename, so a CLI started during a build never sees a half bundle.
const staging = `dist/.bundle-${process.pid}`;

// 1. The hot file. bin/agentor.js wraps it in a function of (exports, require, module, __filename, __dirname,
//    __agentorImport, __agentorImportMetaUrl): import() of a cold module goes through __agentorImport, because code
//    compiled by vm.Script can't import() by itself.
const hot = await build({
  ...common,
  metafile: true,
  entryPoints: ['src/cli.ts'],
  outfile: `${staging}/cli.cjs`,
  format: 'cjs',
  define: { ...common.define, 'import.meta.url': '__agentorImportMetaUrl' },
  plugins: [lazyChildProcess, splitCold, logHotModules, fastStringWidth, boundedInkTextCaches(ROOT)],
});
const hotFile = `${ROOT}${staging}/cli.cjs`;
const stray = Object.values(hot.metafile.outputs)[0].imports.filter(
  (i) => i.kind === 'dynamic-import' && !i.path.startsWith('./cold/'),
);
if (stray.length > 0)
  throw new Error(
    `build: import() of ${stray.map((i) => i.path).join(', ')} in dist/bundle/cli.cjs would fail under vm.Script`,
  );
writeWithBuildId(hotFile, readFileSync(hotFile, 'utf8').replaceAll('import("./cold/', '__agentorImport("./cold/'));

/**
 * Writes a launcher-compiled bundle with its content hash on the first line: bin/agentor.js names a code cache kept
 * outside the install (read-only installs) by it, so a cache is never used for another build of the same file.
 */
function writeWithBuildId(file, source) {
  const id = createHash('sha256').update(source).digest('hex').slice(0, 16);
  writeFileSync(file, `//agentor-build:${id}\n${source}`);
}

// 1b. The help file: src/cli.ts with Commander and nothing else. Every import() in it (the commands) becomes a module
//     that throws an error the launcher recognises, and answers by running the same arguments through cli.cjs: so
//     an argument list that only looks like a help request (`--system --help`) still runs its command.
const needsFullCli = {
  name: 'needs-full-cli',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, namespace: 'agentor-needs-full-cli' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'agentor-needs-full-cli' }, () => ({
      contents:
        "throw Object.assign(new Error('agentor: this command needs dist/bundle/cli.cjs'), { agentorNeedsFullCli: true });",
      loader: 'js',
    }));
  },
};
const help = await build({
  ...common,
  metafile: true,
  entryPoints: ['src/cli.ts'],
  outfile: `${staging}/help.cjs`,
  format: 'cjs',
  define: { ...common.define, 'import.meta.url': '__agentorImportMetaUrl' },
  plugins: [lazyChildProcess, needsFullCli],
});
const helpFile = `${ROOT}${staging}/help.cjs`;
writeWithBuildId(helpFile, readFileSync(helpFile, 'utf8'));

// 2. The cold modules, code-split so their shared dependencies load once.
const cold = await build({
  ...common,
  metafile: true,
  entryPoints: Object.fromEntries([...coldEntries].map(([name, path]) => [`cold/${name}`, path])),
  outdir: staging,
  splitting: true,
  format: 'esm',
  // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __agentorCreateRequire } from 'node:module'; const require = __agentorCreateRequire(import.meta.url);",
  },
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [lazyChildProcess, fastStringWidth, boundedInkTextCaches(ROOT)],
});

// Which input modules each output file holds: the startup test uses it to prove what a command loads.
const outputs = Object.fromEntries(
  [hot, help, cold]
    .flatMap((b) => Object.entries(b.metafile.outputs))
    .map(([file, out]) => [file, Object.keys(out.inputs)]),
);
writeFileSync(`${ROOT}${staging}/meta.json`, JSON.stringify(outputs).replaceAll(`${staging}/`, 'dist/bundle/'));

const live = new URL('../dist/bundle', import.meta.url);
const old = new URL(`../dist/.old-bundle-${process.pid}`, import.meta.url);
if (existsSync(live)) renameSync(live, old);
renameSync(new URL(`../${staging}`, import.meta.url), live);
rmSync(old, { recursive: true, force: true });

// 3. The code cache, made by running the CLI's hot paths against a loopback fake (nothing leaves this machine).
await warmOrWarn();

if (typeErrors) {
  process.stderr.write('build: type errors (see above); the bundle was still written\n');
  process.exitCode = 1;
} else {
  writeFileSync(STAMP, `${JSON.stringify({ inputs, node: process.version })}\n`);
}
