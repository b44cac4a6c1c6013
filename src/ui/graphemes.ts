/**
 * Text as a terminal shows it: grapheme clusters (what a person sees as one character — an emoji with a skin tone or
 * joined by ZWJ, a flag, a letter with combining marks, a CJK ideograph) and their width in columns. Widths come from
 * `string-width`, the function Ink lays text out with, so that what the prompt measures is what Ink draws.
 */
import stringWidth from 'string-width';

let graphemeSegmenter: Intl.Segmenter | undefined;
let wordSegmenter: Intl.Segmenter | undefined;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The grapheme clusters of `text`, in order (joined, they are `text` again). */
export function clusters(text: string): string[] {
  if (PRINTABLE_ASCII.test(text)) return text.split('');
  graphemeSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const out: string[] = [];
  for (const { segment } of graphemeSegmenter.segment(text)) out.push(segment);
  return out;
}

/** The words of `text` (Unicode word boundaries: CJK by dictionary), with their offsets. */
export function words(text: string): Array<{ start: number; end: number; segment: string; isWord: boolean }> {
  wordSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'word' });
  const out: Array<{ start: number; end: number; segment: string; isWord: boolean }> = [];
  for (const s of wordSegmenter.segment(text))
    out.push({ start: s.index, end: s.index + s.segment.length, segment: s.segment, isWord: s.isWordLike === true });
  return out;
}

/** Columns `text` takes in a terminal (wide CJK and emoji count two, marks and joiners none). */
export function displayWidth(text: string): number {
  return PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text);
}

/** `text` cut to at most `max` columns, with "…" at the end when something was cut; never splits a cluster. */
export function truncateToWidth(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  if (max <= 0) return '';
  let out = '';
  let used = 0;
  for (const c of clusters(text)) {
    const w = displayWidth(c);
    if (used + w > max - 1) break;
    out += c;
    used += w;
  }
  return `${out}…`;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with every lone surrogate (half of an emoji, cut in the wrong place) replaced by U+FFFD. */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}
