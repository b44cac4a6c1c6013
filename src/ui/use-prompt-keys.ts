/**
 * The keys of a chat's prompt, as one hook shared by the single- and multi-agent chats: editing (input.ts), ↑/↓
 * history, bracketed paste, Ctrl+O, and typing ahead. Input is decoded from what Ink reads (keys.ts), so keys that
 * arrive in one read stay keys ("hi\r/exit\r" sends "hi", then runs /exit) and only a bracketed paste is a paste.
 * The prompt stays editable while an answer streams: Enter then queues the message (use-type-ahead.ts), Esc/Ctrl+C
 * cancels and puts the queue back into the prompt, and exiting stays deliberate (Ctrl+D never exits while streaming;
 * Ctrl+C clears the text, or twice within 2 s on an empty idle prompt leaves). See docs/interactive.md, "Keys".
 */
import { useInput, useStdin, useStdout } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { InputHistory } from './history-store.js';
import { editKey, emptyEditor, restoreQueued, type EditorState } from './input.js';
import { KeyReader, type KeyPress } from './keys.js';
import { entryPreview, type PromptEntry } from './paste.js';
import { useTypeAhead, type RunOutcome } from './use-type-ahead.js';

/** What the prompt's keys act on. */
export interface PromptKeysOptions {
  history: InputHistory;
  /** True while the screen shows a live run. */
  running: boolean;
  /** True from a run's start until its last event was handed over (checked on every key, ahead of React's next render). */
  isRunning: () => boolean;
  /** Cancels the running answer (every agent's, with several). */
  cancel: () => void;
  leave: (code: number) => void;
  /**
   * Sends a message or runs a slash command; true when that started a run. `shown` is the message as the prompt showed
   * it, each long paste as its placeholder ("[pasted 300 lines, 22 KB]"), for an echo that should stay short.
   */
  perform: (text: string, shown: string) => boolean;
  /** False turns the editor off (a one-shot run): only the cancel keys work. */
  editable: boolean;
  /** Raw mode is needed to read keys at all. */
  isActive: boolean;
  /** Why the queue comes back on a cancel (default "the run was cancelled"). */
  cancelled?: string;
  /** The width the prompt is drawn at, so that ↑/↓ move by its rows (default: the terminal's width). */
  width?: number;
}

/** How long "press Ctrl+C again to exit" (and any other hint) stays. */
export const EXIT_WINDOW_MS = 2000;
/** A bracketed paste with no input for this long is taken as ended (its end marker was lost). */
export const PASTE_IDLE_MS = 5000;

/**
 * Reads the keys. Returns the editor, the queued messages (as the prompt showed them, pastes as placeholders) and the
 * hint to draw, whether reasoning is shown in full (Ctrl+O), and `runEnded`, which the chat calls with each run's
 * outcome so that the queue moves on.
 */
export function usePromptKeys({
  history,
  running,
  isRunning,
  cancel,
  leave,
  perform,
  editable,
  isActive,
  cancelled = 'the run was cancelled',
  width,
}: PromptKeysOptions) {
  const [editor, setEditorState] = useState(() => emptyEditor(history.items.length));
  // Keys can arrive faster than React re-renders ("hi" then Enter in one read): edits chain through a ref.
  const editorRef = useRef(editor);
  const setEditor = (next: EditorState): void => {
    editorRef.current = next;
    setEditorState(next);
  };
  const [hint, setHint] = useState<string | undefined>(undefined);
  const [showReasoning, setShowReasoning] = useState(false);
  const exitArmedAt = useRef(0);
  const reader = useRef(new KeyReader());
  const { internal_eventEmitter: events } = useStdin();
  const { stdout } = useStdout();
  const queue = useTypeAhead({
    running,
    isRunning,
    perform,
    giveBack: (queued, why) => {
      setEditor(restoreQueued(editorRef.current, queued, history.items.length));
      setHint(why);
    },
  });
  const queued = useMemo(() => queue.queued.map(entryPreview), [queue.queued]);

  useEffect(() => {
    if (!hint) return;
    const timer = setTimeout(() => setHint(undefined), EXIT_WINDOW_MS);
    return () => clearTimeout(timer);
  }, [hint]);

  // Ink hands useInput a lossy summary of each input event (Backspace and Delete look alike, several keys read at once
  // look like one paste). The event itself is caught here, just before useInput's handler runs for it (the emitter
  // calls a prepended listener first), and decoded in that handler, where Ink batches the state updates.
  const lastEvent = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!isActive) return;
    const record = (data: string): void => {
      lastEvent.current = data;
    };
    events.prependListener('input', record);
    return () => {
      events.removeListener('input', record);
    };
  }, [events, isActive]);

  const submit = (entry: PromptEntry, busy: boolean): void => {
    if (!entry.text.trim()) return;
    history.add(entry);
    // After history.add, so that ↑ recalls this very message first.
    setEditor({ ...editorRef.current, historyIndex: history.items.length });
    if (busy) queue.enqueue(entry);
    else perform(entry.text, entryPreview(entry));
  };

  const onPress = (press: KeyPress): void => {
    const k = press.kind === 'key' ? press : undefined;
    const ctrlC = k?.ctrl === true && k.name === 'c';
    const ctrlD = k?.ctrl === true && k.name === 'd';
    const current = editorRef.current;
    const busy = running || isRunning();
    if (busy && (ctrlC || k?.name === 'escape')) {
      cancel();
      return queue.takeBack(cancelled);
    }
    if (!editable) return;
    if (busy) {
      // Never exit under a streaming answer: Ctrl+D deletes at the cursor, or does nothing on an empty prompt.
      if (ctrlD && !current.text) return;
    } else if (ctrlC) {
      if (current.text) return setEditor(emptyEditor(history.items.length));
      if (Date.now() - exitArmedAt.current < EXIT_WINDOW_MS) return leave(0);
      exitArmedAt.current = Date.now();
      return setHint('press Ctrl+C again to exit');
    } else if (ctrlD && !current.text) return leave(0);
    if (k?.ctrl && k.name === 'o') return setShowReasoning((v) => !v);
    const out = editKey(current, press, history.items, { width: width ?? stdout.columns });
    setEditor(out.state);
    // Anything still waiting in the queue goes first, so a message typed now never overtakes one typed earlier.
    if (out.submit !== undefined) submit(out.submit, busy || queue.waiting());
  };

  // A paste that stays open this long without input lost its end marker: it ends there, so keys work again.
  const pasteTimer = useRef<NodeJS.Timeout | undefined>(undefined);
  useEffect(() => () => clearTimeout(pasteTimer.current), []);
  useInput(
    (input) => {
      const event = lastEvent.current ?? input;
      lastEvent.current = undefined;
      for (const press of reader.current.push(event)) onPress(press);
      clearTimeout(pasteTimer.current);
      if (reader.current.pasting)
        pasteTimer.current = setTimeout(() => {
          for (const press of reader.current.flush()) onPress(press);
        }, PASTE_IDLE_MS);
    },
    { isActive },
  );

  return {
    editor,
    queued,
    hint,
    showReasoning,
    runEnded: (outcome: RunOutcome): void => queue.runEnded(outcome),
  };
}
