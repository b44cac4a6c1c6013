/**
 * The chat screen, for one agent or several: finished lines printed once (Printer), the live region laid out to fit
 * (layout/live.ts), and the prompt, which stays editable while answers stream. The live region gets the rows the
 * prompt area leaves, minus one: Ink's whole frame then always stays shorter than the terminal.
 */
import { Box, Text, useStdout } from 'ink';
import { memo, useCallback, useMemo, type ReactNode } from 'react';
import type { ChatState } from '../chat-state.js';
import type { EditorState } from '../input.js';
import { layoutLive } from '../layout/live.js';
import { TerminalOutput } from '../terminal.js';
import { Printer } from './Printer.js';
import { PromptArea, layoutPromptArea } from './PromptArea.js';

/** Props of the chat screen. */
export interface ChatScreenProps {
  state: ChatState;
  now: number;
  /** The prompt being edited; undefined hides it (one-shot runs). */
  editor?: EditorState;
  /** Messages typed ahead while a round runs, sent one by one when it ends. */
  queued?: readonly string[];
  hint?: string;
  /** Where finished lines go; by default the terminal Ink draws on (see terminal.ts), else Ink's stdout.write. */
  print?: (text: string) => void;
  onPrinted: (id: number) => void;
  /** The approval panel's lines while a tool call waits for the user: shown instead of the prompt. */
  approval?: readonly string[];
  /** A picker (the /model list) shown instead of the prompt, and the rows it takes. */
  picker?: { element: ReactNode; rows: number };
}

/** Rows the live region needs at least next to a tall prompt. */
const LIVE_MIN_ROWS = 7;

/** The line under the prompt. */
function defaultHint(state: ChatState): string | undefined {
  const several = state.agents.length > 1;
  if (state.round)
    return several
      ? 'enter queues a message, sent when every agent is done · esc cancels them all'
      : 'enter queues a message, sent when this answer ends · esc cancels';
  if (!several) return undefined;
  return state.layout.width >= 92
    ? '@name sends to one agent · /help for commands · ↑↓ history · ctrl+c twice to exit'
    : '@name → one agent · /help · ctrl+c twice to exit';
}

/** The live lines, one <Text> each (lines that did not change are the same strings, which Ink measures once). */
const LiveLines = memo(function LiveLines({ lines }: { lines: readonly string[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line || ' '}
        </Text>
      ))}
    </Box>
  );
});

/** The chat screen. */
export function ChatScreen({
  state,
  now,
  editor,
  queued = [],
  hint,
  print,
  onPrinted,
  approval,
  picker,
}: ChatScreenProps) {
  const { width, rows, color } = state.layout;
  const { stdout, write } = useStdout();
  const toScreen = useCallback(
    (text: string) => (print ? print(text) : stdout instanceof TerminalOutput ? stdout.print(text) : write(text)),
    [print, stdout, write],
  );
  const running = state.round !== null;
  const bottom = layoutPromptArea({ running, editor, queued: queued.length, width, rows, liveMinRows: LIVE_MIN_ROWS });
  const budget = rows - 1 - (approval ? approval.length : picker ? picker.rows : bottom.rows);
  const live = useMemo(() => layoutLive(state, now, budget), [state, now, budget]);
  return (
    <Box flexDirection="column">
      <Printer
        items={state.print}
        print={toScreen}
        onPrinted={onPrinted}
        onCommit={stdout instanceof TerminalOutput ? stdout.willPrint : undefined}
      />
      <LiveLines lines={live} />
      {approval ? (
        <LiveLines lines={approval} />
      ) : picker ? (
        picker.element
      ) : (
        <PromptArea
          layout={bottom}
          editor={editor}
          queued={queued}
          hint={hint ?? defaultHint(state)}
          width={width}
          color={color}
        />
      )}
    </Box>
  );
}
