/** One bordered panel per tool call: name, arguments, spinner + elapsed while running, then ✓/✗, duration, result. */
import { Box, Text } from 'ink';
import { sanitize } from '../../core/text/sanitize.js';
import { formatArgs, formatDuration, headLines, spinnerFrame } from '../format.js';
import type { ToolView } from '../state.js';

/** Props of a tool panel. */
export interface ToolPanelProps {
  tool: ToolView;
  /** Current time, for the spinner and elapsed time of a running call. */
  now: number;
  width: number;
}

const ARG_LINES = 4;
const RESULT_LINES = 4;

/** Rows a panel takes (borders, title, arguments, result), so the live region can budget its height. */
export function toolPanelRows(tool: ToolView): number {
  const args = headLines(formatArgs(tool.args), ARG_LINES, Number.MAX_SAFE_INTEGER);
  const result = tool.result === undefined ? undefined : headLines(tool.result, RESULT_LINES, Number.MAX_SAFE_INTEGER);
  return (
    3 +
    args.lines.length +
    (args.more ? 1 : 0) +
    (result ? Math.max(1, result.lines.length) + (result.more ? 1 : 0) : 0)
  );
}

/** A tool call panel. */
export function ToolPanel({ tool, now, width }: ToolPanelProps) {
  const running = tool.result === undefined;
  const inner = Math.max(10, width - 4);
  const args = headLines(sanitize(formatArgs(tool.args)), ARG_LINES, inner - 2);
  const result = running ? undefined : headLines(tool.result ?? '', RESULT_LINES, inner - 2);
  const color = running ? 'gray' : tool.is_error ? 'red' : 'green';
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={color} paddingX={1} width={width}>
      <Box>
        <Text bold>⚙ {tool.name}</Text>
        <Text> </Text>
        {running ? (
          <Text color="yellow">
            {spinnerFrame(now)} running {formatDuration(now - tool.startedAt)}
          </Text>
        ) : tool.is_error ? (
          <Text color="red">✗ failed · {formatDuration(tool.duration_ms ?? 0)}</Text>
        ) : (
          <Text color="green">✓ {formatDuration(tool.duration_ms ?? 0)}</Text>
        )}
      </Box>
      {args.lines.length > 0 && (
        <Text dimColor>
          {args.lines.join('\n')}
          {args.more > 0 ? `\n… ${args.more} more lines` : ''}
        </Text>
      )}
      {result && (
        <Text color={tool.is_error ? 'red' : undefined}>
          {'→ '}
          {result.lines.join('\n  ') || '(empty)'}
          {result.more > 0 ? `\n  … ${result.more} more lines` : ''}
        </Text>
      )}
    </Box>
  );
}
