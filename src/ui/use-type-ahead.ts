/**
 * Typing ahead: messages entered while a run (or a round of runs) streams wait in a queue and are worked off one by
 * one once it has ended. The rules are pure functions (`nextStep`, `roundOutcome`, `takeBackHint`); `useTypeAhead`
 * holds the queue for the prompt's keys (use-prompt-keys.ts), which the single- and multi-agent chats share.
 */
import { useEffect, useRef, useState } from 'react';
import type { RunStatus } from '../core/events.js';
import { sanitize } from '../core/text/sanitize.js';
import { entryPreview, type PromptEntry } from './paste.js';

/** How the run (or round) before the queue ended, and why the queue comes back when it does not go on. */
export interface RunOutcome {
  status: RunStatus;
  /** Shown when the queue is given back; `the run ended: <status>` when absent. */
  why?: string;
}

/** What to do with the queue after a run ended and its last events are on screen. */
export type QueueStep<T = string> =
  { kind: 'send'; next: T; rest: readonly T[] } | { kind: 'take-back'; why: string } | { kind: 'idle' };

const label = (status: RunStatus): string => status.replace('_', ' ');

/**
 * A completed run sends the next queued message; so does a cancelled one, because a cancel gives the queue back at
 * once, so whatever is queued now was typed after it. A run that did not complete (failed, timeout, max_turns) gives
 * the queue back: the follow-up was written for an answer that did not arrive.
 */
export function nextStep<T>(outcome: RunOutcome, queue: readonly T[]): QueueStep<T> {
  if (outcome.status !== 'completed' && outcome.status !== 'cancelled') {
    return { kind: 'take-back', why: outcome.why ?? `the run ended: ${label(outcome.status)}` };
  }
  const [next, ...rest] = queue;
  return next === undefined ? { kind: 'idle' } : { kind: 'send', next, rest };
}

/**
 * The outcome of a round of several agents: cancelled when the user cancelled it, completed when every run
 * completed, else the first other status, naming the agents that did not complete.
 */
export function roundOutcome(ends: ReadonlyArray<{ agent: string; status: RunStatus }>): RunOutcome {
  if (ends.some((e) => e.status === 'cancelled')) return { status: 'cancelled' };
  const short = ends.filter((e) => e.status !== 'completed');
  const first = short[0];
  if (!first) return { status: 'completed' };
  const who = short.map((e) => `${sanitize(e.agent)} ${label(e.status)}`).join(', ');
  return { status: first.status, why: `not every agent completed: ${who}` };
}

/** The hint under the prompt after `count` queued messages came back into it. */
export function takeBackHint(count: number, why: string): string {
  return `${count === 1 ? 'the queued message is' : `${count} queued messages are`} back in the prompt (${why})`;
}

/** What the queue needs from its chat. */
export interface TypeAheadOptions {
  /** True while the screen shows a live run (its last events not yet committed). */
  running: boolean;
  /** True from a run's start until its last event was handed over (ahead of React's next render). */
  isRunning: () => boolean;
  /** Sends a message or runs a slash command; true when that started a run (`shown`: see PromptKeysOptions). */
  perform: (text: string, shown: string) => boolean;
  /** Puts taken-back messages into the prompt and says why. */
  giveBack: (queued: readonly PromptEntry[], hint: string) => void;
}

/** The queue of typed-ahead messages and the rules that work it off. */
export function useTypeAhead({ running, isRunning, perform, giveBack }: TypeAheadOptions) {
  // Oldest first; read through a ref so keys arriving faster than React re-renders see the latest queue.
  const [queued, setQueuedState] = useState<readonly PromptEntry[]>([]);
  const queueRef = useRef<readonly PromptEntry[]>(queued);
  const setQueued = (next: readonly PromptEntry[]): void => {
    queueRef.current = next;
    setQueuedState(next);
  };
  // How the last run ended, until the queue has been looked at (in an effect, so that a queued slash command like
  // /save sees the state with that run's answer in it).
  const [ended, setEnded] = useState<RunOutcome | undefined>(undefined);

  /** Puts the whole queue back into the prompt: nothing is sent behind the back of a user who stopped the run. */
  const takeBack = (why: string): void => {
    const q = queueRef.current;
    if (q.length === 0) return;
    setQueued([]);
    giveBack(q, takeBackHint(q.length, why));
  };

  useEffect(() => {
    if (!ended || running || isRunning()) return;
    const step = nextStep(ended, queueRef.current);
    if (step.kind === 'take-back') {
      setEnded(undefined);
      return takeBack(step.why);
    }
    if (step.kind === 'idle') return setEnded(undefined);
    setQueued(step.rest);
    // A slash command does not start a run: look at the queue again on the next render.
    setEnded(perform(step.next.text, entryPreview(step.next)) ? undefined : { status: 'completed' });
  }, [ended, running]);

  return {
    queued,
    /** True while messages wait: a new one goes behind them, never ahead. */
    waiting: (): boolean => queueRef.current.length > 0,
    enqueue: (entry: PromptEntry): void => setQueued([...queueRef.current, entry]),
    takeBack,
    /** Reports how a run ended; the queue moves on once its last events are on screen. */
    runEnded: (outcome: RunOutcome): void => setEnded(outcome),
  };
}
