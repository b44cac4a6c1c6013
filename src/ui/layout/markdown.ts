/**
 * Markdown → terminal lines, on marked's lexer (no HTML renderer). Every line is at most `width` columns by display
 * width and carries its own ANSI styling, so the caller knows exactly how many rows a block takes. The text reaching
 * here is already sanitised (the chat's reducer does it), so nothing the model writes can drive the terminal.
 *
 * Choices that matter when text is copied out of the terminal: wrapped lines never start with a space; code blocks
 * have no margin (a dim rule above and below instead), and their wrapped lines keep the code's indentation; tables are
 * laid out by display width (CJK cells line up) with `:---:` and `---:` alignment, shrinking and wrapping cells when
 * the table is wider than the terminal.
 */
import { marked, Lexer, type Token, type Tokens } from 'marked';
import { highlightLines, loadHighlighter } from './highlight.js';
import { FG, merge, paint, toAnsi, type Span, type Style } from './style.js';
import { displayWidth, truncate } from './width.js';
import { wrapCode, wrapSpans, type Row } from './wrap.js';

/** How blocks are rendered. */
export interface RenderContext {
  width: number;
  color: boolean;
  /** The number the next code block gets (1-based, for `/copy code n`); advanced as code blocks are rendered. */
  code: { next: number };
  /** The style every span starts from (reasoning is dim and italic). */
  base?: Style;
}

/** The block tokens of `src` (never throws: unparsable text comes back as one paragraph of raw text). */
export function lex(src: string): Token[] {
  try {
    return marked.lexer(src);
  } catch {
    return [{ type: 'html', raw: src, text: src, block: true, pre: false }];
  }
}

/** Renders block tokens to lines, one blank line between blocks. */
export function renderBlocks(tokens: readonly Token[], ctx: RenderContext, gap = true): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    const lines = renderBlock(t, ctx);
    if (lines.length === 0) continue;
    if (gap && out.length > 0) out.push('');
    out.push(...lines);
  }
  return out;
}

/** Renders markdown source to lines. */
export function renderMarkdown(src: string, ctx: RenderContext): string[] {
  return renderBlocks(lex(src), ctx);
}

/** Renders one block token to lines (none for tokens that draw nothing). */
export function renderBlock(t: Token, ctx: RenderContext): string[] {
  const base = ctx.base ?? {};
  switch (t.type) {
    case 'space':
    case 'def':
      return [];
    case 'heading': {
      const h = t as Tokens.Heading;
      const style: Style =
        h.depth === 1
          ? { bold: true, underline: true, fg: FG.magenta }
          : h.depth === 2
            ? { bold: true, fg: FG.magenta }
            : { bold: true };
      return lines(wrapSpans(inlineSpans(h.tokens, merge(base, style)), { width: ctx.width }), ctx.color);
    }
    case 'paragraph':
    case 'text': {
      const p = t as Tokens.Paragraph | Tokens.Text;
      const spans = p.tokens ? inlineSpans(p.tokens, base) : [{ text: p.text, style: base }];
      return lines(wrapSpans(spans, { width: ctx.width }), ctx.color);
    }
    case 'code': {
      const c = t as Tokens.Code;
      const number = ctx.code.next++;
      return [codeRule(number, c.lang ?? '', ctx), ...codeLines(c.text, c.lang ?? '', ctx), codeRule(0, '', ctx)];
    }
    case 'blockquote': {
      const inner = renderBlocks((t as Tokens.Blockquote).tokens, {
        ...ctx,
        width: Math.max(1, ctx.width - 2),
        base: merge(base, { italic: true }),
      });
      const bar = paint('│ ', { dim: true }, ctx.color);
      return inner.map((l) => bar + l);
    }
    case 'list':
      return list(t as Tokens.List, ctx);
    case 'hr':
      return [paint('─'.repeat(ruleWidth(ctx.width)), { dim: true }, ctx.color)];
    case 'table':
      return renderTable(t as Tokens.Table, ctx).lines;
    default: {
      const raw = 'text' in t && typeof t.text === 'string' ? t.text : t.raw;
      const text = raw.replace(/\s+$/, '');
      return text ? lines(wrapSpans([{ text, style: base }], { width: ctx.width }), ctx.color) : [];
    }
  }
}

/** Rows as ANSI lines. */
export function lines(rows: readonly Row[], color: boolean): string[] {
  return rows.map((r) => toAnsi(r.spans, color));
}

function ruleWidth(width: number): number {
  return Math.max(1, Math.min(width, 80));
}

/** The dim rule above a code block ("── code 2 · ts ────"), or below it when `number` is 0. */
export function codeRule(number: number, lang: string, ctx: RenderContext): string {
  const width = ruleWidth(ctx.width);
  if (number === 0) return paint('─'.repeat(width), { dim: true }, ctx.color);
  const label = truncate(`── code ${number}${lang ? ` · ${lang}` : ''} `, width);
  return paint(label + '─'.repeat(Math.max(0, width - displayWidth(label))), { dim: true }, ctx.color);
}

/** Code as lines: highlighted when colour is on and the highlighter has loaded, long lines wrapped. */
export function codeLines(text: string, lang: string, ctx: RenderContext): string[] {
  const code = text.replace(/\t/g, '  ');
  const language = lang.split(/\s/)[0] ?? '';
  let styled = ctx.color ? highlightLines(code, language, ctx.base) : undefined;
  if (!styled) {
    // First code block seen: load the highlighter now (usually ready by the block's next lines).
    if (ctx.color) void loadHighlighter();
    const style = merge(ctx.base ?? {}, { fg: FG.yellow });
    styled = code.split('\n').map((l) => [{ text: l, style }]);
  }
  const out: string[] = [];
  for (const spans of styled) out.push(...lines(wrapCode(spans, ctx.width), ctx.color));
  return out;
}

function list(l: Tokens.List, ctx: RenderContext): string[] {
  const start = typeof l.start === 'number' ? l.start : 1;
  const out: string[] = [];
  l.items.forEach((item, i) => {
    let bullet = l.ordered ? `${start + i}.` : '•';
    if (item.task) bullet = item.checked ? '☑' : '☐';
    const pad = displayWidth(bullet) + 1;
    const body = renderBlocks(item.tokens, { ...ctx, width: Math.max(1, ctx.width - pad) }, item.loose);
    const mark = paint(bullet, { fg: FG.cyan }, ctx.color);
    if (body.length === 0) body.push('');
    body.forEach((line, j) => out.push(j === 0 ? `${mark} ${line}` : line ? ' '.repeat(pad) + line : line));
    if (l.loose && i < l.items.length - 1) out.push('');
  });
  return out;
}

/** A table laid out: its lines, the column widths used, and how many lines its header takes (rule included). */
export interface TableLayout {
  lines: string[];
  widths: number[];
  headerLines: number;
  /** Lines of each body row, in order. */
  rowLines: number[];
}

/**
 * Lays a table out by display width. Columns get their natural width when the table fits; otherwise the widest
 * columns shrink until it does, and cells wrap inside their column. `widths` forces the column widths (the rest of a
 * table whose first rows are already printed); `body` leaves the header out.
 */
export function renderTable(t: Tokens.Table, ctx: RenderContext, opts: { widths?: number[]; body?: boolean } = {}) {
  const base = ctx.base ?? {};
  const head = t.header.map((c) => inlineSpans(c.tokens, merge(base, { bold: true })));
  const rows = t.rows.map((r) => t.header.map((_, i) => (r[i] ? inlineSpans(r[i].tokens, base) : [])));
  const n = head.length;
  const widths = opts.widths ?? fitColumns([head, ...rows], n, ctx.width);
  const sep = paint(' │ ', { dim: true }, ctx.color);
  const drawRow = (cells: Span[][]): string[] => {
    const wrapped = cells.map((c, i) => wrapSpans(c, { width: widths[i] ?? 1 }));
    const height = Math.max(1, ...wrapped.map((w) => w.length));
    const out: string[] = [];
    for (let k = 0; k < height; k++) {
      const parts = wrapped.map((w, i) => {
        const row = w[k];
        const room = (widths[i] ?? 1) - (row?.width ?? 0);
        const text = row ? toAnsi(row.spans, ctx.color) : '';
        const align = t.align[i];
        const left = align === 'right' ? room : align === 'center' ? Math.floor(room / 2) : 0;
        // The last column is not padded on the right: no trailing spaces in copied text.
        const right = i === n - 1 ? 0 : room - left;
        return ' '.repeat(Math.max(0, left)) + text + ' '.repeat(Math.max(0, right));
      });
      out.push(parts.join(sep).replace(/ +$/, ''));
    }
    return out;
  };
  const out: string[] = [];
  let headerLines = 0;
  if (!opts.body) {
    out.push(...drawRow(head));
    out.push(paint(widths.map((w) => '─'.repeat(w)).join('─┼─'), { dim: true }, ctx.color));
    headerLines = out.length;
  }
  const rowLines: number[] = [];
  for (const r of rows) {
    const drawn = drawRow(r);
    rowLines.push(drawn.length);
    out.push(...drawn);
  }
  return { lines: out, widths, headerLines, rowLines } satisfies TableLayout;
}

/** Column widths that fit `width` (separators included), shrinking the widest columns first. */
function fitColumns(cells: Span[][][], n: number, width: number): number[] {
  const natural = Array.from({ length: n }, (_, i) =>
    Math.max(1, ...cells.map((r) => displayWidth((r[i] ?? []).map((s) => s.text).join('')))),
  );
  const room = Math.max(n, width - 3 * (n - 1));
  const widths = [...natural];
  let total = widths.reduce((a, b) => a + b, 0);
  while (total > room) {
    let i = 0;
    for (let j = 1; j < n; j++) if ((widths[j] as number) > (widths[i] as number)) i = j;
    const widest = widths[i] as number;
    if (widest <= 1) break;
    const second = Math.max(0, ...widths.filter((_, j) => j !== i));
    const cut = Math.max(1, Math.min(total - room, widest - second));
    widths[i] = Math.max(1, widest - cut);
    total -= widest - (widths[i] as number);
  }
  return widths;
}

/**
 * The inline tokens of a paragraph as styled spans. With `offset` (the source offset of the paragraph's text), spans
 * of plain top-level text carry their source offset — those are the places a streamed paragraph may be cut.
 */
export function inlineSpans(tokens: readonly Token[] | undefined, base: Style, offset?: number): Span[] {
  const out: Span[] = [];
  let at = offset;
  for (const t of tokens ?? []) {
    if (
      at !== undefined &&
      t.type === 'text' &&
      !('tokens' in t && t.tokens?.length) &&
      t.raw === (t as Tokens.Text).text
    )
      out.push({ text: t.raw, style: base, src: at });
    else inline(t, base, out);
    if (at !== undefined) at += t.raw.length;
  }
  return out;
}

function inline(t: Token, style: Style, out: Span[]): void {
  const nested = (tokens: readonly Token[] | undefined, s: Style): void => {
    for (const c of tokens ?? []) inline(c, s, out);
  };
  switch (t.type) {
    case 'strong':
      return nested((t as Tokens.Strong).tokens, merge(style, { bold: true }));
    case 'em':
      return nested((t as Tokens.Em).tokens, merge(style, { italic: true }));
    case 'del':
      return nested((t as Tokens.Del).tokens, merge(style, { strike: true }));
    case 'codespan':
      out.push({ text: (t as Tokens.Codespan).text, style: merge(style, { fg: FG.cyan }) });
      return;
    case 'link': {
      const l = t as Tokens.Link;
      nested(l.tokens, merge(style, { fg: FG.blue, underline: true }));
      if (l.href && l.href !== l.text) out.push({ text: ` (${l.href})`, style: merge(style, { dim: true }) });
      return;
    }
    case 'image': {
      const im = t as Tokens.Image;
      out.push({ text: `[image: ${im.text || im.href}]`, style: merge(style, { dim: true }) });
      return;
    }
    case 'br':
      out.push({ text: '\n', style });
      return;
    case 'text': {
      const tt = t as Tokens.Text;
      if (tt.tokens?.length) return nested(tt.tokens, style);
      out.push({ text: tt.text, style });
      return;
    }
    default:
      out.push({ text: 'text' in t && typeof t.text === 'string' ? t.text : t.raw, style });
  }
}

/** Inline markdown (a table cell, a one-line note) as spans; used where no block structure is wanted. */
export function inlineMarkdown(src: string, base: Style = {}): Span[] {
  try {
    return inlineSpans(Lexer.lexInline(src), base);
  } catch {
    return [{ text: src, style: base }];
  }
}
