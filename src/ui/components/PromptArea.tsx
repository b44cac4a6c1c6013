/**
 * The bottom of a chat screen: the messages typed ahead (one line each) and the prompt, which stays editable while
 * answers stream. Shared by the single- and multi-agent screens; `layoutPromptArea` says how many rows it takes, so
 * that the live region above it can be sized to keep the whole live output shorter than the terminal.
 */
import { Box, Text } from 'ink';
import { queuedPreview, type EditorState } from '../input.js';
import { Prompt, PROMPT_CHROME_ROWS, promptWindow, type PromptWindow } from './Prompt.js';

/** Queued messages listed by name at most; the rest are counted. */
const QUEUE_SHOWN = 3;

/** How the prompt area fits the screen. */
export interface PromptAreaLayout {
  /** Queued messages listed one per line. */
  shown: number;
  /** Rows of the queue list (its margin and "… and N more" line included). */
  queueRows: number;
  /** Rows of text the prompt may show (it scrolls past them). */
  maxPromptRows: number | undefined;
  /** Rows of the whole area: the queue and the prompt. */
  rows: number;
  /** What the prompt shows (measured here for its height, drawn from it). */
  window?: PromptWindow;
}

/**
 * While a run streams, the live region, the queue and the prompt share the screen, and together they must stay
 * shorter than it (Ink clears and reprints everything otherwise): the queue gets what is left after the live region's
 * minimum (`liveMinRows`) and a one-line prompt, the prompt up to a third of the screen, the live region the rest.
 * At rest the prompt may take the screen but one row. Past its height the prompt scrolls with the cursor.
 */
export function layoutPromptArea(opts: {
  running: boolean;
  editor?: EditorState;
  queued: number;
  width: number;
  rows: number;
  liveMinRows: number;
}): PromptAreaLayout {
  const { running, editor, queued, width, rows, liveMinRows } = opts;
  const spare = running && editor ? rows - liveMinRows - PROMPT_CHROME_ROWS - 1 : Infinity;
  const shown =
    queued === 0 ? 0 : Math.max(0, Math.min(QUEUE_SHOWN, queued, spare - 1 - (queued > QUEUE_SHOWN ? 1 : 0)));
  const queueRows = queued === 0 ? 0 : 1 + shown + (queued > shown ? 1 : 0);
  const maxPromptRows = Math.max(
    1,
    running ? Math.min(Math.floor(rows / 3), spare + 1 - queueRows) : rows - PROMPT_CHROME_ROWS - 1 - queueRows,
  );
  const window = editor ? promptWindow(editor, width, maxPromptRows) : undefined;
  const inputRows = window ? PROMPT_CHROME_ROWS + window.rows : 0;
  return { shown, queueRows, maxPromptRows, rows: queueRows + inputRows, ...(window ? { window } : {}) };
}

/** Props of the prompt area. */
export interface PromptAreaProps {
  layout: PromptAreaLayout;
  /** The prompt being edited; undefined hides it (one-shot runs). */
  editor?: EditorState;
  /** Messages typed ahead, oldest first. */
  queued: readonly string[];
  /** The line under the prompt. */
  hint?: string;
  width: number;
  color: boolean;
}

/** The queued messages, then the prompt. */
export function PromptArea({ layout, editor, queued, hint, width, color }: PromptAreaProps) {
  const { shown, maxPromptRows, window } = layout;
  return (
    <>
      {queued.length > 0 && (
        <Box flexDirection="column" marginTop={1} paddingLeft={2} width={width}>
          {/* Measured in columns, wide characters counted twice, so that each stays on one row. */}
          {queued.slice(0, shown).map((text, i) => (
            <Text key={i} dimColor wrap="truncate-end">
              queued: {queuedPreview(text, width - 10)}
            </Text>
          ))}
          {queued.length > shown && (
            <Text dimColor>
              {shown > 0 ? `… and ${queued.length - shown} more queued` : `${queued.length} messages queued`}
            </Text>
          )}
        </Box>
      )}
      {editor && (
        <Prompt
          editor={editor}
          hint={hint}
          width={width}
          color={color}
          {...(maxPromptRows !== undefined ? { maxRows: maxPromptRows } : {})}
          {...(window ? { window } : {})}
        />
      )}
    </>
  );
}
