/**
 * The bounded cache the bundle puts in place of Ink's text caches, and Ink's `measure-text` and `wrap-text` as the
 * bundle builds them (esbuild with scripts/ink-text-caches.mjs): the same results as Ink's own files, with the cache
 * bounded — an evicted text is measured again (a fresh object) where Ink's own cache hands back the one it kept forever.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { boundedInkTextCaches, INK_TEXT_CACHE_MAX } from '../../scripts/ink-text-caches.mjs';
import { BoundedCache } from '../../src/ui/bounded-cache.js';
import { tempDir } from '../support/cleanup.js';

const ROOT = join(import.meta.dirname, '../..');
const INK = join(ROOT, 'node_modules/ink/build');

type Measure = (text: string) => { width: number; height: number };
type Wrap = (text: string, maxWidth: number, wrapType: string) => string;

describe('BoundedCache', () => {
  it('gives back what was set, and holds at most twice its size however many keys come', () => {
    const cache = new BoundedCache<string, number>(100);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`k${i}`, i);
      expect(cache.get(`k${i}`)).toBe(i);
      expect(cache.size).toBeLessThanOrEqual(200);
    }
    expect(cache.get('k9999')).toBe(9999);
    expect(cache.get('k0')).toBeUndefined();
  });

  it('keeps the entries in use: one read in every generation stays, the others go', () => {
    const cache = new BoundedCache<string, string>(10);
    cache.set('kept', 'value');
    for (let i = 0; i < 1000; i++) {
      cache.set(`other${i}`, 'x');
      if (i % 5 === 0) expect(cache.get('kept')).toBe('value');
    }
    expect(cache.get('kept')).toBe('value');
    expect(cache.get('other0')).toBeUndefined();
  });

  it('caches undefined and falsy values as values', () => {
    const cache = new BoundedCache<string, string | undefined>(2);
    cache.set('empty', '');
    cache.set('none', undefined);
    expect(cache.get('empty')).toBe('');
    expect(cache.get('none')).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new BoundedCache(0)).toThrow(RangeError);
    expect(() => new BoundedCache(1.5)).toThrow(RangeError);
  });
});

/** Ink's two text modules as the bundle has them, built into a temporary directory and imported. */
async function bundledInkText(): Promise<{ measure: Measure; wrap: Wrap }> {
  const dir = tempDir('agentor-ink-caches-');
  const entry = join(dir, 'entry.mjs');
  writeFileSync(
    entry,
    [
      `export { default as measure } from ${JSON.stringify(join(INK, 'measure-text.js'))};`,
      `export { default as wrap } from ${JSON.stringify(join(INK, 'wrap-text.js'))};`,
    ].join('\n'),
  );
  const outfile = join(dir, 'out.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [boundedInkTextCaches(ROOT)],
  });
  return (await import(pathToFileURL(outfile).href)) as { measure: Measure; wrap: Wrap };
}

describe("Ink's text caches as bundled", () => {
  it('measure and wrap as Ink does, and forget texts no longer drawn', async () => {
    const bundled = await bundledInkText();
    const ink = {
      measure: ((await import(pathToFileURL(join(INK, 'measure-text.js')).href)) as { default: Measure }).default,
      wrap: ((await import(pathToFileURL(join(INK, 'wrap-text.js')).href)) as { default: Wrap }).default,
    };
    const texts = [
      '',
      'plain words',
      '第1句：中文的句子。 emoji 👍🏽 and a flag 🇫🇷',
      '\x1b[1mbold\x1b[22m and \x1b[31mred\x1b[39m, long enough to wrap at twenty columns',
      'two\nlines',
      'x'.repeat(300),
    ];
    for (const text of texts) {
      expect(bundled.measure(text), text).toEqual(ink.measure(text));
      for (const type of ['wrap', 'truncate', 'truncate-middle', 'truncate-start'])
        expect(bundled.wrap(text, 20, type), `${type}: ${text}`).toBe(ink.wrap(text, 20, type));
    }

    const first = bundled.measure('the first line drawn');
    const inkFirst = ink.measure('the first line drawn');
    expect(bundled.measure('the first line drawn')).toBe(first);
    for (let i = 0; i < 3 * INK_TEXT_CACHE_MAX; i++) {
      const line = `streamed line ${i}`;
      expect(bundled.measure(line)).toEqual(ink.measure(line));
      expect(bundled.wrap(line, 10, 'wrap')).toBe(ink.wrap(line, 10, 'wrap'));
    }
    // Ink's own cache kept it; the bounded one let it go, and measures it again to the same result.
    expect(ink.measure('the first line drawn')).toBe(inkFirst);
    const again = bundled.measure('the first line drawn');
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});
