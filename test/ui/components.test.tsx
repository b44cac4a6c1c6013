import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { EventPayload } from '../../src/core/events.js';
import { ChatView } from '../../src/ui/components/ChatView.js';
import { HistoryItemView } from '../../src/ui/components/HistoryItemView.js';
import { ToolPanel } from '../../src/ui/components/ToolPanel.js';
import { emptyEditor } from '../../src/ui/input.js';
import { initialState, reducer, type UiState } from '../../src/ui/state.js';
import { framesWhileTyping } from './helpers.js';
import { end, script } from './script.js';

const T0 = 1_000_000;
function stateFrom(
  prompt: string,
  payloads: EventPayload[],
  info = { agent: 'assistant', model: 'gpt-test', isDemo: false },
): UiState {
  const s = reducer(initialState(info), { type: 'submit', text: prompt, now: T0 });
  return reducer(s, { type: 'events', events: script(payloads, { t0: T0, stepMs: 100 }) });
}
function view(state: UiState, now = T0 + 2_000, rows = 24) {
  return render(
    <ChatView
      state={state}
      editor={emptyEditor()}
      now={now}
      width={80}
      rows={rows}
      color={false}
      showReasoning={false}
    />,
  );
}

describe('ChatView', () => {
  it('shows the header, the prompt, finished paragraphs and the live tail with a progress line', () => {
    const s = stateFrom('Explain', [
      { type: 'run_start', model: 'gpt-test', input: 'Explain' },
      { type: 'text_delta', text: '# Title\n\nA **bold** start', turn: 1 },
    ]);
    const frame = view(s).lastFrame() ?? '';
    expect(frame).toContain('agentor · assistant · model gpt-test');
    expect(frame).toContain('❯ Explain');
    expect(frame).toContain('Title');
    expect(frame).toContain('A bold start');
    expect(frame).not.toContain('**');
    // 26 streamed chars ≈ 7 tokens; turn 1; the cancel hint; the prompt stays, with the type-ahead hint.
    expect(frame).toMatch(/writing… 2\.0s · 7 tokens · \d+ tok\/s · turn 1 · 0 tools run · esc or ctrl\+c to cancel/);
    expect(frame).not.toContain('/help for commands');
    expect(frame).toContain('enter queues a message');
  });

  it('keeps the prompt marker and its space when a long message in history wraps', () => {
    const long =
      'a very long question that certainly wraps onto a second line of this narrow eighty column terminal window';
    const frame =
      render(
        <HistoryItemView item={{ kind: 'user', id: 1, text: long }} width={80} color={false} showReasoning={false} />,
      ).lastFrame() ?? '';
    expect(frame).toContain('❯ a very long question');
    expect(frame.split('\n').length).toBeGreaterThan(2);
  });

  it('labels demo agents clearly', () => {
    const s = initialState({ agent: 'assistant', model: 'demo', isDemo: true });
    expect(view(s).lastFrame()).toContain('DEMO');
  });

  it('draws a running tool panel with spinner and elapsed time, then a finished one with ✓ and the result', () => {
    const running = stateFrom('calc', [
      { type: 'tool_call', call_id: 'c1', name: 'calculator', args: { expression: '17 * 23' }, turn: 1 },
    ]);
    const live = view(running, T0 + 1_600).lastFrame() ?? '';
    expect(live).toMatch(/╭─+╮/);
    expect(live).toMatch(/⚙ calculator [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running 1\.6s/);
    expect(live).toContain('expression: 17 * 23');
    expect(live).toContain('running calculator…');

    const done = reducer(running, {
      type: 'events',
      events: script([
        {
          type: 'tool_result',
          call_id: 'c1',
          name: 'calculator',
          result: '391',
          is_error: false,
          duration_ms: 12,
          turn: 1,
        },
      ]),
    });
    const frame = view(done).lastFrame() ?? '';
    expect(frame).toContain('⚙ calculator ✓ 12ms');
    expect(frame).toContain('→ 391');
    expect(frame).toContain('1 tool run');
  });

  it('shows a failed tool with ✗ and truncates long results to their first lines', () => {
    const frame =
      render(
        <ToolPanel
          tool={{
            call_id: 'c',
            name: 'fetch',
            args: { url: 'http://x' },
            startedAt: 0,
            result: 'line1\nline2\nline3\nline4\nline5\nline6',
            is_error: true,
            duration_ms: 1500,
          }}
          now={0}
          width={60}
        />,
      ).lastFrame() ?? '';
    expect(frame).toContain('✗ failed · 1.5s');
    expect(frame).toContain('line4');
    expect(frame).not.toContain('line5');
    expect(frame).toContain('… 2 more lines');
  });

  it('marks a cancelled answer and brings the prompt back', () => {
    const s = stateFrom('long story', [
      { type: 'text_delta', text: 'Once upon a', turn: 1 },
      end('cancelled', 'Once upon a'),
    ]);
    const frame = view(s).lastFrame() ?? '';
    expect(frame).toContain('Once upon a');
    expect(frame).toMatch(/⏹ cancelled · 1\.2s · 42 tokens/);
    expect(frame).toContain('ctrl+c twice to exit');
  });

  it('shows failures in the transcript with what went wrong', () => {
    const s = stateFrom('q', [
      end('failed', '', { error: { message: '401 invalid key (set OPENAI_API_KEY)', retryable: false } }),
    ]);
    expect(view(s).lastFrame()).toContain('✗ failed: 401 invalid key (set OPENAI_API_KEY)');
  });

  it('keeps the live region shorter than the terminal for a long unsplittable answer', () => {
    const code = '```\n' + Array.from({ length: 60 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const s = stateFrom('code', [{ type: 'text_delta', text: code, turn: 1 }]);
    const frame = view(s, T0 + 1000, 20).lastFrame() ?? '';
    // Debug frames contain history + live region; the live region starts after the prompt line.
    const live = frame
      .slice(frame.indexOf('❯ code') + '❯ code'.length)
      .split('\n')
      .filter((l, i) => i > 0 || l);
    expect(live.length).toBeLessThan(20);
    expect(frame).toContain('line 59');
    expect(frame).not.toContain('line 10\n');
    expect(frame).toMatch(/… \d+ more lines above/);
  });

  it('collapses reasoning to a dim summary in history', () => {
    const s = stateFrom('q', [
      { type: 'reasoning_delta', text: 'step one\nstep two', turn: 1 },
      { type: 'text_delta', text: 'answer', turn: 1 },
      { type: 'message', text: 'answer', turn: 1 },
    ]);
    const frame = view(s).lastFrame() ?? '';
    expect(frame).toContain('▸ reasoning (2 lines');
    expect(frame).not.toContain('step one');
  });

  it('shows streamed reasoning dimmed while live, and in full when expanded (ctrl+o)', () => {
    const s = stateFrom('q', [{ type: 'reasoning_delta', text: 'r1\nr2\nr3\nr4\nr5', turn: 1 }]);
    const collapsed = view(s).lastFrame() ?? '';
    expect(collapsed).toContain('r5');
    expect(collapsed).not.toContain('r1');
    const done = reducer(s, {
      type: 'events',
      events: script([
        { type: 'text_delta', text: 'answer', turn: 1 },
        { type: 'message', text: 'answer', turn: 1 },
      ]),
    });
    const expanded =
      render(
        <ChatView
          state={done}
          editor={emptyEditor()}
          now={T0}
          width={80}
          rows={24}
          color={false}
          showReasoning={true}
        />,
      ).lastFrame() ?? '';
    expect(expanded).toContain('r1\n');
    expect(expanded).not.toContain('▸ reasoning');
  });

  it('prints history items once through <Static>, even after many updates', () => {
    let s = stateFrom('hello', [{ type: 'text_delta', text: 'Para one.\n\nPara', turn: 1 }]);
    const ui = view(s);
    for (let i = 0; i < 5; i++) {
      s = reducer(s, { type: 'events', events: script([{ type: 'text_delta', text: ` ${i}`, turn: 1 }]) });
      ui.rerender(
        <ChatView
          state={s}
          editor={emptyEditor()}
          now={T0 + 2000 + i}
          width={80}
          rows={24}
          color={false}
          showReasoning={false}
        />,
      );
    }
    const frame = ui.lastFrame() ?? '';
    expect(frame.split('Para one.').length - 1).toBe(1);
    expect(frame).toContain('Para 0 1 2 3 4');
  });

  it('while running: typed-ahead messages one line each under the progress line, a capped prompt, all shorter than the terminal', () => {
    const code = '```\n' + Array.from({ length: 60 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const s = stateFrom('code', [{ type: 'text_delta', text: code, turn: 1 }]);
    const typed = Array.from({ length: 30 }, (_, i) => `typed ${i}`).join('\n');
    const editor = { ...emptyEditor(), text: typed, cursor: typed.length };
    const queued = ['first\nsecond line', `evil \x1b]0;title\x07 ${'x'.repeat(200)}`, 'third', 'fourth', 'fifth'];
    const rows = 20;
    const frame =
      render(
        <ChatView
          state={s}
          editor={editor}
          queued={queued}
          now={T0 + 1000}
          width={60}
          rows={rows}
          color={false}
          showReasoning={false}
        />,
      ).lastFrame() ?? '';
    const live = frame
      .slice(frame.indexOf('❯ code') + '❯ code'.length)
      .split('\n')
      .slice(1);
    expect(live.length).toBeLessThan(rows);
    expect(frame).toContain('line 59');
    expect(frame).toContain('queued: first ⏎ second line');
    expect(frame).not.toContain('\x1b]0;');
    // One row per queued message, cut to the width; the rest counted.
    const evil = live.find((l) => l.includes('queued: evil')) ?? '';
    expect(evil.length).toBeLessThanOrEqual(60);
    expect(frame).toContain('… and 2 more queued');
    expect(frame).not.toContain('queued: fourth');
    // The prompt shows the lines around the cursor and says how many are not shown.
    expect(frame).toContain('typed 29');
    expect(frame).not.toContain('typed 0\n');
    expect(frame).toMatch(/\d+ more lines not shown · enter queues a message/);
    const at = (needle: string): number => frame.indexOf(needle);
    expect(at('esc or ctrl+c to cancel')).toBeLessThan(at('queued: first'));
    expect(at('… and 2 more queued')).toBeLessThan(at('╭'));
  });

  it('after the run the whole prompt is shown again', () => {
    const typed = Array.from({ length: 12 }, (_, i) => `typed ${i}`).join('\n');
    const editor = { ...emptyEditor(), text: typed, cursor: typed.length };
    const frame =
      render(
        <ChatView
          state={initialState({ agent: 'a', model: 'm', isDemo: false })}
          editor={editor}
          now={T0}
          width={60}
          rows={20}
          color={false}
          showReasoning={false}
        />,
      ).lastFrame() ?? '';
    expect(frame).toContain('typed 0');
    expect(frame).toContain('typed 11');
    expect(frame).not.toContain('not shown');
  });

  it('typing while an answer streams never forces a frame: Ink stays throttled (the history element is reused)', () => {
    const s = stateFrom('q', [{ type: 'text_delta', text: 'Para one.\n\nA streaming **answer**', turn: 1 }]);
    const frames = framesWhileTyping((editor) => (
      <ChatView
        state={s}
        editor={editor}
        queued={['later']}
        now={T0 + 1000}
        width={80}
        rows={24}
        color={false}
        showReasoning={false}
      />
    ));
    expect(frames).toBeLessThanOrEqual(1);
  });
});
