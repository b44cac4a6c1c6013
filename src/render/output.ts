/** Writes shared by the non-Ink renderers: batched per event-loop turn, backpressure-aware, safe on closed pipes. */
import type { Writable } from 'node:stream';

const HIGH_WATER = 64 * 1024;

/** A batching writer; `write` resolves once the text is accepted (after 'drain' when the destination is full). */
export interface BatchedWriter {
  write(text: string): Promise<void>;
  /** Writes whatever is pending now (before output on another stream, and at the end). */
  flush(): Promise<void>;
}

/**
 * Everything written during one turn of the event loop leaves in a single write: the events of one network read reach
 * the destination together, with no added latency, instead of one syscall per token.
 */
export function batchedWriter(stream: Writable): BatchedWriter {
  let broken = false;
  let pending = '';
  let scheduled = false;
  let draining: Promise<void> | undefined; // one shared wait, however many writers are held back
  stream.on('error', () => {
    broken = true; // EPIPE (`| head`) and friends: stop writing; the run still ends cleanly
  });
  const waitDrain = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        stream.off('error', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
      stream.on('error', done);
    });
  const flush = async (): Promise<void> => {
    if (pending && !broken && !stream.destroyed) {
      const text = pending;
      pending = '';
      if (!stream.write(text) && !draining) {
        draining = waitDrain().finally(() => {
          draining = undefined;
        });
      }
    } else {
      pending = '';
    }
    if (draining) await draining;
  };
  return {
    async write(text: string): Promise<void> {
      if (!text) return;
      if (draining) await draining; // backpressure: the producer waits while the destination is full
      pending += text;
      if (pending.length >= HIGH_WATER) return flush();
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          void flush();
        });
      }
    },
    flush,
  };
}

/** Unbatched, backpressure-aware write (for low-volume diagnostics). */
export function writer(stream: Writable): (text: string) => Promise<void> {
  const w = batchedWriter(stream);
  return async (text: string) => {
    await w.write(text);
    await w.flush();
  };
}
