/**
 * Answers for the live-rendering tests and benchmarks: long content whose every token is numbered, so a test can check
 * that each one reached the screen exactly once and in order, streamed in chunks the size a model sends.
 */

/** A paragraph of `n` numbered words (`w0 w1 …`), no blank line in it, some of them bold or in code spans. */
export function paragraph(n: number, prefix = 'w'): string {
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = `${prefix}${i}`;
    words.push(i % 50 === 7 ? `**${w}**` : i % 37 === 5 ? `\`${w}\`` : i % 13 === 12 ? `${w}.` : w);
  }
  return words.join(' ');
}

/** A fenced code block of `n` lines, each wider than any terminal of the tests, indented like real code. */
export function wideCode(n: number): string {
  const lines = Array.from(
    { length: n },
    (_, i) =>
      `${' '.repeat((i % 3) * 2)}const value_${i} = compute(${i}, "an argument long enough to make this line wider than the terminal"); // line ${i}`,
  );
  return ['Here is the code:', '', '```ts', ...lines, '```', '', 'That was all of it.'].join('\n');
}

/** A CJK paragraph of `n` numbered sentences (`第N句…`), without spaces (it wraps between characters). */
export function cjkParagraph(n: number): string {
  return Array.from({ length: n }, (_, i) => `第${i}句：这是一个很长的中文段落，里面没有任何空格。`).join('');
}

/** A table with CJK cells and `n` numbered rows (`第N行`), centre- and right-aligned columns. */
export function cjkTable(n: number): string {
  const rows = Array.from({ length: n }, (_, i) => `| ${i} | 第${i}行 | 这一行的中文说明文字比较长 |`);
  return ['表格如下：', '', '| 编号 | 名称 | 说明 |', '|:--:|:---|---:|', ...rows, '', '表格结束。'].join('\n');
}

/** `text` in chunks of 3–11 characters (deterministic), as a model streams tokens. */
export function chunks(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  let k = 0;
  while (i < text.length) {
    const size = 3 + ((k++ * 7) % 9);
    out.push(text.slice(i, i + size));
    i += size;
  }
  return out;
}

/** The numbers of the tokens `pattern` (one capture group: the number) finds in `text`, in order. */
export function numbersIn(text: string, pattern: RegExp): number[] {
  return [...text.matchAll(pattern)].map((m) => Number(m[1]));
}

/** 0, 1, …, n-1. */
export function upTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
