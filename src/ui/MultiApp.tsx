/**
 * Several agents in a terminal. One-shot (`agentor chat --agent a --agent b "…"`): every agent answers the prompt in
 * its own live panel, then the app exits, handing over every run_end (the caller turns the most severe status into
 * the exit code). Conversation (`--agent a --agent b`, or `-i "first"`): each message goes to every agent at once, or
 * to those named with a leading `@name`; each agent keeps its own Conversation; finished panels move to history.
 * The prompt's keys are the single-agent chat's (use-prompt-keys.ts): the prompt stays editable while agents run, Enter
 * queues the message for when the round ends, and Esc/Ctrl+C cancels every running agent and gives the queue back.
 */
import { useStdin, useStdout } from 'ink';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Conversation, type Agent } from '../core/agent.js';
import type { RunEndEvent } from '../core/events.js';
import { MultiView } from './components/MultiView.js';
import { InputHistory } from './history-store.js';
import { parseSlash } from './input.js';
import { runMultiSlashCommand } from './multi-commands.js';
import { initialMultiState, multiReducer, parseAddress } from './multi-state.js';
import { useAgents } from './use-agents.js';
import { useClock } from './use-clock.js';
import { useExit } from './use-exit.js';
import { usePromptKeys } from './use-prompt-keys.js';
import type { RunOptions } from './use-run.js';
import { CLEAR_SCREEN, useTerminalSize } from './use-terminal-size.js';
import { roundOutcome } from './use-type-ahead.js';

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

const NO_HISTORY = new InputHistory(null);

/** The multi-agent application. */
export function MultiApp({
  agents,
  prompt,
  conversation = false,
  history = NO_HISTORY,
  color,
  onExit,
  signal,
  timeoutMs,
  maxTurns,
}: MultiAppProps) {
  const exit = useExit();
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const { width, rows, layoutEpoch } = useTerminalSize();
  const [conversations] = useState(() => agents.map(() => new Conversation()));
  const [state, dispatch] = useReducer(multiReducer, agents, (list) =>
    initialMultiState(
      list.map((a) => ({ name: a.name, model: a.model, isDemo: a.isDemo })),
      Date.now(),
      conversation,
    ),
  );
  const [ends, setEnds] = useState<RunEndEvent[] | undefined>(undefined);
  const [model, setModel] = useState<string | undefined>(undefined);
  const { start, cancel, isRunning } = useAgents(agents, dispatch, { timeoutMs, maxTurns }, conversations);
  const running = state.live.length > 0;
  const now = useClock(running);
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

  /** Sends a message or runs a slash command; true when that started a round. */
  const perform = (text: string): boolean => {
    const cmd = parseSlash(text);
    if (!cmd) return send(text.startsWith('//') ? text.slice(1) : text);
    if (cmd.name !== 'clear') dispatch({ type: 'echo', text });
    runMultiSlashCommand(cmd, {
      agents,
      conversations,
      state,
      dispatch,
      model,
      setModel,
      exit: leave,
      clearScreen: () => stdout.write(CLEAR_SCREEN),
    });
    return false;
  };

  const keys = usePromptKeys({
    history,
    running,
    isRunning,
    cancel,
    leave,
    perform,
    editable: conversation,
    isActive: isRawModeSupported === true,
    cancelled: 'the agents were cancelled',
  });
  const { runEnded } = keys;

  /**
   * Sends a message to every agent, or to those it names with leading `@name`s (read when it is sent, so a queued
   * message is addressed like a typed one); false when it names no agent and nothing was sent.
   */
  const send = (message: string): boolean => {
    const to = parseAddress(
      message,
      state.agents.map((a) => a.name),
    );
    if ('error' in to) {
      dispatch({ type: 'echo', text: message });
      dispatch({ type: 'notice', text: to.error, tone: 'error' });
      return false;
    }
    void start(to.text, { targets: to.targets, shown: message, ...(model ? { model } : {}) }).then((round) =>
      runEnded(roundOutcome(round)),
    );
    return true;
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

  return (
    <MultiView
      state={state}
      layoutEpoch={layoutEpoch}
      now={now}
      width={width}
      rows={rows}
      color={color}
      showReasoning={keys.showReasoning}
      {...(conversation ? { editor: keys.editor, queued: keys.queued, hint: keys.hint } : {})}
    />
  );
}
