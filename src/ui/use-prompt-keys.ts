/**
 * The keys of a chat's prompt, as one hook shared by the single- and multi-agent chats: editing (input.ts), ↑/↓
 * history, bracketed paste, Ctrl+O, and typing ahead. The prompt stays editable while an answer streams: Enter then
 * queues the message (use-type-ahead.ts), Esc/Ctrl+C cancels and puts the queue back into the prompt, and exiting
 * stays deliberate (Ctrl+D never exits while streaming; Ctrl+C clears the text, or twice within 2 s on an empty
 * idle prompt leaves). See docs/interactive.md, "Keys".
 */
import { useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { InputHistory } from './history-store.js';
import { editKey, emptyEditor, restoreQueued, type EditorState } from './input.js';
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
  /** Sends a message or runs a slash command; true when that started a run. */
  perform: (text: string) => boolean;
  /** False turns the editor off (a one-shot run): only the cancel keys work. */
  editable: boolean;
  /** Raw mode is needed to read keys at all. */
  isActive: boolean;
  /** Why the queue comes back on a cancel (default "the run was cancelled"). */
  cancelled?: string;
}

/** How long "press Ctrl+C again to exit" (and any other hint) stays. */
export const EXIT_WINDOW_MS = 2000;

/**
 * Reads the keys. Returns the editor, the queued messages and the hint to draw, whether reasoning is shown in full
 * (Ctrl+O), and `runEnded`, which the chat calls with each run's outcome so that the queue moves on.
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
}: PromptKeysOptions) {
  const [editor, setEditorState] = useState(() => emptyEditor(history.entries.length));
  // Keys can arrive faster than React re-renders ("hi" then Enter in one tick): edits chain through a ref.
  const editorRef = useRef(editor);
  const setEditor = (next: EditorState): void => {
    editorRef.current = next;
    setEditorState(next);
  };
  const [hint, setHint] = useState<string | undefined>(undefined);
  const [showReasoning, setShowReasoning] = useState(false);
  const exitArmedAt = useRef(0);
  const pasting = useRef(false);
  const queue = useTypeAhead({
    running,
    isRunning,
    perform,
    giveBack: (queued, why) => {
      setEditor(restoreQueued(editorRef.current, queued, history.entries.length));
      setHint(why);
    },
  });

  useEffect(() => {
    if (!hint) return;
    const timer = setTimeout(() => setHint(undefined), EXIT_WINDOW_MS);
    return () => clearTimeout(timer);
  }, [hint]);

  const submit = (raw: string, busy: boolean): void => {
    const text = raw.replace(/\s+$/, '');
    if (!text.trim()) return;
    history.add(text);
    // After history.add, so that ↑ recalls this very message first.
    setEditor({ ...editorRef.current, historyIndex: history.entries.length });
    if (busy) queue.enqueue(text);
    else perform(text);
  };

  useInput(
    (input, key) => {
      // Bracketed paste markers (ESC[200~ … ESC[201~), enabled in index.ts; Ink passes them on without the ESC.
      if (input === '[200~' || input === '[201~') {
        pasting.current = input === '[200~';
        return;
      }
      const ctrlC = key.ctrl && input === 'c';
      const current = editorRef.current;
      const busy = running || isRunning();
      if (busy && (ctrlC || key.escape)) {
        cancel();
        return queue.takeBack(cancelled);
      }
      if (!editable) return;
      if (busy) {
        // Never exit under a streaming answer: Ctrl+D deletes at the cursor, or does nothing on an empty prompt.
        if (key.ctrl && input === 'd' && !current.text) return;
      } else if (ctrlC) {
        if (current.text) return setEditor(emptyEditor(history.entries.length));
        if (Date.now() - exitArmedAt.current < EXIT_WINDOW_MS) return leave(0);
        exitArmedAt.current = Date.now();
        return setHint('press Ctrl+C again to exit');
      } else if (key.ctrl && input === 'd' && !current.text) return leave(0);
      if (key.ctrl && input === 'o') return setShowReasoning((v) => !v);
      const out = editKey(current, input, key, history.entries, pasting.current);
      setEditor(out.state);
      // Anything still waiting in the queue goes first, so a message typed now never overtakes one typed earlier.
      if (out.submit !== undefined) submit(out.submit, busy || queue.waiting());
    },
    { isActive },
  );

  return {
    editor,
    queued: queue.queued,
    hint,
    showReasoning,
    runEnded: (outcome: RunOutcome): void => queue.runEnded(outcome),
  };
}
