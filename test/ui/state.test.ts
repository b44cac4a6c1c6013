import { describe, expect, it } from 'vitest';
import {
  initialState,
  outputTokens,
  reducer,
  tokensPerSecond,
  transcriptMarkdown,
  type UiAction,
  type UiState,
} from '../../src/ui/state.js';
import { end, script } from './script.js';

const start = (): UiState =>
  reducer(initialState({ agent: 'assistant', model: 'gpt-test', isDemo: false }), {
    type: 'submit',
    text: 'hi',
    now: 1_000_000,
  });
const feed = (s: UiState, events: UiAction & { type: 'events' }): UiState => reducer(s, events);
const kinds = (s: UiState): string[] => s.history.map((h) => h.kind);

describe('ui reducer', () => {
  it('starts with the header and records the prompt on submit', () => {
    const s = start();
    expect(kinds(s)).toEqual(['header', 'user']);
    expect(s.run).not.toBeNull();
    expect(s.run?.turn).toBe(1);
  });

  it('keeps an unfinished paragraph live and moves finished paragraphs to history', () => {
    let s = start();
    s = feed(s, {
      type: 'events',
      events: script([
        { type: 'run_start', model: 'm', input: 'hi' },
        { type: 'text_delta', text: 'First para', turn: 1 },
      ]),
    });
    expect(s.run?.text).toBe('First para');
    expect(kinds(s)).toEqual(['header', 'user']);
    s = feed(s, { type: 'events', events: script([{ type: 'text_delta', text: 'graph.\n\nSecond', turn: 1 }]) });
    expect(s.history.at(-1)).toMatchObject({ kind: 'assistant', text: 'First paragraph.', continued: false });
    expect(s.run?.text).toBe('Second');
    s = feed(s, { type: 'events', events: script([{ type: 'text_delta', text: ' one.\n\nThird', turn: 1 }]) });
    expect(s.history.at(-1)).toMatchObject({ kind: 'assistant', text: 'Second one.', continued: true });
  });

  it('never splits inside a fenced code block', () => {
    let s = start();
    s = feed(s, {
      type: 'events',
      events: script([{ type: 'text_delta', text: 'Intro\n\n```js\nconst a = 1;\n\nconst b = 2;\n', turn: 1 }]),
    });
    expect(s.history.at(-1)).toMatchObject({ kind: 'assistant', text: 'Intro' });
    expect(s.run?.text).toBe('```js\nconst a = 1;\n\nconst b = 2;\n');
    s = feed(s, { type: 'events', events: script([{ type: 'text_delta', text: '```\n\nAfter', turn: 1 }]) });
    expect(s.history.at(-1)).toMatchObject({ kind: 'assistant', text: '```js\nconst a = 1;\n\nconst b = 2;\n```' });
    expect(s.run?.text).toBe('After');
  });

  it('turns a tool call into a running panel and its result into a finished history panel', () => {
    let s = start();
    s = feed(s, {
      type: 'events',
      events: script([
        { type: 'text_delta', text: 'Let me compute.', turn: 1 },
        { type: 'tool_call', call_id: 'c1', name: 'calculator', args: { expression: '2+2' }, turn: 1 },
      ]),
    });
    expect(s.history.at(-1)).toMatchObject({ kind: 'assistant', text: 'Let me compute.' });
    expect(s.run?.tools).toEqual([
      { call_id: 'c1', name: 'calculator', args: { expression: '2+2' }, startedAt: 1_000_010 },
    ]);
    s = feed(s, {
      type: 'events',
      events: script([
        {
          type: 'tool_result',
          call_id: 'c1',
          name: 'calculator',
          result: '4',
          is_error: false,
          duration_ms: 7,
          turn: 1,
        },
      ]),
    });
    expect(s.run?.tools).toEqual([]);
    expect(s.run?.toolsRun).toBe(1);
    expect(s.history.at(-1)).toMatchObject({
      kind: 'tool',
      tool: { name: 'calculator', result: '4', is_error: false, duration_ms: 7, args: { expression: '2+2' } },
    });
  });

  it('ends a cancelled run with the partial answer in history and a cancelled marker', () => {
    let s = start();
    s = feed(s, { type: 'events', events: script([{ type: 'text_delta', text: 'Partial ans', turn: 1 }]) });
    s = reducer(s, { type: 'cancel' });
    expect(s.run?.cancelling).toBe(true);
    s = feed(s, { type: 'events', events: script([end('cancelled', 'Partial ans')]) });
    expect(s.run).toBeNull();
    expect(kinds(s).slice(-2)).toEqual(['assistant', 'run_end']);
    expect(s.history.at(-2)).toMatchObject({ text: 'Partial ans' });
    expect(s.history.at(-1)).toMatchObject({ kind: 'run_end', status: 'cancelled', output_tokens: 42 });
  });

  it('shows tools still running at the end of a cut-short run as interrupted', () => {
    let s = start();
    s = feed(s, {
      type: 'events',
      events: script([{ type: 'tool_call', call_id: 'c1', name: 'slow', args: {}, turn: 1 }, end('cancelled')]),
    });
    expect(s.history.at(-2)).toMatchObject({
      kind: 'tool',
      tool: { name: 'slow', is_error: true, result: 'interrupted' },
    });
  });

  it('keeps reasoning apart from the answer and flushes both at a turn change', () => {
    let s = start();
    s = feed(s, {
      type: 'events',
      events: script([
        { type: 'reasoning_delta', text: 'thinking hard', turn: 1 },
        { type: 'text_delta', text: 'turn one', turn: 1 },
        { type: 'text_delta', text: 'turn two', turn: 2 },
      ]),
    });
    expect(s.history.slice(-2)).toMatchObject([
      { kind: 'reasoning', text: 'thinking hard' },
      { kind: 'assistant', text: 'turn one' },
    ]);
    expect(s.run?.text).toBe('turn two');
    expect(s.run?.turn).toBe(2);
  });

  it('records failures with their message and non-fatal notices as warnings', () => {
    let s = start();
    s = feed(s, {
      type: 'events',
      events: script([
        { type: 'error', error: { message: 'retrying after 429', retryable: true } },
        end('failed', '', { error: { message: 'bad key', retryable: false } }),
      ]),
    });
    expect(s.history.slice(-2)).toMatchObject([
      { kind: 'notice', tone: 'warn', text: 'retrying after 429' },
      { kind: 'run_end', status: 'failed', message: 'bad key' },
    ]);
  });

  it('strips terminal control sequences from tool output and notices', () => {
    let s = start();
    s = feed(s, {
      type: 'events',
      events: script([
        { type: 'tool_call', call_id: 'c1', name: 'evil\x1b]0;pwned\x07', args: {}, turn: 1 },
        {
          type: 'tool_result',
          call_id: 'c1',
          name: 'evil\x1b]0;pwned\x07',
          result: '\x1b[2Jcleared',
          is_error: false,
          duration_ms: 1,
          turn: 1,
        },
        { type: 'error', error: { message: '\x1b[31mred\x1b[0m', retryable: true } },
      ]),
    });
    const json = JSON.stringify(s.history);
    expect(json).not.toContain('\\u001b');
    expect(s.history.at(-2)).toMatchObject({ kind: 'tool', tool: { name: 'evil', result: 'cleared' } });
  });

  it('estimates output tokens and tok/s from the deltas', () => {
    let s = start();
    s = feed(s, {
      type: 'events',
      events: script([{ type: 'text_delta', text: 'x'.repeat(400), turn: 1 }], { t0: 1_000_000 }),
    });
    const run = s.run!;
    expect(outputTokens(run)).toBe(100);
    expect(tokensPerSecond(run, 1_000_100)).toBeUndefined();
    expect(tokensPerSecond(run, 1_002_000)).toBeCloseTo(50);
  });

  it('/clear starts history over with a new header and a new Static epoch', () => {
    let s = start();
    s = feed(s, {
      type: 'events',
      events: script([{ type: 'text_delta', text: 'a', turn: 1 }, end('completed', 'a')]),
    });
    s = reducer(s, { type: 'model', model: 'other' });
    s = reducer(s, { type: 'clear' });
    expect(s.epoch).toBe(1);
    expect(s.history).toMatchObject([{ kind: 'header', model: 'other' }]);
  });

  it('writes the transcript as markdown', () => {
    let s = start();
    s = feed(s, {
      type: 'events',
      events: script([
        { type: 'text_delta', text: 'One.\n\nTwo.', turn: 1 },
        { type: 'tool_call', call_id: 'c1', name: 'calculator', args: { expression: '1+1' }, turn: 1 },
        {
          type: 'tool_result',
          call_id: 'c1',
          name: 'calculator',
          result: '2',
          is_error: false,
          duration_ms: 3,
          turn: 1,
        },
        { type: 'text_delta', text: 'It is 2.', turn: 2 },
        end('completed'),
      ]),
    });
    expect(transcriptMarkdown(s, new Date('2026-01-02T03:04:05Z'))).toMatchInlineSnapshot(`
      "# agentor chat — assistant (gpt-test)

      _Saved 2026-01-02T03:04:05.000Z_

      ## You

      hi

      ## assistant

      One.

      Two.

      > ✓ tool \`calculator\` {"expression":"1+1"} (3 ms)

      \`\`\`
      2
      \`\`\`

      ## assistant

      It is 2.
      "
    `);
  });
});
