/** A finished transcript item, printed once through <Static>. */
import { Box, Text } from 'ink';
import { plural, runStats } from '../format.js';
import { renderMarkdown } from '../markdown.js';
import type { HistoryItem } from '../state.js';
import { Header } from './Header.js';
import { ToolPanel } from './ToolPanel.js';

/** Props of a history item. */
export interface HistoryItemProps {
  item: HistoryItem;
  width: number;
  color: boolean;
  /** Show reasoning in full instead of a one-line summary. */
  showReasoning: boolean;
}

/** Renders one history item. */
export function HistoryItemView({ item, width, color, showReasoning }: HistoryItemProps) {
  switch (item.kind) {
    case 'header':
      return <Header agent={item.agent} model={item.model} isDemo={item.isDemo} />;
    case 'user':
      return <UserMessage text={item.text} />;
    case 'assistant':
      return (
        <Box marginTop={1} paddingLeft={2}>
          <Text>{renderMarkdown(item.text, { width: width - 2, color })}</Text>
        </Box>
      );
    case 'reasoning': {
      const lines = item.text.split('\n').length;
      return (
        <Box marginTop={1} paddingLeft={2}>
          {showReasoning ? (
            <Text dimColor italic>
              {item.text}
            </Text>
          ) : (
            <Text dimColor>▸ reasoning ({plural(lines, 'line')}, ctrl+o shows reasoning in full)</Text>
          )}
        </Box>
      );
    }
    case 'tool':
      return (
        <Box marginTop={1}>
          <ToolPanel tool={item.tool} now={0} width={Math.min(width, 100)} />
        </Box>
      );
    case 'notice':
      return (
        <Box marginTop={1} paddingLeft={2}>
          <Text
            color={item.tone === 'error' ? 'red' : item.tone === 'warn' ? 'yellow' : undefined}
            dimColor={item.tone === 'info'}
          >
            {item.text}
          </Text>
        </Box>
      );
    case 'run_end': {
      const stats = runStats(item.duration_ms, item.output_tokens, item.tools);
      if (item.status === 'completed') {
        return (
          <Box paddingLeft={2}>
            <Text dimColor>✓ {stats}</Text>
          </Box>
        );
      }
      if (item.status === 'cancelled') {
        return (
          <Box paddingLeft={2}>
            <Text color="yellow">⏹ cancelled</Text>
            <Text dimColor> · {stats}</Text>
          </Box>
        );
      }
      return (
        <Box paddingLeft={2} flexDirection="column">
          <Text color="red">
            ✗ {item.status}
            {item.message ? `: ${item.message}` : ''}
          </Text>
          <Text dimColor>{stats}</Text>
        </Box>
      );
    }
  }
}

/** A message the user sent, after the prompt marker. */
export function UserMessage({ text }: { text: string }) {
  return (
    <Box marginTop={1}>
      {/* The marker keeps its width (and its space) when a long message wraps. */}
      <Box flexShrink={0}>
        <Text color="cyan" bold>
          {'❯ '}
        </Text>
      </Box>
      <Text bold>{text}</Text>
    </Box>
  );
}
