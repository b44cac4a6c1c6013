// Build: tsc emits the library (dist/*.js + .d.ts); esbuild bundles the CLI into dist/bundle/:
//
//   cli.cjs        the hot path (option parsing, `chat`, the agent loop, the OpenAI provider) as one CommonJS file, which
//                  bin/agentor.js compiles with a V8 code cache (cli.cjs.cache, made here by running it once): parsing
//                  and compiling it is most of the time to a first token, and Node 20 has no compile cache for ESM.
//   cold/*.js      what the hot path imports only sometimes (the Ink UI, serve, deploy, the MCP and A2A SDKs): ES
//   chunks/*.js    modules with code splitting, loaded by import() when a command needs them.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { build } from 'esbuild';
import { warmCodeCache } from './warm-code-cache.mjs';

const ROOT = new URL('..', import.meta.url).pathname;

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
  plugins: [lazyChildProcess, splitCold, logHotModules, fastStringWidth],
});
const hotFile = `${ROOT}${staging}/cli.cjs`;
const hotSource = readFileSync(hotFile, 'utf8').replaceAll('import("./cold/', '__agentorImport("./cold/');
const stray = Object.values(hot.metafile.outputs)[0].imports.filter(
  (i) => i.kind === 'dynamic-import' && !i.path.startsWith('./cold/'),
);
if (stray.length > 0)
  throw new Error(
    `build: import() of ${stray.map((i) => i.path).join(', ')} in dist/bundle/cli.cjs would fail under vm.Script`,
  );
writeFileSync(hotFile, hotSource);

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
  plugins: [lazyChildProcess, fastStringWidth],
});

// Which input modules each output file holds: the startup test uses it to prove what a command loads.
const outputs = Object.fromEntries(
  [...Object.entries(hot.metafile.outputs), ...Object.entries(cold.metafile.outputs)].map(([file, out]) => [
    file,
    Object.keys(out.inputs),
  ]),
);
writeFileSync(`${ROOT}${staging}/meta.json`, JSON.stringify(outputs).replaceAll(`${staging}/`, 'dist/bundle/'));

const live = new URL('../dist/bundle', import.meta.url);
const old = new URL(`../dist/.old-bundle-${process.pid}`, import.meta.url);
if (existsSync(live)) renameSync(live, old);
renameSync(new URL(`../${staging}`, import.meta.url), live);
rmSync(old, { recursive: true, force: true });

// 3. The code cache, made by running the CLI's hot paths against a loopback fake (nothing leaves this machine).
try {
  await warmCodeCache(ROOT);
} catch (e) {
  process.stderr.write(
    `build: no code cache (the CLI still works, it starts slower): ${e instanceof Error ? e.message : e}\n`,
  );
}

if (typeErrors) {
  process.stderr.write('build: type errors (see above); the bundle was still written\n');
  process.exitCode = 1;
}
