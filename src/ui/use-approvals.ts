/**
 * Tool approvals in the terminal: the run's approver puts each question in a queue, the approval panel asks the first
 * one (parallel calls, and several agents, are asked one by one), and the keys answer it — `y` once, `a` always for
 * this tool in this session, `n` deny (then an optional reason for the model, Enter to send), Esc cancels the run.
 * The step each key leads to is a pure function (approvalKey), so keys read at once chain through it.
 */
import { useCallback, useRef, useState } from 'react';
import type { ApprovalAnswer, ApprovalRequest, Approver } from '../core/tools/approval.js';
import { clusters } from './graphemes.js';
import type { KeyPress } from './keys.js';
import { useKeyPresses } from './use-key-presses.js';

/** A question waiting in the panel. */
export interface PendingApproval {
  request: ApprovalRequest;
  answer(answer: ApprovalAnswer): void;
}

/**
 * Where the panel is: opening (drawn, its keys not listened to yet), choosing, or typing the reason for a denial.
 */
export type ApprovalStep = { kind: 'opening' } | { kind: 'choose' } | { kind: 'reason'; text: string };

const MAX_REASON = 500;

/** The queue of questions and the run's approver that fills it; `first()` is the question keys answer right now. */
export function useApprovalQueue(): {
  current: PendingApproval | undefined;
  approve: Approver;
  first: () => PendingApproval | undefined;
} {
  const [queue, setQueueState] = useState<readonly PendingApproval[]>([]);
  // Keys can come before React renders again: they read the queue from here, not from the last render.
  const latest = useRef(queue);
  const setQueue = useCallback((next: (q: readonly PendingApproval[]) => readonly PendingApproval[]) => {
    latest.current = next(latest.current);
    setQueueState(latest.current);
  }, []);
  const approve = useCallback<Approver>(
    (request, { signal }) =>
      new Promise<ApprovalAnswer>((resolve) => {
        const item: PendingApproval = {
          request,
          answer: (answer) => {
            setQueue((q) => q.filter((x) => x !== item));
            resolve(answer);
          },
        };
        setQueue((q) => [...q, item]);
        // Cancelled or timed out: the question leaves the panel; the run no longer reads the answer.
        signal.addEventListener('abort', () => setQueue((q) => q.filter((x) => x !== item)), { once: true });
      }),
    [setQueue],
  );
  const first = useCallback(() => latest.current[0], []);
  return { current: queue[0], approve, first };
}

/** What one key does to the panel: the next step, and an answer or a cancel when it gives one. */
export interface ApprovalKeyOutcome {
  step: ApprovalStep;
  answer?: ApprovalAnswer;
  cancel?: true;
}

/**
 * One key press at `step`. Typed text is taken one character at a time in the choice: "nno eggs" read at once is `n`,
 * then the reason "no eggs". What follows an answer in the same read is dropped: a question is never answered before
 * it was shown (`ya` allows the call on screen once; the next one is asked).
 */
export function approvalKey(step: ApprovalStep, press: KeyPress): ApprovalKeyOutcome {
  const choose: ApprovalStep = { kind: 'choose' };
  if (press.kind === 'key') {
    if (press.ctrl && press.name === 'c') return { step: choose, cancel: true };
    if (step.kind === 'reason') {
      if (press.name === 'escape') return { step: choose };
      if (press.name === 'return') {
        const reason = step.text.trim();
        return { step: choose, answer: { decision: 'denied', ...(reason ? { reason } : {}) } };
      }
      if (press.name === 'backspace' || press.name === 'delete')
        return { step: { kind: 'reason', text: clusters(step.text).slice(0, -1).join('') } };
      return { step };
    }
    if (press.name === 'escape') return { step: choose, cancel: true };
    return { step };
  }
  // Printable text only: a control character pasted here is not a reason.
  const text = press.text.replace(/[\x00-\x1f\x7f-\x9f]/g, press.kind === 'paste' ? ' ' : '');
  if (step.kind === 'reason') return { step: { kind: 'reason', text: (step.text + text).slice(0, MAX_REASON) } };
  // A paste is not a choice: pasted text that starts with "y" must not allow a call.
  if (press.kind === 'paste' || !text) return { step };
  const [head = '', ...tail] = clusters(text);
  const choice = head.toLowerCase();
  if (choice === 'y') return { step: choose, answer: { decision: 'allowed', scope: 'once' } };
  if (choice === 'a') return { step: choose, answer: { decision: 'allowed', scope: 'session' } };
  const rest: KeyPress | undefined = tail.length ? { kind: 'text', text: tail.join('') } : undefined;
  if (choice === 'n')
    return rest ? approvalKey({ kind: 'reason', text: '' }, rest) : { step: { kind: 'reason', text: '' } };
  return rest ? approvalKey(step, rest) : { step };
}

/**
 * The keys of the panel while a question is shown; `cancel` cancels the round (Esc, Ctrl+C). Keys are read with
 * useKeyPresses, so several read at once each act, in order, on what the one before left. `shown` (use-shown.ts): the
 * question's frame is on screen — keys read before that were typed at the prompt and stay there.
 */
export function useApprovalKeys(
  queue: { current: PendingApproval | undefined; first: () => PendingApproval | undefined },
  cancel: () => void,
  shown: () => boolean = () => true,
): ApprovalStep {
  const { current } = queue;
  // The step belongs to the question it was taken on: a new question starts at the choice.
  const [state, setState] = useState<{ of: PendingApproval | undefined; step: ApprovalStep }>({
    of: undefined,
    step: { kind: 'choose' },
  });
  // Keys can come faster than renders (a fast typist, several keys in one read): each key must see what the one
  // before it did, not the step of the last render, or typed reason text and the Enter after it are lost.
  const latest = useRef(state);
  const stepOf = (s: typeof state, of: PendingApproval | undefined): ApprovalStep =>
    s.of === of ? s.step : { kind: 'choose' };
  // Answered in this read: the keys after it are not for the next question, which the user has not seen yet.
  const answered = useRef(false);
  const onPress = (press: KeyPress): void => {
    const pending = queue.first();
    if (!pending || answered.current) return;
    const out = approvalKey(stepOf(latest.current, pending), press);
    latest.current = { of: pending, step: out.step };
    setState(latest.current);
    if (out.cancel) return cancel();
    if (out.answer) {
      answered.current = true;
      pending.answer(out.answer);
    }
  };
  useKeyPresses(onPress, {
    isActive: () => current !== undefined && shown(),
    onRead: () => (answered.current = false),
  });
  return stepOf(state, current);
}
