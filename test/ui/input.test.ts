import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clusters, displayWidth, hasJoiners, wellFormed } from '../../src/ui/graphemes.js';
import { InputHistory } from '../../src/ui/history-store.js';
import {
  editKey,
  emptyEditor,
  parseSlash,
  queuedPreview,
  restoreQueued,
  type EditorState,
  type PromptEntry,
} from '../../src/ui/input.js';
import { decodeKeys, KeyReader, type KeyPress } from '../../src/ui/keys.js';
import { entryPreview, expand, pasteLabel } from '../../src/ui/paste.js';
import { promptRows, promptTextWidth, windowOf } from '../../src/ui/prompt-rows.js';

/** Feeds raw terminal input (one Ink input event per string) through the decoder and the editor. */
function editor(history: readonly PromptEntry[] = [], width?: number) {
  const reader = new KeyReader();
  let state: EditorState = emptyEditor(history.length);
  const sent: PromptEntry[] = [];
  const feed = (...events: string[]) => {
    for (const ev of events)
      for (const press of reader.push(ev)) {
        const out = editKey(state, press, history, width === undefined ? {} : { width });
        state = out.state;
        if (out.submit) sent.push(out.submit);
      }
    return api;
  };
  const api = {
    feed,
    get state() {
      return state;
    },
    set state(s: EditorState) {
      state = s;
    },
    sent,
    /** The text with a "|" at the cursor. */
    get shown() {
      return `${state.text.slice(0, state.cursor)}|${state.text.slice(state.cursor)}`;
    },
  };
  return api;
}

const LEFT = '\x1b[D';
const RIGHT = '\x1b[C';
const UP = '\x1b[A';
const DOWN = '\x1b[B';
const BS = '\x7f';
const DEL = '\x1b[3~';
const paste = (text: string): string => `\x1b[200~${text}\x1b[201~`;

const FAMILY = '👨‍👩‍👧';
const FLAG = '🇫🇷';
const E_ACUTE = 'e\u0301'; // e + combining acute accent: one grapheme, two code units
const THUMB = '👍🏽'; // with a skin tone
const CJK = '你好世界';

describe('decoding terminal input', () => {
  it('keeps keys read at once as keys: text, Enter, text, Enter', () => {
    expect(decodeKeys('hello\r/exit\r')).toEqual([
      { kind: 'text', text: 'hello' },
      expect.objectContaining({ kind: 'key', name: 'return' }),
      { kind: 'text', text: '/exit' },
      expect.objectContaining({ kind: 'key', name: 'return' }),
    ]);
    expect(decodeKeys('ab\x7fc\x17')).toEqual([
      { kind: 'text', text: 'ab' },
      expect.objectContaining({ name: 'backspace' }),
      { kind: 'text', text: 'c' },
      expect.objectContaining({ name: 'w', ctrl: true }),
    ]);
  });

  it('tells Backspace from Delete, and reads Ctrl/Alt with arrows, Alt+Backspace, Shift+Enter', () => {
    const one = (s: string): KeyPress => decodeKeys(s)[0] as KeyPress;
    expect(one('\x7f')).toMatchObject({ name: 'backspace', meta: false });
    expect(one('\x1b[3~')).toMatchObject({ name: 'delete' });
    expect(one('\x1b\x7f')).toMatchObject({ name: 'backspace', meta: true });
    expect(one('\x1b[1;5D')).toMatchObject({ name: 'left', ctrl: true });
    expect(one('\x1b[1;3C')).toMatchObject({ name: 'right', meta: true });
    expect(one('\x1b\x1b[D')).toMatchObject({ name: 'left', meta: true });
    expect(one('\x1bb')).toMatchObject({ name: 'b', meta: true });
    expect(one('\x1b\r')).toMatchObject({ name: 'return', meta: true });
    expect(one('\x1b[13;2u')).toMatchObject({ name: 'return', shift: true });
    expect(one('\x1b[27;2;13~')).toMatchObject({ name: 'return', shift: true });
    expect(one('\x1b[97;5u')).toMatchObject({ name: 'a', ctrl: true });
    expect(one('\x1b[97u')).toEqual({ kind: 'text', text: 'a' });
    expect(one('\x1b[97;1:3u')).toMatchObject({ name: 'unknown' });
    expect(one('\x1bOH')).toMatchObject({ name: 'home' });
    expect(one('\x1b[4~')).toMatchObject({ name: 'end' });
    expect(one('\x01')).toMatchObject({ name: 'a', ctrl: true });
    // Ctrl+J alone is a new line; text typed before raw mode ends in "\n" (the line discipline's Enter).
    expect(one('\n')).toMatchObject({ name: 'j', ctrl: true });
    expect(decodeKeys('typed early\n')[1]).toMatchObject({ name: 'return' });
    expect(decodeKeys('a\r\n')).toHaveLength(2);
  });

  it('never turns an unknown escape sequence (focus report, F5) into typed text', () => {
    for (const seq of ['\x1b[I', '\x1b[O', '\x1b[15~', '\x1b[<0;10;5M'])
      expect(decodeKeys(seq)).toEqual([expect.objectContaining({ kind: 'key', name: 'unknown' })]);
  });

  it('collects a bracketed paste over several reads, with its markers split anywhere', () => {
    const r = new KeyReader();
    expect(r.push('\x1b[200~')).toEqual([]);
    expect(r.pasting).toBe(true);
    expect(r.push('line 1\r\nline 2\r')).toEqual([]);
    expect(r.push('line 3 \x1b[31mred\x1b[0m\x07')).toEqual([]);
    // Ink flushes a pending partial escape sequence on its own when the rest is late.
    expect(r.push('\x1b[20')).toEqual([]);
    expect(r.push('1~after')).toEqual([
      { kind: 'paste', text: 'line 1\nline 2\nline 3 red' },
      { kind: 'text', text: 'after' },
    ]);
    expect(r.pasting).toBe(false);
    // A split start marker is held until the next event says what it is.
    expect(r.push('\x1b[20')).toEqual([]);
    expect(r.push('0~x\ry')).toEqual([]);
    expect(r.push('\x1b[201~')).toEqual([{ kind: 'paste', text: 'x\ny' }]);
    // A paste whose end marker never comes is ended from outside (the prompt does it after a quiet while).
    r.push('\x1b[200~lost end\r');
    expect(r.flush()).toEqual([{ kind: 'paste', text: 'lost end\n' }]);
    expect(r.push('k')).toEqual([{ kind: 'text', text: 'k' }]);
    expect(r.flush()).toEqual([]);
    expect(r.push('\x1b[2')).toEqual([]);
    expect(r.push('\x1b[A')).toEqual([
      expect.objectContaining({ name: 'unknown' }),
      expect.objectContaining({ name: 'up' }),
    ]);
  });
});

describe('grapheme clusters', () => {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const reference = (s: string): string[] => Array.from(segmenter.segment(s), (x) => x.segment);

  it('a code point outside the joiners list never joins a neighbour (every code point of planes 0 and 1, before itself, ASCII and the next one)', () => {
    const groups: string[] = [];
    for (let cp = 0x80; cp <= 0x1ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      if (!hasJoiners(c)) groups.push(`${c}${c}a`);
    }
    const wrong: string[] = [];
    // 64 code points at a time: Intl.Segmenter is slow on one long text.
    for (let i = 0; i < groups.length; i += 64) {
      const piece = groups.slice(i, i + 64).join('');
      const want = reference(piece);
      if (want.length !== Array.from(piece).length) wrong.push(...want.filter((g) => Array.from(g).length > 1));
    }
    expect(wrong).toEqual([]);
    expect(groups.length).toBeGreaterThan(60_000);
  });

  it('segments long texts in pieces with the same clusters as at once', () => {
    const tricky = [
      'a',
      ' ',
      '你',
      FAMILY,
      FLAG,
      '🇩🇪',
      E_ACUTE,
      THUMB,
      '\u0301',
      '\u200d',
      '❤️',
      '각',
      '\u1100\u1161',
      '\r\n',
    ];
    let seed = 3;
    let text = '';
    while (text.length < 3000) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      text += tricky[seed % tricky.length] as string;
    }
    expect(clusters(text)).toEqual(reference(text));
  });
});

describe('editing by grapheme cluster', () => {
  it('types x😀, Backspace: "x" is left, never half an emoji', () => {
    const e = editor().feed('x😀', BS, '\r');
    expect(e.sent).toEqual([{ text: 'x' }]);
  });

  it('steps and deletes whole clusters: ZWJ family, flag, combining mark, skin tone, CJK', () => {
    const text = `a${FAMILY}${FLAG}${E_ACUTE}${THUMB}${CJK}`;
    const e = editor().feed(text);
    expect(e.state.cursor).toBe(text.length);
    const stops: number[] = [];
    for (let i = 0; i < 10; i++) {
      e.feed(LEFT);
      stops.push(e.state.cursor);
    }
    expect(stops).toEqual([
      text.length - 1,
      text.length - 2,
      text.length - 3,
      text.length - 4,
      text.length - 4 - THUMB.length,
      text.length - 4 - THUMB.length - E_ACUTE.length,
      1 + FAMILY.length,
      1,
      0,
      0,
    ]);
    e.feed(RIGHT, RIGHT);
    expect(e.shown).toBe(`a${FAMILY}|${FLAG}${E_ACUTE}${THUMB}${CJK}`);
    e.feed(DEL);
    expect(e.shown).toBe(`a${FAMILY}|${E_ACUTE}${THUMB}${CJK}`);
    e.feed('\x04'); // Ctrl+D deletes at the cursor too
    expect(e.shown).toBe(`a${FAMILY}|${THUMB}${CJK}`);
    e.feed(BS);
    expect(e.shown).toBe(`a|${THUMB}${CJK}`);
    e.feed(RIGHT, BS);
    expect(e.shown).toBe(`a|${CJK}`);
  });

  it('never holds a lone surrogate or a cursor inside a cluster, whatever the keys (a random walk)', () => {
    const pieces = [FAMILY, FLAG, '🇩🇪', '🇺', E_ACUTE, '\u0301', THUMB, '🏽', '\u200d', CJK, 'x', ' ', 'wörd'];
    const keys = [LEFT, RIGHT, UP, DOWN, BS, DEL, '\x1b\x7f', '\x1b[1;5D', '\x1b[1;5C', '\x17', '\x15', '\x0b', '\n'];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const e = editor([], 30);
    for (let step = 0; step < 3000; step++) {
      e.feed(rnd(2) ? (pieces[rnd(pieces.length)] as string) : (keys[rnd(keys.length)] as string));
      const { text, cursor } = e.state;
      expect(wellFormed(text)).toBe(text);
      const start = cursor === 0 ? 0 : text.lastIndexOf('\n', cursor - 1) + 1;
      const bounds = [0];
      for (const c of clusters(text.slice(start).split('\n')[0] as string))
        bounds.push((bounds.at(-1) as number) + c.length);
      expect(bounds).toContain(cursor - start);
    }
  });

  it('moves by word (Ctrl/Alt+←/→, Alt+B/F) and deletes words (Ctrl+W, Alt+Backspace, Alt+D)', () => {
    const e = editor().feed(`say hello-world ${FAMILY} now`);
    e.feed('\x1b[1;5D');
    expect(e.shown).toBe(`say hello-world ${FAMILY} |now`);
    e.feed('\x1b[1;3D');
    expect(e.shown).toBe(`say hello-|world ${FAMILY} now`);
    e.feed('\x1bb');
    expect(e.shown).toBe(`say |hello-world ${FAMILY} now`);
    e.feed('\x1bf');
    expect(e.shown).toBe(`say hello|-world ${FAMILY} now`);
    e.feed('\x1bd');
    expect(e.shown).toBe(`say hello| ${FAMILY} now`);
    e.feed('\x05', '\x1b\x7f');
    expect(e.shown).toBe(`say hello ${FAMILY} |`);
    e.feed('\x17');
    expect(e.shown).toBe(`say hello |`);
    e.feed('\x17');
    expect(e.shown).toBe(`say |`);
  });

  it('moves through CJK by word', () => {
    const e = editor().feed('我们 今天 学习');
    e.feed('\x1b[1;5D');
    expect(e.shown).toBe('我们 今天 |学习');
    e.feed('\x1b\x7f');
    expect(e.shown).toBe('我们 |学习');
  });

  it('Home/End, Ctrl+A/E/U/K act on the cursor’s line of a multi-line prompt with wide characters', () => {
    const e = editor();
    e.state = { ...emptyEditor(), text: `第一行 one\n${CJK} two ${FAMILY}\nlast`, cursor: 0 };
    e.feed(DOWN, RIGHT, RIGHT);
    expect(e.shown).toBe(`第一行 one\n你好|世界 two ${FAMILY}\nlast`);
    e.feed('\x1b[F');
    expect(e.shown).toBe(`第一行 one\n${CJK} two ${FAMILY}|\nlast`);
    e.feed('\x01');
    expect(e.shown).toBe(`第一行 one\n|${CJK} two ${FAMILY}\nlast`);
    e.feed('\x05', LEFT, LEFT, '\x0b');
    expect(e.shown).toBe(`第一行 one\n${CJK} two|\nlast`);
    // At the end of a line, Ctrl+K joins the next one; at its start, Ctrl+U joins the previous one.
    e.feed('\x0b');
    expect(e.shown).toBe(`第一行 one\n${CJK} two|last`);
    e.feed('\x15');
    expect(e.shown).toBe(`第一行 one\n|last`);
    e.feed('\x15');
    expect(e.shown).toBe(`第一行 one|last`);
    e.feed('\x1b[H');
    expect(e.shown).toBe(`|第一行 onelast`);
  });

  it('↑/↓ move by the rows on screen, at the same display column, before leaving for history', () => {
    // Width 16 leaves 10 columns for text: "你好世界你好" wraps after 5 ideographs (10 columns).
    const history = [{ text: 'older' }];
    const e = editor(history, 16).feed('ab你好世界你好世界');
    const rows = promptRows(e.state.text, {}, promptTextWidth(16));
    expect(rows.map((r) => r.cells.map((c) => c.text).join(''))).toEqual(['ab你好世界', '你好世界 ']);
    e.feed('\x01', RIGHT, RIGHT, RIGHT); // after "ab你": column 4
    e.feed(DOWN);
    expect(e.shown).toBe('ab你好世界你好|世界');
    e.feed(UP);
    expect(e.shown).toBe('ab你|好世界你好世界');
    e.feed(UP);
    expect(e.state.text).toBe('older');
    e.feed(DOWN);
    expect(e.state.text).toBe('ab你好世界你好世界');
  });

  it('submits on Enter; Alt+Enter, Shift+Enter, Ctrl+J and a trailing backslash make a new line', () => {
    const e = editor().feed('one', '\x1b\r', 'two', '\x1b[13;2u', 'three', '\n', 'four\\', '\r', 'five', '\r');
    expect(e.sent).toEqual([{ text: 'one\ntwo\nthree\nfour\nfive' }]);
    expect(e.state.text).toBe('');
  });

  it('sends each line of keys read at once: typed ahead before raw mode, or in one read from a busy terminal', () => {
    expect(editor().feed('hi there\r').sent).toEqual([{ text: 'hi there' }]);
    expect(editor().feed('typed early\n').sent).toEqual([{ text: 'typed early' }]);
    expect(editor().feed('one\ntwo\n').sent).toEqual([{ text: 'one' }, { text: 'two' }]);
    expect(editor().feed('hello\r/exit\r').sent).toEqual([{ text: 'hello' }, { text: '/exit' }]);
  });

  it('browses history with ↑/↓ and restores the draft', () => {
    const history = [{ text: 'first' }, { text: 'second' }];
    const e = editor(history).feed('draft', UP);
    expect(e.state.text).toBe('second');
    e.feed(UP, UP);
    expect(e.state.text).toBe('first');
    e.feed(DOWN, DOWN);
    expect(e.state.text).toBe('draft');
  });

  it('drops control characters and placeholder characters from typed text', () => {
    expect(editor().feed('a\x1b[2Jb\x07').state.text).toBe('ab');
    expect(editor().feed('a\u{100000}b').state.text).toBe('a\ufffdb');
  });
});

describe('pasting', () => {
  const file = Array.from({ length: 300 }, (_, i) => `line ${String(i).padStart(3, '0')}: ${'x'.repeat(64)}`).join(
    '\n',
  );

  it('inserts a line or two as text, and anything longer as one placeholder that is expanded when sent', () => {
    const e = editor().feed(paste('one line'), ' ', paste('two\r\nlines'));
    expect(e.state.text).toBe('one line two\nlines');
    e.feed('\x15', '\x15', '\x15', 'look: ', paste(`${file}\n`), ' thanks');
    expect(e.state.text).toMatch(/^look: \u{100000} thanks$/u);
    expect(pasteLabel(`${file}\n`)).toBe('[pasted 300 lines, 22 KB]');
    e.feed('\r');
    expect(e.sent[0]).toEqual({ text: `look: ${file}\n thanks`, pasted: [[6, 6 + file.length + 1]] });
  });

  it('a single very long line is a placeholder too', () => {
    const e = editor().feed(paste('y'.repeat(5000)));
    expect(entryPreview(expand(e.state.text, e.state.pastes))).toBe('[pasted 1 line, 4.9 KB]');
  });

  it('steps over a placeholder as one character; Backspace and Delete remove it whole', () => {
    const e = editor().feed('a', paste(file), 'b', LEFT);
    expect(e.state.cursor).toBe(3);
    e.feed(LEFT);
    expect(e.state.cursor).toBe(1);
    e.feed(DEL);
    expect(e.state.text).toBe('ab');
    expect(e.state.pastes).toEqual({});
    e.feed(paste(file), BS, '\r');
    expect(e.sent).toEqual([{ text: 'ab' }]);
  });

  it('drops trailing white space of a sent paste, and keeps where the pastes are', () => {
    const sent = editor().feed(paste('p1\np2\np3\n\n'), ' and ', paste('q1\nq2\nq3\n'), '\r').sent[0];
    expect(sent).toEqual({
      text: 'p1\np2\np3\n\n and q1\nq2\nq3',
      pasted: [
        [0, 10],
        [15, 23],
      ],
    });
  });

  it('↑ brings a sent prompt back with its placeholders, which expand the same way again', () => {
    const first = editor().feed('see ', paste(file), '\r').sent[0] as PromptEntry;
    const e = editor([first]).feed(UP);
    expect(e.state.text).toMatch(/^see \u{100000}$/u);
    e.feed(BS, BS, BS, BS, BS, 'saw ', paste(file), '\r');
    expect(e.sent[0]).toEqual({ text: `saw ${file}`, pasted: [[4, 4 + file.length]] });
  });

  it('gives queued messages back into the prompt with their placeholders', () => {
    const queued: PromptEntry[] = [{ text: 'one' }, { text: `two ${file}`, pasted: [[4, 4 + file.length]] }];
    const s = restoreQueued({ ...emptyEditor(3), text: 'draft', cursor: 5 }, queued, 5);
    expect(s).toMatchObject({ text: 'one\ntwo \u{100000}\ndraft', cursor: 16, historyIndex: 5 });
    expect(expand(s.text, s.pastes)).toEqual({ text: `one\ntwo ${file}\ndraft`, pasted: [[8, 8 + file.length]] });
    const draft = { ...emptyEditor(3), text: 'draft', cursor: 5 };
    expect(restoreQueued(draft, [], 5)).toBe(draft);
  });
});

describe('the prompt’s rows', () => {
  it('wraps by display width, breaking at spaces, a cell after each line for the cursor', () => {
    const rows = (text: string, width: number): string[] =>
      promptRows(text, {}, width).map((r) => r.cells.map((c) => c.text).join(''));
    expect(rows('hello world again', 11)).toEqual(['hello ', 'world ', 'again ']);
    expect(rows('hello world again', 12)).toEqual(['hello world ', 'again ']);
    expect(rows('你好世界你好', 5)).toEqual(['你好', '世界', '你好 ']);
    expect(rows(`${FAMILY}${FAMILY}${FAMILY}`, 4)).toEqual([`${FAMILY}${FAMILY}`, `${FAMILY} `]);
    expect(rows('a\n\tb\n', 10)).toEqual(['a ', '    b ', ' ']);
    for (const text of [`${CJK} ${FAMILY} words ${E_ACUTE}`.repeat(7), 'x'.repeat(100)])
      for (const width of [1, 2, 3, 7, 20])
        for (const row of promptRows(text, {}, width))
          expect(row.cells.reduce((n, c) => n + c.width, 0)).toBeLessThanOrEqual(width);
  });

  it('shows the rows around the cursor and counts the rest', () => {
    const text = Array.from({ length: 30 }, (_, i) => `row ${i}`).join('\n');
    const end = windowOf(text, text.length, {}, 40, 5);
    expect(end).toMatchObject({ rows: 5, hidden: 25 });
    expect(
      end.lines.map((r) =>
        r.cells
          .map((c) => c.text)
          .join('')
          .trim(),
      ),
    ).toEqual(['row 25', 'row 26', 'row 27', 'row 28', 'row 29']);
    expect(windowOf(text, 0, {}, 40, 5).lines[0]?.cells[0]?.start).toBe(0);
    const middle = windowOf(text, text.indexOf('row 15'), {}, 40, 5);
    expect(middle.lines[middle.cursor.row]?.cells.map((c) => c.text).join('')).toBe('row 15 ');
    expect(middle.cursor.row).toBe(2);
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

describe('queued previews', () => {
  it('one line without control characters, cut to a number of columns (wide characters count two)', () => {
    expect(queuedPreview('a\nb', 20)).toBe('a ⏎ b');
    expect(queuedPreview('x\x1b]0;t\x07y\tz', 20)).toBe('x ]0;t y z');
    expect(queuedPreview('0123456789abc', 10)).toBe('012345678…');
    expect(queuedPreview('x'.repeat(100_000), 10)).toHaveLength(10);
    expect(queuedPreview(CJK.repeat(5), 9)).toBe('你好世界…');
    expect(displayWidth(queuedPreview(`${FAMILY}`.repeat(20), 11))).toBeLessThanOrEqual(11);
    expect(entryPreview({ text: 'see a\nb\nc', pasted: [[4, 9]] })).toBe('see [pasted 3 lines, 5 B]');
  });
});

describe('InputHistory', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const file = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'agentor-history-'));
    dirs.push(dir);
    return join(dir, 'history.jsonl');
  };

  it('writes plain prompts as strings and pasted ones with where the pastes are; reads both back', () => {
    const path = file();
    const h = new InputHistory(path);
    h.add('plain');
    h.add({ text: 'see a\nb\nc', pasted: [[4, 9]] });
    expect(readFileSync(path, 'utf8')).toBe('"plain"\n{"text":"see a\\nb\\nc","pasted":[[4,9]]}\n');
    expect(new InputHistory(path).items).toEqual([{ text: 'plain' }, { text: 'see a\nb\nc', pasted: [[4, 9]] }]);
    expect(new InputHistory(path).entries).toEqual(['plain', 'see a\nb\nc']);
  });

  it('never keeps a lone surrogate, and ignores broken paste ranges from a hand-edited file', () => {
    const path = file();
    writeFileSync(
      path,
      ['"x\\ud83d"', '{"text":"abc","pasted":[[2,9]]}', '{"text":"ok","pasted":[[0,2]]}', '{'].join('\n'),
    );
    expect(new InputHistory(path).items).toEqual([
      { text: 'x\ufffd' },
      { text: 'abc' },
      { text: 'ok', pasted: [[0, 2]] },
    ]);
    const h = new InputHistory(path);
    h.add('y\ud83d');
    expect(readFileSync(path, 'utf8').trim().split('\n').at(-1)).toBe('"y�"');
  });

  it('keeps a prompt over 64 K characters for this session only', () => {
    const path = file();
    const h = new InputHistory(path);
    h.add('z'.repeat(70_000));
    h.add('small');
    expect(h.entries).toHaveLength(2);
    expect(new InputHistory(path).entries).toEqual(['small']);
  });
});
