/**
 * Text as a terminal shows it: grapheme clusters (what a person sees as one character — an emoji with a skin tone or
 * joined by ZWJ, a flag, a letter with combining marks, a CJK ideograph) and their width in columns. Widths come from
 * `string-width`, the function Ink lays text out with, so that what the prompt measures is what Ink draws.
 */
import realStringWidth from 'string-width';
import { withFastPath } from './string-width-fast.js';

let graphemeSegmenter: Intl.Segmenter | undefined;
let wordSegmenter: Intl.Segmenter | undefined;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// The CLI bundle puts this fast path in front of every string-width already; tests and the library get it here.
const stringWidth = withFastPath(realStringWidth);

/**
 * Code points that can join a cluster with their neighbours: marks, joiners and other format characters, emoji
 * modifiers, flag letters, Hangul jamo, CR, grapheme prepends, and letters ICU treats as spacing marks that the regular
 * expression tables do not (Thai/Lao AM, Kirat Rai vowel signs). A text without any is one cluster per code point.
 * test/ui/input.test.ts checks this against Intl.Segmenter for every code point of planes 0 and 1.
 */
const JOINS =
  /[\p{M}\p{Grapheme_Extend}\p{Cf}\p{Emoji_Modifier}\p{Regional_Indicator}\r\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u0d4e\u{110bd}\u{110cd}\u{111c2}\u{111c3}\u{1193f}\u{11941}\u{11a3a}\u{11a84}-\u{11a89}\u{11d46}\u{11f02}\u0e33\u0eb3\u{113d1}\u{16d63}\u{16d67}-\u{16d6a}]/u;

/** True when `text` has a code point that can join its neighbours into one cluster. */
export function hasJoiners(text: string): boolean {
  return JOINS.test(text);
}

const JOINS_ALL = new RegExp(JOINS.source, 'gu');

/** True when `text` can be cut at `i` without changing its clusters: the code points on both sides join nothing. */
export function cutsCleanly(text: string, i: number): boolean {
  if (i <= 0 || i >= text.length) return true;
  const here = text.codePointAt(i) as number;
  if (here >= 0xdc00 && here <= 0xdfff) return false;
  const low = text.charCodeAt(i - 1);
  const before = low >= 0xdc00 && low <= 0xdfff && i >= 2 ? (text.codePointAt(i - 2) as number) : low;
  return !JOINS.test(String.fromCodePoint(here)) && !JOINS.test(String.fromCodePoint(before));
}

/**
 * V8's Intl.Segmenter is slow (microseconds a cluster, more than linear in the length of the text: a 15,000-character
 * line takes about 300 ms at once, 30 ms in pieces of 256), so it only sees the stretches around joiners, cut where
 * the code points on both sides join nothing; everything else is one cluster per code point.
 */
const PIECE = 256;
function segmentInto(out: string[], text: string): void {
  graphemeSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let from = 0;
  for (let i = PIECE; i <= text.length; i++) {
    if (i < text.length && !cutsCleanly(text, i)) continue;
    for (const { segment } of graphemeSegmenter.segment(text.slice(from, i))) out.push(segment);
    from = i;
    i += PIECE - 1;
  }
  if (from < text.length) for (const { segment } of graphemeSegmenter.segment(text.slice(from))) out.push(segment);
}

/** Joiners closer than this share one call to the segmenter (each call costs about as much as 100 clusters). */
const GAP = 128;

/** The grapheme clusters of `text`, in order (joined, they are `text` again). */
export function clusters(text: string): string[] {
  if (PRINTABLE_ASCII.test(text)) return text.split('');
  const out: string[] = [];
  let i = 0;
  JOINS_ALL.lastIndex = 0;
  let m = JOINS_ALL.exec(text);
  while (m) {
    // The code point before the first joiner may be the start of its cluster (an emoji before a ZWJ, a consonant).
    const low = text.charCodeAt(m.index - 1);
    const start = Math.max(i, m.index - (low >= 0xdc00 && low <= 0xdfff ? 2 : 1));
    for (const c of text.slice(i, start)) out.push(c);
    let end: number;
    do {
      end = m.index + m[0].length;
      while (end < text.length && !cutsCleanly(text, end)) end += (text.codePointAt(end) as number) > 0xffff ? 2 : 1;
      JOINS_ALL.lastIndex = end;
      m = JOINS_ALL.exec(text);
    } while (m && m.index - end < GAP && end - start < PIECE);
    segmentInto(out, text.slice(start, end));
    i = end;
  }
  for (const c of text.slice(i)) out.push(c);
  return out;
}

/**
 * The words of `text` (Unicode word boundaries: CJK by dictionary), with their offsets. Keep `text` short (a window
 * around the cursor): word segmentation slows down with length as grapheme segmentation does.
 */
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

const widths = new Map<string, number>();

/** Columns one grapheme cluster takes (remembered: a prompt measures the same few clusters over and over). */
export function clusterWidth(cluster: string): number {
  if (cluster.length === 1 && cluster >= ' ' && cluster <= '~') return 1;
  let w = widths.get(cluster);
  if (w === undefined) {
    if (widths.size >= 10_000) widths.clear();
    w = stringWidth(cluster);
    widths.set(cluster, w);
  }
  return w;
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
