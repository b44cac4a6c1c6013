// An esbuild plugin for the bundle: Ink's `measure-text` and `wrap-text` memoise every text they were given in a Map
// (an object for wrap-text) that never forgets, so a long chat keeps every line it ever drew. This swaps each cache
// for src/ui/bounded-cache.ts (same results; least recently used entries dropped past INK_TEXT_CACHE_MAX). The edits
// are exact-text: if Ink's files change, the build fails naming the line to look at instead of shipping them unbounded.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Entries per generation of each cache (at most twice this kept): far more distinct texts than a screen shows. */
export const INK_TEXT_CACHE_MAX = 2000;

const EDITS = {
  'measure-text.js': [['const cache = new Map();', `const cache = new BoundedCache(${INK_TEXT_CACHE_MAX});`]],
  'wrap-text.js': [
    ['const cache = {};', `const cache = new BoundedCache(${INK_TEXT_CACHE_MAX});`],
    ['const cachedText = cache[cacheKey];', 'const cachedText = cache.get(cacheKey);'],
    ['cache[cacheKey] = wrappedText;', 'cache.set(cacheKey, wrappedText);'],
  ],
};

/** The plugin; `root` is the checkout (where src/ui/bounded-cache.ts is). */
export function boundedInkTextCaches(root) {
  const cacheModule = join(root, 'src/ui/bounded-cache.ts');
  return {
    name: 'bounded-ink-text-caches',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]ink[\\/]build[\\/](measure-text|wrap-text)\.js$/ }, (args) => {
        const file = args.path.split(/[\\/]/).at(-1);
        let source = readFileSync(args.path, 'utf8');
        for (const [from, to] of EDITS[file]) {
          if (!source.includes(from))
            throw new Error(
              `build: ${args.path} no longer contains \`${from}\`: Ink changed its text cache; update scripts/ink-text-caches.mjs`,
            );
          source = source.replace(from, to);
        }
        return {
          contents: `import { BoundedCache } from ${JSON.stringify(cacheModule)};\n${source}`,
          // Ink's own imports (widest-line, wrap-ansi, cli-truncate) resolve from where Ink is.
          resolveDir: dirname(args.path),
          loader: 'js',
        };
      });
    },
  };
}
