/**
 * Markdown → ANSI text for the terminal, built on marked's lexer (no HTML renderer) and chalk. Untrusted text is
 * sanitised first, so nothing the model writes can drive the terminal. Syntax highlighting comes from cli-highlight,
 * loaded lazily (highlight.js is large) so startup stays fast; until it has loaded, code is shown in one colour.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { marked, type Token, type Tokens } from 'marked';
import { sanitize } from '../core/text/sanitize.js';

/** How markdown is rendered. */
export interface MarkdownOptions {
  /** Columns available (rules and code blocks are sized to it). */
  width: number;
  /** Colour (false under NO_COLOR). */
  color: boolean;
}

type Highlight = (code: string, opts: { language?: string; ignoreIllegals?: boolean }) => string;
let highlighter: Highlight | undefined;
let loading: Promise<void> | undefined;

/** Starts loading the syntax highlighter in the background; resolves when it is ready (or failed to load). */
export function loadHighlighter(): Promise<void> {
  loading ??= import('cli-highlight')
    .then((m) => {
      highlighter = m.highlight ?? (m as unknown as { default: { highlight: Highlight } }).default.highlight;
    })
    .catch(() => undefined);
  return loading;
}

const colorChalk = new Chalk({ level: 3 });
const plainChalk = new Chalk({ level: 0 });

/**
 * Index of the last "safe" markdown boundary in `text`, or -1: the start of a blank line outside a code fence that is
 * followed by a line starting in column 0 (an indented line would continue a list item or a quote, and splitting there
 * would render it as a separate block).
 */
export function lastSafeBoundary(text: string): number {
  let fence: string | undefined;
  let best = -1;
  let pos = 0;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    if (nl === -1) break; // the last line is unfinished: never split inside it
    const line = text.slice(pos, nl);
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
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

/** Splits streamed markdown into a finished head (safe to print once) and the live tail. */
export function splitAtSafeBoundary(text: string): { done: string; rest: string } {
  const at = lastSafeBoundary(text);
  if (at <= 0) return { done: '', rest: text };
  const done = text.slice(0, at).replace(/\s+$/, '');
  const rest = text.slice(at).replace(/^\s*\n/, '');
  if (!done.trim()) return { done: '', rest: text };
  return { done, rest };
}

/** Renders markdown to a string with ANSI styling (or plain text when colour is off). */
export function renderMarkdown(markdown: string, opts: MarkdownOptions): string {
  const c = opts.color ? colorChalk : plainChalk;
  const width = Math.max(20, opts.width);
  let tokens: Token[];
  try {
    tokens = marked.lexer(sanitize(markdown));
  } catch {
    return sanitize(markdown);
  }
  return blocks(tokens, c, width, opts.color).replace(/\s+$/, '');
}

function blocks(tokens: readonly Token[], c: ChalkInstance, width: number, color: boolean): string {
  const out: string[] = [];
  for (const t of tokens) {
    const s = block(t, c, width, color);
    if (s !== undefined) out.push(s);
  }
  return out.join('\n\n');
}

function block(t: Token, c: ChalkInstance, width: number, color: boolean): string | undefined {
  switch (t.type) {
    case 'space':
      return undefined;
    case 'heading': {
      const h = t as Tokens.Heading;
      const text = inline(h.tokens, c);
      return h.depth === 1 ? c.bold.underline.magenta(text) : h.depth === 2 ? c.bold.magenta(text) : c.bold(text);
    }
    case 'paragraph':
      return inline((t as Tokens.Paragraph).tokens, c);
    case 'text': {
      const tt = t as Tokens.Text;
      return tt.tokens ? inline(tt.tokens, c) : tt.text;
    }
    case 'code':
      return code(t as Tokens.Code, c, width, color);
    case 'blockquote': {
      const inner = blocks((t as Tokens.Blockquote).tokens, c, width - 2, color);
      return inner
        .split('\n')
        .map((l) => c.dim('│ ') + c.italic(l))
        .join('\n');
    }
    case 'list':
      return list(t as Tokens.List, c, width, color);
    case 'hr':
      return c.dim('─'.repeat(Math.min(width, 60)));
    case 'table':
      return table(t as Tokens.Table, c);
    case 'html':
      return (t as Tokens.HTML).text.replace(/\s+$/, '');
    default:
      return 'raw' in t && typeof t.raw === 'string' ? t.raw.replace(/\s+$/, '') : undefined;
  }
}

function list(l: Tokens.List, c: ChalkInstance, width: number, color: boolean): string {
  const start = typeof l.start === 'number' ? l.start : 1;
  const lines: string[] = [];
  l.items.forEach((item, i) => {
    let bullet = l.ordered ? `${start + i}.` : '•';
    if (item.task) bullet = item.checked ? '☑' : '☐';
    const pad = ' '.repeat(bullet.length + 1);
    const body = blocks(item.tokens, c, width - pad.length, color).replace(/\n\n+/g, item.loose ? '\n\n' : '\n');
    body.split('\n').forEach((line, j) => lines.push(j === 0 ? `${c.cyan(bullet)} ${line}` : line ? pad + line : line));
    if (l.loose && i < l.items.length - 1) lines.push('');
  });
  return lines.join('\n');
}

function code(t: Tokens.Code, c: ChalkInstance, width: number, color: boolean): string {
  const text = t.text.replace(/\t/g, '  ');
  const lang = (t.lang ?? '').split(/\s/)[0] ?? '';
  let body: string;
  if (color && highlighter) {
    try {
      body = highlighter(text, { ...(lang ? { language: lang } : {}), ignoreIllegals: true });
    } catch {
      body = c.yellow(text);
    }
  } else {
    body = color ? c.yellow(text) : text;
    // First code block seen: load the highlighter now (usually ready before the block is finished and printed).
    if (color) void loadHighlighter();
  }
  const top = c.dim('╭─' + (lang ? ` ${lang} ` : '') + '─'.repeat(Math.max(0, Math.min(width, 40) - lang.length - 4)));
  const lines = body.split('\n').map((l) => c.dim('│ ') + l);
  return [top, ...lines, c.dim('╰─')].join('\n');
}

function table(t: Tokens.Table, c: ChalkInstance): string {
  const head = t.header.map((cell) => inline(cell.tokens, c));
  const rows = t.rows.map((r) => r.map((cell) => inline(cell.tokens, c)));
  const widthOf = (s: string): number => visibleLength(s);
  const widths = head.map((h, i) => Math.max(widthOf(h), ...rows.map((r) => widthOf(r[i] ?? ''))));
  const fmt = (cells: string[]): string =>
    cells.map((cell, i) => cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - widthOf(cell)))).join(c.dim(' │ '));
  return [c.bold(fmt(head)), c.dim(widths.map((w) => '─'.repeat(w)).join('─┼─')), ...rows.map(fmt)].join('\n');
}

function inline(tokens: readonly Token[] | undefined, c: ChalkInstance): string {
  if (!tokens) return '';
  let s = '';
  for (const t of tokens) {
    switch (t.type) {
      case 'strong':
        s += c.bold(inline((t as Tokens.Strong).tokens, c));
        break;
      case 'em':
        s += c.italic(inline((t as Tokens.Em).tokens, c));
        break;
      case 'del':
        s += c.strikethrough(inline((t as Tokens.Del).tokens, c));
        break;
      case 'codespan':
        s += c.cyan((t as Tokens.Codespan).text);
        break;
      case 'link': {
        const l = t as Tokens.Link;
        const text = inline(l.tokens, c);
        s += l.href && l.href !== l.text ? `${c.blue.underline(text)} ${c.dim(`(${l.href})`)}` : c.blue.underline(text);
        break;
      }
      case 'image': {
        const im = t as Tokens.Image;
        s += c.dim(`[image: ${im.text || im.href}]`);
        break;
      }
      case 'br':
        s += '\n';
        break;
      case 'text': {
        const tt = t as Tokens.Text;
        s += tt.tokens ? inline(tt.tokens, c) : tt.text;
        break;
      }
      case 'escape':
      case 'html':
      default:
        s += 'text' in t && typeof t.text === 'string' ? t.text : t.raw;
    }
  }
  return s;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** Printed width of a styled string (ANSI colour codes do not count). */
export function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

/**
 * Rows one line takes when word-wrapped at `width` the way Ink wraps text (greedy by word, over-long words cut hard).
 * Counting words, not characters, matters: a character count under-estimates and the live region would outgrow the
 * terminal, which makes Ink clear the screen and reprint everything.
 */
export function lineRows(line: string, width: number): number {
  const w = Math.max(1, width);
  const plain = line.replace(ANSI, '');
  if (plain.length <= w) return 1;
  let rows = 1;
  let col = 0;
  for (const word of plain.split(' ')) {
    const len = word.length;
    if (col === 0) {
      col = len;
    } else if (col + 1 + len <= w) {
      col += 1 + len;
      continue;
    } else {
      rows++;
      col = len;
    }
    while (col > w) {
      rows++;
      col -= w;
    }
  }
  return rows;
}

/** How many terminal rows `text` takes at `width` columns. */
export function rowsOf(text: string, width: number): number {
  let rows = 0;
  for (const line of text.split('\n')) rows += lineRows(line, width);
  return rows;
}

/** The last lines of `text` that fit in `maxRows` rows at `width`, and how many lines were left out. */
export function tailRows(text: string, maxRows: number, width: number): { text: string; hidden: number } {
  const lines = text.split('\n');
  let rows = 0;
  let i = lines.length;
  while (i > 0) {
    const r = lineRows(lines[i - 1] as string, width);
    if (rows + r > maxRows && i < lines.length) break;
    rows += r;
    i--;
  }
  return { text: lines.slice(i).join('\n'), hidden: i };
}
