/**
 * The one hook that runs a message: the addressed agents answer it concurrently (one agent is the common case), under
 * one AbortController for the round — Esc/Ctrl+C abort every run, and each still ends with its own run_end. Text is
 * stream-sanitised per run and events reach the reducer in batches at frame cadence, never per token. Each agent keeps
 * its own Conversation across messages.
 */
import { useCallback, type Dispatch } from 'react';
import type { Agent, Conversation } from '../core/agent.js';
import type { Approver } from '../core/tools/approval.js';
import type { RunEndEvent } from '../core/events.js';
import { streamAgents } from '../core/multi-agent.js';
import { contentText, userContent } from '../core/providers/messages.js';
import type { ImagePart } from '../core/providers/types.js';
import type { ChatAction, Tone } from './chat-state.js';
import { flat } from '../core/flat-text.js';
import { deltaSanitizer, frameBatcher, localFailedEnd, useActiveRun, type RunOptions } from './run-helpers.js';

/** What one round runs: which agents (positions in `agents`, default all) and with which model override. */
export interface RoundOptions {
  targets?: readonly number[];
  model?: string;
  /** The message as typed (with its `@name`s), shown instead of the prompt the agents get. */
  shown?: string;
  /** Lines shown under the message (the files attached to it). */
  notes?: ReadonlyArray<{ text: string; tone: Tone }>;
  /** Images the message carries (its `@photo.png` mentions), sent with the prompt as image parts. */
  images?: readonly ImagePart[];
}

/** Runs rounds of `agents`, reporting to `dispatch`; `start` resolves with every run's run_end, in call order. */
export function useChat(
  agents: readonly Agent[],
  conversations: readonly Conversation[],
  dispatch: Dispatch<ChatAction>,
  options: RunOptions,
  approve?: Approver,
) {
  const { active, cancel, isRunning } = useActiveRun(dispatch);

  const start = useCallback(
    async (prompt: string, round: RoundOptions = {}): Promise<RunEndEvent[]> => {
      const controller = new AbortController();
      active.current = controller;
      const targets = round.targets ?? agents.map((_, i) => i);
      const chosen = targets.map((i) => agents[i] as Agent);
      const content = userContent(prompt, round.images ?? []);
      const input = typeof content === 'string' ? content : [{ role: 'user' as const, content }];
      dispatch({
        type: 'start',
        // The transcript (`/save`) shows an image as its placeholder, as every other output does.
        prompt: contentText(content),
        now: Date.now(),
        targets,
        ...(round.shown !== undefined ? { shown: round.shown } : {}),
        ...(round.notes?.length ? { notes: round.notes } : {}),
      });
      const clean = deltaSanitizer();
      const screen = frameBatcher((events) => dispatch({ type: 'events', events }));
      const ends: RunEndEvent[] = [];
      let failure = 'the run ended without reporting';
      try {
        const events = streamAgents(chosen, input, {
          signal: controller.signal,
          conversations: targets.map((i) => conversations[i]),
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          ...(options.maxTurns !== undefined ? { maxTurns: options.maxTurns } : {}),
          ...(round.model ? { model: round.model } : {}),
          ...(options.session ? { session: options.session } : {}),
          ...(approve ? { approve } : {}),
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
        for (const i of targets)
          for (const m of conversations[i]?.messages ?? []) if (typeof m.content === 'string') flat(m.content);
      }
      if (ends.length < chosen.length) {
        dispatch({ type: 'abandon', message: failure, now: Date.now() });
        for (const agent of chosen.filter((a) => !ends.some((e) => e.agent === a.name))) {
          ends.push(localFailedEnd(agent.name, failure));
        }
      }
      return ends;
    },
    [agents, conversations, dispatch, options.timeoutMs, options.maxTurns, options.session, approve],
  );

  return { start, cancel, isRunning };
}
