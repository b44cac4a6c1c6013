/**
 * Display width, the unit of every layout decision: columns on screen, not UTF-16 units. Measured with `string-width`,
 * the function Ink itself lays text out with (CJK and emoji take two columns, combining marks none, ANSI codes none),
 * so a line this module says fits is a line Ink draws on one row.
 */
import stringWidth from 'string-width';
import { oneCodePointPerCluster, withFastPath } from '../string-width-fast.js';

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const SGR = /\x1b\[[\d;]*m/g;
// (The CLI bundle puts the fast path in front of every string-width already; tests and the library get it here.)
const width = withFastPath(stringWidth);

/** Columns `text` takes on screen (SGR styling takes none). */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  const bare = text.includes('\x1b') ? text.replace(SGR, '') : text;
  return PRINTABLE_ASCII.test(bare) ? bare.length : width(bare);
}

let segmenter: Intl.Segmenter | undefined;

/** The grapheme clusters of `text` (what a cursor or a line break must never split). */
export function graphemes(text: string): string[] {
  if (PRINTABLE_ASCII.test(text) || oneCodePointPerCluster(text)) return [...text];
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** `text` cut to at most `max` columns, with "…" when something was cut. */
export function truncate(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  if (max <= 0) return '';
  let out = '';
  let used = 0;
  for (const g of graphemes(text)) {
    const w = displayWidth(g);
    if (used + w > max - 1) break;
    out += g;
    used += w;
  }
  return `${out}…`;
}
