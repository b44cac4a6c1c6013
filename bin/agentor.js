#!/usr/bin/env node
// Tiny launcher. `--version` is answered here without loading anything; everything else runs the bundled CLI, whose
// commands import their dependencies only when they run (startup stays near `node -e 0`).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { main } = await import('../dist/bundle/cli.js');
  main(process.argv).catch((error) => {
    process.stderr.write(`agentor: ${error && error.message ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
