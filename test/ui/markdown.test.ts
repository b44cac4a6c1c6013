import { describe, expect, it } from 'vitest';
import {
  lastSafeBoundary,
  loadHighlighter,
  renderMarkdown,
  rowsOf,
  splitAtSafeBoundary,
  tailRows,
} from '../../src/ui/markdown.js';

const plain = (md: string, width = 80): string => renderMarkdown(md, { width, color: false });

describe('safe markdown boundary', () => {
  it('is the last blank line outside a fence, and never inside the unfinished last line', () => {
    expect(lastSafeBoundary('a\n\nb\n\nc')).toBe('a\n\nb\n'.length);
    expect(lastSafeBoundary('no boundary yet')).toBe(-1);
    expect(lastSafeBoundary('a\n\n```\nx\n\ny')).toBe(2);
    expect(lastSafeBoundary('~~~\n\n~~~\n\nz')).toBe('~~~\n\n~~~\n'.length);
  });

  it('waits for the next line and never splits before an indented continuation', () => {
    expect(lastSafeBoundary('a\n\n')).toBe(-1);
    expect(lastSafeBoundary('- item\n\n  more of the item')).toBe(-1);
    expect(lastSafeBoundary('1. one\n\n2. two')).toBe('1. one\n'.length);
    expect(splitAtSafeBoundary('a\n\n\n\nb')).toEqual({ done: 'a', rest: 'b' });
  });

  it('splits into a finished head and a live tail', () => {
    expect(splitAtSafeBoundary('# Title\n\nBody starts')).toEqual({ done: '# Title', rest: 'Body starts' });
    expect(splitAtSafeBoundary('\n\nonly leading blank')).toEqual({ done: '', rest: '\n\nonly leading blank' });
  });
});

describe('renderMarkdown', () => {
  it('leaves no raw markdown syntax on screen', () => {
    const out = plain(
      '# Head\n\nSome **bold** and *em* and `code`.\n\n- one\n- two\n\n1. first\n2. second\n\n```ts\nconst a = 1;\n```\n\n> quoted\n\n---',
    );
    expect(out).not.toMatch(/\*\*|```|^#/m);
    expect(out).toContain('Head');
    expect(out).toContain('Some bold and em and code.');
    expect(out).toContain('• one\n• two');
    expect(out).toContain('1. first\n2. second');
    expect(out).toContain('│ const a = 1;');
    expect(out).toContain('│ quoted');
  });

  it('numbers a list that continues after a split from where it was', () => {
    expect(plain('3. third\n4. fourth')).toBe('3. third\n4. fourth');
  });

  it('renders tables aligned', () => {
    expect(plain('| a | bb |\n|---|---|\n| 1 | 2 |')).toBe('a │ bb\n──┼───\n1 │ 2');
  });

  it('neutralises escape sequences in model text', () => {
    const out = renderMarkdown('hi \x1b]0;pwned\x07there \x1b[2J**x**', { width: 80, color: true });
    expect(out).not.toContain('\x1b]');
    expect(out).not.toContain('\x1b[2J');
    expect(out).toContain('hi there');
  });

  it('styles with ANSI only when colour is on, and highlights code once the highlighter loaded', async () => {
    expect(plain('**b**')).toBe('b');
    expect(renderMarkdown('**b**', { width: 80, color: true })).toBe('\x1b[1mb\x1b[22m');
    await loadHighlighter();
    const code = renderMarkdown('```js\nconst a = "s";\n```', { width: 80, color: true });
    expect(code.split('\n')[1]).toMatch(/\x1b\[[0-9;]*m/);
    expect(code.replace(/\x1b\[[0-9;]*m/g, '')).toContain('const a = "s";');
  });
});

describe('row accounting', () => {
  it('counts wrapped rows and keeps the last lines that fit', () => {
    expect(rowsOf('a\n' + 'x'.repeat(25), 10)).toBe(4);
    expect(tailRows('1\n2\n3\n4\n5', 2, 10)).toEqual({ text: '4\n5', hidden: 3 });
    expect(tailRows('short', 5, 10)).toEqual({ text: 'short', hidden: 0 });
  });
});
