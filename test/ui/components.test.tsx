import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { EventPayload } from '../../src/core/events.js';
import { chatReducer, initialChatState, type ChatState, type Layout } from '../../src/ui/chat-state.js';
import { ChatScreen } from '../../src/ui/components/ChatScreen.js';
import { emptyEditor, type EditorState } from '../../src/ui/input.js';
import { framesWhileTyping } from './helpers.js';
import { renderInTerminal } from './terminal-render.js';
import { end, script } from './script.js';

const T0 = 1_000_000;
const ONE = [{ name: 'assistant', model: 'gpt-test', isDemo: false }];
const NOOP = (): void => undefined;
const QUEUED = ['later'];

function stateFrom(prompt: string, payloads: EventPayload[], layout: Layout = { width: 80, rows: 24, color: false }) {
  const s = chatReducer(initialChatState(ONE, layout), { type: 'start', prompt, now: T0 });
  return chatReducer(s, { type: 'events', events: script(payloads, { t0: T0, stepMs: 100 }) });
}

function screen(state: ChatState, opts: { now?: number; editor?: EditorState; queued?: string[] } = {}) {
  const ui = renderInTerminal(
    <ChatScreen
      state={state}
      now={opts.now ?? T0 + 2_000}
      editor={opts.editor ?? emptyEditor()}
      queued={opts.queued ?? []}
      onPrinted={NOOP}
    />,
    { columns: 100, rows: state.layout.rows },
  );
  return { ui, frame: (): string => ui.text() };
}

describe('ChatScreen', () => {
  it('prints the header and what is final, and shows the live tail with the progress line and the prompt', async () => {
    const s = stateFrom('hello', [
      { type: 'run_start', model: 'gpt-test', input: 'hello' },
      { type: 'text_delta', text: 'First paragraph.\n\nSecond one, still', turn: 1 },
    ]);
    const { frame } = screen(s);
    await expect
      .poll(frame)
      .toMatch(
        /^agentor · assistant · model gpt-test\n\n❯ hello\n\nFirst paragraph\.\n\nSecond one, still\n\n[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] writing… [\d.]+s · \d+ tokens · \d+ tok\/s · turn 1 · 0 tools run · esc or ctrl\+c to …\n\n╭─+╮\n│ ❯/,
      );
    expect(frame()).toContain('enter queues a message, sent when this answer ends · esc cancels');
  });

  it('says the model is being waited for after 3 s without a token, instead of a falling token rate', () => {
    const s = stateFrom('q', [
      { type: 'run_start', model: 'm', input: 'q' },
      { type: 'text_delta', text: 'Some words', turn: 1 },
    ]);
    expect(screen(s, { now: T0 + 2_000 }).frame()).toMatch(/writing… [\d.]+s · \d+ tokens · \d+ tok\/s/);
    const stalled = screen(s, { now: T0 + 14_200 }).frame();
    expect(stalled).toContain('waiting for the model · 14 s since the last token…');
    expect(stalled).not.toContain('tok/s');
    const silent = stateFrom('q', [{ type: 'run_start', model: 'm', input: 'q' }]);
    expect(screen(silent, { now: T0 + 5_000 }).frame()).toContain('waiting for the model · 5 s since the request');
  });

  it('labels demo agents clearly', async () => {
    const s = initialChatState([{ name: 'assistant', model: 'demo', isDemo: true }], {
      width: 100,
      rows: 24,
      color: false,
    });
    await expect
      .poll(screen(s).frame)
      .toContain('agentor · assistant · model demo  DEMO  offline scripted model, no API calls');
  });

  it('keeps the whole frame shorter than the terminal, whatever streams: here a long code block and a tall prompt', () => {
    const code = '```\n' + Array.from({ length: 60 }, (_, i) => `line ${i} ${'x'.repeat(i)}`).join('\n') + '\n';
    const rows = 20;
    const s = stateFrom('code', [{ type: 'text_delta', text: code, turn: 1 }], { width: 60, rows, color: false });
    const typed = Array.from({ length: 30 }, (_, i) => `typed ${i}`).join('\n');
    const queued = ['first\nsecond line', `evil \x1b]0;title\x07 ${'x'.repeat(200)}`, 'third', 'fourth', 'fifth'];
    // Every code line went to the scrollback already: only what is not final stays live.
    expect(s.print.flatMap((p) => p.lines).join('\n')).toContain('line 59');
    // Ink's own frame (what it redraws; printed lines are not part of it) is shorter than the terminal.
    const ink = render(
      <ChatScreen
        state={{ ...s, print: [] }}
        now={T0 + 2_000}
        editor={{ ...emptyEditor(), text: typed, cursor: typed.length }}
        queued={queued}
        onPrinted={NOOP}
      />,
    );
    const live = ink.lastFrame() ?? '';
    expect(live.split('\n').length).toBeLessThan(rows);
    const { frame } = screen(s, { editor: { ...emptyEditor(), text: typed, cursor: typed.length }, queued });
    expect(frame()).toContain('queued: first ⏎ second line');
    expect(frame()).not.toContain('\x1b]0;');
    expect(frame()).toContain('… and 2 more queued');
    expect(frame()).toMatch(/\d+ more lines not shown · enter queues a message/);
  });

  it('draws a running tool call with spinner and elapsed time, and squeezes tool calls to one line when rows are short', () => {
    const calls: EventPayload[] = Array.from({ length: 4 }, (_, i) => ({
      type: 'tool_call',
      call_id: `c${i}`,
      name: `tool${i}`,
      args: { query: `question ${i}`, limit: 5 },
      turn: 1,
    }));
    const roomy = stateFrom('q', calls, { width: 80, rows: 40, color: false });
    expect(screen(roomy).frame()).toMatch(
      /╭─+╮\n│ ⚙ tool0 [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running [\d.]+s +│\n│ query: question 0 +│\n│ limit: 5 +│\n╰─+╯/,
    );
    const short = stateFrom('q', calls, { width: 80, rows: 16, color: false });
    const frame = screen({ ...short, print: [] }).frame();
    expect(frame).toMatch(/⚙ tool0 [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running [\d.]+s\n⚙ tool1/);
    expect(frame.split('\n').length).toBeLessThan(16);
  });

  it('a finished round: the end line, no progress line, the idle prompt', async () => {
    const s = stateFrom('q', [{ type: 'text_delta', text: 'Done.', turn: 1 }, end('completed')]);
    const { frame } = screen(s);
    await expect.poll(frame).toMatch(/Done\.\n {2}✓ 1\.2s · 42 tokens\n\n╭/);
    expect(frame()).not.toContain('esc or ctrl+c to cancel');
    expect(frame()).toContain('/help');
  });

  it('prints each line once, however many times the screen renders, and reports what it printed', async () => {
    let s = stateFrom('hello', [{ type: 'text_delta', text: 'Para one.\n\nPara', turn: 1 }]);
    let acked = -1;
    const onPrinted = (id: number): void => {
      acked = id;
    };
    const ui = renderInTerminal(<ChatScreen state={s} now={T0} editor={emptyEditor()} onPrinted={onPrinted} />);
    for (let i = 0; i < 5; i++) {
      s = chatReducer(s, { type: 'events', events: script([{ type: 'text_delta', text: ` ${i}`, turn: 1 }]) });
      if (i === 2) s = chatReducer(s, { type: 'printed', id: acked });
      ui.rerender(<ChatScreen state={s} now={T0 + i} editor={emptyEditor()} onPrinted={onPrinted} />);
    }
    // (Frames are drawn at most 30 times a second: the last one comes a moment later.)
    await expect.poll(ui.text).toContain('Para 0 1 2 3 4');
    const frame = ui.text();
    expect(frame.split('Para one.').length - 1).toBe(1);
    expect(frame.split('❯ hello').length - 1).toBe(1);
    expect(acked).toBe(s.print.at(-1)?.id ?? acked);
  });

  it('typing while an answer streams never forces a frame: Ink stays throttled', () => {
    const s = stateFrom('q', [{ type: 'text_delta', text: 'Para one.\n\nA streaming **answer**', turn: 1 }]);
    const frames = framesWhileTyping((editor) => (
      <ChatScreen state={s} editor={editor} queued={QUEUED} now={T0 + 1000} onPrinted={NOOP} />
    ));
    expect(frames).toBeLessThanOrEqual(1);
  });
});
