/** The status line of an active run: spinner, elapsed, output tokens and tok/s, turn, tools, and the cancel hint. */
import { Box, Text } from 'ink';
import { formatDuration, plural, spinnerFrame } from '../format.js';
import { outputTokens, tokensPerSecond, type LiveRun } from '../state.js';

/** Props of the progress line. */
export interface ProgressLineProps {
  run: LiveRun;
  now: number;
}

/** One line that keeps ticking while a run is active, also while tokens stall. */
export function ProgressLine({ run, now }: ProgressLineProps) {
  const tokens = outputTokens(run);
  const rate = tokensPerSecond(run, now);
  const activity = run.cancelling
    ? 'cancelling'
    : run.tools.length > 0
      ? `running ${run.tools.map((t) => t.name).join(', ')}`
      : run.firstTokenAt === undefined || run.text === ''
        ? 'thinking'
        : 'writing';
  const parts = [
    formatDuration(Math.max(0, now - run.startedAt)),
    `${tokens} tokens${rate !== undefined ? ` · ${rate.toFixed(0)} tok/s` : ''}`,
    `turn ${run.turn}`,
    plural(run.toolsRun, 'tool') + ' run',
  ];
  // Always one row (truncated in a narrow terminal): the live region budgets its height around it.
  return (
    <Box marginTop={1}>
      <Text wrap="truncate-end">
        <Text color="cyan">{spinnerFrame(now)} </Text>
        {activity}…{' '}
        <Text dimColor>
          {parts.join(' · ')} · {run.cancelling ? 'closing the request' : 'esc or ctrl+c to cancel'}
        </Text>
      </Text>
    </Box>
  );
}
