/** The input box: the text being typed with a visible cursor, and a hint line under it. */
import { Box, Text } from 'ink';
import type { EditorState } from '../input.js';

/** Props of the prompt. */
export interface PromptProps {
  editor: EditorState;
  /** Shown under the box (e.g. "press Ctrl+C again to exit"). */
  hint?: string;
  width: number;
  /** Without colour (NO_COLOR) inverse video is off too, so the cursor is drawn as a block character. */
  color?: boolean;
}

/** The prompt box. */
export function Prompt({ editor, hint, width, color = true }: PromptProps) {
  const { text, cursor } = editor;
  const before = text.slice(0, cursor);
  const at = text.slice(cursor, cursor + 1);
  const after = text.slice(cursor + 1);
  // The cursor over a line break is drawn as a block at the end of that line.
  const cursorChar = at === '' || at === '\n' ? (color ? ' ' : '█') : at;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Box borderStyle="round" borderColor="cyan" paddingX={1} width={width}>
        <Text color="cyan" bold>
          {'❯ '}
        </Text>
        <Text>
          {before}
          <Text inverse>{cursorChar}</Text>
          {at === '\n' ? '\n' : ''}
          {after}
        </Text>
      </Box>
      <Box paddingLeft={2}>
        <Text dimColor>{hint ?? (width >= 92 ? '/help for commands · ↑↓ history · alt+enter or \\ for a new line · ctrl+c twice to exit' : '/help · ↑↓ history · ctrl+c twice to exit')}</Text>
      </Box>
    </Box>
  );
}
