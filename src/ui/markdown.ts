/**
 * Rows of text that Ink itself wraps (the prompt box): greedy by word, over-long words cut hard, measured in display
 * columns. Everything the chat prints or streams is laid out in layout/ instead, where rows are counted exactly.
 */
import { displayWidth } from './layout/width.js';

/** Rows one line takes when Ink word-wraps it at `width` columns. */
export function lineRows(line: string, width: number): number {
  const w = Math.max(1, width);
  if (displayWidth(line) <= w) return 1;
  let rows = 1;
  let col = 0;
  for (const word of line.split(' ')) {
    const len = displayWidth(word);
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

/** How many rows `text` takes at `width` columns. */
export function rowsOf(text: string, width: number): number {
  let rows = 0;
  for (const line of text.split('\n')) rows += lineRows(line, width);
  return rows;
}
