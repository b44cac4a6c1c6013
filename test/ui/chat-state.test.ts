import { describe, expect, it } from 'vitest';
import type { AgentEvent, EventPayload } from '../../src/core/events.js';
import { parseAddress } from '../../src/ui/address.js';
import {
  answerReasoning,
  answerText,
  chatReducer,
  initialChatState,
  lastAnswers,
  type ChatAction,
  type ChatState,
} from '../../src/ui/chat-state.js';
import { layoutLive } from '../../src/ui/layout/live.js';
import { transcriptMarkdown } from '../../src/ui/transcript.js';
import { plain } from './helpers.js';
import { ORDER, RUNS, T0, interleave } from './multi-script.js';
import { end, script } from './script.js';

const LAYOUT = { width: 60, rows: 24, color: false };
const ONE = [{ name: 'assistant', model: 'gpt-test', isDemo: false }];
const TWO = [
  { name: 'alpha', model: 'configured-a', isDemo: false },
  { name: 'beta', model: 'configured-b', isDemo: false },
];

const reduce = (s: ChatState, ...actions: ChatAction[]): ChatState => actions.reduce(chatReducer, s);
/** Everything queued for printing, as plain text. */
const printed = (s: ChatState): string => plain(s.print.flatMap((p) => p.lines).join('\n'));
const live = (s: ChatState): string => plain((s.round?.panels[0]?.live ?? []).join('\n'));
const events = (payloads: EventPayload[], runId = 'run_test', t0 = T0): ChatAction => ({
  type: 'events',
  events: script(payloads, { runId, t0 }),
});

function started(agents = ONE, prompt = 'hi'): ChatState {
  return reduce(initialChatState(agents, LAYOUT), { type: 'start', prompt, now: T0 });
}

describe('chatReducer with one agent', () => {
  it('starts with the header, prints the message, and opens one panel', () => {
    const s = started();
    expect(printed(s)).toBe('agentor · assistant · model gpt-test\n\n❯ hi');
    expect(s.round?.panels.map((p) => p.agent)).toEqual(['assistant']);
    expect(s.transcript).toEqual([{ kind: 'user', text: 'hi' }]);
  });

  it('prints a paragraph row by row as it grows, keeping only its last row live', () => {
    let s = started();
    s = reduce(s, events([{ type: 'text_delta', text: 'one two three four five six seven eight nine ten', turn: 1 }]));
    expect(printed(s)).not.toContain('one two');
    expect(live(s)).toBe('\none two three four five six seven eight nine ten');
    s = reduce(s, events([{ type: 'text_delta', text: ' eleven twelve thirteen fourteen fifteen sixteen', turn: 1 }]));
    // The first row is final (the next one started): printed, with the blank line above the answer.
    expect(printed(s)).toMatch(/❯ hi\n\none two three four five six seven eight nine ten eleven$/);
    expect(live(s)).toBe('twelve thirteen fourteen fifteen sixteen');
  });

  it('prints finished paragraphs whole and keeps code lines live until they are complete', () => {
    let s = started();
    s = reduce(
      s,
      events([{ type: 'text_delta', text: 'Intro.\n\n```js\nconst a = 1;\n\nconst b = 2;\nconst c', turn: 1 }]),
    );
    expect(printed(s)).toMatch(/Intro\.\n\n── code 1 · js ─+\nconst a = 1;\n\nconst b = 2;$/);
    expect(live(s)).toBe('const c');
    s = reduce(s, events([{ type: 'text_delta', text: ' = 3;\n```\n\nAfter.', turn: 1 }]));
    expect(printed(s)).toMatch(/const b = 2;\nconst c = 3;\n─+$/);
    expect(live(s)).toBe('\nAfter.');
  });

  it('prints a tool call’s panel when it finishes, and the next turn’s text after it', () => {
    let s = started();
    s = reduce(
      s,
      events([
        { type: 'run_start', model: 'gpt-test', input: 'hi' },
        { type: 'text_delta', text: 'Let me compute.', turn: 1 },
        { type: 'tool_call', call_id: 'c1', name: 'calculator', args: { expression: '6*7' }, turn: 1 },
      ]),
    );
    expect(printed(s)).toContain('Let me compute.');
    expect(s.round?.panels[0]?.tools.map((t) => t.result)).toEqual([undefined]);
    const running = plain(layoutLive(s, T0 + 500, 20).join('\n'));
    expect(running).toMatch(/│ ⚙ calculator [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running/);
    expect(running).toContain('expression: 6*7');
    s = reduce(
      s,
      events(
        [
          {
            type: 'tool_result',
            call_id: 'c1',
            name: 'calculator',
            result: '42',
            is_error: false,
            duration_ms: 12,
            turn: 1,
          },
          { type: 'text_delta', text: 'It is 42.', turn: 2 },
          end('completed'),
        ],
        'run_test',
        T0 + 10,
      ),
    );
    expect(printed(s)).toMatch(
      /Let me compute\.\n\n╭─+╮\n│ ⚙ calculator ✓ 12ms +│\n│ expression: 6\*7 +│\n│ → 42 +│\n╰─+╯\n\nIt is 42\.\n {2}✓ 1\.2s · 42 tokens · 1 tool$/,
    );
    expect(s.round).toBeNull();
  });

  it('prints parallel tool calls in call order, not in the order they finished', () => {
    let s = started();
    const result = (call_id: string, name: string): EventPayload => ({
      type: 'tool_result',
      call_id,
      name,
      result: `${name} done`,
      is_error: false,
      duration_ms: 5,
      turn: 1,
    });
    s = reduce(
      s,
      events([
        { type: 'tool_call', call_id: 'a', name: 'first', args: {}, turn: 1 },
        { type: 'tool_call', call_id: 'b', name: 'second', args: {}, turn: 1 },
        result('b', 'second'),
      ]),
    );
    // The second finished first: it waits, live, for the first.
    expect(printed(s)).not.toContain('⚙ second');
    expect(plain(layoutLive(s, T0, 30).join('\n'))).toMatch(/⚙ first[\s\S]*⚙ second ✓/);
    s = reduce(s, events([result('a', 'first')], 'run_test', T0 + 100));
    expect(printed(s).indexOf('⚙ first')).toBeLessThan(printed(s).indexOf('⚙ second'));
    expect(s.round?.panels[0]?.tools).toEqual([]);
  });

  it('ends a cancelled run with its partial answer and tools still running as interrupted', () => {
    let s = reduce(
      started(),
      events([
        { type: 'text_delta', text: 'Partial answer', turn: 1 },
        { type: 'tool_call', call_id: 'c1', name: 'slow', args: {}, turn: 1 },
      ]),
    );
    s = reduce(s, { type: 'cancel' });
    expect(s.round?.cancelling).toBe(true);
    s = reduce(s, events([end('cancelled')], 'run_test', T0 + 50));
    expect(printed(s)).toMatch(/Partial answer\n\n╭─+╮\n│ ⚙ slow ✗ failed · \d+ms +│\n│ → interrupted/);
    expect(printed(s)).toMatch(/⏹ cancelled · 1\.2s · 42 tokens$/);
    expect(s.round).toBeNull();
  });

  it('says what happened when a run fails, and shows notices as warnings', () => {
    let s = started();
    s = reduce(
      s,
      events([
        { type: 'error', error: { message: 'retrying after 429', retryable: true } },
        end('failed', '', { error: { message: 'the connection to http://x closed mid-answer', retryable: false } }),
      ]),
    );
    expect(printed(s)).toContain('⚠ retrying after 429');
    expect(printed(s)).toMatch(/✗ failed: the connection to http:\/\/x closed mid-answer\n {2}1\.2s · 42 tokens$/);
  });

  it('neutralises terminal control sequences in answers, tool output and errors', () => {
    let s = started();
    s = reduce(
      s,
      events([
        { type: 'text_delta', text: 'safe\x1b]0;pwned\x07 text\x1b[2J', turn: 1 },
        { type: 'tool_call', call_id: 'c', name: 'evil\x1b[31m', args: {}, turn: 1 },
        {
          type: 'tool_result',
          call_id: 'c',
          name: 'evil',
          result: 'out\x1b[2Jput',
          is_error: false,
          duration_ms: 1,
          turn: 1,
        },
        end('failed', '', { error: { message: 'bad\x07 news', retryable: false } }),
      ]),
    );
    const raw = s.print.flatMap((p) => p.lines).join('\n');
    expect(raw).not.toMatch(/\x1b\]|\x1b\[2J|\x07/);
    expect(printed(s)).toContain('safe text');
    expect(printed(s)).toContain('→ output');
    expect(printed(s)).toContain('✗ failed: bad news');
  });

  it('collapses reasoning to one line by default, and prints it in full as it streams with Ctrl+O', () => {
    let s = started();
    s = reduce(
      s,
      events([
        { type: 'reasoning_delta', text: 'Thinking hard\nabout it', turn: 1 },
        { type: 'text_delta', text: 'Answer.', turn: 1 },
      ]),
    );
    expect(printed(s)).toContain('▸ reasoning (2 lines) · ctrl+o shows it in full');
    expect(printed(s)).not.toContain('Thinking hard');
    s = reduce(s, events([end('completed')], 'run_test', T0 + 10));
    expect(answerReasoning(lastAnswers(s)[0]!)).toBe('Thinking hard\nabout it');

    // Ctrl+O at the prompt: the last answer's reasoning is printed in full right away, later ones as they stream.
    s = reduce(s, { type: 'reasoning', full: true });
    expect(printed(s)).toMatch(
      /reasoning: shown in full from now on[\s\S]*reasoning of the last answer:\n\nThinking hard\nabout it$/,
    );
    s = reduce(s, { type: 'start', prompt: 'again', now: T0 + 100 });
    s = reduce(
      s,
      events(
        [
          { type: 'reasoning_delta', text: 'Second thoughts.', turn: 1 },
          { type: 'text_delta', text: 'Second answer.', turn: 1 },
          end('completed'),
        ],
        'run_2',
        T0 + 200,
      ),
    );
    expect(printed(s)).toMatch(/❯ again\n\nSecond thoughts\.\n\nSecond answer\./);
    s = reduce(s, { type: 'reasoning', full: false });
    expect(printed(s)).toContain('reasoning: collapsed to one line from now on');
  });

  it('keeps what /save and /copy need as text, and drops printed lines once printed', () => {
    let s = started();
    s = reduce(
      s,
      events([
        { type: 'text_delta', text: 'Here:\n\n```sh\nls -la\n```\n', turn: 1 },
        { type: 'tool_call', call_id: 'c', name: 'calculator', args: { expression: '1+1' }, turn: 1 },
        {
          type: 'tool_result',
          call_id: 'c',
          name: 'calculator',
          result: '2',
          is_error: false,
          duration_ms: 3,
          turn: 1,
        },
        { type: 'text_delta', text: 'Done.', turn: 2 },
        end('completed'),
      ]),
    );
    const [answer] = lastAnswers(s);
    expect(answerText(answer!)).toBe('Here:\n\n```sh\nls -la\n```\n\nDone.');
    const last = s.print.at(-1)!.id;
    s = reduce(s, { type: 'printed', id: last });
    expect(s.print).toEqual([]);
    const md = transcriptMarkdown(s, new Date(0));
    expect(md).toContain('## You\n\nhi\n\n## assistant\n\nHere:');
    expect(md).toContain('> ✓ tool `calculator` {"expression":"1+1"} (3 ms)\n\n```\n2\n```\n\nDone.');
  });

  it('/clear forgets the transcript and prints the header again; a resize lays the live lines out again', () => {
    let s = reduce(started(), events([{ type: 'text_delta', text: 'Hello there.', turn: 1 }, end('completed')]));
    s = reduce(s, { type: 'clear' });
    expect(s.transcript).toEqual([]);
    expect(printed(s).split('agentor · assistant').length - 1).toBe(2);

    s = reduce(s, { type: 'start', prompt: 'wrap me', now: T0 });
    s = reduce(s, events([{ type: 'text_delta', text: 'aaaa bbbb cccc dddd eeee ffff', turn: 1 }], 'r2'));
    expect(live(s)).toBe('\naaaa bbbb cccc dddd eeee ffff');
    s = reduce(s, { type: 'layout', layout: { ...LAYOUT, width: 12 } });
    // Narrower: rows that are final now are printed, the rest re-wrapped live.
    expect(printed(s)).toMatch(/aaaa bbbb\ncccc dddd$/);
    expect(live(s)).toBe('eeee ffff');
  });
});

describe('chatReducer with several agents', () => {
  const EVENTS = interleave(RUNS, ORDER);
  const round = (): ChatState => started(TWO, 'q');

  it('opens each answer with a rule naming the agent and prints answers in call order', () => {
    const s = reduce(round(), { type: 'events', events: EVENTS });
    const text = printed(s);
    expect(text).toMatch(/── alpha · configured-a ─+\n\nLet me compute that\./);
    expect(text).toMatch(/── beta · gpt-beta ─+\n\nBeta thinks about it\.\n {2}✗ beta failed: upstream 500: boom/);
    // beta ended first, but its answer is printed after alpha's.
    expect(text.indexOf('alpha completed')).toBeLessThan(text.indexOf('── beta'));
    expect(text).toMatch(/! 2 agents: 1 completed, 1 failed · \d/);
    expect(text).not.toContain('pwned');
    expect(s.round).toBeNull();
    expect(lastAnswers(s).map((a) => [a.agent, a.status])).toEqual([
      ['alpha', 'completed'],
      ['beta', 'failed'],
    ]);
  });

  it('holds a waiting agent’s finished output and shows its tail live until its turn', () => {
    // beta streams and ends while alpha still runs.
    let s = round();
    const beta = (payloads: EventPayload[]): ChatAction => events(payloads, 'run_beta');
    s = reduce(
      s,
      events([{ type: 'run_start', model: 'a', input: 'q' }], 'run_alpha'),
      beta([{ type: 'run_start', model: 'b', input: 'q' }]),
      beta([{ type: 'text_delta', text: 'Beta line one.\n\nBeta line two.', turn: 1 }, end('completed')]),
    );
    expect(printed(s)).not.toContain('Beta line');
    expect(s.round?.panels[1]?.held.join('\n')).toContain('Beta line one.');
    const shown = plain(layoutLive(s, T0 + 100, 20).join('\n'));
    expect(shown).toMatch(/── beta · b · ✓ completed · 1\.2s · 42 tokens/);
    expect(shown).toContain('Beta line two.');
    s = reduce(s, events([{ type: 'text_delta', text: 'Alpha done.', turn: 1 }, end('completed')], 'run_alpha'));
    expect(printed(s)).toMatch(/Alpha done\.[\s\S]*── beta · b ─+\n\nBeta line one\.\n\nBeta line two\./);
  });

  it('tells apart two agents with the same name by run_id', () => {
    let s = started([TWO[0]!, TWO[0]!], 'q');
    const ev = (run_id: string, seq: number, p: object): AgentEvent =>
      ({ run_id, seq, ts: T0, agent: 'alpha', ...p }) as AgentEvent;
    s = reduce(s, {
      type: 'events',
      events: [
        ev('r1', 0, { type: 'run_start', model: 'm', input: 'q' }),
        ev('r2', 0, { type: 'run_start', model: 'm', input: 'q' }),
        ev('r2', 1, { type: 'text_delta', text: 'second', turn: 1 }),
        ev('r1', 1, { type: 'text_delta', text: 'first', turn: 1 }),
        ev('r3', 0, { type: 'text_delta', text: 'from nowhere', turn: 1 }),
      ],
    });
    expect(s.round?.panels.map((p) => [p.run_id, plain(p.live.join(''))])).toEqual([
      ['r1', 'first'],
      ['r2', 'second'],
    ]);
  });

  it('ends panels that never reported as failed when the stream stops early', () => {
    let s = reduce(round(), { type: 'events', events: EVENTS.slice(0, 3) });
    s = reduce(s, { type: 'abandon', message: 'stream broke', now: T0 + 500 });
    expect(s.round).toBeNull();
    expect(printed(s)).toMatch(/✗ alpha failed: stream broke[\s\S]*✗ beta failed: stream broke/);
  });

  it('a message to one agent of several: its rule and end line, no summary', () => {
    let s = reduce(initialChatState(TWO, LAYOUT), {
      type: 'start',
      prompt: 'just you',
      shown: '@beta just you',
      targets: [1],
      now: T0,
    });
    s = reduce(s, events([{ type: 'text_delta', text: 'Only beta.', turn: 1 }, end('completed')], 'run_b'));
    expect(printed(s)).toMatch(/❯ @beta just you\n\n── beta · configured-b ─+\n\nOnly beta\.\n {2}✓ beta completed/);
    expect(printed(s)).not.toContain('agents:');
    expect(s.transcript[0]).toEqual({ kind: 'user', text: 'just you', to: ['beta'] });
  });
});

describe('parseAddress', () => {
  const names = ['alpha', 'beta', 'Travel Planner'];
  it('a leading @word that names a file ends the addresses: the mention stays in the text', () => {
    const names = ['alpha', 'beta'];
    const isPath = (w: string): boolean => w === 'src/a.ts';
    expect(parseAddress('@src/a.ts explain', names, isPath)).toEqual({ targets: [0, 1], text: '@src/a.ts explain' });
    expect(parseAddress('@beta @src/a.ts explain', names, isPath)).toEqual({
      targets: [1],
      text: '@src/a.ts explain',
      to: ['beta'],
    });
    expect(parseAddress('@gamma hi', names, isPath)).toHaveProperty('error');
  });

  it('sends a message without @ to everyone, untouched', () => {
    expect(parseAddress('hello @alpha', names)).toEqual({ targets: [0, 1, 2], text: 'hello @alpha' });
  });
  it('reads leading @names (exact, else case-insensitive, names with spaces as dashes) and strips them', () => {
    expect(parseAddress('@Beta @travel-planner go', names)).toEqual({
      targets: [1, 2],
      text: 'go',
      to: ['beta', 'Travel Planner'],
    });
  });
  it('explains an unknown name with the list of agents, and an empty message', () => {
    expect(parseAddress('@gamma\x1b[2J hi', names)).toEqual({
      error: expect.stringMatching(/^no agent named @gamma hi|^no agent named @gamma/),
    });
    expect(parseAddress('@alpha', names)).toEqual({
      error: 'nothing to send to @alpha: write the message after the name',
    });
  });
});
