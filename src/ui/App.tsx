/**
 * The interactive chat: wires keys, the prompt editor, slash commands and the turn-running hook to the pure reducer.
 * The prompt stays editable while an answer streams: Enter then queues the message (type-ahead), and the queue is
 * worked off in order once the run completes; cancelling puts the queued messages back into the prompt.
 * With `once`, it runs `firstPrompt` and exits with the run's exit code (a one-shot prompt in a terminal).
 */
import { useApp, useInput, useStdin, useStdout } from 'ink';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Conversation, type Agent } from '../core/agent.js';
import { exitCodeFor, type RunStatus } from '../core/events.js';
import { runSlashCommand } from './commands.js';
import { ChatView } from './components/ChatView.js';
import type { InputHistory } from './history-store.js';
import { editKey, emptyEditor, parseSlash, restoreQueued, type EditorState } from './input.js';
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
  // Typed-ahead messages, oldest first; like the editor, read through a ref so fast keys see the latest queue.
  const [queued, setQueuedState] = useState<readonly string[]>([]);
  const queueRef = useRef<readonly string[]>(queued);
  const setQueued = (next: readonly string[]): void => {
    queueRef.current = next;
    setQueuedState(next);
  };
  // The status of the run that just ended, until the queue has been looked at (in an effect, so that a queued slash
  // command like /save sees the state with that run's answer in it).
  const [ended, setEnded] = useState<{ status: RunStatus } | undefined>(undefined);
  // A ref, not state: a queued `/model x` applies to the queued message right after it, before any re-render.
  const model = useRef<string | undefined>(undefined);
  const setModel = (id: string): void => {
    model.current = id;
  };
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
      const end = await start(prompt, model.current);
      if (once) setFinished(exitCodeFor(end.status));
      else setEnded({ status: end.status });
    },
    [start, once],
  );

  // Leave after the final state has been committed, so the last history items are on screen before Ink unmounts.
  useEffect(() => {
    if (finished !== undefined) leave(finished);
  }, [finished, leave]);

  /** Sends a message or runs a slash command; true when that started a run. */
  const perform = (text: string): boolean => {
    const cmd = parseSlash(text);
    if (!cmd) {
      void send(text.startsWith('//') ? text.slice(1) : text);
      return true;
    }
    if (cmd.name !== 'clear') dispatch({ type: 'echo', text });
    runSlashCommand(cmd, {
      agent, conversation, state, dispatch, setModel, exit: leave,
      clearScreen: () => stdout.write('\x1b[2J\x1b[3J\x1b[H'),
    });
    return false;
  };

  const submit = (raw: string, busy: boolean): void => {
    const text = raw.replace(/\s+$/, '');
    if (!text.trim()) return;
    history.add(text);
    // After history.add, so that ↑ recalls this very message first.
    setEditor({ ...editorRef.current, historyIndex: history.entries.length });
    if (busy) return setQueued([...queueRef.current, text]);
    perform(text);
  };

  // Puts the queue back into the prompt (a cancel, or a run that did not complete): nothing is sent behind the back of
  // a user who stopped the run or has not seen it fail.
  const takeBackQueue = (why: string): void => {
    const q = queueRef.current;
    if (q.length === 0) return;
    setQueued([]);
    setEditor(restoreQueued(editorRef.current, q, history.entries.length));
    setHint(`${q.length === 1 ? 'the queued message is' : `${q.length} queued messages are`} back in the prompt (${why})`);
  };

  // Works off the queue once the previous run has ended and its last events are on screen: a completed run (or one
  // cancelled before these were queued) sends the next message; a slash command runs and the queue moves on.
  useEffect(() => {
    if (!ended || state.run !== null || isRunning()) return;
    if (ended.status !== 'completed' && ended.status !== 'cancelled') {
      setEnded(undefined);
      return takeBackQueue(`the run ended: ${ended.status.replace('_', ' ')}`);
    }
    const [next, ...rest] = queueRef.current;
    if (next === undefined) return setEnded(undefined);
    setQueued(rest);
    // A slash command does not start a run: look at the queue again on the next render.
    if (!perform(next)) setEnded({ status: 'completed' });
    else setEnded(undefined);
  }, [ended, state.run]);

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
      const busy = running || isRunning();
      if (busy && (ctrlC || key.escape)) {
        cancel();
        return takeBackQueue('the run was cancelled');
      }
      if (once) return;
      if (busy) {
        // Never exit under a streaming answer: Ctrl+D deletes at the cursor, or does nothing on an empty prompt.
        if (key.ctrl && input === 'd' && !editor.text) return;
      } else if (ctrlC) {
        if (editor.text) return setEditor(emptyEditor(history.entries.length));
        if (Date.now() - exitArmedAt.current < EXIT_WINDOW_MS) return leave(0);
        exitArmedAt.current = Date.now();
        return setHint('press Ctrl+C again to exit');
      } else if (key.ctrl && input === 'd' && !editor.text) return leave(0);
      if (key.ctrl && input === 'o') return setShowReasoning((v) => !v);
      const out = editKey(editor, input, key, history.entries, pasting.current);
      setEditor(out.state);
      // Anything still waiting in the queue goes first, so a message typed now never overtakes one typed earlier.
      if (out.submit !== undefined) submit(out.submit, busy || queueRef.current.length > 0);
    },
    { isActive: isRawModeSupported === true },
  );

  return (
    <ChatView
      state={state}
      layoutEpoch={layoutEpoch}
      editor={once ? undefined : editor}
      queued={queued}
      hint={hint}
      now={now}
      width={size.width}
      rows={size.rows}
      color={color}
      showReasoning={showReasoning}
    />
  );
}
