/**
 * Piped standard input for `agentor chat`: read synchronously when it is all there (a file, /dev/null, a pipe whose
 * writer is done), which costs nothing at start-up; asynchronously, and interruptibly, while a pipe's writer is still
 * at work, so a signal ends the run instead of waiting behind a blocking read.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { isatty } from 'node:tty';

/**
 * Reads all of piped stdin (empty when stdin is a terminal, /dev/null or closed). Until `signal` aborts: then what
 * arrived so far (the run is cancelled anyway).
 */
export async function readPipedStdin(stdin: NodeJS.ReadStream = process.stdin, signal?: AbortSignal): Promise<string> {
  if (stdin === process.stdin) {
    // Before process.stdin is touched, fd 0 is still as the parent gave it: a synchronous read needs no stream
    // machinery (tens of ms on a busy machine), and /dev/null answers at once.
    try {
      const info = fstatSync(0);
      if (info.isCharacterDevice() && isatty(0)) return '';
      if (!info.isFIFO()) return readFileSync(0, 'utf8');
      // A shell pipe: what its writer already wrote, without waiting; if it is still writing, the rest arrives
      // asynchronously, so a signal is handled while it does.
      const ready = readPipeWithoutWaiting();
      if (ready.done) return ready.data.toString('utf8');
      return Buffer.concat([ready.data, await readStream(stdin, signal)]).toString('utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EBADF' || code === 'EINVAL') return ''; // no stdin at all
      if (code !== 'EAGAIN') throw e;
      // a non-blocking pipe: fall through to the stream reader
    }
  }
  if (stdin.isTTY) return '';
  return (await readStream(stdin, signal)).toString('utf8');
}

/**
 * Reads fd 0 (a pipe) through a non-blocking descriptor of its own (Linux: /proc/self/fd/0 opens the same pipe anew,
 * leaving fd 0 as it is): `done` when the writer has finished, else what was there.
 */
function readPipeWithoutWaiting(): { data: Buffer; done: boolean } {
  let fd: number;
  try {
    fd = openSync('/proc/self/fd/0', constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return { data: readFileSync(0), done: true }; // no /proc: the blocking read
  }
  const chunks: Buffer[] = [];
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(64 * 1024);
      let n: number;
      try {
        n = readSync(fd, buf);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return { data: Buffer.concat(chunks), done: false };
        throw e;
      }
      if (n === 0) return { data: Buffer.concat(chunks), done: true };
      chunks.push(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** The rest of a stream, or what arrived until `signal` aborted (the stream is then let go). */
function readStream(stdin: NodeJS.ReadStream, signal: AbortSignal | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const done = (): void => {
      signal?.removeEventListener('abort', stop);
      resolve(Buffer.concat(chunks));
    };
    const stop = (): void => {
      stdin.destroy();
      done();
    };
    if (signal?.aborted) return stop();
    signal?.addEventListener('abort', stop, { once: true });
    stdin.on('data', (chunk: Buffer | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    stdin.once('end', done);
    stdin.once('error', (e) => {
      signal?.removeEventListener('abort', stop);
      reject(e);
    });
  });
}
