/**
 * Lets an interrupted command exit at once. Node's fetch (undici) parses HTTP with a WebAssembly build of llhttp, and
 * V8 re-compiles its hot parser function with the optimising compiler on a background thread once a stream has run for
 * a moment; the process cannot exit before that compile job ends. Measured (--cpu-prof, strace: the main thread waits
 * on the job at exit): Ctrl+C during a chat's first tokens took 150–300 ms to exit, against 20–40 ms a little later.
 * Liftoff, V8's baseline WebAssembly compiler, parses a model's stream with time to spare and never holds the exit.
 */
import { setFlagsFromString } from 'node:v8';

/** Keeps WebAssembly on the baseline compiler; call before the first fetch (it compiles llhttp lazily). */
export function preferFastExit(): void {
  setFlagsFromString('--liftoff-only');
}

/**
 * Ends an interrupted command as soon as stdout and stderr are flushed (the final `run_end` included), without the heap
 * teardown of a natural exit (20–40 ms), and whatever handle a server or socket may still hold open.
 */
export function exitWhenFlushed(code: number): void {
  const pending = [process.stdout, process.stderr].filter((s) => s.writableLength > 0);
  let left = pending.length;
  if (left === 0) process.exit(code);
  for (const s of pending) s.once('drain', () => --left === 0 && process.exit(code));
}
