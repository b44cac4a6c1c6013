/**
 * What a test creates is removed when it ends: temp dirs and child processes made inside a test go at the end of that
 * test (onTestFinished); made outside one (module scope, beforeAll), at the end of the file (test/support/setup.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, onTestFinished } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';

const atFileEnd: Array<() => unknown> = [];

/** Runs `fn` when the current test finishes, or when the file's tests are done if no test is running. */
export function cleanup(fn: () => unknown): void {
  try {
    onTestFinished(async () => {
      await fn();
    });
  } catch {
    // not inside a test
    atFileEnd.push(fn);
  }
}

/** Runs the cleanups registered outside tests, newest first (called by test/support/setup.ts). */
export async function runFileCleanups(): Promise<void> {
  const errors: unknown[] = [];
  for (const fn of atFileEnd.splice(0).reverse()) {
    try {
      await fn();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'test cleanup failed');
}

/** A new directory under the system temp dir, removed with everything in it when the test (or file) ends. */
export function tempDir(prefix = 'agentor-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Listed for the run's main process, which removes it if the run is killed before this test's cleanup runs.
  const list = process.env['AGENTOR_TEST_DIRS'];
  if (list) appendFileSync(list, `${dir}\n`);
  cleanup(() => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}

/** Kills `child` (and waits for it) if it is still running when the test (or file) ends. */
export function reapChild(child: ChildProcess): void {
  cleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const closed = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await closed;
  });
}

/**
 * One fake OpenAI server for the whole file: started before its tests, closed after them, its recorded requests
 * cleared before each test. Returns an accessor (the server exists only once beforeAll has run).
 */
export function useFakeOpenAI(): () => FakeOpenAI {
  let fake: FakeOpenAI | undefined;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => {
    fake?.clearQueue();
    if (fake) fake.requests.length = 0;
  });
  return () => {
    if (!fake) throw new Error('useFakeOpenAI: the fake server is not started yet (use it inside a test or hook)');
    return fake;
  };
}
