/**
 * A property test over generated markdown (paragraphs with inline markup, lists, code, tables, CJK, emoji, quotes),
 * streamed in random chunks through the chat's reducer at random terminal sizes, one agent or two: at every frame the
 * live region fits the rows it is given and every line fits the width; at the end, every token of the answer was
 * printed exactly once, in order.
 */
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/events.js';
import { chatReducer, initialChatState, type ChatState } from '../../src/ui/chat-state.js';
import { layoutLive } from '../../src/ui/layout/live.js';
import { displayWidth } from '../../src/ui/layout/width.js';
import { plain } from './helpers.js';

/** A small seeded PRNG (mulberry32), so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FILLER = [
  'alpha',
  'beta',
  'δέλτα',
  '中文',
  '词语',
  '😀',
  'wide👍🏽',
  'x',
  'longerwordthatkeepsgoing',
  'é',
  'naïve',
];

/** A generated document whose numbered tokens (`tNt`) are what the test follows. */
function document(r: () => number, maxColumns: number): { text: string; tokens: number } {
  let n = 0;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const token = (): string => `t${n++}t`;
  const words = (k: number): string =>
    Array.from({ length: k }, () => {
      const w = r() < 0.5 ? token() : pick(FILLER);
      const roll = r();
      return roll < 0.06 ? `**${w}**` : roll < 0.1 ? `\`${w}\`` : roll < 0.13 ? `*${w}*` : w;
    }).join(r() < 0.05 ? '\n' : ' ');
  const cjk = (k: number): string => Array.from({ length: k }, () => `${token()}这是中文句子没有空格`).join('');
  const blocks: string[] = [];
  const count = int(1, 8);
  for (let b = 0; b < count; b++) {
    const kind = pick([
      'para',
      'para',
      'para',
      'long',
      'cjk',
      'list',
      'olist',
      'code',
      'table',
      'quote',
      'heading',
      'hr',
    ]);
    switch (kind) {
      case 'para':
        blocks.push(words(int(1, 40)));
        break;
      case 'long':
        blocks.push(words(int(100, 400)));
        break;
      case 'cjk':
        blocks.push(cjk(int(1, 40)));
        break;
      case 'list':
      case 'olist':
        blocks.push(
          Array.from(
            { length: int(1, 12) },
            (_, i) =>
              `${kind === 'olist' ? `${i + 1}.` : '-'} ${words(int(1, 30))}${r() < 0.2 ? `\n  - ${words(int(1, 8))}` : ''}`,
          ).join('\n'),
        );
        break;
      case 'code':
        blocks.push(
          [
            '```ts',
            ...Array.from(
              { length: int(1, 50) },
              () => `${' '.repeat(int(0, 8))}const v = "${token()}" + ${'x'.repeat(int(0, 140))};`,
            ),
            '```',
          ].join('\n'),
        );
        break;
      case 'table': {
        const cols = int(2, Math.max(2, Math.min(5, maxColumns)));
        const row = (): string =>
          `| ${Array.from({ length: cols }, () => `${token()} ${r() < 0.3 ? pick(FILLER) : ''}${r() < 0.1 ? ' and more words in this cell' : ''}`).join(' | ')} |`;
        blocks.push(
          [
            `| ${Array.from({ length: cols }, (_, i) => `h${i}`).join(' | ')} |`,
            `|${Array.from({ length: cols }, () => pick([':---', ':---:', '---:', '---'])).join('|')}|`,
            ...Array.from({ length: int(1, 40) }, row),
          ].join('\n'),
        );
        break;
      }
      case 'quote':
        blocks.push(`> ${words(int(1, 60))}`);
        break;
      case 'heading':
        blocks.push(`${'#'.repeat(int(1, 3))} ${words(int(1, 6))}`);
        break;
      default:
        blocks.push('---');
    }
  }
  return { text: blocks.join(r() < 0.1 ? '\n' : '\n\n'), tokens: n };
}

function chunked(text: string, r: () => number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    const size = 1 + Math.floor(r() * (r() < 0.1 ? 200 : 24));
    out.push(text.slice(i, i + size));
    i += size;
  }
  return out;
}

const SEEDS = Number(process.env['LIVE_BOUND_SEEDS'] ?? 60);

describe('the live region, for any answer', () => {
  it('never takes more rows than it is given, never a line wider than the terminal; every token printed once, in order', () => {
    const only = Number(process.env['SEED'] ?? 0);
    for (let seed = only || 1; seed <= (only || SEEDS); seed++) {
      const t0 = performance.now();
      const r = rng(seed);
      const width = 20 + Math.floor(r() * 100);
      const rows = 8 + Math.floor(r() * 42);
      const agents = r() < 0.3 ? ['alpha', 'beta'] : ['solo'];
      // Table columns at least as wide as their numbered tokens, so each one can be read back from a single line.
      const docs = agents.map(() => document(r, Math.floor((width + 3) / 16)));
      let s: ChatState = initialChatState(
        agents.map((name) => ({ name, model: 'm', isDemo: false })),
        { width, rows, color: r() < 0.5 },
      );
      s = chatReducer(s, { type: 'start', prompt: 'q', now: 0 });
      const streams = agents.map((_, i) => chunked((docs[i] as { text: string }).text, r));
      const seq = agents.map(() => 0);
      let now = 0;
      const event = (i: number, p: object): AgentEvent =>
        ({ run_id: `r${i}`, seq: seq[i]!++, ts: now, agent: agents[i], ...p }) as AgentEvent;
      const batch: AgentEvent[] = agents.map((_, i) => event(i, { type: 'run_start', model: 'm', input: 'q' }));
      while (streams.some((c) => c.length > 0)) {
        for (let k = Math.floor(r() * 6); k >= 0; k--) {
          const i = Math.floor(r() * agents.length);
          const chunk = streams[i]?.shift();
          if (chunk !== undefined) batch.push(event(i, { type: 'text_delta', text: chunk, turn: 1 }));
        }
        now += 33;
        s = chatReducer(s, { type: 'events', events: batch.splice(0) });
        const prompt = Math.floor(r() * (rows / 3));
        const budget = rows - 1 - prompt;
        const live = layoutLive(s, now, budget);
        const context = `seed ${seed}, ${width}x${rows}, budget ${budget}`;
        expect(live.length, context).toBeLessThanOrEqual(Math.max(0, budget));
        for (const line of live) expect(displayWidth(line), `${context}: ${plain(line)}`).toBeLessThanOrEqual(width);
      }
      const ends = agents.map((_, i) =>
        event(i, {
          type: 'run_end',
          status: 'completed',
          text: '',
          usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
          duration_ms: now,
        }),
      );
      s = chatReducer(s, { type: 'events', events: ends });
      expect(s.round, `seed ${seed}`).toBeNull();
      const printed = plain(s.print.flatMap((p) => p.lines).join('\n'));
      for (const line of printed.split('\n')) expect(displayWidth(line), `seed ${seed}`).toBeLessThanOrEqual(width);
      // Rows that wrap a word (CJK, a long token) break it between characters, and indent it in a list: compare
      // without line breaks and indentation.
      const found = [...printed.replace(/\n */g, '').matchAll(/t(\d+)t/g)].map((m) => Number(m[1]));
      const expected = docs.flatMap((d) => Array.from({ length: d.tokens }, (_, k) => k));
      if (only) process.stderr.write(`${docs.map((d) => d.text).join('\n=====\n')}\n----- printed:\n${printed}\n`);
      expect(found, `seed ${seed}, ${width}x${rows}`).toEqual(expected);
      if (process.env['TIMES'])
        process.stderr.write(
          `seed ${seed} ${(performance.now() - t0).toFixed(0)}ms ${docs.map((d) => d.text.length).join('+')} chars ${width}x${rows}\n`,
        );
    }
  });
});
