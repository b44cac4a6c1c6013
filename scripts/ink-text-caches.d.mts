import type { Plugin } from 'esbuild';

/** Entries per generation of each of Ink's bounded text caches. */
export const INK_TEXT_CACHE_MAX: number;
/** The esbuild plugin that bounds Ink's `measure-text` and `wrap-text` caches; `root` is the checkout. */
export function boundedInkTextCaches(root: string): Plugin;
