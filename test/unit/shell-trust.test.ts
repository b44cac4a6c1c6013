import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHELL_TRUST_FILE, shellConfirmKey, shellConfirmLines, ShellTrust } from '../../src/ui/shell-trust.js';
import { tempDir } from '../support/cleanup.js';

describe('ShellTrust', () => {
  it('asks until y (this chat only) or a (remembered for later chats in that directory)', () => {
    const state = tempDir('agentor-trust-');
    const history = join(state, 'history.jsonl');
    const chat = ShellTrust.besideHistory(history);
    expect(chat.needsConfirmation('/work/a')).toBe(true);
    chat.allowForChat();
    expect(chat.needsConfirmation('/work/a')).toBe(false);
    expect(ShellTrust.besideHistory(history).needsConfirmation('/work/a')).toBe(true);
    expect(ShellTrust.besideHistory(history).remember('/work/a/')).toBeUndefined();
    const later = ShellTrust.besideHistory(history);
    expect(later.needsConfirmation('/work/a')).toBe(false);
    expect(later.needsConfirmation('/work/b')).toBe(true);
    expect(JSON.parse(readFileSync(join(state, SHELL_TRUST_FILE), 'utf8'))).toEqual({ dirs: ['/work/a'] });
  });

  it('a corrupt file remembers nothing (so it asks); in memory only, nothing is written', () => {
    const state = tempDir('agentor-trust-');
    writeFileSync(join(state, SHELL_TRUST_FILE), '{"dirs": [');
    expect(new ShellTrust(join(state, SHELL_TRUST_FILE)).needsConfirmation(state)).toBe(true);
    const memory = ShellTrust.besideHistory(null);
    expect(memory.remember(state)).toBeUndefined();
    expect(memory.needsConfirmation(state)).toBe(false);
  });

  it('says so when the directory cannot be remembered, and still trusts it for this chat', () => {
    const state = tempDir('agentor-trust-');
    mkdirSync(join(state, 'blocked'));
    const trust = new ShellTrust(join(state, 'blocked'));
    expect(trust.remember('/work/a')).toMatch(/^could not remember \/work\/a \(\w+ on .*blocked\)/);
    expect(trust.needsConfirmation('/work/a')).toBe(false);
  });
});

describe('the confirmation panel', () => {
  it('maps y, a, n, Esc and Ctrl+C, and ignores other keys', () => {
    expect(['y', 'a', 'n', 'escape', 'x'].map((k) => shellConfirmKey(k, false))).toEqual([
      'yes',
      'always',
      'no',
      'no',
      undefined,
    ]);
    expect(shellConfirmKey('c', true)).toBe('no');
    expect(shellConfirmKey('y', true)).toBeUndefined();
  });

  it('shows the command sanitised and cut to the width, at most three lines of it', () => {
    const lines = shellConfirmLines('echo \x1b[31mred\nl2\nl3\nl4\nl5', '/tmp/x', 40, false);
    expect(lines[1]).toBe('  $ echo red');
    expect(lines).toContain('    … 2 more lines');
    expect(lines.every((l) => l.length <= 40)).toBe(true);
  });
});
