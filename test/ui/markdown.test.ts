import { describe, expect, it } from 'vitest';
import { lastSafeBoundary } from '../../src/ui/layout/md-stream.js';
import { createRequire } from 'node:module';
import { KNOWN_LANGUAGES, loadHighlighter } from '../../src/ui/layout/highlight.js';
import { renderMarkdown, type RenderContext } from '../../src/ui/layout/markdown.js';
import { paint, parseAnsi, stripColour, toAnsi } from '../../src/ui/layout/style.js';
import { displayWidth } from '../../src/ui/layout/width.js';
import { wrapCode, wrapSpans } from '../../src/ui/layout/wrap.js';
import { plain } from './helpers.js';

const ctx = (width: number, color = false): RenderContext => ({ width, color, code: { next: 1 } });
const md = (src: string, width = 60, color = false): string[] => renderMarkdown(src, ctx(width, color)).map(plain);
const rows = (text: string, width: number): string[] =>
  wrapSpans([{ text, style: {} }], { width }).map((r) => r.spans.map((s) => s.text).join(''));

describe('wrapping by display width', () => {
  it('breaks between words, never leaving the space it broke at at the start or end of a row', () => {
    expect(rows('aaa bbb ccc ddd eee', 8)).toEqual(['aaa bbb', 'ccc ddd', 'eee']);
    expect(rows('aaa    bbb', 5)).toEqual(['aaa', 'bbb']);
  });

  it('counts CJK and emoji as two columns and breaks CJK text between characters', () => {
    expect(displayWidth('中文😀x')).toBe(7);
    const wrapped = rows('一二三四五六七八九十', 7);
    expect(wrapped).toEqual(['一二三', '四五六', '七八九', '十']);
    for (const r of wrapped) expect(displayWidth(r)).toBeLessThanOrEqual(7);
  });

  it('never splits a grapheme cluster (a flag, a family emoji) when it must break a word', () => {
    const family = '👨‍👩‍👧';
    const wrapped = rows(`${family}${family}${family}`, 3);
    expect(wrapped).toEqual([family, family, family]);
  });

  it('keeps closing punctuation off the start of a row and opening brackets off its end (kinsoku)', () => {
    // 。 would start the second row: 三 moves down with it.
    expect(rows('一二三。四五', 6)).toEqual(['一二', '三。四', '五']);
    for (const closing of ['，', '、', '）', '」', '』', '！', '？', 'ー', 'っ'])
      expect(rows(`一二三${closing}四五`, 6)[1]?.startsWith(closing), closing).toBe(false);
    // 「 would end the first row: it moves down with what it opens (and 四 with 」).
    expect(rows('一二「三四」五', 6)).toEqual(['一二', '「三', '四」五']);
    expect(rows('一二（三四', 6)).toEqual(['一二', '（三四']);
    // "。」" together: two graphemes move down, so the row starts with neither.
    expect(rows('一二三。」四', 8)).toEqual(['一二', '三。」四']);
    // A row is never emptied for it, and every row still fits.
    expect(rows('。。。。。。', 4)).toEqual(['。。', '。。', '。。']);
    for (const text of ['一二三四五六七八九十。', '（一二三四五六七八九）、', 'ab「cdefgh」ij'])
      for (const width of [2, 3, 4, 5, 7])
        for (const r of rows(text, width)) expect(displayWidth(r), `${text} at ${width}`).toBeLessThanOrEqual(width);
    // Source offsets follow the moved graphemes.
    const r = wrapSpans([{ text: '一二三。四五', style: {}, src: 10 }], { width: 6 });
    expect(r.map((x) => x.start)).toEqual([10, 12, 15]);
  });

  it('keeps the source offset of each row’s first character, for streamed paragraphs', () => {
    const r = wrapSpans([{ text: 'alpha beta gamma', style: {}, src: 100 }], { width: 11 });
    expect(r.map((x) => x.start)).toEqual([100, 111]);
  });

  it('wraps a long code line keeping its indentation, plus two columns for the rest of the statement', () => {
    const r = wrapCode([{ text: '    return compute(argumentOne, argumentTwo);', style: {} }], 28).map((x) =>
      x.spans.map((s) => s.text).join(''),
    );
    expect(r).toEqual(['    return', '      compute(argumentOne,', '      argumentTwo);']);
  });
});

describe('renderMarkdown', () => {
  it('leaves no raw markdown syntax on screen', () => {
    const out = md(
      '# Title\n\nSome **bold**, *em*, `code` and [a link](https://x.y).\n\n- one\n- two\n\n> quoted\n\n---',
    );
    expect(out.join('\n')).toBe(
      'Title\n\nSome bold, em, code and a link (https://x.y).\n\n• one\n• two\n\n│ quoted\n\n' + '─'.repeat(60),
    );
  });

  it('draws a code block between two dim rules, numbered, with no margin in front of its lines', () => {
    expect(md('```py\ndef f():\n    return 1\n```', 30)).toEqual([
      '── code 1 · py ───────────────',
      'def f():',
      '    return 1',
      '──────────────────────────────',
    ]);
  });

  it('lays tables out by display width, honouring :---: and ---: alignment', () => {
    const out = md('| 名称 | n | note |\n|:---:|---:|:---|\n| 中文 | 1 | a |\n| x | 222 | bb |', 40);
    expect(out).toEqual(['名称 │   n │ note', '─────┼─────┼─────', '中文 │   1 │ a', ' x   │ 222 │ bb']);
  });

  it('shrinks a table wider than the terminal and wraps its cells inside their columns', () => {
    const out = md('| key | value |\n|---|---|\n| a | one two three four five six |', 20);
    for (const line of out) expect(displayWidth(line)).toBeLessThanOrEqual(20);
    expect(out[2]).toMatch(/^a +│ one two/);
    expect(out.join('\n')).toContain('six');
  });

  it('numbers an ordered list from its start', () => {
    expect(md('3. third\n4. fourth')).toEqual(['3. third', '4. fourth']);
  });

  it('styles with ANSI; without colour (NO_COLOR) bold, italic and underline stay, colours go', () => {
    const [coloured] = renderMarkdown('**bold** `code`', ctx(40, true));
    expect(coloured).toContain('\x1b[1m');
    expect(coloured).toContain('\x1b[36m');
    const [bare] = renderMarkdown('**bold** `code`', ctx(40, false));
    expect(bare).toContain('\x1b[1m');
    expect(bare).not.toMatch(/\x1b\[3\dm/);
  });

  it('draws code in one colour until the highlighter has loaded, then highlighted', async () => {
    const before = renderMarkdown('```ts\nconst a = "s"; // note\n```', ctx(40, true));
    expect(before[1]).toBe('\x1b[33mconst a = "s"; // note\x1b[0m');
    await loadHighlighter();
    const after = renderMarkdown('```ts\nconst a = "s"; // note\n```', ctx(40, true));
    expect(after[1]).toBe('\x1b[34mconst\x1b[0m a = \x1b[31m"s"\x1b[0m; \x1b[3;90m// note\x1b[0m');
    // Without colour, code is drawn plain.
    expect(renderMarkdown('```ts\nconst a = 1;\n```', ctx(40, false))[1]).toBe('const a = 1;');
    // highlight.js 11 scopes ("title function_"): the first class picks the style; entities are decoded.
    const py = renderMarkdown('```python\ndef f(x):\n    return x < 1 and "it\'s"\n```', ctx(60, true));
    expect(py[1]).toBe('\x1b[34mdef\x1b[0m \x1b[33mf\x1b[0m(x):');
    expect(plain(py[2] as string)).toBe(`    return x < 1 and "it's"`);
    // Registered at first use, with what it embeds: the script in an HTML block is highlighted as JavaScript.
    const html = renderMarkdown('```html\n<script>const a = 1;</script>\n```', ctx(60, true));
    expect(html[1]).toContain('\x1b[34mconst\x1b[0m');
    expect(renderMarkdown('```YML\nkey: 1\n```', ctx(40, true))[1]).toContain('\x1b[');
  });

  it('knows each language by the names and embedded languages highlight.js gives it', () => {
    const require = createRequire(import.meta.url);
    const core = require('highlight.js/lib/core') as {
      newInstance(): {
        registerLanguage(name: string, fn: unknown): void;
        getLanguage(name: string): { aliases?: string[] } | undefined;
      };
    };
    const hljs = core.newInstance();
    for (const name of Object.keys(KNOWN_LANGUAGES))
      hljs.registerLanguage(name, require(`highlight.js/lib/languages/${name}`));
    const embeds = (mode: unknown, out: Set<string>, seen = new Set<unknown>()): Set<string> => {
      if (!mode || typeof mode !== 'object' || seen.has(mode)) return out;
      seen.add(mode);
      const m = mode as Record<string, unknown>;
      for (const sub of [m.subLanguage].flat()) if (typeof sub === 'string') out.add(sub);
      for (const key of ['contains', 'variants', 'starts'])
        for (const child of [m[key]].flat()) embeds(child, out, seen);
      return out;
    };
    for (const [name, known] of Object.entries(KNOWN_LANGUAGES)) {
      const lang = hljs.getLanguage(name);
      expect(lang?.aliases ?? [], name).toEqual(known.aliases);
      const used = [...embeds(lang, new Set())].filter((l) => l !== name && l in KNOWN_LANGUAGES);
      expect(used.sort(), name).toEqual([...(known.embeds ?? [])].sort());
    }
  });
});

describe('styles', () => {
  it('parses a highlighter’s ANSI into spans and writes them back', () => {
    const spans = parseAnsi('\x1b[33mconst\x1b[39m x \x1b[1;32mok\x1b[0m');
    expect(spans.map((s) => [s.text, s.style.fg, s.style.bold])).toEqual([
      ['const', '33', undefined],
      [' x ', undefined, undefined],
      ['ok', '32', true],
    ]);
    expect(plain(toAnsi(spans, true))).toBe('const x ok');
  });

  it('strips colours and keeps attributes (NO_COLOR)', () => {
    expect(stripColour('\x1b[1;31mred bold\x1b[39;22m \x1b[38;5;208mx\x1b[0m \x1b[7;48;2;1;2;3my\x1b[27m')).toBe(
      '\x1b[1mred bold\x1b[22m x\x1b[0m \x1b[7my\x1b[27m',
    );
    expect(paint('u', { underline: true, fg: '31' }, false)).toBe('\x1b[4mu\x1b[0m');
  });
});

describe('lastSafeBoundary (where a streamed answer may be cut into blocks)', () => {
  it('is the last blank line outside a code fence, before more text', () => {
    expect(lastSafeBoundary('para one\n\npara two\n')).toBe(9);
    expect(lastSafeBoundary('a\n\nb\n\nc')).toBe(5);
  });
  it('is none inside an open fence, in an unfinished line, or before trailing blank lines', () => {
    expect(lastSafeBoundary('```\ncode\n\nmore\n')).toBe(-1);
    expect(lastSafeBoundary('only one line')).toBe(-1);
    expect(lastSafeBoundary('text\n\n')).toBe(-1);
  });
});
