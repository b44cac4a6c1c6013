import { describe, expect, it } from 'vitest';
import { oneLine } from '../../src/core/text/one-line.js';

describe('oneLine', () => {
  it('drops control characters and collapses whitespace', () => {
    expect(oneLine('  a\nb\t\x1b[31mc  ', 80)).toBe('a b [31mc');
  });
  it('cuts to max code points with an ellipsis, never splitting an emoji', () => {
    expect(oneLine('abcdef', 6)).toBe('abcdef');
    expect(oneLine('abcdefg', 6)).toBe('abcde…');
    const cut = oneLine('😀'.repeat(10), 5);
    expect(cut).toBe('😀😀😀😀…');
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no lone high surrogate
  });
});
