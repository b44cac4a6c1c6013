/**
 * The keys of a conversation's prompt, as one hook: editing (input.ts), ↑/↓ history, bracketed paste, Esc/Ctrl+C
 * cancelling a running answer, Ctrl+C clearing the text or (twice within 2 s on an empty prompt) leaving, Ctrl+D
 * leaving. The multi-agent chat uses it; the behaviour is the single-agent App's, key for key.
 */
import { useInput, type Key } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { InputHistory } from './history-store.js';
import { editKey, emptyEditor, type EditorState } from './input.js';

/** What the prompt's keys act on. */
export interface PromptKeysOptions {
  history: InputHistory;
  /** True while an answer streams (checked on every key, ahead of React's next render). */
  isRunning: () => boolean;
  cancel: () => void;
  leave: (code: number) => void;
  submit: (text: string) => void;
  /** False turns the editor off (a one-shot run): only cancel keys work. */
  editable: boolean;
  /** Raw mode is needed to read keys at all. */
  isActive: boolean;
  /** Keys the app handles itself before editing (e.g. Ctrl+O); true when handled. */
  onKey?: (input: string, key: Key) => boolean;
}

/** How long "press Ctrl+C again to exit" stays armed. */
export const EXIT_WINDOW_MS = 2000;

/** Reads the keys; returns the editor to draw and the hint to show under it. */
export function usePromptKeys({ history, isRunning, cancel, leave, submit, editable, isActive, onKey }: PromptKeysOptions) {
  const [editor, setEditorState] = useState(() => emptyEditor(history.entries.length));
  // Keys can arrive faster than React re-renders ("hi" then Enter in one tick): edits chain through a ref.
  const editorRef = useRef(editor);
  const setEditor = (next: EditorState): void => {
    editorRef.current = next;
    setEditorState(next);
  };
  const [hint, setHint] = useState<string | undefined>(undefined);
  const exitArmedAt = useRef(0);
  const pasting = useRef(false);

  useEffect(() => {
    if (!hint) return;
    const timer = setTimeout(() => setHint(undefined), EXIT_WINDOW_MS);
    return () => clearTimeout(timer);
  }, [hint]);

  useInput(
    (input, key) => {
      // Bracketed paste markers (ESC[200~ … ESC[201~); Ink passes them on without the ESC.
      if (input === '[200~' || input === '[201~') {
        pasting.current = input === '[200~';
        return;
      }
      const ctrlC = key.ctrl && input === 'c';
      if (isRunning()) {
        if (ctrlC || key.escape) cancel();
        return;
      }
      if (!editable) return;
      const current = editorRef.current;
      if (ctrlC) {
        if (current.text) return setEditor(emptyEditor(history.entries.length));
        if (Date.now() - exitArmedAt.current < EXIT_WINDOW_MS) return leave(0);
        exitArmedAt.current = Date.now();
        return setHint('press Ctrl+C again to exit');
      }
      if (key.ctrl && input === 'd' && !current.text) return leave(0);
      if (onKey?.(input, key)) return;
      const out = editKey(current, input, key, history.entries, pasting.current);
      setEditor(out.state);
      if (out.submit !== undefined) submit(out.submit);
    },
    { isActive },
  );

  return { editor, hint };
}
