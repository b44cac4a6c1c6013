/**
 * The prompt's text laid out in terminal rows: every grapheme a cell of its display width (a paste placeholder a cell
 * as wide as its label, a tab four columns), each line word-wrapped at the box's inner width, and a cell after each
 * line's end for the cursor. The prompt draws exactly these rows, one `<Text>` each, so the row count that the live
 * region above it is sized from (`layoutPromptArea`) is the number of rows on screen. ↑/↓ move by these rows too.
 */
import { clusterWidth, displayWidth, truncateToWidth } from './graphemes.js';
import { editClusters, hasPlaceholder, isPlaceholder, pasteLabel, type Pastes } from './paste.js';

/** One grapheme of the prompt as drawn. */
export interface PromptCell {
  /** Where it is in its line of the editor's text (start = end for the cell after the line's end). */
  start: number;
  end: number;
  /** What is drawn: the grapheme, a placeholder's label, spaces for a tab, a visible stand-in for an invisible one. */
  text: string;
  width: number;
  kind: 'text' | 'paste' | 'end';
}

/** One terminal row of the prompt. */
export interface PromptRow {
  /** Where the row's line starts in the editor's text (the cells' offsets are from there). */
  offset: number;
  cells: readonly PromptCell[];
}

/** The part of the prompt the box shows: the rows around the cursor that fit, and how many rows are left out. */
export interface PromptWindow {
  /** Rows shown. */
  rows: number;
  /** Rows not shown (above and below). */
  hidden: number;
  lines: PromptRow[];
  /** The cursor's row in `lines` and cell in that row. */
  cursor: { row: number; cell: number };
}

/** Columns of the box around the text: the border (2), the padding (2) and "❯ " (2). */
export const PROMPT_CHROME_COLUMNS = 6;
const TAB = '    ';

/** Columns the prompt's text gets in a terminal `width` columns wide. */
export function promptTextWidth(width: number): number {
  return Math.max(1, width - PROMPT_CHROME_COLUMNS);
}

function cell(cluster: string, start: number, pastes: Pastes, width: number): PromptCell {
  const end = start + cluster.length;
  if (isPlaceholder(cluster)) {
    const content = pastes[cluster];
    const label = truncateToWidth(content === undefined ? '[paste]' : pasteLabel(content), width);
    return { start, end, text: label, width: displayWidth(label), kind: 'paste' };
  }
  if (cluster === '\t') return { start, end, text: TAB, width: TAB.length, kind: 'text' };
  let text = cluster;
  let w = clusterWidth(cluster);
  // Nothing a terminal would draw (a lone combining mark, a joiner, a control character): a visible stand-in keeps the
  // cursor on something and leaves the border alone.
  if (w === 0) {
    text = /^\p{M}/u.test(cluster) ? `◌${cluster}` : '·';
    w = displayWidth(text);
  }
  if (w > width) {
    text = truncateToWidth(text, width) || '…';
    w = displayWidth(text);
  }
  return { start, end, text, width: w, kind: 'text' };
}

/** One line's cells word-wrapped into rows of at most `width` columns. */
function wrapLine(cells: PromptCell[], width: number): PromptCell[][] {
  const rows: PromptCell[][] = [];
  let from = 0;
  let used = 0;
  // Where the current row may break: just after its last space.
  let breakAt = -1;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i] as PromptCell;
    while (i > from && used + c.width > width) {
      const cut = breakAt > from && breakAt < i ? breakAt : i;
      rows.push(cells.slice(from, cut));
      from = cut;
      used = 0;
      for (let j = from; j < i; j++) used += (cells[j] as PromptCell).width;
      breakAt = -1;
    }
    used += c.width;
    if (c.text === ' ') breakAt = i + 1;
  }
  rows.push(cells.slice(from));
  return rows;
}

/**
 * The rows of one line. Lines are cached (without placeholders, whose labels depend on the pastes): a long prompt is
 * laid out on every key press, and only the line being edited changes.
 */
const lineCache = new Map<string, PromptCell[][]>();
const LINE_CACHE_MAX = 4096;
function lineRows(line: string, pastes: Pastes, width: number): PromptCell[][] {
  const key = hasPlaceholder(line) ? undefined : `${width}\u0000${line}`;
  const cached = key === undefined ? undefined : lineCache.get(key);
  if (cached) return cached;
  const cells: PromptCell[] = [];
  let at = 0;
  for (const c of editClusters(line)) {
    cells.push(cell(c, at, pastes, width));
    at += c.length;
  }
  cells.push({ start: at, end: at, text: ' ', width: 1, kind: 'end' });
  const rows = wrapLine(cells, width);
  if (key !== undefined) {
    if (lineCache.size >= LINE_CACHE_MAX) lineCache.clear();
    lineCache.set(key, rows);
  }
  return rows;
}

let memo: { text: string; pastes: Pastes; width: number; rows: PromptRow[] } | undefined;

/** Every row of `text` at `width` columns (the last computed layout is reused: the prompt lays out on every frame). */
export function promptRows(text: string, pastes: Pastes, width: number): PromptRow[] {
  if (memo && memo.text === text && memo.pastes === pastes && memo.width === width) return memo.rows;
  const w = Math.max(1, width);
  const rows: PromptRow[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    for (const cells of lineRows(line, pastes, w)) rows.push({ offset, cells });
    offset += line.length + 1;
  }
  memo = { text, pastes, width, rows };
  return rows;
}

/** The row and cell the cursor at `offset` is on (the cell starting there; offsets are always cell starts). */
export function locate(rows: readonly PromptRow[], offset: number): { row: number; cell: number } {
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as PromptRow;
    const at = offset - row.offset;
    const last = row.cells[row.cells.length - 1];
    if (!last || last.start < at) continue;
    const i = row.cells.findIndex((c) => c.start >= at);
    if (i !== -1) return { row: r, cell: i };
  }
  const r = rows.length - 1;
  return { row: r, cell: Math.max(0, (rows[r]?.cells.length ?? 1) - 1) };
}

/** The column where a cell starts in its row. */
export function columnOf(row: PromptRow, cellIndex: number): number {
  let col = 0;
  for (let i = 0; i < cellIndex; i++) col += (row.cells[i] as PromptCell).width;
  return col;
}

/**
 * The text offset of the cell on `row` that covers column `col` (the row's last cell when the row is shorter: a
 * wrapped row's end is where the next row starts).
 */
export function offsetAtColumn(row: PromptRow, col: number): number {
  let at = 0;
  for (const c of row.cells) {
    if (at + c.width > col) return row.offset + c.start;
    at += c.width;
  }
  return row.offset + (row.cells[row.cells.length - 1] as PromptCell).start;
}

/** What the box shows of `text` at `width` columns (the box's, not the text's) in at most `maxRows` rows of text. */
export function windowOf(
  text: string,
  cursor: number,
  pastes: Pastes,
  width: number,
  maxRows = Infinity,
): PromptWindow {
  const all = promptRows(text, pastes, promptTextWidth(width));
  const at = locate(all, cursor);
  const max = Math.max(1, maxRows);
  if (all.length <= max) return { rows: all.length, hidden: 0, lines: all, cursor: at };
  // The cursor's row in the middle where it can be, so that the rows around it show in both directions.
  const first = Math.min(Math.max(0, at.row - Math.floor((max - 1) / 2)), all.length - max);
  return {
    rows: max,
    hidden: all.length - max,
    lines: all.slice(first, first + max),
    cursor: { row: at.row - first, cell: at.cell },
  };
}
