/**
 * A fast path in front of `string-width`, which Ink calls for every line it lays out. For text in which every code
 * point is its own grapheme cluster and visible (no marks, joiners, variation selectors, controls, jamo, flags or
 * emoji-presentation characters) the width is the sum of each code point's East Asian Width: no `Intl.Segmenter` and no
 * `\p{RGI_Emoji}` regular expression, whose first use alone costs ~30 ms — at the first frame of every interactive
 * chat, because the prompt sign is not ASCII. Styled text takes the same path once its SGR codes (colours, bold…) are
 * removed, as the real one strips them: Ink measures every new styled line of the live region (the progress line at
 * every frame), and segmenting those was the largest single cost of a streamed answer. Anything else goes to the real
 * `string-width`, unchanged.
 * scripts/build.mjs puts this in front of every `string-width` the bundled UI imports; test/unit/string-width-fast.test.ts
 * checks it against those versions on every code point.
 */
import { eastAsianWidth } from 'get-east-asian-width';

export interface StringWidthOptions {
  ambiguousIsNarrow?: boolean;
  countAnsiEscapeCodes?: boolean;
}
export type StringWidth = (input: string, options?: StringWidthOptions) => number;

const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;
/**
 * SGR sequences as every strip-ansi the UI bundles removes them whole (parameters of at most four digits, `;` only):
 * anything else keeps its ESC, and a string with an ESC left goes to the real function.
 */
const SGR = /\x1b\[(?:\d{1,4}(?:;\d{0,4})*)?m/g;

/**
 * Code points that make the per-code-point sum wrong, or that string-width treats specially: marks (clusters),
 * controls and format characters (zero width, ANSI escapes, ZWJ), surrogates, default-ignorables, Hangul jamo (syllable
 * clusters), regional indicators (flags), emoji modifiers and tags, emoji-presentation characters, grapheme prepends.
 */
const NEEDS_FULL_RULES =
  // eslint-disable-next-line no-misleading-character-class -- single code points are meant: any one of them sends the string to the full rules
  /[\p{M}\p{Grapheme_Extend}\p{Cc}\p{Cf}\p{Cs}\p{Default_Ignorable_Code_Point}\p{Regional_Indicator}\p{Emoji_Presentation}\p{Emoji_Modifier}\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff\u{e0000}-\u{e007f}\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u0d4e\u{110bd}\u{110cd}\u{111c2}\u{111c3}\u{1193f}\u{11941}\u{11a3a}\u{11a84}-\u{11a89}\u{11d46}\u{11f02}\u2028\u2029\u0e33\u0eb3\u{113d1}\p{Extended_Pictographic}\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe00-\ufe2f]/u;

/** True when every code point of `text` is a grapheme cluster of its own (no marks, joiners, flags, …). */
export function oneCodePointPerCluster(text: string): boolean {
  return !NEEDS_FULL_RULES.test(text);
}

/** `real`, with the fast path for text that needs none of its rules. */
export function withFastPath(real: StringWidth): StringWidth {
  return (input, options = {}) => {
    if (typeof input !== 'string' || input.length === 0) return 0;
    if (PRINTABLE_ASCII.test(input)) return input.length;
    if (options.countAnsiEscapeCodes) return real(input, options);
    const text = input.includes('\x1b') ? input.replace(SGR, '') : input;
    if (text !== input && PRINTABLE_ASCII.test(text)) return text.length;
    if (NEEDS_FULL_RULES.test(text)) return real(input, options);
    const eaw = { ambiguousAsWide: options.ambiguousIsNarrow === false };
    let width = 0;
    for (const ch of text) width += eastAsianWidth(ch.codePointAt(0) as number, eaw);
    return width;
  };
}
