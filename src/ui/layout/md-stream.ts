/**
 * A streamed markdown answer, split into what is final — printed once, into the terminal's scrollback — and a small
 * live tail. What is final is decided at the finest point that cannot change any more:
 *
 * - blocks that ended (a blank line, then a line in column 0, outside a code fence);
 * - a paragraph's wrapped rows but the last: greedy wrapping never revisits a finished row, and the text from a row's
 *   first character wraps into exactly the rows that followed it, so printing stops there and the rest is rendered
 *   on its own. Rows are not cut at an inline marker that has not closed yet (`**bold…`: printed now, it would show
 *   the asterisks), unless it stays open for more than a few rows (then it was a literal asterisk after all);
 * - a code block's complete lines (under a rule printed when the fence opened);
 * - a list's items but the last;
 * - a table once complete, or, when it grows taller than half the screen, its rows so far: the column widths are
 *   then fixed and later rows wrap inside them.
 *
 * Everything else stays live; the live region draws its tail if it is still too tall (see live.ts), and prints it
 * whole once the block ends.
 */
import type { Token, Tokens } from 'marked';
import type { Span, Style } from './style.js';
import {
  codeLines,
  codeRule,
  inlineSpans,
  lex,
  lines,
  renderBlock,
  renderTable,
  type RenderContext,
} from './markdown.js';
import { wrapSpans, type Row } from './wrap.js';

/** How the unprinted source begins. */
export type StreamContext =
  /** At a block start; `cont` when that block continues one partly printed (a list whose first items are printed). */
  | { kind: 'block'; cont: boolean }
  /** In the middle of a paragraph, at the first character of a row. */
  | { kind: 'paragraph' }
  /** Inside a code fence whose rule and first lines are printed. */
  | { kind: 'code'; fence: string; lang: string }
  /** Body rows of a table whose header and first rows are printed with these column widths. */
  | { kind: 'table'; head: string; widths: number[] };

/** A streamed markdown text: the source not printed yet and where it stands. */
export interface MdStream {
  src: string;
  ctx: StreamContext;
  /** A blank line goes before the next block that starts (something was printed before it). */
  gap: boolean;
  /** Code blocks numbered so far. */
  codeCount: number;
}

/** What the stream is laid out for. */
export interface StreamLayout {
  width: number;
  /** Terminal rows (a table stays live while it takes at most half of them). */
  rows: number;
  color: boolean;
  /** Style every span starts from (reasoning is dim and italic). */
  base?: Style;
}

/** One step of a stream: its new state, the lines to print now, and the live lines (what is not final yet). */
export interface StreamStep {
  stream: MdStream;
  commit: string[];
  live: string[];
}

/** Rows a paragraph keeps live while an inline marker is open, before it gives up waiting for the closing one. */
const HOLD_ROWS = 3;
/** Marks a source that continues a paragraph, so that the lexer cannot read its first word as a block start. */
const MARK = '\u200b';
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
/** A line that, at a row start, could begin a block of its own (it would not be read as paragraph text on its own). */
const BLOCK_START = /^ {0,3}(?:[-*+](?:\s|$)|\d{1,9}[.)](?:\s|$)|#{1,6}(?:\s|$)|>|`{3}|~{3}|[-=_*]{2,}\s*$|<|\|)/;

/** A stream with nothing in it yet; `gap` when the first block needs a blank line above it. */
export function newStream(gap = true): MdStream {
  return { src: '', ctx: { kind: 'block', cont: false }, gap, codeCount: 0 };
}

/** The stream with `text` appended and what became final split off. */
export function advanceStream(stream: MdStream, text: string, layout: StreamLayout): StreamStep {
  const step = new Step({ ...stream, src: stream.src + text }, layout);
  step.run(false);
  return { stream: step.s, commit: step.commit, live: step.live() };
}

/** Everything left, as lines to print (the answer ended). */
export function finishStream(stream: MdStream, layout: StreamLayout): { stream: MdStream; commit: string[] } {
  const step = new Step({ ...stream }, layout);
  step.run(true);
  return { stream: step.s, commit: step.commit };
}

/** Index of the last safe boundary in `text` (see the module comment), or -1. */
export function lastSafeBoundary(text: string): number {
  let fence: string | undefined;
  let best = -1;
  let pos = 0;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    if (nl === -1) break; // the last line is unfinished: never split inside it
    const line = text.slice(pos, nl);
    const m = FENCE.exec(line);
    if (fence) {
      if (m && m[1]?.[0] === fence[0] && (m[1]?.length ?? 0) >= fence.length && line.trim() === m[1]) fence = undefined;
    } else if (m) {
      fence = m[1];
    } else if (line.trim() === '' && pos > 0 && /\S/.test(text[nl + 1] ?? ' ')) {
      best = pos;
    }
    pos = nl + 1;
  }
  return best;
}

interface Placed {
  token: Token;
  /** Source offset of the token's raw text. */
  at: number;
}

class Step {
  commit: string[] = [];
  private lexed: { view: string; placed: Placed[] } | undefined;
  constructor(
    public s: MdStream,
    private readonly layout: StreamLayout,
  ) {}

  private ctx(): RenderContext {
    const code = { next: this.s.codeCount + 1 };
    return {
      width: this.layout.width,
      color: this.layout.color,
      code,
      ...(this.layout.base ? { base: this.layout.base } : {}),
    };
  }

  /** Prints `out`; a block that starts (not `continuing` one already printed) gets the blank line above it. */
  private emit(out: readonly string[], continuing: boolean): void {
    if (out.length === 0) return;
    if (!continuing && this.s.gap) this.commit.push('');
    this.commit.push(...out);
    this.s.gap = true;
  }

  /** Renders whole blocks with the code-block numbering of this stream. */
  private blocks(tokens: readonly Token[], continuing: boolean): string[] {
    const ctx = this.ctx();
    const out: string[] = [];
    for (const t of tokens) {
      const l = renderBlock(t, ctx);
      if (l.length === 0) continue;
      if (out.length > 0 || (!continuing && this.s.gap)) out.push('');
      out.push(...l);
    }
    this.s.codeCount = ctx.code.next - 1;
    return out;
  }

  private emitBlocks(tokens: readonly Token[], continuing: boolean): void {
    const out = this.blocks(tokens, continuing);
    if (out.length === 0) return;
    this.commit.push(...out);
    this.s.gap = true;
  }

  run(finish: boolean): void {
    for (let guard = 0; guard < 1000; guard++) {
      const ctx = this.s.ctx;
      if (ctx.kind === 'code') {
        if (!this.code(ctx, finish)) return;
      } else if (ctx.kind === 'table') {
        if (!this.table(ctx, finish)) return;
      } else if (!this.text(finish)) return;
    }
  }

  /** Inside a fence: print the complete lines; true when the fence closed (the rest is a new block). */
  private code(ctx: Extract<StreamContext, { kind: 'code' }>, finish: boolean): boolean {
    const src = this.s.src;
    let pos = 0;
    const done: string[] = [];
    for (;;) {
      const nl = src.indexOf('\n', pos);
      if (nl === -1) break;
      const line = src.slice(pos, nl);
      const m = FENCE.exec(line);
      if (m && m[1]?.[0] === ctx.fence[0] && (m[1]?.length ?? 0) >= ctx.fence.length && line.trim() === m[1]) {
        this.emit([...this.codeText(done, ctx.lang), codeRule(0, '', this.ctx())], true);
        this.s = { ...this.s, src: src.slice(nl + 1), ctx: { kind: 'block', cont: false } };
        return true;
      }
      done.push(line);
      pos = nl + 1;
    }
    const partial = src.slice(pos);
    if (finish) {
      if (partial) done.push(partial);
      this.emit([...this.codeText(done, ctx.lang), codeRule(0, '', this.ctx())], true);
      this.s = { ...this.s, src: '', ctx: { kind: 'block', cont: false } };
      return false;
    }
    this.emit(this.codeText(done, ctx.lang), true);
    this.s = { ...this.s, src: partial };
    return false;
  }

  private codeText(code: readonly string[], lang: string): string[] {
    return code.length ? codeLines(code.join('\n'), lang, this.ctx()) : [];
  }

  /** Body rows of a table printed in part; true when the table ended (the rest is a new block). */
  private table(ctx: Extract<StreamContext, { kind: 'table' }>, finish: boolean): boolean {
    const src = this.s.src;
    let pos = 0;
    let ended = -1;
    for (;;) {
      const nl = src.indexOf('\n', pos);
      if (nl === -1) break;
      const line = src.slice(pos, nl);
      if (line.trim() === '' || !line.includes('|')) {
        ended = pos;
        break;
      }
      pos = nl + 1;
    }
    if (ended === -1 && !finish) {
      this.emit(this.tableRows(ctx, src.slice(0, pos)), true);
      this.s = { ...this.s, src: src.slice(pos) };
      return false;
    }
    const upTo = ended === -1 ? src.length : ended;
    this.emit(this.tableRows(ctx, src.slice(0, upTo)), true);
    this.s = { ...this.s, src: src.slice(upTo), ctx: { kind: 'block', cont: false } };
    return ended !== -1;
  }

  tableRows(ctx: Extract<StreamContext, { kind: 'table' }>, rows: string): string[] {
    if (!rows.trim()) return [];
    const t = lex(ctx.head + rows).find((x) => x.type === 'table') as Tokens.Table | undefined;
    if (!t)
      return lines(wrapSpans([{ text: rows.replace(/\n$/, ''), style: {} }], { width: this.layout.width }), false);
    return renderTable(t, this.ctx(), { widths: ctx.widths, body: true }).lines;
  }

  /** The source as blocks (at a block start, or continuing a paragraph). */
  private placed(): Placed[] {
    const para = this.s.ctx.kind === 'paragraph';
    const view = para ? MARK + this.s.src : this.s.src;
    // The same source is placed twice in a step (what to print, then what stays live): lex it once.
    if (this.lexed?.view === view) return this.lexed.placed;
    const out: Placed[] = [];
    let at = para ? -1 : 0;
    for (const t of lex(view)) {
      out.push({ token: out.length === 0 && para ? unmark(t) : t, at: Math.max(0, at) });
      at += t.raw.length;
    }
    this.lexed = { view, placed: out };
    return out;
  }

  /** Paragraphs, lists, tables and the rest; true when the source moved into a code fence or a table. */
  private text(finish: boolean): boolean {
    const ctx = this.s.ctx;
    let continuing = ctx.kind === 'paragraph' || (ctx.kind === 'block' && ctx.cont);
    // Whole blocks first: everything before the last safe boundary.
    if (!finish) {
      const para = ctx.kind === 'paragraph';
      const view = para ? MARK + this.s.src : this.s.src;
      const at = lastSafeBoundary(view);
      if (at > 0) {
        // Lexed on their own: the boundary ends every block before it (a loose list's items too).
        const head = lex(view.slice(0, at));
        if (para && head[0]) head[0] = unmark(head[0]);
        this.emitBlocks(head, continuing);
        const cut = at - (para ? 1 : 0);
        this.s = {
          ...this.s,
          src: this.s.src.slice(cut).replace(/^(?:[ \t]*\n)+/, ''),
          ctx: { kind: 'block', cont: false },
        };
        continuing = false;
      }
    }
    const placed = this.placed().filter((p) => p.token.type !== 'space');
    if (finish) {
      this.emitBlocks(
        placed.map((p) => p.token),
        continuing,
      );
      this.s = { ...this.s, src: '', ctx: { kind: 'block', cont: false } };
      return false;
    }
    if (placed.length === 0) return false;
    const last = placed[placed.length - 1] as Placed;
    let at = last.at;
    if (placed.length > 1) {
      this.emitBlocks(
        placed.slice(0, -1).map((p) => p.token),
        continuing,
      );
      this.s = { ...this.s, src: this.s.src.slice(at), ctx: { kind: 'block', cont: false } };
      continuing = false;
      at = 0;
    }
    switch (last.token.type) {
      case 'paragraph':
        this.paragraph(last.token as Tokens.Paragraph, at, continuing);
        return false;
      case 'code':
        return this.openCode(last.token as Tokens.Code, at, continuing);
      case 'list':
        this.listItems(last.token as Tokens.List, at, continuing);
        return false;
      case 'table':
        return this.tableStart(last.token as Tokens.Table, at, continuing);
      default:
        return false;
    }
  }

  /** Prints a paragraph's finished rows (see the module comment). */
  private paragraph(p: Tokens.Paragraph, at: number, continuing: boolean): void {
    const textAt = at + Math.max(0, p.raw.indexOf(p.text));
    const spans = inlineSpans(p.tokens, this.layout.base ?? {}, textAt);
    const rows = wrapSpans(spans, { width: this.layout.width });
    if (rows.length < 2) return;
    const lastRow = rows.length - 1;
    let limit = lastRow;
    // The line being written could still turn into a table's header row: none of its rows goes yet.
    const lastLine = p.text.lastIndexOf('\n') + 1;
    if (p.text.slice(lastLine).includes('|')) limit = Math.min(limit, rowOf(rows, textAt + lastLine));
    const opener = openMarker(spans);
    if (opener !== -1) limit = Math.min(limit, Math.max(rowOf(rows, opener), lastRow - HOLD_ROWS));
    let r = limit;
    while (r >= 1 && !cuttable(rows, r, p.text, textAt)) r--;
    if (r < 1) return;
    this.emit(lines(rows.slice(0, r), this.layout.color), continuing);
    this.s = { ...this.s, src: this.s.src.slice((rows[r] as Row).start), ctx: { kind: 'paragraph' } };
  }

  /** A fence whose opening line is complete: its rule and complete lines are printed, the rest streams as code. */
  private openCode(c: Tokens.Code, at: number, continuing: boolean): boolean {
    const nl = c.raw.indexOf('\n');
    const fence = FENCE.exec(c.raw)?.[1];
    if (nl === -1 || !fence || c.codeBlockStyle === 'indented') return false;
    if (isClosed(c.raw, fence)) {
      this.emitBlocks([c], continuing);
      this.s = { ...this.s, src: this.s.src.slice(at + c.raw.length), ctx: { kind: 'block', cont: false } };
      return true;
    }
    const number = this.s.codeCount + 1;
    this.s.codeCount = number;
    this.emit([codeRule(number, c.lang ?? '', this.ctx())], continuing);
    this.s = { ...this.s, src: this.s.src.slice(at + nl + 1), ctx: { kind: 'code', fence, lang: c.lang ?? '' } };
    return true;
  }

  /** Prints a list's items but the last (numbering carries on: the lexer reads "3." as a list starting at 3). */
  private listItems(l: Tokens.List, at: number, continuing: boolean): void {
    if (l.items.length < 2) return;
    const head = l.items.slice(0, -1);
    const headRaw = head.map((i) => i.raw).join('');
    if (!l.raw.startsWith(headRaw)) return;
    this.emitBlocks([{ ...l, items: head, raw: headRaw }], continuing);
    this.s = { ...this.s, src: this.s.src.slice(at + headRaw.length), ctx: { kind: 'block', cont: true } };
  }

  /** A table taller than half the screen: its header and complete rows are printed and its column widths fixed. */
  private tableStart(t: Tokens.Table, at: number, continuing: boolean): boolean {
    if (renderTable(t, this.ctx()).lines.length <= Math.max(4, Math.floor(this.layout.rows / 2))) return false;
    // The columns are fixed from here on: give them room for the somewhat wider cells of the rows still to come.
    const layout = renderTable(t, this.ctx(), {
      widths: roomier(renderTable(t, this.ctx()).widths, this.layout.width),
    });
    const raw = t.raw;
    const complete = raw.endsWith('\n') ? t.rows.length : t.rows.length - 1;
    const headEnd = nthLineEnd(raw, 2);
    if (complete < 1 || headEnd === -1) return false;
    let printed = layout.headerLines;
    for (let i = 0; i < complete; i++) printed += layout.rowLines[i] ?? 0;
    let rowsEnd = headEnd;
    for (let i = 0; i < complete; i++) rowsEnd = raw.indexOf('\n', rowsEnd) + 1;
    this.emit(layout.lines.slice(0, printed), continuing);
    this.s = {
      ...this.s,
      src: this.s.src.slice(at + rowsEnd),
      ctx: { kind: 'table', head: raw.slice(0, headEnd), widths: layout.widths },
    };
    return true;
  }

  /** The lines of what is not printed. */
  live(): string[] {
    const ctx = this.s.ctx;
    if (!this.s.src) return [];
    if (ctx.kind === 'code') return this.codeText([this.s.src], ctx.lang);
    if (ctx.kind === 'table') return this.tableRows(ctx, this.s.src);
    // A fence whose opening line is still being written draws nothing yet.
    const tokens = this.placed()
      .map((p) => p.token)
      .filter((t) => t.type !== 'code' || t.raw.includes('\n'));
    const saved = this.s.codeCount;
    const out = this.blocks(tokens, ctx.kind === 'paragraph' || ctx.cont);
    this.s.codeCount = saved;
    return out;
  }
}

/** Whether rows may be cut before row `r`: it starts with verbatim source, and not with a line that is a block start. */
function cuttable(rows: readonly Row[], r: number, text: string, textAt: number): boolean {
  const start = rows[r]?.start;
  if (start === undefined) return false;
  const i = start - textAt;
  if (i > 0 && text[i - 1] !== '\n') return true;
  const lineEnd = text.indexOf('\n', i);
  return !BLOCK_START.test(text.slice(i, lineEnd === -1 ? undefined : lineEnd));
}

/** The last row that starts at or before source offset `at`. */
function rowOf(rows: readonly Row[], at: number): number {
  let r = 0;
  for (let i = 0; i < rows.length; i++) {
    const start = rows[i]?.start;
    if (start !== undefined && start <= at) r = i;
  }
  return r;
}

const OPENER = /`|\[|<[a-zA-Z/]|~~|(?:^|[^\p{L}\p{N}])[*_]+(?=[^\s*_])/u;

/**
 * Source offset of the first inline marker that may still be waiting for its closing one, or -1. A marker that closed
 * is a styled span by now; one that has not is literal text: a backtick, `[`, `<` before a letter or `/`, `~~`, or
 * `*`/`_` opening a word (not `2 * 3`, not snake_case).
 */
export function openMarker(spans: readonly Span[]): number {
  for (const s of spans) {
    if (s.src === undefined) continue;
    const m = OPENER.exec(s.text);
    if (m) return s.src + m.index + Math.max(0, m[0].search(/[*_`[<~]/));
  }
  return -1;
}

/** Column widths grown by up to half each (at least 2 columns) while the table still fits `width`. */
function roomier(widths: readonly number[], width: number): number[] {
  let spare = width - 3 * (widths.length - 1) - widths.reduce((a, b) => a + b, 0);
  return widths.map((w) => {
    const extra = Math.max(0, Math.min(spare, Math.max(2, Math.ceil(w / 2))));
    spare -= extra;
    return w + extra;
  });
}

function isClosed(raw: string, fence: string): boolean {
  const body = raw.replace(/\n$/, '');
  const nl = body.lastIndexOf('\n');
  if (nl === -1) return false;
  const last = body.slice(nl + 1);
  const m = FENCE.exec(last);
  return !!m && m[1]?.[0] === fence[0] && (m[1]?.length ?? 0) >= fence.length && last.trim() === m[1];
}

function nthLineEnd(text: string, n: number): number {
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const nl = text.indexOf('\n', pos);
    if (nl === -1) return -1;
    pos = nl + 1;
  }
  return pos;
}

/** A token lexed from a marked continuation, without the mark. */
function unmark(t: Token): Token {
  if (!t.raw.startsWith(MARK)) return t;
  const copy = { ...t, raw: t.raw.slice(1) } as Token & { text?: string; tokens?: Token[] };
  if (typeof copy.text === 'string' && copy.text.startsWith(MARK)) copy.text = copy.text.slice(1);
  if (copy.tokens?.[0]) copy.tokens = [unmark(copy.tokens[0]), ...copy.tokens.slice(1)];
  return copy;
}
