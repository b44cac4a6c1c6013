/**
 * Render cost of one live frame of the chat UI with 1,000 prior history items vs 10 (goal ≤ 1.2x): history is printed
 * once (the Printer) and then dropped from the state, so a frame only pays for the small live region, however long
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

/**
 * A terminal of 100x30 that keeps nothing. Not a TTY to Ink: given one, Ink's cursor helper hides the cursor there and
 * leaves a hook that writes ESC[?25h to this process's own stderr when it exits (a stray byte in the bench output).
 * Ink's frames are the same either way here (the live region is shorter than the screen), bar the synchronized-output
 * markers around each write.
 */
class FakeTty extends Writable {
  isTTY = false;
  columns = 100;
  rows = 30;
  bytes = 0;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.bytes += chunk.length;
    cb();
  }
}

/**
 * Median and p95 of one live frame, over `frames` frames, after `priorItems` history items were printed: wall time
 * (ms) and `cpu`, this process's CPU time (ms), which other work on a loaded machine does not stretch.
 */
export async function measureFrames(
  priorItems: number,
  frames = 300,
): Promise<{ median: number; p95: number; cpu: number }> {
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
  const cpu: number[] = [];
  for (let i = 0; i < frames; i++) {
    state = chatReducer(state, {
      type: 'events',
      events: stamp([{ type: 'text_delta', text: `word${i} `, turn: 1 }], 10_000 + i),
    });
    const done = new Promise<void>((r) => (rendered = r));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    ink.rerender(createElement(ChatScreen, props(state, 10_000 + i * 33)));
    await done;
    const c = process.cpuUsage(c0);
    times.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
    await new Promise((r) => setImmediate(r));
  }
  ink.unmount();
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)] as number,
    p95: times[Math.floor(times.length * 0.95)] as number,
    cpu: cpu[Math.floor(cpu.length / 2)] as number,
  };
}

const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Frame cost with 10 and with 1,000 prior items, rounds interleaved to share warm-up and machine noise: medians. */
export async function compareFrames(
  rounds = 3,
): Promise<{ small: number; large: number; smallWall: number; largeWall: number; raw: Record<string, unknown> }> {
  const small: Array<{ median: number; cpu: number }> = [];
  const large: Array<{ median: number; cpu: number }> = [];
  for (let round = 0; round < rounds; round++) {
    small.push(await measureFrames(10));
    large.push(await measureFrames(1000));
  }
  return {
    small: med(small.map((r) => r.cpu)),
    large: med(large.map((r) => r.cpu)),
    smallWall: med(small.map((r) => r.median)),
    largeWall: med(large.map((r) => r.median)),
    raw: { small, large },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await compareFrames();
  process.stdout.write(
    `ui frame, 10 prior items:    ${r.small.toFixed(3)} ms CPU (wall ${r.smallWall.toFixed(3)} ms)\n` +
      `ui frame, 1000 prior items:  ${r.large.toFixed(3)} ms CPU (wall ${r.largeWall.toFixed(3)} ms)\n` +
      `ratio 1000/10: ${(r.large / r.small).toFixed(2)}x CPU, ${(r.largeWall / r.smallWall).toFixed(2)}x wall (goal ≤ 1.2x)\n`,
  );
  process.exit(0);
}
