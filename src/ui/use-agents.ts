/**
 * The hook that runs several agents on one message: one AbortController per round for all of them (Esc/Ctrl+C abort
 * every run, and each still ends with its own run_end), stream-sanitised text per run, and events handed to the
 * reducer in batches at frame cadence, never per token. In a conversation each agent keeps its own Conversation.
 */
import { useCallback, type Dispatch } from 'react';
import type { Agent, Conversation } from '../core/agent.js';
import type { RunEndEvent } from '../core/events.js';
import { streamAgents } from '../core/multi-agent.js';
import type { MultiAction } from './multi-state.js';
import { deltaSanitizer, frameBatcher, localFailedEnd, useActiveRun, type RunOptions } from './use-run.js';

/** What one round runs: which agents (positions in `agents`, default all) and with which model override. */
export interface RoundOptions {
  targets?: readonly number[];
  model?: string;
  /** The message as typed (with its `@name`s), shown instead of the prompt the agents get. */
  shown?: string;
}

/**
 * Runs `agents` concurrently on one message, reporting to `dispatch`; `start` resolves with every run's run_end.
 * `conversations[i]`, when given, is agent i's history across rounds.
 */
export function useAgents(
  agents: readonly Agent[],
  dispatch: Dispatch<MultiAction>,
  options: RunOptions,
  conversations?: readonly Conversation[],
) {
  const { active, cancel, isRunning } = useActiveRun(dispatch);

  const start = useCallback(
    async (prompt: string, round: RoundOptions = {}): Promise<RunEndEvent[]> => {
      const controller = new AbortController();
      active.current = controller;
      const signal = controller.signal;
      const targets = round.targets ?? agents.map((_, i) => i);
      const chosen = targets.map((i) => agents[i] as Agent);
      dispatch({
        type: 'start',
        prompt,
        now: Date.now(),
        targets,
        ...(round.shown !== undefined ? { shown: round.shown } : {}),
      });
      const clean = deltaSanitizer();
      const screen = frameBatcher((events) => dispatch({ type: 'events', events }));
      const ends: RunEndEvent[] = [];
      let failure = 'the run ended without reporting';
      try {
        const events = streamAgents(chosen, prompt, {
          signal,
          ...(conversations ? { conversations: targets.map((i) => conversations[i]) } : {}),
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          ...(options.maxTurns !== undefined ? { maxTurns: options.maxTurns } : {}),
          ...(round.model ? { model: round.model } : {}),
        });
        for await (const e of events) {
          screen.push(clean(e));
          if (e.type === 'run_end') ends.push(e);
        }
      } catch (error) {
        // streamAgents reports failures as events; this only guards against a bug, so every panel still ends.
        failure = (error as Error)?.message ?? String(error);
      } finally {
        screen.close();
        if (active.current === controller) active.current = null;
      }
      if (ends.length < chosen.length) {
        dispatch({ type: 'abandon', message: failure, now: Date.now() });
        for (const agent of chosen.slice(ends.length)) {
          ends.push(localFailedEnd(agent.name, failure));
        }
      }
      return ends;
    },
    [agents, dispatch, options.timeoutMs, options.maxTurns, conversations],
  );

  // cancel() cancels every run of the current round.
  return { start, cancel, isRunning };
}
