/** Helpers shared by the chat UI tests: gated scripted turns, reading the prompt box out of a frame, counting frames. */
import { render } from 'ink';
import { Writable } from 'node:stream';
import type { ReactElement } from 'react';
import type { ModelChunk, ModelProvider, ModelRequest } from '../../src/core/providers/types.js';
import { emptyEditor, type EditorState } from '../../src/ui/input.js';

/** One scripted model turn. */
export type Turn = (req: ModelRequest) => AsyncGenerator<ModelChunk>;

/** A provider that plays one scripted turn per request and records what it was asked and how often it was aborted. */
export class ScriptedProvider implements ModelProvider {
  readonly id = 'scripted';
  readonly requests: ModelRequest[] = [];
  aborts = 0;
  constructor(private readonly turns: Turn[]) {}
  get aborted(): boolean {
    return this.aborts > 0;
  }
  async *stream(req: ModelRequest): AsyncGenerator<ModelChunk> {
    this.requests.push(req);
    const turn = this.turns.shift();
    if (!turn) throw new Error('no scripted turn left');
    req.signal.addEventListener('abort', () => this.aborts++, { once: true });
    yield* turn(req);
  }
}

/** Streams `chunks` and completes, with usage. */
export const text = (...chunks: string[]): Turn =>
  async function* () {
    for (const t of chunks) yield { type: 'text', text: t };
    yield { type: 'usage', usage: { input_tokens: 5, output_tokens: chunks.length, total_tokens: 5 + chunks.length } };
  };

/** Streams `first`, then waits until the request is aborted. */
export const hang = (first: string): Turn =>
  async function* (req) {
    yield { type: 'text', text: first };
    await new Promise((_, reject) =>
      req.signal.addEventListener('abort', () => reject(req.signal.reason), { once: true }),
    );
  };

/** A promise the test opens when it chooses. */
export function deferred(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** Streams `first`, waits for `gate`, then streams `rest` and completes. */
export const gated = (first: string, gate: Promise<void>, rest: string): Turn =>
  async function* () {
    yield { type: 'text', text: first };
    await gate;
    yield { type: 'text', text: rest };
  };

/** The text inside the prompt box (frame rows between its borders, without the border and the "❯"). */
export function promptText(frame: string): string {
  const rows = frame.split('\n');
  const top = rows.findLastIndex((r) => r.startsWith('╭'));
  const bottom = rows.findLastIndex((r) => r.startsWith('╰'));
  if (top === -1 || bottom < top) return '';
  return rows
    .slice(top + 1, bottom)
    .map((r) =>
      r
        .replace(/^│ (?:❯ | {2})?/, '')
        .replace(/\s*│$/, '')
        .replace(/█$/, ''),
    )
    .join('\n');
}

/** A terminal-like stream for Ink itself (ink-testing-library renders unthrottled) that counts the frames written. */
export class CountingTty extends Writable {
  isTTY = true;
  columns = 80;
  rows = 24;
  writes = 0;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    // A frame may be wrapped in "begin/end synchronized update" writes: count the frames only.
    if (!/^\x1b\[\?2026[hl]$/.test(String(chunk))) this.writes++;
    cb();
  }
}

/**
 * Renders `view` with Ink itself (ink-testing-library renders unthrottled) at 1 fps, types `typed` one key at a time
 * into its editor, and returns how many frames Ink wrote meanwhile: a throttled frame cannot happen twice within this
 * synchronous loop, a forced one happens on every key.
 */
export function framesWhileTyping(view: (editor: EditorState) => ReactElement, typed = 'a follow-up'): number {
  const stdout = new CountingTty();
  let editor = emptyEditor();
  const ink = render(view(editor), {
    stdout: stdout as unknown as NodeJS.WriteStream,
    patchConsole: false,
    exitOnCtrlC: false,
    maxFps: 1,
  });
  try {
    const before = stdout.writes;
    for (const ch of typed) {
      editor = { ...editor, text: editor.text + ch, cursor: editor.cursor + 1 };
      ink.rerender(view(editor));
    }
    return stdout.writes - before;
  } finally {
    ink.unmount();
  }
}

/** `text` without its SGR styling (NO_COLOR keeps bold and underline, so frames carry them). */
export function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}
