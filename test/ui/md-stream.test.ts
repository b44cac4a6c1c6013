import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/ui/layout/markdown.js';
import {
  advanceStream,
  finishStream,
  newStream,
  openMarker,
  type MdStream,
  type StreamLayout,
} from '../../src/ui/layout/md-stream.js';
import { plain } from './helpers.js';

const LAYOUT: StreamLayout = { width: 30, rows: 20, color: false };

/** Streams `chunks`; returns what was printed after each one, what is live at the end, and everything at the end. */
function stream(chunks: string[], layout = LAYOUT) {
  let s: MdStream = newStream(false);
  const printed: string[][] = [];
  let live: string[] = [];
  for (const c of chunks) {
    const step = advanceStream(s, c, layout);
    s = step.stream;
    printed.push(step.commit.map(plain));
    live = step.live.map(plain);
  }
  const rest = finishStream(s, layout).commit.map(plain);
  return { printed, live, all: [...printed.flat(), ...rest] };
}

describe('a streamed markdown answer', () => {
  it('prints a paragraph’s rows as soon as the next row has started, and ends up as if rendered whole', () => {
    const text = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen';
    const r = stream(text.match(/.{1,4}/gs) ?? []);
    expect(r.printed.flat()).toEqual([
      'one two three four five six',
      'seven eight nine ten eleven',
      'twelve thirteen fourteen',
    ]);
    expect(r.live).toEqual(['fifteen']);
    expect(r.all).toEqual(renderMarkdown(text, { width: 30, color: false, code: { next: 1 } }).map(plain));
  });

  it('waits for an inline marker to close before printing its row, but not forever', () => {
    const r = stream(['aaa bbb ccc **ddd eee fff ggg hhh iii jjj kkk', ' lll**']);
    // The row holding "**ddd" was not printed while the marker was open: printed, it would show the asterisks.
    expect(r.printed[0]).toEqual([]);
    expect(r.all.join('\n')).toBe('aaa bbb ccc ddd eee fff ggg\nhhh iii jjj kkk lll');
    const never = stream(['x **open ' + 'word '.repeat(60)]);
    expect(never.printed[0]?.length).toBeGreaterThan(3);
    expect(openMarker([{ text: 'a snake_case 2 * 3 word', style: {}, src: 0 }])).toBe(-1);
    expect(openMarker([{ text: 'a `code', style: {}, src: 10 }])).toBe(12);
  });

  it('does not print a row of a line that may still become a table’s header', () => {
    const r = stream([
      '| a | b | c | d | e | f | g | h | i | j |',
      '\n|---|---|---|---|---|---|---|---|---|---|\n| 1 | 2 |',
    ]);
    expect(r.printed[0]).toEqual([]);
    expect(r.all[1]).toMatch(/^─+┼/);
  });

  it('prints a code block’s rule when its fence opens, then each line once it is complete, then the closing rule', () => {
    const r = stream(['Intro.\n\n```py\n', 'def f():\n    ret', 'urn 1\n', '```\n\nAfter.']);
    expect(r.printed).toEqual([
      ['Intro.', '', '── code 1 · py ─────────────────'.slice(0, 30)],
      ['def f():'],
      ['    return 1'],
      ['──────────────────────────────'],
    ]);
    expect(r.live).toEqual(['', 'After.']);
  });

  it('prints a list’s items but the last, numbering on where it left off', () => {
    const r = stream(['1. one\n2. tw', 'o\n3. three\n', '4. four']);
    expect(r.printed).toEqual([['1. one'], ['2. two'], ['3. three']]);
    expect(r.all).toEqual(['1. one', '2. two', '3. three', '4. four']);
  });

  it('keeps a short table live until it is complete, and prints a tall one in row blocks with fixed columns', () => {
    const short = stream(['| a | b |\n|---|--:|\n| 1 | 22 |\n', '| 3 | 4 |']);
    expect(short.printed.flat()).toEqual([]);
    expect(short.all).toEqual(['a │  b', '──┼───', '1 │ 22', '3 │  4']);
    const rows = Array.from({ length: 30 }, (_, i) => `| r${i} | ${'v'.repeat(i % 7)} |\n`);
    const tall = stream(['| key | value |\n|---|---|\n', ...rows, '\nAfter the table.'], { ...LAYOUT, rows: 10 });
    const firstBlock = tall.printed.findIndex((p) => p.length > 0);
    expect(firstBlock).toBeLessThan(10);
    expect(tall.all.filter((l) => /^r\d+/.test(l)).map((l) => l.split(' ')[0])).toEqual(rows.map((_, i) => `r${i}`));
    // Columns stay where the first block put them: every row's separator is in the same column.
    expect(new Set(tall.all.filter((l) => l.includes('│')).map((l) => l.indexOf('│'))).size).toBe(1);
    expect(tall.all.at(-1)).toBe('After the table.');
  });

  it('leaves a blank line between blocks, none inside a block printed in pieces', () => {
    const r = stream(['# Title\n\nA paragraph that is long enough to wrap past thirty columns.\n\n- a\n- b']);
    expect(r.all).toEqual([
      'Title',
      '',
      'A paragraph that is long',
      'enough to wrap past thirty',
      'columns.',
      '',
      '• a',
      '• b',
    ]);
  });
});
