/**
 * The interactive chat: wires keys, the prompt editor, slash commands and the turn-running hook to the pure reducer.
 * The prompt's keys, including typing ahead while an answer streams, are use-prompt-keys.ts, shared with the
 * multi-agent chat.
 * With `once`, it runs `firstPrompt` and exits with the run's exit code (a one-shot prompt in a terminal).
 */
import { useStdin, useStdout } from 'ink';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Conversation, type Agent } from '../core/agent.js';
import { exitCodeFor } from '../core/events.js';
import { runSlashCommand } from './commands.js';
import { ChatView } from './components/ChatView.js';
import type { InputHistory } from './history-store.js';
import { parseSlash } from './input.js';
import { initialState, reducer } from './state.js';
import { usePromptKeys } from './use-prompt-keys.js';
import { useClock } from './use-clock.js';
import { useExit } from './use-exit.js';
import { useRun, type RunOptions } from './use-run.js';
import { CLEAR_SCREEN, useTerminalSize } from './use-terminal-size.js';

/** Props of the chat app. */
export interface AppProps extends RunOptions {
  agent: Agent;
  conversation?: Conversation;
  firstPrompt?: string;
  /** Run `firstPrompt` only, then exit. */
  once?: boolean;
  history: InputHistory;
  color: boolean;
  /** Receives the exit code just before the app unmounts. */
  onExit: (code: number) => void;
  /** Aborted from outside (SIGTERM, SIGINT sent by another process): cancel the run and leave. */
  signal?: AbortSignal;
}

/** The chat application. */
export function App({
  agent,
  conversation: given,
  firstPrompt,
  once,
  history,
  color,
  onExit,
  signal,
  timeoutMs,
  maxTurns,
}: AppProps) {
  const exit = useExit();
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const [conversation] = useState(() => given ?? new Conversation());
  const [state, dispatch] = useReducer(
    reducer,
    { agent: agent.name, model: agent.model, isDemo: agent.isDemo },
    initialState,
  );
  // A ref, not state: a queued `/model x` applies to the queued message right after it, before any re-render.
  const model = useRef<string | undefined>(undefined);
  const setModel = (id: string): void => {
    model.current = id;
  };
  // A width change prints the history again at the new width (see use-terminal-size.ts).
  const size = useTerminalSize();
  const { layoutEpoch } = size;
  const [finished, setFinished] = useState<number | undefined>(undefined);
  const { start, cancel, isRunning } = useRun(agent, conversation, dispatch, { timeoutMs, maxTurns });
  const running = state.run !== null;
  const now = useClock(running);

  const left = useRef(false);
  const leave = useCallback(
    (code: number) => {
      if (left.current) return;
      left.current = true;
      cancel();
      onExit(code);
      exit();
    },
    [cancel, onExit, exit],
  );

  /** Sends a message or runs a slash command; true when that started a run. */
  const perform = (text: string): boolean => {
    const cmd = parseSlash(text);
    if (!cmd) {
      void send(text.startsWith('//') ? text.slice(1) : text);
      return true;
    }
    if (cmd.name !== 'clear') dispatch({ type: 'echo', text });
    runSlashCommand(cmd, {
      agent,
      conversation,
      state,
      dispatch,
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
    editable: !once,
    isActive: isRawModeSupported === true,
  });
  const { runEnded } = keys;

  const send = async (prompt: string): Promise<void> => {
    const end = await start(prompt, model.current);
    if (once) setFinished(exitCodeFor(end.status));
    else runEnded({ status: end.status });
  };

  // Leave after the final state has been committed, so the last history items are on screen before Ink unmounts.
  useEffect(() => {
    if (finished !== undefined) leave(finished);
  }, [finished, leave]);

  useEffect(() => {
    if (firstPrompt) void send(firstPrompt);
    // Only once, on mount.
  }, []);

  useEffect(() => {
    if (!signal) return;
    // A one-shot run is cancelled and ends on its own (its status gives the exit code, the partial answer stays).
    const onAbort = (): void => (once && isRunning() ? void cancel() : leave(130));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }, [signal, leave, once, isRunning, cancel]);

  return (
    <ChatView
      state={state}
      layoutEpoch={layoutEpoch}
      editor={once ? undefined : keys.editor}
      queued={keys.queued}
      hint={keys.hint}
      now={now}
      width={size.width}
      rows={size.rows}
      color={color}
      showReasoning={keys.showReasoning}
    />
  );
}
