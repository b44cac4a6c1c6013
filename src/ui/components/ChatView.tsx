/**
 * The whole chat screen for a given state: history once through <Static>, then the live run (if any), the messages
 * typed ahead, and the prompt, which stays editable while an answer streams.
 */
import { Box, Static, Text } from 'ink';
import { useMemo } from 'react';
import { queuedPreview, type EditorState } from '../input.js';
import type { UiState } from '../state.js';
import { HistoryItemView } from './HistoryItemView.js';
import { LiveRegion } from './LiveRegion.js';
import { Prompt, promptRows } from './Prompt.js';

/** Props of the chat screen. */
export interface ChatViewProps {
  state: UiState;
  /** Bumped after a terminal resize so the whole history is printed again at the new width. */
  layoutEpoch?: number;
  /** The prompt being edited; undefined hides the input (one-shot runs). */
  editor?: EditorState;
  /** Messages typed ahead while a run streams, sent one by one when it ends. */
  queued?: readonly string[];
  hint?: string;
  now: number;
  width: number;
  rows: number;
  color: boolean;
  showReasoning: boolean;
}

/** Queued messages listed by name at most; the rest are counted. */
const QUEUE_SHOWN = 3;
/** Rows the live region needs at least: the progress line and a few rows of the answer (see LiveRegion). */
const LIVE_MIN_ROWS = 7;
const PROMPT_CHROME_ROWS = 4;
const RUNNING_HINT = 'enter queues a message, sent when this answer ends · esc cancels';

/** The chat screen. */
export function ChatView({ state, layoutEpoch = 0, editor, queued = [], hint, now, width, rows, color, showReasoning }: ChatViewProps) {
  const running = state.run !== null;
  // While a run streams, the live region, the queue and the prompt share the screen, and together they must stay
  // shorter than it (Ink clears and reprints everything otherwise): the queue gets what is left after the live
  // region's minimum and a one-line prompt, the prompt up to a third of the screen, the live region the rest.
  const spare = running && editor ? rows - LIVE_MIN_ROWS - PROMPT_CHROME_ROWS - 1 : Infinity;
  const shown = queued.length === 0 ? 0 : Math.max(0, Math.min(QUEUE_SHOWN, queued.length, spare - 1 - (queued.length > QUEUE_SHOWN ? 1 : 0)));
  const queueRows = queued.length === 0 ? 0 : 1 + shown + (queued.length > shown ? 1 : 0);
  const maxPromptRows = running ? Math.max(1, Math.min(Math.floor(rows / 3), spare + 1 - queueRows)) : undefined;
  const inputRows = editor ? promptRows(editor, width, maxPromptRows) : 0;
  // The same element while the history is unchanged, so React skips <Static> on a key press or a clock tick: every
  // re-render of it marks Ink's static output dirty, which forces an immediate, unthrottled frame.
  const history = useMemo(
    () => (
      <Static key={`${state.epoch}:${layoutEpoch}`} items={state.history}>
        {(item) => (
          <Box key={item.id} flexDirection="column" width={width}>
            <HistoryItemView item={item} width={width} color={color} showReasoning={showReasoning} />
          </Box>
        )}
      </Static>
    ),
    [state.epoch, layoutEpoch, state.history, width, color, showReasoning],
  );
  return (
    <Box flexDirection="column">
      {history}
      {state.run && <LiveRegion run={state.run} now={now} width={width} rows={rows - inputRows - queueRows} color={color} showReasoning={showReasoning} />}
      {queued.length > 0 && (
        <Box flexDirection="column" marginTop={1} paddingLeft={2} width={width}>
          {queued.slice(0, shown).map((text, i) => (
            <Text key={i} dimColor wrap="truncate-end">
              queued: {queuedPreview(text, width - 10)}
            </Text>
          ))}
          {queued.length > shown && <Text dimColor>{shown > 0 ? `… and ${queued.length - shown} more queued` : `${queued.length} messages queued`}</Text>}
        </Box>
      )}
      {editor && <Prompt editor={editor} hint={hint ?? (running ? RUNNING_HINT : undefined)} width={width} color={color} {...(maxPromptRows !== undefined ? { maxRows: maxPromptRows } : {})} />}
    </Box>
  );
}
