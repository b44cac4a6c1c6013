/**
 * Display width, the unit of every layout decision: columns on screen, not UTF-16 units. The measures are the prompt's
 * (graphemes.ts: clusters, and `string-width`, the function Ink itself lays text out with), so a line this module says
 * fits is a line Ink draws on one row; styled lines add that SGR codes take no columns.
 */
import { clusters, displayWidth as plainWidth, truncateToWidth } from '../graphemes.js';

const SGR = /\x1b\[[\d;]*m/g;

/** Columns `text` takes on screen (SGR styling takes none). */
export function displayWidth(text: string): number {
  return plainWidth(text.includes('\x1b') ? text.replace(SGR, '') : text);
}

/** The grapheme clusters of `text` (what a cursor or a line break must never split). */
export const graphemes = clusters;

/** `text` cut to at most `max` columns, with "…" when something was cut. */
export const truncate = truncateToWidth;
