/**
 * Several agents answering one prompt in a terminal (`agentor chat --agent a --agent b "…"`): one live panel per
 * agent, a shared progress line, Esc/Ctrl+C cancels every run. It exits once every run has ended, handing over their
 * run_end events (the caller turns the most severe status into the exit code).
 */
import { useApp, useInput, useStdin } from 'ink';
import { useCallback, useEffect, useReducer, useState } from 'react';
import type { Agent } from '../core/agent.js';
import type { RunEndEvent } from '../core/events.js';
import { MultiView } from './components/MultiView.js';
import { initialMultiState, multiReducer } from './multi-state.js';
import { useAgents } from './use-agents.js';
import type { RunOptions } from './use-run.js';
import { useTerminalSize } from './use-terminal-size.js';

/** Props of the multi-agent app. */
export interface MultiAppProps extends RunOptions {
  agents: readonly Agent[];
  prompt: string;
  color: boolean;
  /** Receives every run's run_end just before the app unmounts. */
  onExit: (ends: RunEndEvent[]) => void;
  /** Aborted from outside (SIGINT, SIGTERM): cancel every run; they end on their own. */
  signal?: AbortSignal;
}

const TICK_MS = 100;

/** The multi-agent application. */
export function MultiApp({ agents, prompt, color, onExit, signal, timeoutMs, maxTurns }: MultiAppProps) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const { width, rows, layoutEpoch } = useTerminalSize();
  const [state, dispatch] = useReducer(multiReducer, agents, (list) => initialMultiState(list.map((a) => ({ name: a.name, model: a.model, isDemo: a.isDemo }))));
  const [now, setNow] = useState(() => Date.now());
  const [ends, setEnds] = useState<RunEndEvent[] | undefined>(undefined);
  const { start, cancel } = useAgents(agents, dispatch, { timeoutMs, maxTurns });
  const running = ends === undefined;

  useEffect(() => {
    void start(prompt).then(setEnds);
    // Only once, on mount.
  }, []);

  // Leave after the final state has been committed, so every finished panel is on screen before Ink unmounts.
  const leave = useCallback(
    (result: RunEndEvent[]) => {
      onExit(result);
      exit();
    },
    [onExit, exit],
  );
  useEffect(() => {
    if (ends) leave(ends);
  }, [ends, leave]);

  useEffect(() => {
    if (!signal) return;
    const onAbort = (): void => void cancel();
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }, [signal, cancel]);

  // The clock of spinners and elapsed times: it ticks while runs are active, also while tokens stall.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, [running]);

  useInput(
    (input, key) => {
      if (!(key.escape || (key.ctrl && input === 'c'))) return;
      cancel();
    },
    { isActive: isRawModeSupported === true && running },
  );

  return <MultiView state={state} layoutEpoch={layoutEpoch} now={now} width={width} rows={rows} color={color} />;
}
