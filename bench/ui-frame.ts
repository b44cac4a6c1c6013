/**
 * Render cost of one live frame of the chat UI with 1,000 prior history items vs 10 (goal ≤ 1.2x): history is printed
 * once through <Static> and then dropped from the state, so a frame only pays for the small live region, however long
 * the conversation is.
 *
 *   node --import tsx bench/ui-frame.ts        (prints a line per case and the ratio; exports measureFrames)
 */
import { render } from 'ink';
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { createElement } from 'react';
import type { AgentEvent, EventPayload } from '../src/core/events.js';
import { chatReducer, initialChatState, type ChatState } from '../src/ui/chat-state.js';
import { ChatScreen } from '../src/ui/components/ChatScreen.js';
import { emptyEditor } from '../src/ui/input.js';

const stamp = (payloads: EventPayload[], t0: number): AgentEvent[] =>
  payloads.map((p, seq) => ({ run_id: 'r', seq, ts: t0 + seq, agent: 'assistant', ...p }));

/** A conversation with about `items` history items (prompts, markdown answers, tool panels, run summaries). */
function conversation(items: number): ChatState {
  let s = initialChatState([{ name: 'assistant', model: 'bench', isDemo: false }], {
    width: 100,
    rows: 30,
    color: true,
  });
  for (let i = 0; s.print.length < items; i++) {
    s = chatReducer(s, { type: 'start', prompt: `question ${i}`, now: i * 1000 });
    s = chatReducer(s, {
      type: 'events',
      events: stamp(
        [
          { type: 'text_delta', text: `Answer **${i}** with \`code\` and a list:\n\n- a\n- b`, turn: 1 },
          { type: 'tool_call', call_id: `c${i}`, name: 'calculator', args: { expression: `${i} * 2` }, turn: 1 },
          {
            type: 'tool_result',
            call_id: `c${i}`,
            name: 'calculator',
            result: String(i * 2),
            is_error: false,
            duration_ms: 3,
            turn: 1,
          },
          {
            type: 'run_end',
            status: 'completed',
            text: '',
            usage: { input_tokens: 1, output_tokens: 20, total_tokens: 21 },
            duration_ms: 900,
          },
        ],
        i * 1000,
      ),
    });
  }
  return chatReducer(s, { type: 'start', prompt: 'the live question', now: 0 });
}

class FakeTty extends Writable {
  isTTY = true;
  columns = 100;
  rows = 30;
  bytes = 0;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.bytes += chunk.length;
    cb();
  }
}

/** Median and p95 wall time (ms) of one live frame, over `frames` frames, after `priorItems` history items were printed. */
export async function measureFrames(priorItems: number, frames = 300): Promise<{ median: number; p95: number }> {
  let state = conversation(priorItems);
  const stdout = new FakeTty() as unknown as NodeJS.WriteStream;
  let rendered: (() => void) | undefined;
  const onPrinted = (id: number): void => {
    state = chatReducer(state, { type: 'printed', id });
  };
  const props = (s: ChatState, now: number) => ({ state: s, editor: emptyEditor(), now, onPrinted });
  const ink = render(createElement(ChatScreen, props(state, 0)), {
    stdout,
    patchConsole: false,
    exitOnCtrlC: false,
    maxFps: 100_000,
    onRender: () => rendered?.(),
  });
  await new Promise((r) => setTimeout(r, 50)); // the first frame prints the whole history once: not measured
  const times: number[] = [];
  for (let i = 0; i < frames; i++) {
    state = chatReducer(state, {
      type: 'events',
      events: stamp([{ type: 'text_delta', text: `word${i} `, turn: 1 }], 10_000 + i),
    });
    const done = new Promise<void>((r) => (rendered = r));
    const t0 = performance.now();
    ink.rerender(createElement(ChatScreen, props(state, 10_000 + i * 33)));
    await done;
    times.push(performance.now() - t0);
    await new Promise((r) => setImmediate(r));
  }
  ink.unmount();
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)] as number,
    p95: times[Math.floor(times.length * 0.95)] as number,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // Interleave to share warm-up and machine noise fairly.
  const small: number[] = [];
  const large: number[] = [];
  for (let round = 0; round < 3; round++) {
    small.push((await measureFrames(10)).median);
    large.push((await measureFrames(1000)).median);
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const a = med(small);
  const b = med(large);
  process.stdout.write(
    `ui frame, 10 prior items:    ${a.toFixed(3)} ms\nui frame, 1000 prior items:  ${b.toFixed(3)} ms\nratio 1000/10: ${(b / a).toFixed(2)}x (goal ≤ 1.2x)\n`,
  );
  process.exit(0);
}
