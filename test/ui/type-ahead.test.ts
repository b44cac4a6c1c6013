import { describe, expect, it } from 'vitest';
import { nextStep, roundOutcome, takeBackHint } from '../../src/ui/use-type-ahead.js';

describe('type-ahead rules', () => {
  it('sends the next queued message after a completed run, and after a cancelled one (its queue was given back at the cancel)', () => {
    expect(nextStep({ status: 'completed' }, ['a', 'b'])).toEqual({ kind: 'send', next: 'a', rest: ['b'] });
    expect(nextStep({ status: 'cancelled' }, ['typed after esc'])).toEqual({
      kind: 'send',
      next: 'typed after esc',
      rest: [],
    });
    expect(nextStep({ status: 'completed' }, [])).toEqual({ kind: 'idle' });
  });

  it('gives the queue back after a run that did not complete, saying how it ended', () => {
    expect(nextStep({ status: 'failed' }, ['a'])).toEqual({ kind: 'take-back', why: 'the run ended: failed' });
    expect(nextStep({ status: 'max_turns' }, ['a'])).toEqual({ kind: 'take-back', why: 'the run ended: max turns' });
    expect(nextStep({ status: 'timeout', why: 'custom' }, ['a'])).toEqual({ kind: 'take-back', why: 'custom' });
  });

  it('sums up a round: cancelled if the user cancelled it, completed if every agent did, else naming who did not', () => {
    expect(
      roundOutcome([
        { agent: 'a', status: 'completed' },
        { agent: 'b', status: 'completed' },
      ]),
    ).toEqual({ status: 'completed' });
    expect(
      roundOutcome([
        { agent: 'a', status: 'completed' },
        { agent: 'b', status: 'cancelled' },
      ]),
    ).toEqual({ status: 'cancelled' });
    expect(
      roundOutcome([
        { agent: 'a', status: 'timeout' },
        { agent: 'b', status: 'completed' },
        { agent: 'c\x1b[2Jx', status: 'max_turns' },
      ]),
    ).toEqual({
      status: 'timeout',
      why: 'not every agent completed: a timeout, cx max turns',
    });
  });

  it('words the hint for one or several messages', () => {
    expect(takeBackHint(1, 'the run ended: failed')).toBe(
      'the queued message is back in the prompt (the run ended: failed)',
    );
    expect(takeBackHint(3, 'the run was cancelled')).toBe(
      '3 queued messages are back in the prompt (the run was cancelled)',
    );
  });
});
