/**
 * The only part of the screen that re-renders during a run: the unfinished tail of the answer, running tool panels,
 * streamed reasoning and the progress line. It is kept shorter than the terminal so Ink never has to clear the screen.
 */
import { Box, Text } from 'ink';
import { memo, useMemo } from 'react';
import { renderMarkdown, rowsOf, tailRows } from '../markdown.js';
import type { LiveRun } from '../state.js';
import { ProgressLine } from './ProgressLine.js';
import { ToolPanel, toolPanelRows } from './ToolPanel.js';

/** Props of the live region. */
export interface LiveRegionProps {
  run: LiveRun;
  now: number;
  width: number;
  rows: number;
  color: boolean;
  showReasoning: boolean;
}

const REASONING_ROWS = 3;

/**
 * The live tail of the active run. Memoised: key presses in the prompt re-render the App but leave `run` untouched,
 * so typing ahead never pays for the markdown of the streaming answer; the clock tick re-renders it without
 * re-rendering the markdown.
 */
export const LiveRegion = memo(function LiveRegion({ run, now, width, rows, color, showReasoning }: LiveRegionProps) {
  const toolRows = run.tools.reduce((n, t) => n + 1 + toolPanelRows(t), 0);
  const reasoning = run.reasoning.trim()
    ? tailRows(run.reasoning.trim(), showReasoning ? 8 : REASONING_ROWS, width - 2)
    : undefined;
  const reasoningRows = reasoning ? rowsOf(reasoning.text, width - 2) + 1 : 0;
  // Ink clears the whole screen once its live output reaches the terminal height, so stay below it: the progress
  // line (2 rows), the text's top margin, the "more lines above" note and one spare row.
  const budget = Math.max(2, rows - 5 - toolRows - reasoningRows);
  const rendered = useMemo(
    () => (run.text.trim() ? renderMarkdown(run.text, { width: width - 2, color }) : ''),
    [run.text, width, color],
  );
  const tail = useMemo(() => (rendered ? tailRows(rendered, budget, width - 2) : undefined), [rendered, budget, width]);
  return (
    <Box flexDirection="column">
      {reasoning && (
        <Box marginTop={1} paddingLeft={2}>
          <Text dimColor italic>
            {reasoning.hidden > 0 ? '… ' : ''}
            {reasoning.text}
          </Text>
        </Box>
      )}
      {tail && (
        <Box marginTop={1} paddingLeft={2} flexDirection="column">
          {tail.hidden > 0 && <Text dimColor>… {tail.hidden} more lines above, shown in full when finished</Text>}
          <Text>{tail.text}</Text>
        </Box>
      )}
      {run.tools.map((t) => (
        <Box key={t.call_id} marginTop={1}>
          <ToolPanel tool={t} now={now} width={Math.min(width, 100)} />
        </Box>
      ))}
      <ProgressLine run={run} now={now} />
    </Box>
  );
});
