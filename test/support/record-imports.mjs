// Preload used by the startup test: appends every module URL the ES module loader resolves to $IMPORT_LOG, and what
// the hot CommonJS bundle reports (`hot:<module>` for a lazily evaluated module it ran, `hot:code-cache:used|rejected`).
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url);
const hot = [];
globalThis.__agentorModuleLog = hot;
process.on('exit', () => {
  if (process.env.IMPORT_LOG && hot.length > 0)
    appendFileSync(process.env.IMPORT_LOG, hot.map((m) => `hot:${m}\n`).join(''));
});
