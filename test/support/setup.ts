/** Per test file (vitest setupFiles): what the file's helpers created outside any test is removed after its tests. */
import { afterAll } from 'vitest';
import { runFileCleanups } from './cleanup.js';

afterAll(runFileCleanups);
