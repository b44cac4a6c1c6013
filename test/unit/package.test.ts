import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentorPackage, agentorVersion } from '../../src/core/package.js';

describe("agentor's own package.json", () => {
  it('is found above the module, with its version', () => {
    const root = resolve(import.meta.dirname, '../..');
    const { version } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };
    expect(agentorPackage()).toEqual({ root, version });
    expect(agentorVersion()).toBe(version);
  });
});
