/**
 * Tool approvals in the terminal: the run's approver puts each question in a queue, the approval panel asks the first
 * one (parallel calls, and several agents, are asked one by one), and the keys answer it — `y` once, `a` always for
 * this tool in this session, `n` deny (then an optional reason for the model, Enter to send), Esc cancels the run.
 */
import { useInput } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApprovalAnswer, ApprovalRequest, Approver } from '../core/tools/approval.js';
import { clusters } from './graphemes.js';

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

/** The queue of questions and the run's approver that fills it. */
export function useApprovalQueue(): { current: PendingApproval | undefined; approve: Approver } {
  const [queue, setQueue] = useState<readonly PendingApproval[]>([]);
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
    [],
  );
  return { current: queue[0], approve };
}

/** The keys of the panel while a question is shown; `cancel` cancels the round (Esc, Ctrl+C). */
export function useApprovalKeys(current: PendingApproval | undefined, cancel: () => void): ApprovalStep {
  // The step belongs to the question it was taken on: a new question starts at the choice.
  const [state, setState] = useState<{ of: PendingApproval | undefined; step: ApprovalStep }>({
    of: undefined,
    step: { kind: 'choose' },
  });
  // Keys can come faster than renders (a fast typist, several keys in one read): each key must see what the one
  // before it did, not the step of the last render, or typed reason text and the Enter after it are lost.
  const latest = useRef(state);
  const stepOf = (s: typeof state): ApprovalStep => (s.of === current ? s.step : { kind: 'choose' });
  const setStep = (step: ApprovalStep): void => {
    latest.current = { of: current, step };
    setState(latest.current);
  };
  useInput(
    (input, key) => {
      if (!current) return;
      const shown = stepOf(latest.current);
      if (key.ctrl && input === 'c') return cancel();
      if (shown.kind === 'reason') {
        if (key.escape) return setStep({ kind: 'choose' });
        if (key.return) {
          const reason = shown.text.trim();
          return current.answer({ decision: 'denied', ...(reason ? { reason } : {}) });
        }
        if (key.backspace || key.delete) {
          const parts = clusters(shown.text);
          return setStep({ kind: 'reason', text: parts.slice(0, -1).join('') });
        }
        // Printable text only: a control sequence typed here is not a reason.
        const typed = input.replace(/[\x00-\x1f\x7f]/g, '');
        if (typed && !key.ctrl && !key.meta)
          setStep({ kind: 'reason', text: (shown.text + typed).slice(0, MAX_REASON) });
        return;
      }
      if (key.escape) return cancel();
      const choice = input.toLowerCase();
      if (choice === 'y') return current.answer({ decision: 'allowed', scope: 'once' });
      if (choice === 'a') return current.answer({ decision: 'allowed', scope: 'session' });
      if (choice === 'n') setStep({ kind: 'reason', text: '' });
    },
    { isActive: current !== undefined },
  );
  // Ink subscribes the handler above in an effect, after the frame with the question is drawn: a key pressed on that
  // frame would be lost. This effect runs after that subscription (effects run in order), so the keys are shown only
  // once they work.
  const [listening, setListening] = useState<PendingApproval | undefined>(undefined);
  useEffect(() => setListening(current), [current]);
  return current !== undefined && listening !== current ? { kind: 'opening' } : stepOf(state);
}
