import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/events.js';
import { AgentPanel } from '../../src/ui/components/AgentPanel.js';
import { MultiView } from '../../src/ui/components/MultiView.js';
import {
  initialMultiState,
  multiReducer,
  type AgentPanel as Panel,
  type MultiState,
} from '../../src/ui/multi-state.js';
import { framesWhileTyping } from './helpers.js';
import { ORDER, RUNS, T0, interleave } from './multi-script.js';
import { end } from './script.js';

const EVENTS = interleave(RUNS, ORDER);
const AGENTS = [
  { name: 'alpha', model: 'configured-a', isDemo: false },
  { name: 'beta', model: 'configured-b', isDemo: false },
];

function stateAfter(n: number, agents = AGENTS): MultiState {
  const s = multiReducer(initialMultiState(agents, T0), { type: 'start', prompt: 'what is 6*7', now: T0 });
  return multiReducer(s, { type: 'events', events: EVENTS.slice(0, n) });
}
function frameOf(state: MultiState, { now = T0 + 1_600, rows = 40, width = 80 } = {}): string {
  return render(<MultiView state={state} now={now} width={width} rows={rows} color={false} />).lastFrame() ?? '';
}
/** The panel box of `agent` in a frame: from its title row to its bottom border. */
function panelOf(frame: string, agent: string): string {
  const lines = frame.split('\n');
  const top = lines.findIndex((l) => new RegExp(`^│ ${agent} · `).test(l));
  const bottom = lines.findIndex((l, i) => i > top && l.startsWith('╰'));
  return top === -1 ? '' : lines.slice(top - 1, bottom + 1).join('\n');
}

describe('MultiView', () => {
  it('shows one live bordered panel per agent, titled with agent and model, with its own tail and tool panel', () => {
    const frame = frameOf(stateAfter(7));
    expect(frame).toContain('agentor · 2 agents · alpha, beta');
    expect(frame).toContain('❯ what is 6*7');
    const alpha = panelOf(frame, 'alpha');
    const beta = panelOf(frame, 'beta');
    expect(alpha).toMatch(/^╭─+╮/);
    expect(alpha).toMatch(/│ alpha · gpt-alpha +[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running calculator · 1\.6s · 6 tokens │/);
    expect(alpha).toContain('Let me compute that.');
    expect(alpha).toMatch(/│ ╭─+╮/);
    expect(alpha).toMatch(/⚙ calculator [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running 1\.1s/);
    expect(alpha).toContain('expression: 6*7');
    expect(alpha).not.toContain('Beta');
    expect(beta).toMatch(/│ beta · gpt-beta +[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] writing · 1\.5s · 8 tokens │/);
    expect(beta).toContain('Beta thinks about it.');
    expect(beta).not.toContain('calculator');
    // Markdown is rendered, and the title escape sequence in beta's text never reaches the terminal.
    expect(frame).not.toContain('**');
    expect(frame).not.toContain('\x1b]0;');
    expect(frame).not.toContain('\x07');
    expect(frame).toMatch(/0\/2 agents done · 1\.6s · 14 tokens · esc or ctrl\+c to cancel/);
  });

  it('shows a finished tool with ✓ and its result inside its agent’s panel', () => {
    const alpha = panelOf(frameOf(stateAfter(8)), 'alpha');
    expect(alpha).toContain('⚙ calculator ✓ 12ms');
    expect(alpha).toContain('→ 42');
  });

  it('prints a failed run once with ✗ and its error, while the other agent stays live', () => {
    const frame = frameOf(stateAfter(9));
    const beta = panelOf(frame, 'beta');
    expect(beta).toMatch(/│ beta · gpt-beta +✗ failed · 700ms · 42 tokens │/);
    expect(beta).toContain('✗ upstream 500: boom');
    expect(panelOf(frame, 'alpha')).toMatch(/running calculator|writing|thinking/);
    expect(frame).toMatch(/1\/2 agents done · .* · 1 tool run · esc or ctrl\+c to cancel/);
  });

  it('ends with both panels in history, ✓ completed and ✗ failed, a summary and no progress line', () => {
    const frame = frameOf(stateAfter(EVENTS.length));
    const alpha = panelOf(frame, 'alpha');
    expect(alpha).toMatch(/│ alpha · gpt-alpha +✓ completed · 900ms · 42 tokens · 1 tool │/);
    expect(alpha).toContain('The answer is 42.');
    expect(alpha).toContain('→ 42');
    expect(panelOf(frame, 'beta')).toContain('✗ failed');
    expect(frame).toContain('2 agents: 1 failed, 1 completed');
    expect(frame).not.toContain('esc or ctrl+c to cancel');
  });

  it('marks the cancel: cancelling in the progress line, then ⏹ cancelled in each panel', () => {
    const cancelling = multiReducer(stateAfter(6), { type: 'cancel' });
    expect(frameOf(cancelling)).toMatch(/cancelling… 0\/2 agents done · .* · closing the requests/);
    const stop = (agent: string, seq: number): AgentEvent => ({
      run_id: `run_${agent}`,
      seq,
      ts: T0 + 2000,
      agent,
      ...end('cancelled', '', { duration_ms: 2000 }),
    });
    const frame = frameOf(multiReducer(cancelling, { type: 'events', events: [stop('beta', 3), stop('alpha', 5)] }));
    expect(panelOf(frame, 'alpha')).toContain('⏹ cancelled · 2.0s');
    expect(panelOf(frame, 'alpha')).toContain('interrupted');
    expect(panelOf(frame, 'beta')).toContain('⏹ cancelled · 2.0s');
    expect(frame).toContain('2 agents: 2 cancelled');
  });

  it('keeps every live panel’s tail short enough that all panels and the progress line fit the terminal', () => {
    const long = Array.from({ length: 40 }, (_, i) => `line ${i} of a long answer`).join('\n');
    const text = (agent: string): AgentEvent => ({
      run_id: `run_${agent}`,
      seq: 2,
      ts: T0 + 900,
      agent,
      type: 'text_delta',
      text: long,
      turn: 1,
    });
    let s = multiReducer(stateAfter(2), { type: 'events', events: [text('alpha'), text('beta')] });
    s = { ...s, history: [] }; // only the live region
    for (const rows of [16, 20, 30]) {
      const frame = frameOf(s, { rows });
      expect(frame.split('\n').length).toBeLessThan(rows);
      expect(panelOf(frame, 'alpha')).toContain('line 39 of a long answer');
      expect(panelOf(frame, 'beta')).toContain('line 39 of a long answer');
      expect(frame).toContain('… more above, shown in full when finished');
    }
  });

  it('gives the rows a short panel leaves unused to the panel whose answer is cut', () => {
    const long = Array.from({ length: 40 }, (_, i) => `line ${i} of a long answer`).join('\n');
    const text: AgentEvent = {
      run_id: 'run_alpha',
      seq: 2,
      ts: T0 + 900,
      agent: 'alpha',
      type: 'text_delta',
      text: long,
      turn: 1,
    };
    const s = { ...multiReducer(stateAfter(4), { type: 'events', events: [text] }), history: [] };
    // 20 rows: an equal share would leave each body 4 rows; beta needs 1, so alpha shows 6 lines under its note.
    const frame = frameOf(s, { rows: 20 });
    expect(frame.split('\n').length).toBeLessThan(20);
    expect(panelOf(frame, 'alpha')).toContain('line 34 of a long answer');
    expect(panelOf(frame, 'alpha')).not.toContain('line 33 of a long answer');
    expect(panelOf(frame, 'beta')).toContain('Beta thinks about');
  });

  it('shows streamed reasoning dimmed while live, a one-line summary once finished, and retry notices', () => {
    const ev = (seq: number, p: object): AgentEvent =>
      ({ run_id: 'run_beta', seq, ts: T0 + 300, agent: 'beta', ...p }) as AgentEvent;
    const live = multiReducer(stateAfter(2), {
      type: 'events',
      events: [
        ev(1, { type: 'error', error: { message: 'rate limited (429), retrying in 1s', retryable: true } }),
        ev(2, { type: 'reasoning_delta', text: 'step one\nstep two', turn: 1 }),
      ],
    });
    const beta = panelOf(frameOf(live), 'beta');
    expect(beta).toContain('⚠ rate limited (429), retrying in 1s');
    expect(beta).toContain('step two');
    expect(beta).toMatch(/reasoning · /);
    const done = multiReducer(live, {
      type: 'events',
      events: [ev(3, { type: 'text_delta', text: 'Answer.', turn: 1 }), ev(4, end('completed'))],
    });
    const finished = panelOf(frameOf(done), 'beta');
    expect(finished).toContain('▸ reasoning (2 lines)');
    expect(finished).not.toContain('step two');
    expect(finished).toContain('Answer.');
    // Ctrl+O in a conversation: finished reasoning in full.
    const shown =
      render(
        <MultiView state={done} now={T0 + 1_600} width={80} rows={40} color={false} showReasoning />,
      ).lastFrame() ?? '';
    expect(panelOf(shown, 'beta')).toContain('step two');
    expect(panelOf(shown, 'beta')).not.toContain('▸ reasoning');
  });

  it('shows the prompt with the addressing hint when no agent runs, and keeps it (with the queue) under the panels while they do', () => {
    const editor = { text: '@beta hi', cursor: 8, historyIndex: 0, draft: '' };
    const idle = multiReducer(initialMultiState(AGENTS, T0, true), {
      type: 'notice',
      text: 'no agent named @x',
      tone: 'error',
    });
    const frame =
      render(<MultiView state={idle} now={T0} width={100} rows={30} color={false} editor={editor} />).lastFrame() ?? '';
    expect(frame).toContain('agentor · 2 agents · alpha, beta · @name to address one');
    expect(frame).toContain('no agent named @x');
    expect(frame).toContain('❯ @beta hi');
    expect(frame).toContain('@name sends to one agent · /help for commands');
    const queued = ['and now in Python', 'then\ncompare', 'third', 'fourth'];
    const busy =
      render(
        <MultiView
          state={stateAfter(4)}
          now={T0 + 500}
          width={100}
          rows={30}
          color={false}
          editor={editor}
          queued={queued}
        />,
      ).lastFrame() ?? '';
    expect(busy).toContain('esc or ctrl+c to cancel');
    expect(busy).toContain('❯ @beta hi');
    expect(busy).toContain('enter queues a message, sent when every agent is done · esc cancels them all');
    expect(busy).not.toContain('ctrl+c twice to exit');
    // Queued messages are listed like the single-agent chat's, between the progress line and the prompt.
    expect(busy).toContain('queued: and now in Python');
    expect(busy).toContain('queued: then ⏎ compare');
    expect(busy).toContain('… and 1 more queued');
    expect(busy.indexOf('agents done')).toBeLessThan(busy.indexOf('queued: and now'));
    expect(busy.indexOf('… and 1 more queued')).toBeLessThan(busy.indexOf('❯ @beta hi'));
    // Panels, progress line, queue and prompt together stay shorter than the terminal, also in a short one.
    const live = { ...stateAfter(4), history: [] };
    for (const rows of [16, 30]) {
      const frame =
        render(
          <MultiView
            state={live}
            now={T0 + 500}
            width={100}
            rows={rows}
            color={false}
            editor={editor}
            queued={queued}
          />,
        ).lastFrame() ?? '';
      expect(frame.split('\n').length).toBeLessThan(rows);
      expect(frame).toMatch(/alpha · gpt-alpha/);
      expect(frame).toMatch(/beta · gpt-beta/);
      expect(frame).toContain('0/2 agents done');
      expect(frame).toContain('queued: and now in Python');
      expect(frame).toContain('❯ @beta hi');
    }
  });

  it('typing while agents run never forces a frame, however long the history: Ink stays throttled', () => {
    // Many finished rounds in history: a key press that re-rendered <Static> or the panels would cost a frame each.
    const history = Array.from({ length: 200 }, (_, i) => ({
      id: `n${i}`,
      kind: 'notice' as const,
      text: `earlier line ${i}`,
      tone: 'info' as const,
    }));
    const s = { ...stateAfter(6), history: [...stateAfter(6).history, ...history] };
    const frames = framesWhileTyping((editor) => (
      <MultiView state={s} now={T0 + 1000} width={80} rows={24} color={false} editor={editor} queued={['later']} />
    ));
    expect(frames).toBeLessThanOrEqual(1);
  });

  it('shrinks to one line per agent when the terminal is too short for bordered panels', () => {
    const agents = Array.from({ length: 6 }, (_, i) => ({ name: `agent${i}`, model: 'm', isDemo: false }));
    const s = { ...stateAfter(0, agents), history: [] };
    const frame = frameOf(s, { rows: 9 });
    expect(frame.split('\n').length).toBeLessThan(9);
    expect(frame).toMatch(/● agent0 · m [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] starting/);
    expect(frame).toContain('more agents running');
    expect(frame).toContain('0/6 agents done');
  });

  it('squeezes a tool that does not fit into one line', () => {
    const panel: Panel = {
      key: 0,
      round: 1,
      agent: 'a',
      model: 'm',
      run_id: 'r',
      startedAt: T0,
      turn: 1,
      text: '',
      reasoning: '',
      outputChars: 0,
      toolsRun: 1,
      tools: [],
      blocks: [
        { kind: 'text', text: 'before' },
        {
          kind: 'tool',
          tool: {
            call_id: 'c',
            name: 'calculator',
            args: { expression: '1+1' },
            startedAt: T0,
            result: '2\nmore',
            is_error: false,
            duration_ms: 5,
          },
        },
      ],
    };
    const frame = render(<AgentPanel panel={panel} now={T0} width={60} color={false} maxRows={2} />).lastFrame() ?? '';
    expect(frame).toContain('… more above');
    expect(frame).toContain('⚙ calculator ✓ 5ms → 2');
    expect(frame).not.toContain('before');
    expect(frame.split('\n')).toHaveLength(5);
  });
});
