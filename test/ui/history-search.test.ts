/** Ctrl+R as readline does it: newest match first, narrowing as typed, Ctrl+R for older, Enter takes, Esc cancels. */
import { describe, expect, it } from 'vitest';
import { searchKey, startSearch, type HistorySearch, type SearchOutcome } from '../../src/ui/history-search.js';
import type { KeyPress } from '../../src/ui/keys.js';

const history = [
  { text: 'git status' },
  { text: 'explain the Git log' },
  { text: 'write tests' },
  { text: 'git push' },
];
const key = (name: string, ctrl = false): KeyPress => ({ kind: 'key', name, ctrl, meta: false, shift: false });
const typed = (text: string): KeyPress => ({ kind: 'text', text });

function run(presses: KeyPress[]): SearchOutcome {
  let s: HistorySearch = startSearch(history);
  let out: SearchOutcome = { kind: 'search', search: s };
  for (const p of presses) {
    out = searchKey(s, p, history);
    if (out.kind !== 'search') return out;
    s = out.search;
  }
  return out;
}

describe('history search', () => {
  it('starts at the newest entry and narrows as text is typed (ignoring case)', () => {
    expect(run([])).toEqual({ kind: 'search', search: { query: '', match: 3 } });
    expect(run([typed('git')])).toEqual({ kind: 'search', search: { query: 'git', match: 3 } });
    expect(run([typed('git'), typed(' l')])).toEqual({ kind: 'search', search: { query: 'git l', match: 1 } });
  });

  it('ctrl+r goes to older matches and stays at the oldest; ctrl+s comes back', () => {
    const older = [typed('git'), key('r', true), key('r', true)];
    expect(run(older)).toEqual({ kind: 'search', search: { query: 'git', match: 0 } });
    expect(run([...older, key('r', true)])).toEqual({ kind: 'search', search: { query: 'git', match: 0 } });
    expect(run([...older, key('s', true)])).toEqual({ kind: 'search', search: { query: 'git', match: 1 } });
  });

  it('no match, then backspace widens it again', () => {
    expect(run([typed('xyz')])).toEqual({ kind: 'search', search: { query: 'xyz', match: -1 } });
    expect(run([typed('tests!'), key('backspace')])).toEqual({
      kind: 'search',
      search: { query: 'tests', match: 2 },
    });
  });

  it('enter takes the match, esc and ctrl+g cancel, an arrow takes it and then moves', () => {
    expect(run([typed('write'), key('return')])).toEqual({ kind: 'accept', entry: { text: 'write tests' } });
    expect(run([typed('write'), key('escape')])).toEqual({ kind: 'cancel' });
    expect(run([typed('write'), key('g', true)])).toEqual({ kind: 'cancel' });
    expect(run([typed('push'), key('left')])).toEqual({
      kind: 'accept',
      entry: { text: 'git push' },
      then: key('left'),
    });
  });
});
