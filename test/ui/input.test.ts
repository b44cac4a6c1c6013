import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import {
  editKey,
  emptyEditor,
  parseSlash,
  queuedPreview,
  restoreQueued,
  type EditorState,
} from '../../src/ui/input.js';

const k = (over: Partial<Key> = {}): Key => ({
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
  ...over,
});
const type = (s: EditorState, text: string): EditorState => editKey(s, text, k(), []).state;

describe('prompt editor', () => {
  it('types, moves and deletes', () => {
    let s = type(emptyEditor(), 'helo');
    s = editKey(s, '', k({ leftArrow: true }), []).state;
    s = type(s, 'l');
    expect(s).toMatchObject({ text: 'hello', cursor: 4 });
    s = editKey(s, '', k({ delete: true }), []).state;
    expect(s).toMatchObject({ text: 'helo', cursor: 3 });
    s = editKey(s, 'a', k({ ctrl: true }), []).state;
    expect(s.cursor).toBe(0);
    s = editKey(s, 'k', k({ ctrl: true }), []).state;
    expect(s.text).toBe('');
  });

  it('submits on Enter, inserts a line break on Alt+Enter and after a trailing backslash', () => {
    let s = type(emptyEditor(), 'line one');
    s = editKey(s, '\r', k({ return: true, meta: true }), []).state;
    s = type(s, 'two\\');
    s = editKey(s, '\r', k({ return: true }), []).state;
    s = type(s, 'three');
    const out = editKey(s, '\r', k({ return: true }), []);
    expect(out.submit).toBe('line one\ntwo\nthree');
    expect(out.state.text).toBe('');
  });

  it('keeps pasted line breaks as text; typed-ahead text with Enter submits', () => {
    const pasted = editKey(emptyEditor(), 'a\r\nb\rc', k(), []);
    expect(pasted).toEqual({ state: expect.objectContaining({ text: 'a\nb\nc' }) });
    const bracketed = editKey(emptyEditor(), 'x\r', k(), [], true);
    expect(bracketed.submit).toBeUndefined();
    expect(bracketed.state.text).toBe('x\n');
    expect(editKey(emptyEditor(), 'hi there\r', k(), []).submit).toBe('hi there');
    // Typed before raw mode: the terminal's line discipline delivered Enter as a line feed.
    expect(editKey(emptyEditor(), 'typed early\n', k(), []).submit).toBe('typed early');
    expect(editKey(emptyEditor(), 'crlf\r\n', k(), []).submit).toBe('crlf');
    // Several lines in one chunk are a paste: nothing is sent.
    const twoLines = editKey(emptyEditor(), 'one\ntwo\n', k(), []);
    expect(twoLines.submit).toBeUndefined();
    expect(twoLines.state.text).toBe('one\ntwo\n');
  });

  it('browses history with ↑/↓ and restores the draft', () => {
    const history = ['first', 'second'];
    let s = type(emptyEditor(history.length), 'draft');
    s = editKey(s, '', k({ upArrow: true }), history).state;
    expect(s.text).toBe('second');
    s = editKey(s, '', k({ upArrow: true }), history).state;
    s = editKey(s, '', k({ upArrow: true }), history).state;
    expect(s.text).toBe('first');
    s = editKey(s, '', k({ downArrow: true }), history).state;
    s = editKey(s, '', k({ downArrow: true }), history).state;
    expect(s.text).toBe('draft');
  });

  it('moves between lines of a multi-line prompt before leaving for history', () => {
    let s: EditorState = { text: 'ab\ncd', cursor: 4, historyIndex: 1, draft: '' };
    s = editKey(s, '', k({ upArrow: true }), ['old']).state;
    expect(s).toMatchObject({ text: 'ab\ncd', cursor: 1 });
  });

  it('drops control characters from typed text', () => {
    expect(type(emptyEditor(), 'a\x1b[2Jb\x07').text).toBe('a[2Jb');
  });
});

describe('parseSlash', () => {
  it('parses commands and arguments, not paths or double slashes', () => {
    expect(parseSlash('/model gpt-4.1')).toEqual({ name: 'model', arg: 'gpt-4.1' });
    expect(parseSlash('  /HELP ')).toEqual({ name: 'help', arg: '' });
    expect(parseSlash('//not a command')).toBeUndefined();
    expect(parseSlash('hello /x')).toBeUndefined();
  });
});

describe('type-ahead queue helpers', () => {
  it('puts queued messages back before the draft, one per line, cursor at the end', () => {
    const draft = { ...type(emptyEditor(3), 'draft'), historyIndex: 1 };
    expect(restoreQueued(draft, ['one', 'two\nlines'], 5)).toEqual({
      text: 'one\ntwo\nlines\ndraft',
      cursor: 19,
      historyIndex: 5,
      draft: '',
    });
    expect(restoreQueued(emptyEditor(2), ['only'], 2)).toMatchObject({ text: 'only', cursor: 4 });
    expect(restoreQueued(draft, [], 5)).toBe(draft);
  });

  it('previews a queued message as one cut line without control characters', () => {
    expect(queuedPreview('a\nb', 20)).toBe('a ⏎ b');
    expect(queuedPreview('x\x1b]0;t\x07y\tz', 20)).toBe('x ]0;t y z');
    expect(queuedPreview('0123456789abc', 10)).toBe('012345678…');
    expect(queuedPreview('x'.repeat(100_000), 10)).toHaveLength(10);
  });
});
