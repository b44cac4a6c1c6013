/** Per test file (vitest setupFiles): what the file's helpers created outside any test is removed after its tests. */
import { afterAll } from 'vitest';
import { runFileCleanups } from './cleanup.js';

// Children run with `node --import tsx` (fake servers, MCP fixtures) would otherwise leave tsx's compile cache in the
// temp dir. (The MCP SDK starts stdio servers with a minimal environment without this variable: .ci/run allows that.)
process.env['TSX_DISABLE_CACHE'] = '1';

// Ink draws only its last frame when it believes it runs in CI (is-in-ci, read when ink is imported); the component
// tests render into a fake terminal and look at every frame, as a user would. (The CLI hides these from Ink itself:
// src/commands/load-ui.ts.)
delete process.env['CI'];
delete process.env['CONTINUOUS_INTEGRATION'];

afterAll(runFileCleanups);
