/**
 * Loads the Ink UI. It is only used when stdout is a terminal, but Ink decides at import time (is-in-ci) that a
 * process with `CI` or `CONTINUOUS_INTEGRATION` set has no terminal and then draws only its last frame: no live
 * region, no progress line, no prompt. A terminal is what the user has here, so those variables are hidden from that
 * one import and restored right after (children started later still see them).
 */
export async function loadUi(): Promise<typeof import('../ui/index.js')> {
  const env = process.env;
  const hidden: Array<[string, string]> = [];
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) {
    const value = env[key];
    if (value === undefined) continue;
    hidden.push([key, value]);
    delete env[key];
  }
  try {
    return await import('../ui/index.js');
  } finally {
    for (const [key, value] of hidden) env[key] = value;
  }
}
