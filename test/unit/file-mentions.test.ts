/** `@path` mentions: which tokens are paths, what the model gets, and the notes for files that are not attached. */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIST_MAX_DEPTH, LIST_MAX_ENTRIES } from '../../src/core/dir-listing.js';
import { attachMentions, mentionedPaths, noteText } from '../../src/core/file-mentions.js';
import { tempDir } from '../support/cleanup.js';

function project(): string {
  const dir = tempDir('agentor-mentions-');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 1;\nexport const b = 2;\n');
  writeFileSync(join(dir, 'notes.md'), '# Notes\n\nbuy milk');
  writeFileSync(join(dir, 'my file.txt'), 'spaced\n');
  writeFileSync(join(dir, 'data.bin'), Buffer.from([0x00, 0x01, 0x02, 0x03, 0xff, 0xfe]));
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

  it('refuses binary files, non-UTF-8 text and files over the cap, with a note that says why', () => {
    const dir = project();
    const out = attachMentions('@data.bin @latin1.txt @big.log', dir);
    expect(out.prompt).toBe('@data.bin @latin1.txt @big.log');
    expect(out.notes.map(noteText)).toEqual([
      'not attached: data.bin — it is a binary file, not text',
      'not attached: latin1.txt — it is a binary file, not text',
      'not attached: big.log — it is 300 KB, over the 256 KB limit: paste the part that matters instead',
    ]);
  });

  it('leaves @words that name nothing as they are (an @name, a handle)', () => {
    const dir = project();
    expect(attachMentions('thanks @alice, ask @bob', dir)).toEqual({
      prompt: 'thanks @alice, ask @bob',
      images: [],
      notes: [],
    });
  });
});

describe('@dir/', () => {
  it('attaches a tree listing of names, without hidden, node_modules and .gitignored entries; links not followed', () => {
    const dir = project();
    mkdirSync(join(dir, 'src', 'ui', 'layout'), { recursive: true });
    writeFileSync(join(dir, 'src', 'ui', 'keys.ts'), 'k');
    writeFileSync(join(dir, 'src', 'ui', 'layout', 'wrap.ts'), 'w');
    mkdirSync(join(dir, 'src', 'node_modules', 'x'), { recursive: true });
    mkdirSync(join(dir, 'src', '.cache'));
    mkdirSync(join(dir, 'src', 'dist'));
    writeFileSync(join(dir, 'src', 'ui', 'gen.ts'), 'g');
    writeFileSync(join(dir, '.gitignore'), 'dist\n*.log\n');
    writeFileSync(join(dir, 'src', 'ui', '.gitignore'), 'gen.ts\n');
    symlinkSync(dir, join(dir, 'src', 'loop'));
    const out = attachMentions('what is in @src/?', dir);
    expect(out.notes.map(noteText)).toEqual(['attached src/ (6 entries)']);
    expect(out.prompt).toBe(
      'what is in @src/?\n\nWhat I mentioned:\n\n<directory path="src/">\nsrc/\n  a.ts\n  loop\n  ui/\n    keys.ts\n    layout/\n      wrap.ts\n</directory>',
    );
  });

  it('is bounded: deeper directories marked, shallow entries first, the rest counted', () => {
    const dir = project();
    let deep = join(dir, 'deep');
    for (let i = 0; i < LIST_MAX_DEPTH + 2; i++) deep = join(deep, `d${i}`);
    mkdirSync(deep, { recursive: true });
    expect(attachMentions('@deep', dir).prompt).toContain(
      '\ndeep/\n  d0/\n    d1/\n      d2/\n        d3/ …\n</directory>',
    );
    mkdirSync(join(dir, 'wide', 'a-sub'), { recursive: true });
    writeFileSync(join(dir, 'wide', 'a-sub', 'inner.txt'), '');
    for (let i = 1; i <= LIST_MAX_ENTRIES + 50; i++) writeFileSync(join(dir, 'wide', `f${i}`), '');
    const out = attachMentions('@wide', dir);
    expect(out.notes.map(noteText)).toEqual(['attached wide (300 entries listed, 51 more left out)']);
    expect(out.prompt).toContain('\nwide/\n  a-sub/ …\n  f1\n  f2\n');
    expect(out.prompt).toMatch(/\n {2}f299\n\[… 51 more entries not listed\]\n<\/directory>$/);
  });
});
