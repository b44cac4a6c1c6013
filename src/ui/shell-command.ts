/**
 * `!command` at the prompt: the command runs in the shell (`$SHELL -c`, else /bin/sh) in the chat's working
 * directory, with the chat's cancellation (Ctrl+C or Esc stops it: its whole process group gets SIGTERM, then SIGKILL).
 * Its output (stdout and stderr as they interleave) is kept up to a cap, is untrusted like model output (control
 * sequences stripped before it is shown), and becomes a context block the next message can carry.
 */
import { spawn } from 'node:child_process';
import { sanitize } from '../core/text/sanitize.js';
import { SHELL_CONTEXT_HEADER } from './paste.js';

/** Output kept (bytes); beyond it the rest is counted, not kept. */
export const SHELL_OUTPUT_MAX = 64 * 1024;
/** How long a cancelled command gets between SIGTERM and SIGKILL. */
const KILL_AFTER_MS = 2000;

/** How a command ended and what it printed (sanitised). */
export interface ShellResult {
  command: string;
  output: string;
  /** Exit code; null when a signal ended it. */
  code: number | null;
  signal?: string;
  cancelled: boolean;
  /** Bytes printed past SHELL_OUTPUT_MAX. */
  dropped: number;
}

/** Runs `command` in `cwd`; resolves when it ended (never rejects: a failure to start is output and code 127). */
export function runShellCommand(
  command: string,
  { cwd, signal, env = process.env }: { cwd: string; signal: AbortSignal; env?: NodeJS.ProcessEnv },
): Promise<ShellResult> {
  return new Promise((resolve) => {
    const shell = env['SHELL'] && !/\s/.test(env['SHELL']) ? env['SHELL'] : '/bin/sh';
    const chunks: Buffer[] = [];
    let kept = 0;
    let dropped = 0;
    const child = spawn(shell, ['-c', command], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own, so that cancelling stops what the command started too.
      detached: true,
    });
    const collect = (b: Buffer): void => {
      const room = SHELL_OUTPUT_MAX - kept;
      if (room > 0) chunks.push(b.subarray(0, room));
      kept += Math.min(room, b.length);
      dropped += Math.max(0, b.length - Math.max(0, room));
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // It is gone already.
      }
    };
    const onAbort = (): void => {
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), KILL_AFTER_MS);
      killTimer.unref();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    let started = true;
    child.on('error', (e) => {
      started = false;
      collect(Buffer.from(`could not run ${shell}: ${e.message}\n`));
    });
    child.on('close', (code, sig) => {
      clearTimeout(killTimer);
      signal.removeEventListener('abort', onAbort);
      resolve({
        command,
        output: sanitize(Buffer.concat(chunks).toString('utf8')),
        code: started ? code : 127,
        ...(sig ? { signal: sig } : {}),
        cancelled: signal.aborted,
        dropped,
      });
    });
  });
}

/** How the command ended, in a few words: "exit 0", "exit 2", "stopped (SIGTERM)", "cancelled". */
export function endedHow(r: ShellResult): string {
  if (r.cancelled) return 'cancelled';
  return r.code !== null ? `exit ${r.code}` : `stopped (${r.signal ?? 'signal'})`;
}

/** The context block the next message carries: the command, how it ended, and its output in a fence. */
export function shellContext(r: ShellResult): string {
  const fence = r.output.includes('```') ? '~~~~' : '```';
  const more = r.dropped > 0 ? `\n[… ${r.dropped} more bytes not kept]` : '';
  const body = r.output.endsWith('\n') || !r.output ? r.output : `${r.output}\n`;
  return `${SHELL_CONTEXT_HEADER}${r.command}\` (${endedHow(r)}):\n${fence}\n${body}${fence}${more}\n`;
}
