/**
 * The test run's main process (vitest globalSetup). Every test removes its temp dirs when it ends (cleanup.ts); a run
 * that is killed (Ctrl+C, `timeout`, a closed terminal) never gets there, so tempDir() also lists each dir in a file
 * named by AGENTOR_TEST_DIRS, and what is listed is removed when this process exits without reaching the teardown.
 * A normal end removes only the list: a dir a test forgot stays, for .ci/run's leak check to report.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const list = join(tmpdir(), `agentor-test-dirs-${process.pid}.txt`);
  process.env['AGENTOR_TEST_DIRS'] = list;
  const removeListed = (): void => {
    let listed = '';
    try {
      listed = readFileSync(list, 'utf8');
    } catch {
      // no test made a dir
    }
    for (const dir of listed.split('\n')) if (dir) rmSync(dir, { recursive: true, force: true });
    rmSync(list, { force: true });
  };
  // First among the exit listeners: vitest's own calls process.exit() again, which ends the process on the spot.
  process.prependOnceListener('exit', removeListed);
  return () => {
    process.off('exit', removeListed);
    rmSync(list, { force: true });
  };
}
