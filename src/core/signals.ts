/**
 * Process signals at the edge of a command (chat, serve, the Ink UI): the first SIGINT, SIGTERM or SIGHUP aborts the
 * work in progress so it can end cleanly (every run still ends with its `run_end`), a second one exits at once. The
 * exit code follows the shell convention, 128 + the signal's number: SIGHUP 129, SIGINT 130, SIGTERM 143.
 *
 * Several scopes may be open at once (chat installs one before MCP servers start, the Ink UI its own for the session):
 * they share one set of process listeners and one count, so a second signal always means "now", whoever received the
 * first. The Agent never uses this: a library run is cancelled through its AbortSignal only.
 */
import { constants } from 'node:os';

/** The signals that interrupt a command: Ctrl+C, a polite kill (docker stop, Kubernetes), the terminal going away. */
export type InterruptSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

const SIGNALS: readonly InterruptSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The exit code of a process ended by `signal`: 128 + its number (SIGHUP 129, SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: InterruptSignal): number {
  return 128 + constants.signals[signal];
}

/** Why a scope's signal was aborted: names the signal, so outputs can say "interrupted (SIGTERM)". */
export class InterruptError extends Error {
  readonly signal: InterruptSignal;
  constructor(signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptError';
    this.signal = signal;
  }
}

/** One command's view of the process signals (see `interruptOnSignals`). */
export interface SignalScope {
  /** Aborted by the first signal (reason: an InterruptError). */
  readonly signal: AbortSignal;
  /** The first signal received while this scope was open, if any. */
  readonly received: InterruptSignal | undefined;
  /** The exit code to end with: the signal's (128 + n) once one was received, else `code`. */
  exitCode(code: number): number;
  /** Stops listening; the process listeners go when the last scope is released. Idempotent. */
  release(): void;
}

/** Options of `interruptOnSignals`. */
export interface InterruptOptions {
  /** Called once, with the first signal, after `signal` is aborted (e.g. to print "shutting down"). */
  onSignal?: (signal: InterruptSignal) => void;
}

interface Scope {
  controller: AbortController;
  received: InterruptSignal | undefined;
  onSignal: ((signal: InterruptSignal) => void) | undefined;
}

const scopes = new Set<Scope>();
let interrupts = 0;
let last: InterruptSignal | undefined;

function onProcessSignal(signal: InterruptSignal): void {
  interrupts++;
  last = signal;
  // A second signal: the user (or the supervisor) wants out now. process.exit still runs 'exit' listeners, which stop
  // child processes synchronously (MCP servers).
  if (interrupts > 1) process.exit(signalExitCode(signal));
  for (const scope of scopes) interrupt(scope, signal);
}

function interrupt(scope: Scope, signal: InterruptSignal): void {
  if (scope.received) return;
  scope.received = signal;
  scope.controller.abort(new InterruptError(signal));
  scope.onSignal?.(signal);
}

/**
 * Opens a scope: from now on SIGINT, SIGTERM and SIGHUP abort `scope.signal` instead of killing the process, and a
 * second signal exits at once with its conventional code. A scope opened while another one is already interrupted
 * starts interrupted. Call `release()` when the work is done.
 */
export function interruptOnSignals(opts: InterruptOptions = {}): SignalScope {
  const scope: Scope = { controller: new AbortController(), received: undefined, onSignal: opts.onSignal };
  if (scopes.size === 0) {
    interrupts = 0;
    last = undefined;
    for (const s of SIGNALS) process.on(s, onProcessSignal);
  }
  scopes.add(scope);
  // Opened while an interrupt is being handled (e.g. the UI mounting after start-up was interrupted): already over.
  if (last) interrupt(scope, last);
  let released = false;
  return {
    signal: scope.controller.signal,
    get received() {
      return scope.received;
    },
    exitCode: (code) => (scope.received ? signalExitCode(scope.received) : code),
    release() {
      if (released) return;
      released = true;
      scopes.delete(scope);
      if (scopes.size === 0) for (const s of SIGNALS) process.off(s, onProcessSignal);
    },
  };
}
