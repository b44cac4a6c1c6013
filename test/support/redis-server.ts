/**
 * A real redis-server (Debian's `/usr/bin/redis-server`, which `.ci/run` installs) for the tests that need a shared
 * store: started on a free loopback port in a temp dir, without persistence, and stopped when the test (or, when
 * started outside a test, the file) ends. No mock: what the tests talk to is the server users run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { cleanup, reapChild, tempDir } from './cleanup.js';

const READY = /Ready to accept connections/;

/** A running redis-server. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (with the password when one was asked for). */
  readonly url: string;
  readonly port: number;
  /** The server's own log so far (loglevel notice). */
  log(): string;
  /** Stops it (SIGKILL, like a crash: nothing is saved anyway). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  start(): Promise<void>;
}

/** Options of a test redis-server. */
export interface RedisServerOptions {
  /** Require this password (`requirepass`). */
  password?: string;
}

/** A port nobody listens on right now (the kernel's pick for port 0, released again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a redis-server for this test (or file); rejects with its output when it does not come up. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = tempDir('agentor-redis-');
  let port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const launch = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--loglevel',
        'notice',
        ...(options.password ? ['--requirepass', options.password] : []),
      ];
      const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      reapChild(proc);
      child = proc;
      const onData = (d: Buffer): void => {
        output += d.toString('utf8');
        if (READY.test(output)) {
          proc.stdout?.off('data', onData);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
      proc.once('error', reject);
      proc.once('exit', (code, signal) => reject(new Error(`redis-server exited (${code ?? signal}):\n${output}`)));
    });

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };

  // The free port may be taken between the probe and the start: try a few.
  for (let attempt = 0; ; attempt++) {
    output = '';
    try {
      await launch();
      break;
    } catch (e) {
      await stop();
      if (attempt >= 4 || !/Address already in use/i.test(output)) throw e;
      port = await freePort();
    }
  }
  cleanup(stop);

  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    log: () => output,
    stop,
    start: async () => {
      await stop();
      output = '';
      await launch();
    },
  };
}
