/**
 * The keys of a chat's prompt, as one hook shared by the single- and multi-agent chats: editing (input.ts), ↑/↓
 * history, Tab completion (complete.ts), Ctrl+R history search, Ctrl+G (or Ctrl+X Ctrl+E) external editor, Ctrl+L,
 * bracketed paste, Ctrl+O, and typing ahead. Input is decoded from what Ink reads (use-key-presses.ts), so keys
 * that arrive in one read stay keys ("hi\r/exit\r" sends "hi", then runs /exit) and only a bracketed paste is a paste.
 * The prompt stays editable while an answer streams: Enter then queues the message (use-type-ahead.ts), Esc/Ctrl+C
 * cancels and puts the queue back into the prompt, and exiting stays deliberate (Ctrl+D never exits while streaming;
 * Ctrl+C clears the text, or twice within 2 s on an empty idle prompt leaves). See docs/interactive.md, "Keys".
 */
import { useStdin, useStdout } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import { applyCompletion, choicesLine, type Completion } from './complete.js';
import type { InputHistory } from './history-store.js';
import { editKey, emptyEditor, restoreQueued, type EditorState } from './input.js';
import type { KeyPress } from './keys.js';
import type { EditorResult } from './external-editor.js';
import { searchHint, searchKey, startSearch, type HistorySearch } from './history-search.js';
import { collapse, entryPreview, expand, NO_PASTES, type PromptEntry } from './paste.js';
import { useKeyPresses } from './use-key-presses.js';
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
  isActive: boolean | (() => boolean);
  /** Why the queue comes back on a cancel (default "the run was cancelled"). */
  cancelled?: string;
  /** The width the prompt is drawn at, so that ↑/↓ move by its rows (default: the terminal's width). */
  width?: number;
  /** What Tab completes at the cursor (complete.ts); Tab does nothing without it. */
  complete?: (text: string, cursor: number) => Completion | undefined;
  /** Ctrl+L: clears the visible screen (the scrollback stays); Ctrl+L does nothing without it. */
  clearScreen?: () => void;
  /** Ctrl+G, Ctrl+X Ctrl+E: edit the text in an external editor (external-editor.ts); they do nothing without it. */
  openEditor?: (text: string) => EditorResult;
  /** Tells the user something that should stay on screen (an editor that failed). */
  notify?: (text: string) => void;
}

/** How long "press Ctrl+C again to exit" (and any other hint) stays. */
export const EXIT_WINDOW_MS = 2000;

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
  complete,
  clearScreen,
  openEditor,
  notify,
}: PromptKeysOptions) {
  const [editor, setEditorState] = useState(() => emptyEditor(history.items.length));
  // Keys can arrive faster than React re-renders ("hi" then Enter in one read): edits chain through a ref.
  const editorRef = useRef(editor);
  const setEditor = (next: EditorState): void => {
    editorRef.current = next;
    setEditorState(next);
  };
  const [hint, setHint] = useState<string | undefined>(undefined);
  // The matches of the last Tab, listed under the prompt until the next key.
  const [choices, setChoices] = useState<readonly string[] | undefined>(undefined);
  const [showReasoning, setShowReasoning] = useState(false);
  // Ctrl+R: the search under way, if any (through a ref too: typed search text can come in one read with Enter).
  const [search, setSearchState] = useState<HistorySearch | undefined>(undefined);
  const searchRef = useRef(search);
  const setSearch = (next: HistorySearch | undefined): void => {
    searchRef.current = next;
    setSearchState(next);
  };
  const exitArmedAt = useRef(0);
  // Ctrl+X was the last key (the first half of Ctrl+X Ctrl+E).
  const ctrlX = useRef(false);
  const { stdout } = useStdout();
  const { stdin } = useStdin();
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

  const submit = (entry: PromptEntry, busy: boolean): void => {
    if (!entry.text.trim()) return;
    history.add(entry);
    // After history.add, so that ↑ recalls this very message first.
    setEditor({ ...editorRef.current, historyIndex: history.items.length });
    if (busy) queue.enqueue(entry);
    else perform(entry.text, entryPreview(entry));
  };

  const tab = (current: EditorState, at: NonNullable<PromptKeysOptions['complete']>): void => {
    const found = at(current.text, current.cursor);
    if (!found) return;
    const word = current.text.slice(found.from, found.to);
    if (found.insert === word && found.choices.length === 0) return setHint(`nothing matches ${word}`);
    setEditor(applyCompletion(current, found));
    if (found.choices.length > 1) setChoices(found.choices);
  };

  /** A key while searching history: the search goes on, or ends with the match in the prompt, or with the draft. */
  const searching = (s: HistorySearch, press: KeyPress): void => {
    const out = searchKey(s, press, history.items);
    if (out.kind === 'search') return setSearch(out.search);
    setSearch(undefined);
    if (out.kind === 'cancel' || !out.entry) return;
    const back = collapse(out.entry, editorRef.current.pastes ?? NO_PASTES);
    const taken = { ...emptyEditor(history.items.length), text: back.text, cursor: back.text.length };
    const state = back.pastes === NO_PASTES ? taken : { ...taken, pastes: back.pastes };
    setEditor(out.then ? editKey(state, out.then, history.items, { width: width ?? stdout.columns }).state : state);
  };

  /** Ctrl+G: the editor gets the terminal (keys are not read meanwhile), its text comes back into the prompt. */
  const edit = (current: EditorState, open: (text: string) => EditorResult): void => {
    const text = expand(current.text, current.pastes).text;
    stdin.setRawMode?.(false);
    let result: EditorResult;
    try {
      result = open(text);
    } finally {
      stdin.setRawMode?.(true);
    }
    if ('error' in result) return notify?.(result.error);
    setEditor({ ...emptyEditor(history.items.length), text: result.text, cursor: result.text.length });
  };

  const onPress = (press: KeyPress): void => {
    const k = press.kind === 'key' ? press : undefined;
    const inSearch = searchRef.current;
    if (inSearch) return searching(inSearch, press);
    // Ctrl+X Ctrl+E is readline's (and bash's) way to the editor: Ctrl+X waits for the next key.
    const afterCtrlX = ctrlX.current;
    ctrlX.current = k?.ctrl === true && k.name === 'x' && openEditor !== undefined && editable;
    if (ctrlX.current) return;
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
    setChoices(undefined);
    if (k?.name === 'tab' && !k.shift && !k.ctrl && !k.meta && complete) return tab(current, complete);
    if (k?.ctrl && k.name === 'r') return setSearch(startSearch(history.items));
    if (k?.ctrl && k.name === 'l' && clearScreen) {
      clearScreen();
      // A hint changes the frame, so Ink draws it again on the cleared screen.
      return setHint('screen cleared · the scrollback above is kept');
    }
    const editorKey = k?.ctrl === true && (k.name === 'g' || (afterCtrlX && k.name === 'e'));
    if (editorKey && openEditor) {
      if (busy) return setHint(`${afterCtrlX ? 'ctrl+x ctrl+e' : 'ctrl+g'} opens the editor once the answer has ended`);
      return edit(current, openEditor);
    }
    const out = editKey(current, press, history.items, { width: width ?? stdout.columns });
    setEditor(out.state);
    // Anything still waiting in the queue goes first, so a message typed now never overtakes one typed earlier.
    if (out.submit !== undefined) submit(out.submit, busy || queue.waiting());
  };

  useKeyPresses(onPress, { isActive });

  // While searching, the prompt shows the match (or what was typed, when nothing matches).
  const found = search && search.match >= 0 ? history.items[search.match] : undefined;
  const shown = useMemo(() => {
    if (!found) return editor;
    const back = collapse(found, NO_PASTES);
    const at = found.text.toLowerCase().indexOf(search?.query.toLowerCase() ?? '');
    const cursor = back.pastes === NO_PASTES && at >= 0 ? at : back.text.length;
    return { ...editor, text: back.text, cursor, ...(back.pastes !== NO_PASTES ? { pastes: back.pastes } : {}) };
  }, [found, editor, search?.query]);

  return {
    editor: shown,
    queued,
    hint: search
      ? searchHint(search)
      : choices
        ? choicesLine(choices, Math.max(20, (width ?? stdout.columns) - 2))
        : hint,
    /** Puts a context block (a `!command`'s output) into the prompt at the cursor, as a placeholder like a paste. */
    offer: (content: string): void =>
      setEditor(editKey(editorRef.current, { kind: 'paste', text: content }, history.items).state),
    showReasoning,
    runEnded: (outcome: RunOutcome): void => queue.runEnded(outcome),
  };
}
