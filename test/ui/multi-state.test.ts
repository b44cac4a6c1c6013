import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/events.js';
import {
  initialMultiState,
  multiReducer,
  multiTranscriptMarkdown,
  parseAddress,
  totalTokens,
  totalToolsRun,
  type MultiState,
} from '../../src/ui/multi-state.js';
import { ORDER, RUNS, T0, interleave } from './multi-script.js';
import { end } from './script.js';

const AGENTS = [
  { name: 'alpha', model: 'configured-a', isDemo: false },
  { name: 'beta', model: 'configured-b', isDemo: false },
];
const EVENTS = interleave(RUNS, ORDER);

function after(
  n: number,
  state: MultiState = multiReducer(initialMultiState(AGENTS, T0), { type: 'start', prompt: 'q', now: T0 }),
): MultiState {
  return multiReducer(state, { type: 'events', events: EVENTS.slice(0, n) });
}

describe('multiReducer', () => {
  it('starts with a header, the prompt, and one waiting panel per agent with its configured model', () => {
    const s = after(0);
    expect(s.history.map((h) => h.kind)).toEqual(['header', 'user']);
    expect(s.live.map((p) => [p.agent, p.model, p.run_id])).toEqual([
      ['alpha', 'configured-a', undefined],
      ['beta', 'configured-b', undefined],
    ]);
  });

  it('routes interleaved events to each agent’s panel, with the model from its run_start', () => {
    const s = after(6); // both started and streaming; alpha's tool call is running
    expect(s.live).toHaveLength(2);
    const [alpha, beta] = s.live;
    expect(alpha).toMatchObject({ agent: 'alpha', model: 'gpt-alpha', run_id: 'run_alpha', text: '' });
    expect(alpha!.blocks).toEqual([{ kind: 'text', text: 'Let me **compute** that.' }]);
    expect(alpha!.tools.map((t) => t.name)).toEqual(['calculator']);
    expect(beta).toMatchObject({ agent: 'beta', model: 'gpt-beta', text: 'Beta thinks\x1b]0;pwned\x07 about ' });
    expect(beta!.tools).toEqual([]);
  });

  it('turns a tool result into a finished block of the same panel only', () => {
    const s = after(8);
    const [alpha, beta] = s.live;
    expect(alpha!.tools).toEqual([]);
    expect(alpha!.blocks.at(-1)).toMatchObject({
      kind: 'tool',
      tool: { name: 'calculator', result: '42', is_error: false, args: { expression: '6*7' } },
    });
    expect(alpha!.toolsRun).toBe(1);
    expect(beta!.text).toBe('Beta thinks\x1b]0;pwned\x07 about it.');
    expect(beta!.blocks).toEqual([]);
  });

  it('moves a panel to history whole when its run ends, with the status and the sanitised error', () => {
    const s = after(9);
    expect(s.live.map((p) => p.agent)).toEqual(['alpha']);
    const item = s.history.at(-1);
    expect(item?.kind).toBe('panel');
    if (item?.kind !== 'panel') return;
    expect(item.panel.agent).toBe('beta');
    expect(item.panel.end).toMatchObject({ status: 'failed', message: 'upstream 500: boom', output_tokens: 42 });
    expect(item.panel.blocks.at(-1)).toEqual({ kind: 'text', text: 'Beta thinks\x1b]0;pwned\x07 about it.' });
  });

  it('after the last run ended: no live panel, every end in order, and a summary', () => {
    const s = after(EVENTS.length);
    expect(s.live).toEqual([]);
    expect(s.ends.map((e) => e.status)).toEqual(['failed', 'completed']);
    const alpha = s.history.find((h) => h.kind === 'panel' && h.panel.agent === 'alpha');
    expect(alpha?.kind === 'panel' && alpha.panel.blocks.map((b) => b.kind)).toEqual(['text', 'tool', 'text']);
    expect(s.history.at(-1)).toMatchObject({ kind: 'summary', tokens: 84, duration_ms: 1000 });
    expect(totalTokens(s)).toBe(84);
  });

  it('splits long answers at safe markdown boundaries into finished blocks, keeping a short live tail', () => {
    const s = multiReducer(after(2), {
      type: 'events',
      events: [
        {
          type: 'text_delta',
          run_id: 'run_alpha',
          seq: 1,
          ts: T0,
          agent: 'alpha',
          text: '# One\n\nPara one.\n\n```\ncode\n\nmore\n```\n\nTail',
          turn: 1,
        },
      ],
    });
    const alpha = s.live[0]!;
    expect(alpha.blocks).toEqual([{ kind: 'text', text: '# One\n\nPara one.\n\n```\ncode\n\nmore\n```' }]);
    expect(alpha.text).toBe('Tail');
  });

  it('tells apart two agents with the same name by run_id', () => {
    let s = multiReducer(initialMultiState([AGENTS[0]!, AGENTS[0]!], T0), { type: 'start', prompt: 'q', now: T0 });
    const ev = (run_id: string, seq: number, p: object): AgentEvent =>
      ({ run_id, seq, ts: T0, agent: 'alpha', ...p }) as AgentEvent;
    s = multiReducer(s, {
      type: 'events',
      events: [
        ev('r1', 0, { type: 'run_start', model: 'm', input: 'q' }),
        ev('r2', 0, { type: 'run_start', model: 'm', input: 'q' }),
        ev('r2', 1, { type: 'text_delta', text: 'second', turn: 1 }),
        ev('r1', 1, { type: 'text_delta', text: 'first', turn: 1 }),
        ev('r3', 0, { type: 'text_delta', text: 'from nowhere', turn: 1 }),
      ],
    });
    expect(s.live.map((p) => [p.run_id, p.text])).toEqual([
      ['r1', 'first'],
      ['r2', 'second'],
    ]);
  });

  it('marks cancelling, and shows tools cut short by a cancelled run as interrupted', () => {
    let s = multiReducer(after(6), { type: 'cancel' });
    expect(s.cancelling).toBe(true);
    const cancelled = (agent: string, seq: number): AgentEvent => ({
      run_id: `run_${agent}`,
      seq,
      ts: T0 + 5000,
      agent,
      ...end('cancelled'),
    });
    s = multiReducer(s, { type: 'events', events: [cancelled('alpha', 5), cancelled('beta', 3)] });
    expect(s.live).toEqual([]);
    expect(s.ends.map((e) => e.status)).toEqual(['cancelled', 'cancelled']);
    const alpha = s.history.find((h) => h.kind === 'panel' && h.panel.agent === 'alpha');
    expect(alpha?.kind === 'panel' && alpha.panel.blocks.at(-1)).toMatchObject({
      kind: 'tool',
      tool: { result: 'interrupted', is_error: true },
    });
  });

  it('ends panels that never reported as failed when the stream stops early', () => {
    const s = multiReducer(after(3), { type: 'abandon', message: 'stream broke', now: T0 + 500 });
    expect(s.live).toEqual([]);
    expect(s.ends).toEqual([
      expect.objectContaining({ status: 'failed', message: 'stream broke' }),
      expect.objectContaining({ status: 'failed', message: 'stream broke' }),
    ]);
  });
});

describe('multiReducer in a conversation', () => {
  const done = (): MultiState =>
    after(EVENTS.length, multiReducer(initialMultiState(AGENTS, T0, true), { type: 'start', prompt: 'q', now: T0 }));
  const round2 = (agent: string, p: object, seq: number): AgentEvent =>
    ({ run_id: `run2_${agent}`, seq, ts: T0 + 10_000 + seq, agent, ...p }) as AgentEvent;

  it('starts a new round per message: fresh panels for the addressed agents only, counters of this round only', () => {
    let s = multiReducer(done(), {
      type: 'start',
      prompt: 'only you',
      shown: '@beta only you',
      now: T0 + 10_000,
      targets: [1],
    });
    expect(s.round).toBe(2);
    expect(s.live.map((p) => [p.agent, p.key, p.round, p.run_id])).toEqual([['beta', 1, 2, undefined]]);
    expect(s.history.at(-1)).toMatchObject({ kind: 'user', text: '@beta only you', to: ['beta'] });
    expect([s.total, s.ends, totalTokens(s), totalToolsRun(s)]).toEqual([1, [], 0, 0]);
    s = multiReducer(s, {
      type: 'events',
      events: [
        round2('beta', { type: 'run_start', model: 'gpt-beta', input: 'only you' }, 0),
        round2('beta', { type: 'text_delta', text: 'Just me.', turn: 1 }, 1),
        // A late event of the first round is not shown in the new one.
        {
          run_id: 'run_alpha',
          seq: 99,
          ts: T0,
          agent: 'alpha',
          type: 'text_delta',
          text: 'stale',
          turn: 2,
        },
      ],
    });
    expect(s.live[0]!.text).toBe('Just me.');
    s = multiReducer(s, {
      type: 'events',
      events: [
        round2(
          'beta',
          end('completed', 'Just me.', { usage: { input_tokens: 1, output_tokens: 3, total_tokens: 4 } }),
          2,
        ),
      ],
    });
    expect(s.live).toEqual([]);
    // One agent's panel says how it ended: no summary; every history id stays unique across rounds.
    expect(s.history.at(-1)).toMatchObject({ kind: 'panel', id: 'panel-2-1' });
    expect(totalTokens(s)).toBe(3);
    expect(new Set(s.history.map((h) => h.id)).size).toBe(s.history.length);
  });

  it('shows notices and slash commands in history, and clear starts a fresh screen with the header', () => {
    let s = multiReducer(done(), { type: 'echo', text: '/agents' });
    s = multiReducer(s, { type: 'notice', text: 'Agents (2): …' });
    expect(s.history.slice(-2)).toMatchObject([
      { kind: 'user', text: '/agents' },
      { kind: 'notice', text: 'Agents (2): …', tone: 'info' },
    ]);
    const cleared = multiReducer(s, { type: 'clear' });
    expect(cleared.history).toMatchObject([{ kind: 'header', agents: ['alpha', 'beta'], conversation: true }]);
    expect(cleared.epoch).toBe(s.epoch + 1);
    expect(cleared.history[0]!.id).not.toBe(s.history[0]!.id);
  });

  it('writes the transcript with each agent’s answer under its name, tools and failures included, commands left out', () => {
    let s = multiReducer(done(), { type: 'echo', text: '/help' });
    s = multiReducer(s, { type: 'start', prompt: 'more', shown: '@alpha more', now: T0, targets: [0] });
    const md = multiTranscriptMarkdown(s, new Date(Date.UTC(2026, 0, 2)));
    expect(md).toContain('# agentor chat — alpha (configured-a), beta (configured-b)');
    expect(md).toContain('## You\n\nq\n\n## beta\n\nBeta thinks about it.\n\n_(failed: upstream 500: boom)_');
    expect(md).toContain(
      '## alpha\n\nLet me **compute** that.\n\n> ✓ tool `calculator` {"expression":"6*7"} (12 ms)\n\n```\n42\n```\n\nThe answer is 42.',
    );
    expect(md).toContain('## You → alpha\n\n@alpha more');
    expect(md).not.toContain('/help');
    expect(md).not.toContain('pwned');
  });
});

describe('parseAddress', () => {
  const names = ['alpha', 'beta', 'Gamma'];
  it('sends a message without @ to everyone, untouched', () => {
    expect(parseAddress('hello @alpha', names)).toEqual({ targets: [0, 1, 2], text: 'hello @alpha' });
    expect(parseAddress(' @nobody', names)).toEqual({ targets: [0, 1, 2], text: ' @nobody' });
  });
  it('reads leading @names (exact, else case-insensitive) and strips them', () => {
    expect(parseAddress('@beta hi there', names)).toEqual({ targets: [1], text: 'hi there', to: ['beta'] });
    expect(parseAddress('@gamma @ALPHA @gamma\nq', names)).toEqual({
      targets: [0, 2],
      text: 'q',
      to: ['Gamma', 'alpha'],
    });
    expect(parseAddress('@alpha @beta @Gamma all', names)).toEqual({ targets: [0, 1, 2], text: 'all' });
  });
  it('addresses a name with spaces (a remote A2A agent) with dashes, and lists it that way', () => {
    const remote = ['alpha', 'Travel  Planner'];
    expect(parseAddress('@travel-planner where to?', remote)).toEqual({
      targets: [1],
      text: 'where to?',
      to: ['Travel  Planner'],
    });
    expect(parseAddress('@nobody hi', remote)).toEqual({
      error: expect.stringContaining('the agents are @alpha, @Travel-Planner'),
    });
  });
  it('addresses every agent sharing a name', () => {
    expect(parseAddress('@alpha x', ['alpha', 'beta', 'alpha'])).toEqual({ targets: [0, 2], text: 'x', to: ['alpha'] });
  });
  it('explains an unknown name (sanitised) with the list of agents, and an empty message', () => {
    expect(parseAddress('@delta hi', names)).toEqual({
      error: expect.stringContaining('no agent named @delta — the agents are @alpha, @beta, @Gamma'),
    });
    expect(parseAddress('@d\x1b[2Jx hi', names)).toEqual({ error: expect.not.stringContaining('\x1b') });
    expect(parseAddress('@beta   ', names)).toEqual({
      error: 'nothing to send to @beta: write the message after the name',
    });
  });
});
