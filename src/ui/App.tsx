/**
 * The interactive chat: wires keys, the prompt editor, slash commands and the turn-running hook to the pure reducer.
 * With `once`, it runs `firstPrompt` and exits with the run's exit code (a one-shot prompt in a terminal).
 */
import { useApp, useInput, useStdin, useStdout } from 'ink';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Conversation, type Agent } from '../core/agent.js';
import { exitCodeFor } from '../core/events.js';
import { runSlashCommand } from './commands.js';
import { ChatView } from './components/ChatView.js';
import type { InputHistory } from './history-store.js';
import { editKey, emptyEditor, parseSlash, type EditorState } from './input.js';
import { initialState, reducer } from './state.js';
import { useRun, type RunOptions } from './use-run.js';
import { useTerminalSize } from './use-terminal-size.js';

/** Props of the chat app. */
export interface AppProps extends RunOptions {
  agent: Agent;
  conversation?: Conversation;
  firstPrompt?: string;
  /** Run `firstPrompt` only, then exit. */
  once?: boolean;
  history: InputHistory;
  color: boolean;
  /** Receives the exit code just before the app unmounts. */
  onExit: (code: number) => void;
  /** Aborted from outside (SIGTERM, SIGINT sent by another process): cancel the run and leave. */
  signal?: AbortSignal;
}

const EXIT_WINDOW_MS = 2000;
const TICK_MS = 100;

/** The chat application. */
export function App({ agent, conversation: given, firstPrompt, once, history, color, onExit, signal, timeoutMs, maxTurns }: AppProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const [conversation] = useState(() => given ?? new Conversation());
  const [state, dispatch] = useReducer(reducer, { agent: agent.name, model: agent.model, isDemo: agent.isDemo }, initialState);
  const [editor, setEditorState] = useState(() => emptyEditor(history.entries.length));
  // Keys can arrive faster than React re-renders ("hi" then Enter in one tick): edits chain through a ref.
  const editorRef = useRef(editor);
  const setEditor = (next: EditorState): void => {
    editorRef.current = next;
    setEditorState(next);
  };
  const [model, setModel] = useState<string | undefined>(undefined);
  const [hint, setHint] = useState<string | undefined>(undefined);
  const [showReasoning, setShowReasoning] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  // A width change prints the history again at the new width (see use-terminal-size.ts).
  const size = useTerminalSize();
  const { layoutEpoch } = size;
  const [finished, setFinished] = useState<number | undefined>(undefined);
  const exitArmedAt = useRef(0);
  const pasting = useRef(false);
  const { start, cancel, isRunning } = useRun(agent, conversation, dispatch, { timeoutMs, maxTurns });
  const running = state.run !== null;

  const leave = useCallback(
    (code: number) => {
      cancel();
      onExit(code);
      exit();
    },
    [cancel, onExit, exit],
  );

  const send = useCallback(
    async (prompt: string) => {
      const end = await start(prompt, model);
      if (once) setFinished(exitCodeFor(end.status));
    },
    [start, model, once],
  );

  // Leave after the final state has been committed, so the last history items are on screen before Ink unmounts.
  useEffect(() => {
    if (finished !== undefined) leave(finished);
  }, [finished, leave]);

  const submit = (raw: string): void => {
    const text = raw.replace(/\s+$/, '');
    if (!text.trim()) return;
    history.add(text);
    const cmd = parseSlash(text);
    if (!cmd) return void send(text.startsWith('//') ? text.slice(1) : text);
    if (cmd.name !== 'clear') dispatch({ type: 'echo', text });
    runSlashCommand(cmd, {
      agent, conversation, state, dispatch, setModel, exit: leave,
      clearScreen: () => stdout.write('\x1b[2J\x1b[3J\x1b[H'),
    });
  };

  useEffect(() => {
    if (firstPrompt) void send(firstPrompt);
    // Only once, on mount.
  }, []);

  useEffect(() => {
    if (!signal) return;
    // A one-shot run is cancelled and ends on its own (its status gives the exit code, the partial answer stays).
    const onAbort = (): void => (once && isRunning() ? void cancel() : leave(130));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }, [signal, leave, once, isRunning, cancel]);

  // The clock of spinners and elapsed times: it ticks while a run is active, also while tokens stall.
  useEffect(() => {
    if (!running) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, [running]);

  useEffect(() => {
    if (!hint) return;
    const timer = setTimeout(() => setHint(undefined), EXIT_WINDOW_MS);
    return () => clearTimeout(timer);
  }, [hint]);

  useInput(
    (input, key) => {
      // Bracketed paste markers (ESC[200~ … ESC[201~), enabled in index.ts; Ink passes them on without the ESC.
      if (input === '[200~' || input === '[201~') {
        pasting.current = input === '[200~';
        return;
      }
      const ctrlC = key.ctrl && input === 'c';
      const editor = editorRef.current;
      if (running || isRunning()) {
        if (ctrlC || key.escape) cancel();
        return;
      }
      if (once) return;
      if (ctrlC) {
        if (editor.text) return setEditor(emptyEditor(history.entries.length));
        if (Date.now() - exitArmedAt.current < EXIT_WINDOW_MS) return leave(0);
        exitArmedAt.current = Date.now();
        return setHint('press Ctrl+C again to exit');
      }
      if (key.ctrl && input === 'd' && !editor.text) return leave(0);
      if (key.ctrl && input === 'o') return setShowReasoning((v) => !v);
      const out = editKey(editor, input, key, history.entries, pasting.current);
      setEditor(out.state);
      if (out.submit !== undefined) submit(out.submit);
    },
    { isActive: isRawModeSupported === true },
  );

  return (
    <ChatView
      state={state}
      layoutEpoch={layoutEpoch}
      editor={once ? undefined : editor}
      hint={hint}
      now={now}
      width={size.width}
      rows={size.rows}
      color={color}
      showReasoning={showReasoning}
    />
  );
}
