/**
 * The stdio transport of MCP, written for supervision rather than taken from the SDK: the server runs in a process
 * group of its own (a terminal's Ctrl+C reaches agentor, which cancels calls and stops servers in order, instead of
 * killing them under a call), how it exited is known (`exited with code 1`, `killed by SIGKILL`), its stderr is kept
 * for messages, and stopping it takes a fraction of a second: end of input, then SIGTERM to its group after 100 ms (at
 * once when interrupted), then SIGKILL. Whatever is still running when agentor exits, on any path, gets SIGTERM from an `exit` listener.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { meaningfulStderr } from './mcp-stderr.js';

/** How to start a stdio server (everything already expanded). */
export interface StdioServerParams {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** How long a server gets to exit on its own once its input is closed, then after SIGTERM. */
const EOF_GRACE_MS = 100;
const TERM_GRACE_MS = 1000;
const STDERR_KEEP = 8192;

// POSIX only: on Windows a detached child gets a console window of its own.
const OWN_GROUP = process.platform !== 'win32';

const running = new Set<ChildProcess>();
let exitHook = false;

/** Sends `signal` to the server and everything it started (npx → node, uvx → python…). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (OWN_GROUP && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

function track(child: ChildProcess): void {
  running.add(child);
  if (exitHook) return;
  exitHook = true;
  // Synchronous, so it also runs on process.exit() (a second Ctrl+C, an uncaught error).
  process.on('exit', () => {
    for (const c of running) signalGroup(c, 'SIGTERM');
  });
}

/** "exited with code 3", "killed by SIGKILL". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code ?? 'unknown'}`;
}

/** An MCP transport over a child process's stdin/stdout. */
export class StdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** How the process ended, once it did. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private child: ChildProcess | undefined;
  private readonly buffer = new ReadBuffer();
  private stderrTail = '';
  private closed: Promise<void> | undefined;
  private spawnFailed = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly params: StdioServerParams) {}

  /** The server's process id (once started). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The end of what the server wrote to stderr. */
  get stderr(): string {
    return this.stderrTail;
  }

  /**
   * The meaningful lines of its stderr, as " — stderr: …" to append to a message ("" when there are none). With
   * `errorsOnly` (a crash after a good start, when stderr is mostly its logs) only lines that look like errors.
   */
  stderrSuffix(opts: { errorsOnly?: boolean } = {}): string {
    const lines = meaningfulStderr(this.stderrTail, opts);
    return lines.length > 0 ? ` — stderr: ${lines.join(' | ')}` : '';
  }

  /** Why the process is gone, with its meaningful stderr lines: "exited with code 1 — stderr: Error: …". */
  describeExit(opts: { errorsOnly?: boolean } = {}): string {
    const how = this.exit ? describeExit(this.exit.code, this.exit.signal) : 'closed its output';
    return `${how}${this.stderrSuffix(opts)}`;
  }

  start(): Promise<void> {
    if (this.child) throw new Error('StdioTransport already started');
    return new Promise((resolve, reject) => {
      const child = spawn(this.params.command, this.params.args, {
        env: this.params.env,
        cwd: this.params.cwd,
        // Piped, never inherited: a server's logs must not garble the answer or the terminal UI.
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: OWN_GROUP,
        windowsHide: true,
      });
      this.child = child;
      this.closed = new Promise((done) => child.once('close', () => done()));
      child.once('error', (error) => {
        this.spawnFailed = true;
        running.delete(child);
        reject(error);
        this.onerror?.(error);
      });
      child.once('spawn', () => {
        track(child);
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
      });
      child.once('close', () => {
        running.delete(child);
        this.onclose?.();
      });
      child.stdin?.on('error', (error) => this.onerror?.(error)); // EPIPE when it died; 'close' reports that
      child.stdout?.on('data', (chunk: Buffer) => {
        try {
          this.buffer.append(chunk);
          for (let m = this.buffer.readMessage(); m; m = this.buffer.readMessage()) this.onmessage?.(m);
        } catch (error) {
          this.onerror?.(error as Error);
        }
      });
      child.stderr?.setEncoding('utf8').on('data', (d: string) => {
        this.stderrTail = (this.stderrTail + d).slice(-STDERR_KEEP);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin?.writable || this.stopping) return Promise.reject(new Error('Not connected'));
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /**
   * Stops the server: end of input, SIGTERM to its group after 100 ms (at once with `now`: the user interrupted, or
   * its start-up was abandoned), SIGKILL after another second.
   */
  close(opts: { now?: boolean } = {}): Promise<void> {
    this.stopping ??= this.stop(opts.now === true);
    return this.stopping;
  }

  private async stop(now: boolean): Promise<void> {
    const child = this.child;
    if (!child || !this.closed || this.spawnFailed) return;
    const gone = this.closed;
    const within = (ms: number): Promise<boolean> =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        void gone.then(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      if (now || !(await within(EOF_GRACE_MS))) {
        signalGroup(child, 'SIGTERM');
        if (!(await within(TERM_GRACE_MS))) {
          signalGroup(child, 'SIGKILL');
          await within(TERM_GRACE_MS);
        }
      }
    } else {
      // The process is gone; what it started may not be (its group shares its fate).
      signalGroup(child, 'SIGTERM');
      await within(TERM_GRACE_MS);
    }
    running.delete(child);
    this.buffer.clear();
  }
}
