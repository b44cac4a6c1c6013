#!/usr/bin/env node
// Tiny launcher: nothing heavy is imported before a command runs (startup stays near `node -e 0`).
import { main } from '../dist/cli.js';

main(process.argv).catch((error) => {
  process.stderr.write(`agentor: ${error && error.message ? error.message : String(error)}\n`);
  process.exit(1);
});
