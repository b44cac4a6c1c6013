/**
 * The progress line while a call waits for the user's approval says so ("waiting for your approval"), instead of
 * "running <tool>" or a model stall counted from the request — a remote agent's question (chat --a2a) comes with no
 * tool_call before it. After the decision the stall clock starts again.
 */
import { describe, expect, it } from 'vitest';
import type { EventPayload } from '../../src/core/events.js';
import { chatReducer, initialChatState, type Panel } from '../../src/ui/chat-state.js';
import { activity } from '../../src/ui/layout/live.js';
import { script } from './script.js';

const T0 = 1_000_000;

function panelAfter(payloads: EventPayload[]): Panel {
  const s0 = chatReducer(
    initialChatState([{ name: 'assistant', model: 'm', isDemo: false }], { width: 80, rows: 24, color: false }),
    {
      type: 'start',
      prompt: 'q',
      now: T0,
    },
  );
  const s = chatReducer(s0, { type: 'events', events: script(payloads, { t0: T0, stepMs: 100 }) });
  return s.round?.panels[0] as Panel;
}

const request: EventPayload = {
  type: 'tool_approval_request',
  call_id: 'r1',
  name: 'write_note',
  args: { text: 'milk' },
  reason: 'the remote agent asks',
  turn: 1,
};

describe('the progress line while approving', () => {
  it('says "waiting for your approval" for as long as the question waits, then counts from the decision', () => {
    const start: EventPayload = { type: 'run_start', model: 'm', input: 'q' };
    const waiting = panelAfter([start, request]);
    expect(activity(waiting, T0 + 60_000, false)).toEqual({ text: 'waiting for your approval', stalled: false });
    const decided = panelAfter([
      start,
      request,
      {
        type: 'tool_approval',
        call_id: 'r1',
        name: 'write_note',
        decision: 'allowed',
        by: 'user',
        scope: 'once',
        turn: 1,
      },
    ]);
    expect(activity(decided, T0 + 1_000, false).text).not.toMatch(/approval|waiting for the model/);
    expect(activity(decided, T0 + 4_300, false)).toMatchObject({
      text: 'waiting for the model · 4 s since the last token',
    });
  });

  it('a local call waiting for approval says so too, not "running"', () => {
    const panel = panelAfter([
      { type: 'run_start', model: 'm', input: 'q' },
      { type: 'tool_call', call_id: 'r1', name: 'write_note', args: { text: 'milk' }, turn: 1 },
      request,
    ]);
    expect(activity(panel, T0 + 2_000, false).text).toBe('waiting for your approval');
  });
});
