/**
 * Styled text as data: a Style is a set of SGR attributes plus optional colours, a Span is text in one style. Lines
 * are built from spans and serialised to ANSI once, so wrapping and width measuring never parse escape codes — and
 * without colour (NO_COLOR) the attributes stay: NO_COLOR is about colour, not bold, underline or inverse.
 */

/** SGR attributes and colours; a colour is its SGR parameter string ("36", "38;5;208", "38;2;1;2;3"). */
export interface Style {
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
  strike?: boolean;
  fg?: string;
  bg?: string;
}

/** Text in one style; `src` is the source offset of its first character when the text is the source, verbatim. */
export interface Span {
  text: string;
  style: Style;
  src?: number;
}

/** The foreground colours the UI names. */
export const FG = {
  red: '31',
  green: '32',
  yellow: '33',
  blue: '34',
  magenta: '35',
  cyan: '36',
  gray: '90',
} as const;

/** The SGR sequence that turns `style` on ('' for the plain style). */
export function sgr(style: Style, color: boolean): string {
  const codes: string[] = [];
  if (style.bold) codes.push('1');
  if (style.dim) codes.push('2');
  if (style.italic) codes.push('3');
  if (style.underline) codes.push('4');
  if (style.inverse) codes.push('7');
  if (style.strike) codes.push('9');
  if (color && style.fg) codes.push(style.fg);
  if (color && style.bg) codes.push(style.bg);
  return codes.length ? `\x1b[${codes.join(';')}m` : '';
}

/** One line of spans as an ANSI string that resets at its end (lines are printed and erased one by one). */
export function toAnsi(spans: readonly Span[], color: boolean): string {
  let out = '';
  let open = '';
  for (const s of spans) {
    if (!s.text) continue;
    const next = sgr(s.style, color);
    if (next !== open) {
      if (open) out += '\x1b[0m';
      out += next;
      open = next;
    }
    out += s.text;
  }
  return open ? `${out}\x1b[0m` : out;
}

/** `text` in `style` as an ANSI string. */
export function paint(text: string, style: Style, color: boolean): string {
  return toAnsi([{ text, style }], color);
}

/** `base` with `over` applied on top. */
export function merge(base: Style, over: Style): Style {
  return { ...base, ...over };
}

const SGR_SEQUENCE = /\x1b\[([\d;]*)m/g;

/** Applies one SGR parameter list to a style (the subset highlighters and chalk emit). */
function applySgr(style: Style, params: string): Style {
  const p = params === '' ? ['0'] : params.split(';');
  let s: Style = { ...style };
  for (let i = 0; i < p.length; i++) {
    const n = Number(p[i]);
    if (n === 0) s = {};
    else if (n === 1) s.bold = true;
    else if (n === 2) s.dim = true;
    else if (n === 3) s.italic = true;
    else if (n === 4) s.underline = true;
    else if (n === 7) s.inverse = true;
    else if (n === 9) s.strike = true;
    else if (n === 22) s.bold = s.dim = false;
    else if (n === 23) s.italic = false;
    else if (n === 24) s.underline = false;
    else if (n === 27) s.inverse = false;
    else if (n === 29) s.strike = false;
    else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) s.fg = String(n);
    else if (n === 39) delete s.fg;
    else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) s.bg = String(n);
    else if (n === 49) delete s.bg;
    else if (n === 38 || n === 48) {
      const extra = p[i + 1] === '5' ? 2 : p[i + 1] === '2' ? 4 : 0;
      const value = p.slice(i, i + 1 + extra).join(';');
      if (n === 38) s.fg = value;
      else s.bg = value;
      i += extra;
    }
  }
  return s;
}

/** Parses an ANSI-styled string (SGR only; e.g. a syntax highlighter's output) into spans over `base`. */
export function parseAnsi(text: string, base: Style = {}): Span[] {
  const spans: Span[] = [];
  let style = base;
  let last = 0;
  for (const m of text.matchAll(SGR_SEQUENCE)) {
    if (m.index > last) spans.push({ text: text.slice(last, m.index), style });
    style = merge(base, applySgr(style, m[1] ?? ''));
    last = m.index + m[0].length;
  }
  if (last < text.length) spans.push({ text: text.slice(last), style });
  return spans;
}

const COLOUR_PARAMS = /^(?:3[0-79]|4[0-79]|9[0-7]|10[0-7]|[34]8(?:;5;\d+|;2;\d+;\d+;\d+)?)$/;

/**
 * Removes the colour parameters from every SGR sequence of `text`, keeping bold, dim, italic, underline, inverse and
 * strikethrough (what NO_COLOR asks for: https://no-color.org).
 */
export function stripColour(text: string): string {
  if (!text.includes('\x1b[')) return text;
  return text.replace(SGR_SEQUENCE, (_, params: string) => {
    const kept: string[] = [];
    const p = params.split(';');
    for (let i = 0; i < p.length; i++) {
      if (p[i] === '38' || p[i] === '48') {
        i += p[i + 1] === '5' ? 2 : p[i + 1] === '2' ? 4 : 0;
        continue;
      }
      if (!COLOUR_PARAMS.test(p[i] as string)) kept.push(p[i] as string);
    }
    return kept.length ? `\x1b[${kept.join(';')}m` : '';
  });
}
