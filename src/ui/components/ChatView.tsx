/**
 * The whole chat screen for a given state: history once through <Static>, then the live run (if any), the messages
 * typed ahead, and the prompt, which stays editable while an answer streams.
 */
import { Box } from 'ink';
import type { EditorState } from '../input.js';
import type { UiState } from '../state.js';
import { HistoryItemView } from './HistoryItemView.js';
import { LiveRegion } from './LiveRegion.js';
import { PromptArea, layoutPromptArea } from './PromptArea.js';
import { StaticHistory } from './StaticHistory.js';

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

/** Rows the live region needs at least: the progress line and a few rows of the answer (see LiveRegion). */
const LIVE_MIN_ROWS = 7;
const RUNNING_HINT = 'enter queues a message, sent when this answer ends · esc cancels';

/** The chat screen. */
export function ChatView({
  state,
  layoutEpoch = 0,
  editor,
  queued = [],
  hint,
  now,
  width,
  rows,
  color,
  showReasoning,
}: ChatViewProps) {
  const running = state.run !== null;
  const bottom = layoutPromptArea({ running, editor, queued: queued.length, width, rows, liveMinRows: LIVE_MIN_ROWS });
  return (
    <Box flexDirection="column">
      <StaticHistory
        items={state.history}
        printKey={`${state.epoch}:${layoutEpoch}`}
        Item={HistoryItemView}
        width={width}
        color={color}
        showReasoning={showReasoning}
      />
      {state.run && (
        <LiveRegion
          run={state.run}
          now={now}
          width={width}
          rows={rows - bottom.rows}
          color={color}
          showReasoning={showReasoning}
        />
      )}
      <PromptArea
        layout={bottom}
        editor={editor}
        queued={queued}
        hint={hint ?? (running ? RUNNING_HINT : undefined)}
        width={width}
        color={color}
      />
    </Box>
  );
}
