/**
 * A question that answers keys (an approval, the `!command` confirmation) takes them only once its frame is on the
 * terminal: Ink draws at most 30 frames a second, so the commit that raises a question can wait up to a frame before
 * the screen shows it, and a key read in that window was typed at the prompt the user still saw. Rendered through
 * TerminalOutput into a headless xterm, with fake timers driving Ink's throttle, so the window is the same every run.
 */
import { Box, Text } from 'ink';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useKeyPresses } from '../../src/ui/use-key-presses.js';
import { useShown } from '../../src/ui/use-shown.js';
import { renderInTerminal } from './terminal-render.js';

interface Question {
  text: string;
}

/** A prompt and, when `question` is set, a question in its place, wired as App wires the approval panel. */
function Screen({ question, got, gate }: { question?: Question; got: string[]; gate: 'drawn' | 'committed' }) {
  const shown = useShown(question);
  const questionTakes = gate === 'drawn' ? () => question !== undefined && shown() : question !== undefined;
  const promptTakes = gate === 'drawn' ? () => !(question !== undefined && shown()) : question === undefined;
  useKeyPresses((press) => got.push(`question:${press.kind === 'text' ? press.text : press.kind}`), {
    isActive: questionTakes,
  });
  useKeyPresses((press) => got.push(`prompt:${press.kind === 'text' ? press.text : press.kind}`), {
    isActive: promptTakes,
  });
  return (
    <Box flexDirection="column">
      <Text>answer streaming…</Text>
      {question ? <Text>{question.text} y / n</Text> : <Text>❯ prompt</Text>}
    </Box>
  );
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Renders, lets Ink draw the first frame, then raises a question in a commit Ink's throttle holds back. */
async function raisedButNotDrawn(gate: 'drawn' | 'committed') {
  const got: string[] = [];
  const onScreenWhenAnswered: boolean[] = [];
  const ui = renderInTerminal(<Screen got={got} gate={gate} />, { columns: 40, rows: 8 });
  await vi.advanceTimersByTimeAsync(100);
  expect(ui.screen()).toContain('❯ prompt');
  // A commit right after a drawn frame: Ink's throttle holds its frame back (up to 33 ms).
  ui.rerender(<Screen got={got} gate={gate} />);
  const question = { text: 'run write_note?' };
  ui.rerender(<Screen question={question} got={got} gate={gate} />);
  const answered = (): void => void onScreenWhenAnswered.push(ui.screen().includes('run write_note?'));
  return { ui, got, answered, onScreenWhenAnswered };
}

describe('a question takes keys once it is on screen', () => {
  it('a key read before the question is drawn goes to the prompt; once drawn, keys answer the question', async () => {
    const { ui, got } = await raisedButNotDrawn('drawn');
    expect(ui.screen()).not.toContain('run write_note?');
    ui.stdin.write('y');
    expect(got).toEqual(['prompt:y']);
    await vi.advanceTimersByTimeAsync(40);
    expect(ui.screen()).toContain('run write_note? y / n');
    ui.stdin.write('y');
    expect(got).toEqual(['prompt:y', 'question:y']);
    ui.unmount();
  });

  it('the key is taken by the question from the write that shows it, with no render in between', async () => {
    const { ui, got, answered, onScreenWhenAnswered } = await raisedButNotDrawn('drawn');
    // Ink's throttled render writes the frame; a key read in the very next task already goes to the question.
    await vi.advanceTimersByTimeAsync(34);
    answered();
    ui.stdin.write('n');
    expect(got).toEqual(['question:n']);
    expect(onScreenWhenAnswered).toEqual([true]);
    ui.unmount();
  });

  it('gated on the commit instead (what the chat did before), the unseen question would take the key', async () => {
    const { ui, got } = await raisedButNotDrawn('committed');
    expect(ui.screen()).not.toContain('run write_note?');
    ui.stdin.write('y');
    expect(got).toEqual(['question:y']);
    ui.unmount();
  });
});
