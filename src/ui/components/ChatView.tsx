/** The whole chat screen for a given state: history once through <Static>, then the live run or the prompt. */
import { Box, Static } from 'ink';
import type { EditorState } from '../input.js';
import type { UiState } from '../state.js';
import { HistoryItemView } from './HistoryItemView.js';
import { LiveRegion } from './LiveRegion.js';
import { Prompt } from './Prompt.js';

/** Props of the chat screen. */
export interface ChatViewProps {
  state: UiState;
  /** Bumped after a terminal resize so the whole history is printed again at the new width. */
  layoutEpoch?: number;
  /** The prompt being edited; undefined hides the input (one-shot runs). */
  editor?: EditorState;
  hint?: string;
  now: number;
  width: number;
  rows: number;
  color: boolean;
  showReasoning: boolean;
}

/** The chat screen. */
export function ChatView({ state, layoutEpoch = 0, editor, hint, now, width, rows, color, showReasoning }: ChatViewProps) {
  return (
    <Box flexDirection="column">
      <Static key={`${state.epoch}:${layoutEpoch}`} items={state.history}>
        {(item) => (
          <Box key={item.id} flexDirection="column" width={width}>
            <HistoryItemView item={item} width={width} color={color} showReasoning={showReasoning} />
          </Box>
        )}
      </Static>
      {state.run ? (
        <LiveRegion run={state.run} now={now} width={width} rows={rows} color={color} showReasoning={showReasoning} />
      ) : (
        editor && <Prompt editor={editor} hint={hint} width={width} color={color} />
      )}
    </Box>
  );
}
