/** The input box: the text being typed with a visible cursor, and a hint line under it. */
import { Box, Text } from 'ink';
import type { EditorState } from '../input.js';
import { lineRows } from '../markdown.js';

/** Props of the prompt. */
export interface PromptProps {
  editor: EditorState;
  /** Shown under the box (e.g. "press Ctrl+C again to exit"). */
  hint?: string;
  width: number;
  /** Without colour (NO_COLOR) inverse video is off too, so the cursor is drawn as a block character. */
  color?: boolean;
  /** At most this many rows of text inside the box (the lines around the cursor); unlimited when absent. */
  maxRows?: number;
  /** The window for `maxRows`, when the caller already measured it (see promptWindow). */
  window?: PromptWindow;
}

/** The part of the text the box shows: the lines around the cursor that fit, and how many lines are left out. */
export interface PromptWindow {
  text: string;
  cursor: number;
  rows: number;
  hidden: number;
}

// The border (2 columns), the padding (2) and "❯ " (2).
const CHROME_COLUMNS = 6;
/** Rows of the prompt box around its text: the top margin, two border rows and the hint line. */
export const PROMPT_CHROME_ROWS = 4;

/** The lines of `text` shown in the box: those around the cursor that fit in `maxRows` rows. */
function visibleWindow(text: string, cursor: number, width: number, maxRows: number): PromptWindow {
  const lines = text.split('\n');
  // The cursor drawn after the last character can take a column of its own.
  const rowsOfLine = (i: number): number => lineRows(`${lines[i] as string} `, width);
  const at = text.slice(0, cursor).split('\n').length - 1;
  let first = at;
  let last = at;
  let rows = rowsOfLine(at);
  for (let grew = true; grew;) {
    grew = false;
    if (first > 0 && rows + rowsOfLine(first - 1) <= maxRows) {
      rows += rowsOfLine(--first);
      grew = true;
    }
    if (last < lines.length - 1 && rows + rowsOfLine(last + 1) <= maxRows) {
      rows += rowsOfLine(++last);
      grew = true;
    }
  }
  const offset = lines.slice(0, first).reduce((n, l) => n + l.length + 1, 0);
  return {
    text: lines.slice(first, last + 1).join('\n'),
    cursor: cursor - offset,
    rows,
    hidden: lines.length - 1 - last + first,
  };
}

/** What the box shows of `editor` in `width` columns and at most `maxRows` rows of text. */
export function promptWindow(editor: EditorState, width: number, maxRows = Infinity): PromptWindow {
  return visibleWindow(editor.text, editor.cursor, Math.max(1, width - CHROME_COLUMNS), maxRows);
}

/** The prompt box. */
export function Prompt({ editor, hint, width, color = true, maxRows = Infinity, window }: PromptProps) {
  const shown =
    maxRows === Infinity
      ? { text: editor.text, cursor: editor.cursor, hidden: 0 }
      : (window ?? promptWindow(editor, width, maxRows));
  const { text, cursor } = shown;
  const before = text.slice(0, cursor);
  const at = text.slice(cursor, cursor + 1);
  const after = text.slice(cursor + 1);
  // The cursor over a line break is drawn as a block at the end of that line.
  const cursorChar = at === '' || at === '\n' ? (color ? ' ' : '█') : at;
  const help =
    hint ??
    (width >= 92
      ? '/help for commands · ↑↓ history · alt+enter or \\ for a new line · ctrl+c twice to exit'
      : '/help · ↑↓ history · ctrl+c twice to exit');
  return (
    <Box flexDirection="column" marginTop={1}>
      <Box borderStyle="round" borderColor="cyan" paddingX={1} width={width}>
        {/* Not shrinkable: a wrapping long line would otherwise squeeze the marker to "❯" without its space. */}
        <Box flexShrink={0}>
          <Text color="cyan" bold>
            {'❯ '}
          </Text>
        </Box>
        <Text>
          {before}
          <Text inverse>{cursorChar}</Text>
          {at === '\n' ? '\n' : ''}
          {after}
        </Text>
      </Box>
      <Box paddingLeft={2}>
        <Text dimColor wrap="truncate-end">
          {shown.hidden > 0 ? `${shown.hidden} more ${shown.hidden === 1 ? 'line' : 'lines'} not shown · ` : ''}
          {help}
        </Text>
      </Box>
    </Box>
  );
}
