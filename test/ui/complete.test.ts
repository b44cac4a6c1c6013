/** Tab completion: slash commands at the start of the prompt, `@` paths in the working directory, agent names. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyCompletion, choicesLine, complete, completePath } from '../../src/ui/complete.js';
import { emptyEditor } from '../../src/ui/input.js';
import { tempDir } from '../support/cleanup.js';

const COMMANDS = ['help', 'clear', 'model', 'compact', 'copy', 'exit'];

function project(): string {
  const dir = tempDir('agentor-complete-');
  for (const d of ['src/ui/layout', 'node_modules/x', '.git', '.github', 'dist', 'docs'])
    mkdirSync(join(dir, d), { recursive: true });
  for (const f of ['src/ui/keys.ts', 'src/ui/keys-extra.ts', 'src/ui/input.ts', 'README.md', 'my notes.md'])
    writeFileSync(join(dir, f), 'x');
  writeFileSync(join(dir, '.gitignore'), 'dist/\n*.log\n');
  return dir;
}

describe('complete', () => {
  it('/co lists /compact and /copy; /he finishes /help with a space; only at the start of the prompt', () => {
    const ctx = { cwd: '/', commands: COMMANDS };
    expect(complete('/co', 3, ctx)).toEqual({ from: 0, to: 3, insert: '/co', choices: ['/compact', '/copy'] });
    expect(complete('/he', 3, ctx)).toEqual({ from: 0, to: 3, insert: '/help ', choices: [] });
    expect(complete('see /he', 7, ctx)).toBeUndefined();
    expect(complete('/zz', 3, ctx)).toEqual({ from: 0, to: 3, insert: '/zz', choices: [] });
  });

  it('@src/ui/ke completes to the common part and lists the matches; a single match is finished', () => {
    const cwd = project();
    const ctx = { cwd, commands: COMMANDS };
    const text = 'explain @src/ui/ke';
    expect(complete(text, text.length, ctx)).toEqual({
      from: 8,
      to: text.length,
      insert: '@src/ui/keys',
      choices: ['keys-extra.ts', 'keys.ts'],
    });
    expect(complete('@src/ui/in', 10, ctx)?.insert).toBe('@src/ui/input.ts ');
    expect(complete('@sr', 3, ctx)?.insert).toBe('@src/');
    expect(complete('@src/ui/la', 10, ctx)?.insert).toBe('@src/ui/layout/');
    expect(complete('@my', 3, ctx)?.insert).toBe('@my\\ notes.md ');
  });

  it('skips hidden entries, node_modules, .git and what .gitignore names, unless typed', () => {
    const cwd = project();
    expect(completePath('', cwd)).toEqual(['docs/', 'my\\ notes.md', 'README.md', 'src/']);
    expect(completePath('.g', cwd)).toEqual(['.github/', '.gitignore']);
    expect(completePath('.git', cwd)).toEqual(['.git/', '.github/', '.gitignore']);
    expect(completePath('node_modules', cwd)).toEqual(['node_modules/']);
    expect(completePath('di', cwd)).toEqual([]);
    expect(completePath('dist', cwd)).toEqual(['dist/']);
  });

  it('/model <Tab> completes the ids the provider listed', () => {
    const ctx = { cwd: '/', commands: COMMANDS, models: ['gpt-4.1', 'gpt-4.1-mini', 'o3'] };
    expect(complete('/model gpt', 10, ctx)).toEqual({
      from: 7,
      to: 10,
      insert: 'gpt-4.1',
      choices: ['gpt-4.1', 'gpt-4.1-mini'],
    });
    expect(complete('/model o', 8, ctx)?.insert).toBe('o3');
    expect(complete('/model o', 8, { cwd: '/', commands: COMMANDS })).toBeUndefined();
  });

  it('/resume <Tab> completes session ids, /save <Tab> paths, /copy <Tab> "code"; other commands take none', () => {
    const dir = tempDir('agentor-complete-args-');
    mkdirSync(join(dir, 'notes'));
    writeFileSync(join(dir, 'notes', 'today.md'), '');
    writeFileSync(join(dir, 'notes', 'tomorrow.md'), '');
    const ctx = { cwd: dir, commands: COMMANDS, sessions: ['3f2a9c01', '3f7b0d12', 'a0c4e5f6'] };
    expect(complete('/resume 3f', 10, ctx)).toEqual({
      from: 8,
      to: 10,
      insert: '3f',
      choices: ['3f2a9c01', '3f7b0d12'],
    });
    expect(complete('/resume a', 9, ctx)?.insert).toBe('a0c4e5f6');
    expect(complete('/resume a', 9, { cwd: dir, commands: COMMANDS })).toBeUndefined();
    expect(complete('/save no', 8, ctx)?.insert).toBe('notes/');
    expect(complete('/save notes/to', 14, ctx)).toEqual({
      from: 6,
      to: 14,
      insert: 'notes/to',
      choices: ['today.md', 'tomorrow.md'],
    });
    expect(complete('/save! notes/tod', 16, ctx)?.insert).toBe('notes/today.md');
    expect(complete('/copy c', 7, ctx)?.insert).toBe('code');
    const blocks = { ...ctx, codeBlocks: ['1 ts: const a = 1', '2 sh: ls -la', '3 py: print()'] };
    expect(complete('/copy code ', 11, blocks)).toEqual({
      from: 11,
      to: 11,
      insert: '',
      choices: ['1 ts: const a = 1', '2 sh: ls -la', '3 py: print()'],
    });
    expect(complete('/copy code 2', 12, blocks)?.insert).toBe('2 ');
    expect(complete('/copy code 4', 12, blocks)).toEqual({ from: 11, to: 12, insert: '4', choices: [] });
    expect(complete('/copy code ', 11, ctx)).toBeUndefined();
    expect(complete('/help x', 7, ctx)).toBeUndefined();
  });

  it('offers agent names with @ in a conversation with several agents', () => {
    const cwd = project();
    expect(complete('@do', 3, { cwd, commands: [], names: ['docs-bot', 'writer'] })).toEqual({
      from: 0,
      to: 3,
      insert: '@docs',
      choices: ['docs-bot', 'docs/'],
    });
    expect(complete('@wr', 3, { cwd, commands: [], names: ['docs-bot', 'writer'] })?.insert).toBe('@writer ');
  });

  it('applies a completion in the middle of the text and lists matches in one line', () => {
    const editor = { ...emptyEditor(), text: 'read @sr please', cursor: 8 };
    expect(applyCompletion(editor, { from: 5, to: 8, insert: '@src/', choices: [] })).toMatchObject({
      text: 'read @src/ please',
      cursor: 10,
    });
    expect(choicesLine(['alpha.ts', 'beta.ts', 'gamma.ts', 'delta.ts'], 30)).toBe('alpha.ts  beta.ts  … 2 more');
    expect(choicesLine(['a', 'b'], 30)).toBe('a  b');
  });
});
