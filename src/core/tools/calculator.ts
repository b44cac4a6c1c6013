/**
 * `calculator`: safe arithmetic by a small recursive-descent parser — never `eval` or `Function`, so model-supplied
 * text cannot run code.
 */
import { tool } from './tool.js';

const FUNCTIONS: Record<string, (...xs: number[]) => number> = {
  sqrt: Math.sqrt,
  cbrt: Math.cbrt,
  abs: Math.abs,
  round: Math.round,
  floor: Math.floor,
  ceil: Math.ceil,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  exp: Math.exp,
  ln: Math.log,
  log: Math.log10,
  log2: Math.log2,
  min: Math.min,
  max: Math.max,
  pow: Math.pow,
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E, tau: 2 * Math.PI };
const MAX_LENGTH = 1000;

type Token = { kind: 'num'; value: number } | { kind: 'id'; value: string } | { kind: 'op'; value: string };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
      if (!m) throw new Error(`bad number at position ${i + 1}`);
      tokens.push({ kind: 'num', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[a-zA-Z_]/.test(c)) {
      const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(src.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'id', value: m[0].toLowerCase() });
      i += m[0].length;
    } else if (src.startsWith('**', i)) {
      tokens.push({ kind: 'op', value: '^' });
      i += 2;
    } else if ('+-*/%^(),×÷'.includes(c)) {
      tokens.push({ kind: 'op', value: c === '×' ? '*' : c === '÷' ? '/' : c });
      i++;
    } else {
      throw new Error(`unexpected character "${c}" at position ${i + 1}`);
    }
  }
  return tokens;
}

/** Evaluates an arithmetic expression: + - * / % ^ (or **), parentheses, unary minus, functions, pi/e. */
export function evaluate(expression: string): number {
  if (expression.length > MAX_LENGTH) throw new Error(`expression longer than ${MAX_LENGTH} characters`);
  const tokens = tokenize(expression);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (v: string): boolean => {
    const t = peek();
    return t?.kind === 'op' && t.value === v;
  };
  const expect = (v: string): void => {
    if (!isOp(v)) throw new Error(`expected "${v}"`);
    pos++;
  };

  // expr := term (('+'|'-') term)*
  const expr = (): number => {
    let v = term();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[pos++] as Token).value;
      const r = term();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  // term := unary (('*'|'/'|'%') unary)*
  const term = (): number => {
    let v = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = (tokens[pos++] as Token).value;
      const r = unary();
      if ((op === '/' || op === '%') && r === 0) throw new Error('division by zero');
      v = op === '*' ? v * r : op === '/' ? v / r : v % r;
    }
    return v;
  };
  // unary := ('-'|'+') unary | power   (so -2^2 = -4, as in mathematics)
  const unary = (): number => {
    if (isOp('-')) {
      pos++;
      return -unary();
    }
    if (isOp('+')) {
      pos++;
      return unary();
    }
    return power();
  };
  // power := primary ('^' unary)?   (right-associative)
  const power = (): number => {
    const base = primary();
    if (isOp('^')) {
      pos++;
      return base ** unary();
    }
    return base;
  };
  const primary = (): number => {
    const t = peek();
    if (!t) throw new Error('unexpected end of expression');
    if (t.kind === 'num') {
      pos++;
      return t.value;
    }
    if (t.kind === 'op' && t.value === '(') {
      pos++;
      const v = expr();
      expect(')');
      return v;
    }
    if (t.kind === 'id') {
      pos++;
      const fn = FUNCTIONS[t.value];
      if (fn) {
        expect('(');
        const args: number[] = [];
        if (!isOp(')')) {
          args.push(expr());
          while (isOp(',')) {
            pos++;
            args.push(expr());
          }
        }
        expect(')');
        return fn(...args);
      }
      const c = CONSTANTS[t.value];
      if (c !== undefined) return c;
      throw new Error(`unknown name "${t.value}"`);
    }
    throw new Error(`unexpected "${t.value}"`);
  };

  const value = expr();
  if (pos < tokens.length) throw new Error(`unexpected "${(tokens[pos] as Token).value}"`);
  if (!Number.isFinite(value)) throw new Error('result is not a finite number');
  return value;
}

/** Formats a result without binary floating-point noise (0.1+0.2 → 0.3). */
export function formatNumber(value: number): string {
  return String(Number.parseFloat(value.toPrecision(15)));
}

/** The built-in calculator tool. */
export const calculator = tool<{ expression: string }>({
  name: 'calculator',
  description:
    'Evaluate an arithmetic expression exactly. Supports + - * / % ^, parentheses, sqrt, abs, round, floor, ceil, ' +
    'sin, cos, tan, ln, log (base 10), exp, min, max, pow, and the constants pi and e.',
  parameters: {
    type: 'object',
    properties: { expression: { type: 'string', description: 'e.g. "(17 * 23) + sqrt(144)"' } },
    required: ['expression'],
    additionalProperties: false,
  },
  execute: ({ expression }) => {
    if (typeof expression !== 'string' || !expression.trim())
      throw new Error('"expression" must be a non-empty string');
    return formatNumber(evaluate(expression));
  },
  readOnly: true,
});
