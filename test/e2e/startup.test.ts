/**
 * The launcher (bin/agentor.js) and the bundles the build makes for it: what each command loads, the help-only
 * bundle, and the V8 code cache (one per V8 version, in the install or, for a read-only install, the user's cache).
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runCli, SESSION_LINE } from '../support/cli.js';
import { reapChild, tempDir } from '../support/cleanup.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';

const ROOT = join(import.meta.dirname, '../..');
const CACHE_KEY = `${process.versions.v8}-${process.arch}`;

let fake: FakeOpenAI;
beforeAll(async () => {
  // Every request gets the same answer: nothing queued for one run can reach the next.
  fake = await startFakeOpenAI({ fallback: { text: ['ok'] } });
});
afterAll(async () => {
  await fake.close();
});

interface Loads {
  status: number | null;
  stdout: string;
  stderr: string;
  /** ES module URLs the loader resolved. */
  loaded: string[];
  /** What the launcher-compiled bundles reported: `bundle:<file>`, `code-cache:<used|rejected|none>`, `openai`. */
  hot: string[];
  /** The source modules inside the ES module bundle files that were loaded. */
  inputs: string[];
}

/**
 * Runs the CLI with the import recorder (test/support/record-imports.mjs). With `uid` it runs as that user, from a
 * copy of the recorder next to the log, and in the log's directory: the checkout may not be readable by that user.
 */
async function recordLoads(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; bin?: string; uid?: number } = {},
): Promise<Loads> {
  const dir = tempDir('agentor-imports-');
  const log = join(dir, 'imports.log');
  let recorder = join(import.meta.dirname, '../support/record-imports.mjs');
  if (opts.uid !== undefined) {
    chmodSync(dir, 0o777);
    for (const f of ['record-imports.mjs', 'record-imports-hooks.mjs'])
      cpSync(join(import.meta.dirname, '../support', f), join(dir, f));
    recorder = join(dir, 'record-imports.mjs');
  }
  const child = spawn(process.execPath, ['--import', recorder, opts.bin ?? BIN, ...args], {
    env: { ...(opts.env ?? cleanEnv()), IMPORT_LOG: log },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid, cwd: dir } : {}),
  });
  reapChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  const loaded = lines.filter((l) => !l.startsWith('hot:'));
  // The CLI's ES modules are code-split bundle files: map each loaded one back to the modules esbuild put in it.
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist/bundle/meta.json'), 'utf8')) as Record<string, string[]>;
  const inputs = loaded
    .map((u) => u.replace(/^file:\/\//, ''))
    .flatMap((path) =>
      Object.entries(meta)
        .filter(([out]) => path.endsWith(out))
        .flatMap(([, ins]) => ins),
    );
  const hot = lines.filter((l) => l.startsWith('hot:')).map((l) => l.slice(4));
  return { status, stdout, stderr, loaded, hot, inputs };
}

/** A private copy of the installed CLI (the launcher, the bundle, package.json), so the shared one stays intact. */
function installCopy(): string {
  const copy = tempDir('agentor-install-');
  for (const part of ['bin', 'dist/bundle', 'package.json'])
    cpSync(join(ROOT, part), join(copy, part), { recursive: true });
  return copy;
}

const heavy = /node_modules\/(ink|react|openai)\//;

describe('startup', () => {
  it.each(
    [['--version'], ['--help'], ['chat', '--help'], ['help', 'serve'], []].map((a) => [
      a.join(' ') || '(no arguments)',
      a,
    ]),
  )('%s loads neither ink, react nor openai', async (_name, args) => {
    const r = await recordLoads(args);
    expect(r.status).toBe(args.length === 0 ? 2 : 0);
    expect(r.loaded.some((u) => u.endsWith('/bin/agentor.js'))).toBe(true);
    expect(r.loaded).not.toContainEqual(expect.stringMatching(heavy));
    expect(r.inputs.filter((i) => heavy.test(i))).toEqual([]);
    expect(r.hot).not.toContain('openai');
    if (args[0] === '--version') {
      expect(r.hot).toEqual([]);
    } else {
      // Help needs Commander only: the help bundle, compiled from the code cache the build made.
      expect(r.hot).toEqual(['bundle:help.cjs', 'code-cache:used']);
      expect(r.stdout + r.stderr).toContain('Usage: agentor');
    }
  });

  it('help from the help bundle is the help of the full CLI, word for word', async () => {
    // dist/cli.js is the full program as tsc emitted it, outside any bundle.
    const full = `import(${JSON.stringify(join(ROOT, 'dist/cli.js'))}).then((m) => m.main(process.argv))`;
    for (const args of [['--help'], ['chat', '--help'], ['serve', '-h'], ['help', 'deploy']]) {
      const { stdout: expected } = await promisify(execFile)(process.execPath, ['-e', full, 'agentor', ...args]);
      expect(expected).toContain('Usage: agentor');
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(expected);
    }
  });

  it('arguments that only look like a help request still run the command, through the full CLI', async () => {
    const r = await recordLoads(['chat', '--no-stdin', '--demo', '--system', '--help', 'What is 17 * 23?']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('**391**');
    expect(r.hot.filter((h) => h.startsWith('bundle:'))).toEqual(['bundle:help.cjs', 'bundle:cli.cjs']);
  });

  it('a chat evaluates the OpenAI SDK from the hot bundle, still without ink or react', async () => {
    const r = await recordLoads(['chat', '--json', '--base-url', fake.url, 'hi'], {
      env: cleanEnv({ OPENAI_API_KEY: 'sk-test' }),
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('"type":"run_end"');
    expect(r.hot).toEqual(expect.arrayContaining(['bundle:cli.cjs', 'code-cache:used', 'openai']));
    expect(r.inputs.filter((i) => /node_modules\/(ink|react)\//.test(i))).toEqual([]);
  });

  it('the build made a code cache for this V8 version, next to the bundles', () => {
    const caches = readdirSync(join(ROOT, 'dist/bundle')).filter((f) => f.endsWith('.cache'));
    expect(caches).toEqual(expect.arrayContaining([`cli.cjs.${CACHE_KEY}.cache`, `help.cjs.${CACHE_KEY}.cache`]));
  });

  it('a missing or rejected code cache is rebuilt by the next run, in a writable install', async () => {
    const copy = installCopy();
    const cache = join(copy, `dist/bundle/help.cjs.${CACHE_KEY}.cache`);
    const bin = join(copy, 'bin/agentor.js');
    const hotLog = async (): Promise<string[]> => {
      const r = await recordLoads(['--help'], { bin });
      expect(r.status).toBe(0);
      return r.hot;
    };
    writeFileSync(cache, 'not a V8 code cache');
    expect(await hotLog()).toContain('code-cache:rejected');
    expect(await hotLog()).toContain('code-cache:used');
    rmSync(cache);
    expect(await hotLog()).toContain('code-cache:none');
    expect(await hotLog()).toContain('code-cache:used');
  });

  it('a read-only install keeps its code cache in the user cache dir, one per build', async () => {
    const copy = installCopy();
    rmSync(join(copy, `dist/bundle/cli.cjs.${CACHE_KEY}.cache`));
    const userCache = tempDir('agentor-user-cache-');
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test', XDG_CACHE_HOME: userCache });
    const dir = join(userCache, 'agentor/code-cache');
    // Root writes anywhere: the install is read-only for the unprivileged user the CLI then runs as.
    const asRoot = process.getuid?.() === 0;
    const uid = asRoot ? 65534 : undefined;
    for (const d of [userCache, join(env['XDG_CONFIG_HOME'] as string, '..')]) chmodSync(d, 0o777);
    for (const d of [copy, join(copy, 'dist'), join(copy, 'dist/bundle')]) chmodSync(d, 0o555);
    const chat = async (): Promise<string[]> => {
      const r = await recordLoads(['chat', '--json', '--base-url', fake.url, 'hi'], {
        env,
        bin: join(copy, 'bin/agentor.js'),
        uid,
      });
      expect(r.stderr).toMatch(SESSION_LINE);
      expect(r.status).toBe(0);
      return r.hot;
    };
    try {
      expect(await chat()).toContain('code-cache:none');
      const id = readFileSync(join(copy, 'dist/bundle/cli.cjs'), 'utf8').slice(16, 32);
      expect(readdirSync(dir)).toEqual([`cli.cjs.${id}.${CACHE_KEY}.cache`]);
      expect(existsSync(join(copy, `dist/bundle/cli.cjs.${CACHE_KEY}.cache`))).toBe(false);
      expect(await chat()).toContain('code-cache:used');
      // A cache of an earlier build of the bundle goes when this build's is written.
      rmSync(join(dir, `cli.cjs.${id}.${CACHE_KEY}.cache`));
      writeFileSync(join(dir, `cli.cjs.0123456789abcdef.${CACHE_KEY}.cache`), 'old');
      expect(await chat()).toContain('code-cache:none');
      expect(readdirSync(dir)).toEqual([`cli.cjs.${id}.${CACHE_KEY}.cache`]);
    } finally {
      for (const d of [copy, join(copy, 'dist'), join(copy, 'dist/bundle')]) chmodSync(d, 0o755);
    }
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version'], { env: cleanEnv() });
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});
