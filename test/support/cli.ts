/** Spawns the built CLI (bin/agentor.js → dist/) with a clean, isolated environment. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { reapChild, tempDir } from './cleanup.js';

export const BIN = resolve(import.meta.dirname, '../../bin/agentor.js');

/** An environment with no provider configuration and private XDG dirs (removed when the test ends), plus `extra`. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of [
    'OPENAI_API_KEY',
    'OPENAI_BASE_URL',
    'AGENTOR_MODEL',
    'AGENTOR_TOKEN',
    'NO_COLOR',
    'FORCE_COLOR',
    'PORT',
  ])
    delete env[key];
  const home = tempDir('agentor-test-');
  env['XDG_CONFIG_HOME'] = join(home, 'config');
  env['XDG_STATE_HOME'] = join(home, 'state');
  env['XDG_CACHE_HOME'] = join(home, 'cache');
  env['AGENTOR_DEMO_DELAY_MS'] = '0';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** A running CLI whose output is collected as it arrives. */
export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stdout (or stderr) matches, rejects if the process exits first. */
  waitFor(pattern: RegExp | string, stream?: 'stdout' | 'stderr'): Promise<void>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts the CLI; a run still going when the test ends is killed. */
export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: opts.env ?? cleanEnv(),
    cwd: opts.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  reapChild(child);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const l of listeners) l();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const l of listeners) l();
  });
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  else child.stdin?.end();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolveDone) => {
      child.on('close', (code, signal) => {
        for (const l of listeners) l();
        resolveDone({ code, signal, stdout: out, stderr: err });
      });
    },
  );
  let exited = false;
  void done.then(() => (exited = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    done,
    waitFor(pattern, stream = 'stdout') {
      const test = (): boolean => {
        const text = stream === 'stdout' ? out : err;
        return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
      };
      return new Promise((resolveWait, reject) => {
        const check = (): void => {
          if (test()) {
            listeners.delete(check);
            resolveWait();
          } else if (exited) {
            listeners.delete(check);
            reject(
              new Error(`process exited before ${stream} matched ${String(pattern)}.\nstdout: ${out}\nstderr: ${err}`),
            );
          }
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}) {
  return startCli(args, opts).done;
}

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

/** Waits for `agentor serve` to say where it listens (on stderr) and returns that URL. */
export async function listeningUrl(cli: CliRun): Promise<string> {
  await cli.waitFor(LISTENING, 'stderr');
  return LISTENING.exec(cli.stderr())?.[1] as string;
}

/** What a one-shot chat writes on stderr when all went well: the id of the session it was saved in. */
export const SESSION_LINE = /^session: [0-9a-f-]{36}\n$/;

/** Parses NDJSON output into objects (every line must be JSON; one that is not fails, naming it). */
export function ndjson<T = Record<string, unknown> & { type: string }>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
}
