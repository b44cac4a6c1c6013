/** Backpressure-aware writes shared by the non-Ink renderers. */
import type { Writable } from 'node:stream';

/** A write that waits for 'drain' when the destination's buffer is full, and never throws on a closed pipe. */
export function writer(stream: Writable): (text: string) => Promise<void> {
  let broken = false;
  stream.on('error', () => {
    broken = true; // EPIPE (`| head`) and friends: stop writing, the run still ends cleanly
  });
  return async (text: string): Promise<void> => {
    if (broken || text.length === 0 || stream.destroyed) return;
    if (!stream.write(text)) {
      await new Promise<void>((resolve) => {
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
    }
  };
}
