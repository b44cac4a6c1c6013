/**
 * Several agents in a terminal. One-shot (`agentor chat --agent a --agent b "…"`): every agent answers the prompt in
 * its own live panel, then the app exits, handing over every run_end (the caller turns the most severe status into
 * the exit code). Conversation (`--agent a --agent b`, or `-i "first"`): each message goes to every agent at once, or
 * to those named with a leading `@name`; each agent keeps its own Conversation; finished panels move to history.
 * Esc/Ctrl+C cancels every running agent.
 */
import { useApp, useStdin, useStdout } from 'ink';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Conversation, type Agent } from '../core/agent.js';
import type { RunEndEvent } from '../core/events.js';
import { MultiView } from './components/MultiView.js';
import type { InputHistory } from './history-store.js';
import { parseSlash } from './input.js';
import { runMultiSlashCommand } from './multi-commands.js';
import { initialMultiState, multiReducer, parseAddress } from './multi-state.js';
import { useAgents } from './use-agents.js';
import { usePromptKeys } from './use-prompt-keys.js';
import type { RunOptions } from './use-run.js';
import { useTerminalSize } from './use-terminal-size.js';

/** Props of the multi-agent app. */
export interface MultiAppProps extends RunOptions {
  agents: readonly Agent[];
  /** One-shot: the prompt every agent answers. In a conversation: the first message (optional). */
  prompt?: string;
  /** Keep the prompt open for more messages instead of exiting after the first round. */
  conversation?: boolean;
  /** Input history (↑/↓) of a conversation; in memory when absent. */
  history?: InputHistory;
  color: boolean;
  /**
   * Called just before the app unmounts: one-shot, with every run's run_end; in a conversation, with no ends and
   * the exit code (0 when the user leaves, 130 when interrupted from outside).
   */
  onExit: (ends: RunEndEvent[], code?: number) => void;
  /** Aborted from outside (SIGINT, SIGTERM): one-shot, cancel every run (they end on their own); else leave. */
  signal?: AbortSignal;
}

const TICK_MS = 100;
const NO_HISTORY = { entries: [] as string[], add: (): void => undefined } as unknown as InputHistory;

/** The multi-agent application. */
export function MultiApp({ agents, prompt, conversation = false, history = NO_HISTORY, color, onExit, signal, timeoutMs, maxTurns }: MultiAppProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const { width, rows, layoutEpoch } = useTerminalSize();
  const [conversations] = useState(() => agents.map(() => new Conversation()));
  const [state, dispatch] = useReducer(multiReducer, agents, (list) =>
    initialMultiState(list.map((a) => ({ name: a.name, model: a.model, isDemo: a.isDemo })), Date.now(), conversation),
  );
  const [now, setNow] = useState(() => Date.now());
  const [ends, setEnds] = useState<RunEndEvent[] | undefined>(undefined);
  const [model, setModel] = useState<string | undefined>(undefined);
  const [showReasoning, setShowReasoning] = useState(false);
  const { start, cancel, isRunning } = useAgents(agents, dispatch, { timeoutMs, maxTurns }, conversations);
  const running = state.live.length > 0;
  const left = useRef(false);

  const leave = useCallback(
    (code: number) => {
      if (left.current) return;
      left.current = true;
      cancel();
      onExit([], code);
      exit();
    },
    [cancel, onExit, exit],
  );

  /** Sends a message to every agent, or to those it names with leading `@name`s. */
  const send = useCallback(
    (message: string): void => {
      const to = parseAddress(message, state.agents.map((a) => a.name));
      if ('error' in to) {
        dispatch({ type: 'echo', text: message });
        dispatch({ type: 'notice', text: to.error, tone: 'error' });
        return;
      }
      void start(to.text, { targets: to.targets, shown: message, ...(model ? { model } : {}) });
    },
    [state.agents, start, model],
  );

  const submit = (raw: string): void => {
    const text = raw.replace(/\s+$/, '');
    if (!text.trim()) return;
    history.add(text);
    const cmd = parseSlash(text);
    if (!cmd) return send(text.startsWith('//') ? text.slice(1) : text);
    if (cmd.name !== 'clear') dispatch({ type: 'echo', text });
    runMultiSlashCommand(cmd, {
      agents, conversations, state, dispatch, model, setModel, exit: leave,
      clearScreen: () => stdout.write('\x1b[2J\x1b[3J\x1b[H'),
    });
  };

  useEffect(() => {
    if (conversation) {
      if (prompt) send(prompt);
    } else {
      void start(prompt ?? '').then(setEnds);
    }
    // Only once, on mount.
  }, []);

  // One-shot: leave after the final state has been committed, so every finished panel is on screen before Ink unmounts.
  useEffect(() => {
    if (!ends || left.current) return;
    left.current = true;
    onExit(ends);
    exit();
  }, [ends, onExit, exit]);

  useEffect(() => {
    if (!signal) return;
    const onAbort = (): void => (conversation ? leave(130) : void cancel());
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }, [signal, cancel, leave, conversation]);

  // The clock of spinners and elapsed times: it ticks while runs are active, also while tokens stall.
  useEffect(() => {
    if (!running) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, [running]);

  const { editor, hint } = usePromptKeys({
    history,
    isRunning: () => isRunning() || running,
    cancel,
    leave,
    submit,
    editable: conversation,
    isActive: isRawModeSupported === true,
    onKey: (input, key) => {
      if (!(key.ctrl && input === 'o')) return false;
      setShowReasoning((v) => !v);
      return true;
    },
  });

  return (
    <MultiView
      state={state}
      layoutEpoch={layoutEpoch}
      now={now}
      width={width}
      rows={rows}
      color={color}
      showReasoning={showReasoning}
      {...(conversation ? { editor, hint } : {})}
    />
  );
}
