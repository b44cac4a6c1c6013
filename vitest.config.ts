import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Removes what test helpers created outside any test (test/support/cleanup.ts) when each file's tests are done.
    setupFiles: ['test/support/setup.ts'],
    // Removes the temp dirs of a run that is killed before its tests' own cleanups run.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e and pty tests spawn processes; two cores, so keep parallelism modest.
    maxWorkers: 2,
    minWorkers: 1,
    // In CI a JSON report is written too, so .ci/run can print a plain "N passed, N failed" line.
    reporters: process.env['CI'] ? ['default', 'json'] : ['default'],
    outputFile: process.env['CI'] ? { json: 'test-results.json' } : undefined,
  },
});
