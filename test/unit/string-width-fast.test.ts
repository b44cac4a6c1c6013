/**
 * The fast path in front of string-width must agree with every string-width the bundled UI uses (Ink's and
 * widest-line's v8, wrap-ansi's v7) on every code point it answers itself, and on mixed strings.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withFastPath, type StringWidth } from '../../src/ui/string-width-fast.js';

const ROOT = join(import.meta.dirname, '../..');
/** The string-width a package would import: its own nested copy if it has one, else the top-level one. */
function stringWidthOf(pkg: string): string {
  const nested = join(ROOT, 'node_modules', pkg, 'node_modules/string-width/index.js');
  return existsSync(nested) ? nested : join(ROOT, 'node_modules/string-width/index.js');
}
const byPath = new Map<string, string[]>();
for (const pkg of ['ink', 'widest-line', 'cli-truncate', 'wrap-ansi'])
  byPath.set(stringWidthOf(pkg), [...(byPath.get(stringWidthOf(pkg)) ?? []), pkg]);
const versions = [...byPath].map(([path, pkgs]) => ({ pkg: pkgs.join(', '), path }));

/** The BMP, the emoji block and the tags whole; the rest sampled (neighbouring code points there are alike). */
const step = (cp: number): number =>
  cp < 0x10000 || (cp >= 0x1f000 && cp < 0x20000) || (cp >= 0xe0000 && cp < 0xe1000)
    ? 1
    : cp < 0x20000
      ? 3
      : cp < 0x40000
        ? 7
        : 97;
function* codePoints(): Generator<number> {
  for (let cp = 0; cp <= 0x10ffff; cp += step(cp)) {
    if (cp < 0xd800 || cp > 0xdfff) yield cp;
  }
}

describe.each(versions)('string-width as $pkg imports it', ({ path }) => {
  it('agrees on every code point, alone (ambiguous narrow and wide) and between letters', async () => {
    const real = ((await import(pathToFileURL(path).href)) as { default: StringWidth }).default;
    const fast = withFastPath(real);
    const mismatches: string[] = [];
    for (const cp of codePoints()) {
      const ch = String.fromCodePoint(cp);
      for (const [s, ambiguousIsNarrow] of [
        [ch, true],
        [ch, false],
        [`a${ch}b`, true],
        [`\u001b[1;36m${ch}\u001b[22;39m·`, true],
      ] as const) {
        if (fast(s, { ambiguousIsNarrow }) !== real(s, { ambiguousIsNarrow }))
          mismatches.push(`U+${cp.toString(16)} ${JSON.stringify(s)} narrow=${ambiguousIsNarrow}`);
      }
      if (mismatches.length > 20) break;
    }
    expect(mismatches).toEqual([]);
  }, 60_000);

  it('agrees on text the UI shows', async () => {
    const real = ((await import(pathToFileURL(path).href)) as { default: StringWidth }).default;
    const fast = withFastPath(real);
    const samples = [
      '❯ hello',
      '─'.repeat(40),
      '⚙ calculator({"expression":"2+2"}) ✓ 3ms → 4',
      '日本語のテキスト',
      'naïve café',
      'e\u0301',
      '👍🏽 ok',
      '🇫🇷',
      '👨‍👩‍👧',
      '❤️',
      '\u001b[31mred\u001b[39m',
      '\u001b[36m⠋\u001b[39m writing… \u001b[2m1.2s · 40 tokens · esc or ctrl+c to cancel\u001b[22m',
      '\u001b[2m│\u001b[22m \u001b[38;2;255;0;0m日本語\u001b[0m',
      '\u001b[12345m·',
      '\u001b[;1m·',
      '\u001b[4:3m·',
      '\u001b]8;;https://example.com\u0007link\u001b]8;;\u0007 ·',
      '\u001b[1m👍🏽\u001b[22m',
      'tab\there',
      '',
      'Ωμέγα · Привет · שלום · مرحبا',
      'ｶﾞ',
      '한국어',
      '\u1100\u1161\u11a8',
    ];
    for (const s of samples) {
      expect(fast(s), s).toBe(real(s));
      expect(fast(s, { ambiguousIsNarrow: false }), s).toBe(real(s, { ambiguousIsNarrow: false }));
      expect(fast(s, { countAnsiEscapeCodes: true }), s).toBe(real(s, { countAnsiEscapeCodes: true }));
    }
  });
});

it('the versions under test are the files the bundle wraps', () => {
  expect(versions.every((v) => existsSync(v.path))).toBe(true);
  expect(fileURLToPath(pathToFileURL(dirname(versions[0]!.path)))).toContain('string-width');
});
