// Module hook used by the startup test: appends every resolved module URL to $IMPORT_LOG.
import { register } from 'node:module';
register('./record-imports-hooks.mjs', import.meta.url);
