/** `@path` mentions: which tokens are paths, what the model gets, and the notes for files that are not attached. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attachMentions, mentionedPaths, noteText } from '../../src/core/file-mentions.js';
import { tempDir } from '../support/cleanup.js';

function project(): string {
  const dir = tempDir('agentor-mentions-');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 1;\nexport const b = 2;\n');
  writeFileSync(join(dir, 'notes.md'), '# Notes\n\nbuy milk');
  writeFileSync(join(dir, 'my file.txt'), 'spaced\n');
  writeFileSync(join(dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  writeFileSync(join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  writeFileSync(join(dir, 'big.log'), 'x'.repeat(300 * 1024));
  return dir;
}

describe('mentionedPaths', () => {
  it('takes @tokens at a word start, once each, with escaped spaces; not e-mail addresses', () => {
    expect(
      mentionedPaths('see @src/a.ts and (@notes.md), mail bob@example.com, again @src/a.ts @my\\ file.txt'),
    ).toEqual(['src/a.ts', 'notes.md),', 'my file.txt']);
  });
});

describe('attachMentions', () => {
  it('attaches a text file in a delimited block with its path, and notes it with its line count', () => {
    const dir = project();
    const out = attachMentions('explain @src/a.ts, please', dir);
    expect(out.prompt).toBe(
      'explain @src/a.ts, please\n\nThe file I mentioned:\n\n<file path="src/a.ts">\nexport const a = 1;\nexport const b = 2;\n</file>',
    );
    expect(out.notes.map(noteText)).toEqual(['attached src/a.ts (2 lines)']);
  });

  it('several files, a path with a space, sentence punctuation after a path', () => {
    const dir = project();
    const out = attachMentions('compare @notes.md. and @my\\ file.txt!', dir);
    expect(out.notes.map(noteText)).toEqual(['attached notes.md (3 lines)', 'attached my file.txt (1 line)']);
    expect(out.prompt).toContain('The files I mentioned:');
    expect(out.prompt).toContain('<file path="notes.md">\n# Notes\n\nbuy milk\n</file>');
    expect(out.prompt).toContain('<file path="my file.txt">\nspaced\n</file>');
  });

  it('refuses binary files, non-UTF-8 text, files over the cap and directories, with a note that says why', () => {
    const dir = project();
    const out = attachMentions('@logo.png @latin1.txt @big.log @src', dir);
    expect(out.prompt).toBe('@logo.png @latin1.txt @big.log @src');
    expect(out.notes.map(noteText)).toEqual([
      'not attached: logo.png — it is a binary file, not text',
      'not attached: latin1.txt — it is a binary file, not text',
      'not attached: big.log — it is 300 KB, over the 256 KB limit: paste the part that matters instead',
      'not attached: src — it is a directory: mention the files in it (Tab completes them)',
    ]);
  });

  it('leaves @words that name nothing as they are (an @name, a handle)', () => {
    const dir = project();
    expect(attachMentions('thanks @alice, ask @bob', dir)).toEqual({ prompt: 'thanks @alice, ask @bob', notes: [] });
  });
});
