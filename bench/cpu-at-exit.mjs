// Preloaded into a measured child (`node --import ./bench/cpu-at-exit.mjs …`): as it exits, it writes the CPU time it
// used, user + system of all its threads in microseconds, to file descriptor 3 (a pipe the bench opened). The bench
// reports it beside wall time, since wall time on a busy machine is mostly noise.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const u = process.resourceUsage();
  try {
    writeSync(3, String(u.userCPUTime + u.systemCPUTime));
  } catch {
    // not started by the bench (no fd 3): nothing to report
  }
});
