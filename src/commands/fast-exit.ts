/** Exiting an interrupted command promptly (see also bin/agentor.js, which keeps WebAssembly off V8's optimiser). */

/**
 * Ends an interrupted command as soon as stdout and stderr are flushed (the final `run_end` included), without the heap
 * teardown of a natural exit (20–40 ms), and whatever handle a server or socket may still hold open.
 */
export function exitWhenFlushed(code: number): void {
  const pending = [process.stdout, process.stderr].filter((s) => s.writableLength > 0 && s.writable);
  let left = pending.length;
  if (left === 0) process.exit(code);
  // An empty write's callback runs once everything written before it is flushed.
  for (const s of pending) s.write('', () => --left === 0 && process.exit(code));
}
