/** The input box: the text being typed with a visible cursor, and a hint line under it. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { EditorState } from '../input.js';
import { NO_PASTES } from '../paste.js';
import { windowOf, type PromptRow, type PromptWindow } from '../prompt-rows.js';

export type { PromptWindow } from '../prompt-rows.js';

/** Props of the prompt. */
export interface PromptProps {
  editor: EditorState;
  /** Shown under the box (e.g. "press Ctrl+C again to exit"). */
  hint?: string;
  width: number;
  /** Without colour (NO_COLOR) inverse video is off too, so the cursor is drawn as a block character. */
  color?: boolean;
  /** At most this many rows of text inside the box (the rows around the cursor); unlimited when absent. */
  maxRows?: number;
  /** The window for `maxRows`, when the caller already measured it (see promptWindow). */
  window?: PromptWindow;
}

/** Rows of the prompt box around its text: the top margin, two border rows and the hint line. */
export const PROMPT_CHROME_ROWS = 4;

/** What the box shows of `editor` in `width` columns and at most `maxRows` rows of text. */
export function promptWindow(editor: EditorState, width: number, maxRows = Infinity): PromptWindow {
  return windowOf(editor.text, editor.cursor, editor.pastes ?? NO_PASTES, width, maxRows);
}

/** One row of text, laid out beforehand so that it fits: Ink never wraps it, and the prompt is as tall as measured. */
function Row({ row, cursor, color }: { row: PromptRow; cursor: number; color: boolean }) {
  const parts: ReactNode[] = [];
  let plain = '';
  const flush = (): void => {
    if (plain) parts.push(plain);
    plain = '';
  };
  row.cells.forEach((c, i) => {
    if (i === cursor) {
      flush();
      parts.push(
        <Text key={i} inverse>
          {c.kind === 'end' && !color ? '█' : c.text}
        </Text>,
      );
    } else if (c.kind === 'paste') {
      flush();
      parts.push(
        <Text key={i} color="cyan">
          {c.text}
        </Text>,
      );
    } else plain += c.text;
  });
  flush();
  return <Text wrap="truncate-end">{parts}</Text>;
}

/** The prompt box. */
export function Prompt({ editor, hint, width, color = true, maxRows = Infinity, window }: PromptProps) {
  const shown = window ?? promptWindow(editor, width, maxRows);
  const help =
    hint ??
    (width >= 92
      ? '/help for commands · ↑↓ history · alt+enter or \\ for a new line · ctrl+c twice to exit'
      : '/help · ↑↓ history · ctrl+c twice to exit');
  return (
    <Box flexDirection="column" marginTop={1}>
      <Box borderStyle="round" borderColor="cyan" paddingX={1} width={width}>
        {/* Not shrinkable: a long row would otherwise squeeze the marker to "❯" without its space. */}
        <Box flexShrink={0}>
          <Text color="cyan" bold>
            {'❯ '}
          </Text>
        </Box>
        <Box flexDirection="column" flexGrow={1}>
          {shown.lines.map((row, i) => (
            <Row key={i} row={row} cursor={i === shown.cursor.row ? shown.cursor.cell : -1} color={color} />
          ))}
        </Box>
      </Box>
      <Box paddingLeft={2} width={width}>
        <Text dimColor wrap="truncate-end">
          {shown.hidden > 0 ? `${shown.hidden} more ${shown.hidden === 1 ? 'line' : 'lines'} not shown · ` : ''}
          {help}
        </Text>
      </Box>
    </Box>
  );
}
