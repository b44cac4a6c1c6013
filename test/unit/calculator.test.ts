import { describe, expect, it } from 'vitest';
import { calculator, evaluate, formatNumber } from '../../src/core/tools/calculator.js';

describe('calculator', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ^ 3 ^ 2', 512],
    ['2 ** 10', 1024],
    ['-2 ^ 2', -4],
    ['(17 * 23) + sqrt(144)', 403],
    ['10 % 4', 2],
    ['max(1, 5, 3) - min(4, 2)', 3],
    ['round(pi * 100) / 100', 3.14],
    ['1.5e3 / .5', 3000],
    ['6 × 7 ÷ 2', 21],
  ])('%s = %d', (expr, value) => {
    expect(evaluate(expr)).toBeCloseTo(value, 10);
  });

  it.each([
    ['1 / 0', /division by zero/],
    ['2 +', /unexpected end/],
    ['(1 + 2', /expected "\)"/],
    ['process.exit(1)', /bad number|unknown name|unexpected/],
    ['constructor.constructor("return 1")()', /bad number|unexpected character|unknown name/],
    ['1; 2', /unexpected character/],
    ['foo(2)', /unknown name "foo"/],
  ])('rejects %s', (expr, message) => {
    expect(() => evaluate(expr)).toThrow(message);
  });

  it('formats without float noise', () => {
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
    expect(
      calculator.execute(
        { expression: '0.1 + 0.2' },
        { signal: new AbortController().signal, run_id: 'r', call_id: 'c' },
      ),
    ).toBe('0.3');
  });
});
