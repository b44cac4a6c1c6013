/**
 * Word wrap by display width, done here rather than by Ink so that the number of rows a text takes is known exactly
 * before it is drawn. Greedy, by word: a row never starts or ends with the spaces it was broken at (copied text gets no
 * stray spaces); a word wider than a row (a URL, or CJK text, which has no spaces) is broken between grapheme clusters.
 * Greedy wrapping forgets everything at a row start, which is what lets a streamed paragraph be printed row by row:
 * the text from a row's first character on wraps into exactly the rows that followed it.
 */
import { displayWidth, graphemes } from './width.js';
import type { Span } from './style.js';

/** One row of wrapped text. */
export interface Row {
  spans: Span[];
  /** Display width, prefix included. */
  width: number;
  /** Source offset of the row's first character, when that character is verbatim source text. */
  start?: number;
}

/** Where rows break and what goes in front of them. */
export interface WrapOptions {
  width: number;
  /** In front of the first row (a list bullet, an indentation). */
  first?: Span[];
  /** In front of every later row (a hanging indent). */
  rest?: Span[];
}

/** A piece of a word or gap: text in one style, with its display width. */
interface Part extends Span {
  width: number;
}
interface Word {
  kind: 'word';
  parts: Part[];
  width: number;
}
interface Gap {
  kind: 'space';
  parts: Part[];
  width: number;
}
type Piece = Word | Gap | { kind: 'newline' };

const NEWLINE: Piece = { kind: 'newline' };

/** The words, gaps and line breaks of `spans` (a word may run across spans: "**bold**er"). */
function tokenize(spans: readonly Span[]): Piece[] {
  const pieces: Piece[] = [];
  let word: Word | undefined;
  for (const span of spans) {
    const text = span.text.includes('\t') ? span.text.replace(/\t/g, '  ') : span.text;
    // Offsets into the source hold only for text that is the source, verbatim.
    const src = text === span.text ? span.src : undefined;
    const n = text.length;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      let j = i + 1;
      if (c === 10) {
        if (word) pieces.push(word);
        word = undefined;
        pieces.push(NEWLINE);
      } else if (c === 32) {
        while (j < n && text.charCodeAt(j) === 32) j++;
        if (word) pieces.push(word);
        word = undefined;
        const part: Part = { text: text.slice(i, j), style: span.style, width: j - i };
        if (src !== undefined) part.src = src + i;
        pieces.push({ kind: 'space', parts: [part], width: j - i });
      } else {
        while (j < n && text.charCodeAt(j) !== 32 && text.charCodeAt(j) !== 10) j++;
        const t = text.slice(i, j);
        const part: Part = { text: t, style: span.style, width: displayWidth(t) };
        if (src !== undefined) part.src = src + i;
        word ??= { kind: 'word', parts: [], width: 0 };
        word.parts.push(part);
        word.width += part.width;
      }
      i = j;
    }
  }
  if (word) pieces.push(word);
  return pieces;
}

function prefixWidth(spans: readonly Span[]): number {
  let w = 0;
  for (const s of spans) w += displayWidth(s.text);
  return w;
}

/** Wraps styled text (line breaks in it are kept) into rows of at most `width` columns. */
export function wrapSpans(spans: readonly Span[], opts: WrapOptions): Row[] {
  const width = Math.max(1, opts.width);
  const first = opts.first ?? [];
  const rest = opts.rest ?? [];
  const restWidth = prefixWidth(rest);
  const rows: Row[] = [];
  let row: Row = { spans: [...first], width: prefixWidth(first) };
  let empty = true;
  let space: Gap | undefined;
  const next = (): void => {
    rows.push(row);
    row = { spans: [...rest], width: restWidth };
    empty = true;
    space = undefined;
  };
  const put = (part: Span, w: number): void => {
    if (empty && row.start === undefined && part.src !== undefined) row.start = part.src;
    // Text in the same style as the row's last span joins it: fewer spans to draw.
    const last = row.spans[row.spans.length - 1];
    if (last && last.style === part.style && !empty) last.text += part.text;
    else row.spans.push({ text: part.text, style: part.style });
    row.width += w;
    empty = false;
  };
  for (const p of tokenize(spans)) {
    if (p.kind === 'newline') {
      next();
      continue;
    }
    if (p.kind === 'space') {
      // Spaces that follow one another (across spans) are one gap.
      if (!empty) space = space ? { ...space, parts: [...space.parts, ...p.parts], width: space.width + p.width } : p;
      continue;
    }
    const gap = space && !empty ? space.width : 0;
    if (!empty && row.width + gap + p.width <= width) {
      if (space) for (const s of space.parts) put(s, s.width);
      for (const part of p.parts) put(part, part.width);
      space = undefined;
      continue;
    }
    // A word that fits no row is broken where it stands; any other word goes to the next row whole.
    const fitsARow = p.width <= width - restWidth;
    if (!empty && fitsARow) next();
    else if (!empty && space && row.width + gap < width) for (const s of space.parts) put(s, s.width);
    else if (!empty) next();
    space = undefined;
    if (row.width + p.width <= width) {
      for (const part of p.parts) put(part, part.width);
      continue;
    }
    breakWord(
      p,
      width,
      () => row,
      put,
      next,
      () => empty,
    );
  }
  rows.push(row);
  return rows;
}

/**
 * Kinsoku (JIS X 4051), as CJK-aware wrappers apply it: characters that may not start a row (closing brackets and
 * quotes, the ideographic full stop and commas, middle dots, small kana, the prolonged sound mark, iteration marks)…
 */
const NO_ROW_START =
  /^[)\]}、。，．,.：:；;！!？?‼⁇⁈⁉・‐゠–〜～ー々〻ゝゞヽヾ）］｝〕〉》」』】〙〗〟’”｠»ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰ-ㇿ]/u;
/** …and characters that may not end one (opening brackets and quotes). */
const NO_ROW_END = /^[([{（［｛〔〈《「『【〘〖〝‘“｟«]$/u;
/** At most this many graphemes move to the next row to keep a row break off a kinsoku character. */
const KINSOKU_CARRY = 2;

/**
 * Places a word wider than the room left, grapheme by grapheme, starting new rows as they fill. A row does not end
 * with an opening bracket and the next does not start with closing punctuation: the grapheme before the break moves
 * down with it (one, or two for "。」"), as long as the row keeps something.
 */
function breakWord(
  word: Word,
  width: number,
  current: () => Row,
  put: (part: Span, w: number) => void,
  next: () => void,
  isEmpty: () => boolean,
): void {
  for (const part of word.parts) {
    let offset = 0;
    /** The graphemes not put in the row yet, with their widths; `chunkStart` is the first one's offset in the part. */
    let chunk: string[] = [];
    let widths: number[] = [];
    let chunkWidth = 0;
    let chunkStart = 0;
    const flush = (upTo = chunk.length): void => {
      if (upTo === 0) return;
      const text = chunk.slice(0, upTo).join('');
      const w = widths.slice(0, upTo).reduce((a, b) => a + b, 0);
      put({ text, style: part.style, ...(part.src !== undefined ? { src: part.src + chunkStart } : {}) }, w);
      chunkStart += text.length;
      chunk = chunk.slice(upTo);
      widths = widths.slice(upTo);
      chunkWidth -= w;
    };
    for (const g of graphemes(part.text)) {
      const w = displayWidth(g);
      // Every row takes at least one grapheme, so a row narrower than a wide character still makes progress.
      if (current().width + chunkWidth + w > width && !(isEmpty() && chunk.length === 0)) {
        let keep = chunk.length;
        const breaksBadly = (at: number): boolean =>
          NO_ROW_START.test(at < chunk.length ? (chunk[at] as string) : g) || NO_ROW_END.test(chunk[at - 1] ?? '');
        const carried = (from: number): number => widths.slice(from).reduce((a, b) => a + b, w);
        while (keep > 0 && chunk.length - keep < KINSOKU_CARRY && breaksBadly(keep) && carried(keep - 1) <= width)
          keep--;
        // The row must keep something, and the carried graphemes must fit the next row.
        if ((keep === 0 && isEmpty()) || breaksBadly(keep)) keep = chunk.length;
        flush(keep);
        next();
      }
      if (chunk.length === 0) chunkStart = offset;
      chunk.push(g);
      widths.push(w);
      chunkWidth += w;
      offset += g.length;
    }
    flush();
  }
}

/**
 * Wraps one line of code: rows after the first keep the line's indentation plus two columns, so a wrapped statement
 * still reads as part of its block.
 */
export function wrapCode(spans: readonly Span[], width: number): Row[] {
  const text = spans.map((s) => s.text).join('');
  if (displayWidth(text) <= width) return [{ spans: [...spans], width: displayWidth(text) }];
  const indent = /^ */.exec(text)?.[0].length ?? 0;
  const hang = ' '.repeat(Math.min(indent + 2, Math.floor(width / 2)));
  const body: Span[] = [];
  let skip = indent;
  for (const s of spans) {
    const cut = Math.min(skip, s.text.length);
    skip -= cut;
    if (cut < s.text.length) body.push({ ...s, text: s.text.slice(cut) });
  }
  return wrapSpans(body, {
    width,
    first: indent ? [{ text: ' '.repeat(Math.min(indent, width - 1)), style: {} }] : [],
    rest: [{ text: hang, style: {} }],
  });
}

/** Spans cut to at most `width` columns, with "…" when something was cut. */
export function clip(spans: readonly Span[], width: number): Span[] {
  let total = 0;
  for (const s of spans) total += displayWidth(s.text);
  if (total <= width) return [...spans];
  const out: Span[] = [];
  let used = 0;
  for (const s of spans) {
    let text = '';
    for (const g of graphemes(s.text)) {
      const w = displayWidth(g);
      if (used + w > width - 1) break;
      text += g;
      used += w;
    }
    if (text) out.push({ ...s, text });
    if (text.length < s.text.length) break;
  }
  if (width >= 1) out.push({ text: '…', style: out.at(-1)?.style ?? {} });
  return out;
}
