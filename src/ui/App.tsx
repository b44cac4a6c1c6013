/**
 * The chat in a terminal, with one agent or several: keys and the prompt editor (use-prompt-keys.ts), slash commands,
 * `@name` addressing, and the hook that runs a message (use-chat.ts), all feeding the pure reducer (chat-state.ts).
 * A single-agent chat is a conversation with one agent: the same rules, the same screen, without per-agent chrome.
 * With `once`, it runs `firstPrompt` and exits (a prompt given on the command line, in a terminal).
 */
import { Box, useStdin, useStdout } from 'ink';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Conversation, type Agent } from '../core/agent.js';
import type { Session } from '../core/sessions/session.js';
import { exitCodeFor, type RunEndEvent } from '../core/events.js';
import { addressName, parseAddress } from './address.js';
import { existsSync } from 'node:fs';
import { attachMentions, noteText, resolveMention } from '../core/file-mentions.js';
import { composePrompt } from '../core/text/compose-prompt.js';
import { complete } from './complete.js';
import { SLASH_COMMANDS } from './input.js';
import { chatReducer, initialChatState, type ChatAction } from './chat-state.js';
import { copyCodeHints, parseCommand, runCommand, type ChatSessions } from './commands.js';
import { ChatScreen } from './components/ChatScreen.js';
import { ListPicker, type PickerItem } from './components/ListPicker.js';
import { modelChoices } from './model-picker.js';
import { InputHistory } from './history-store.js';
import type { SessionSwitcher } from './options.js';
import type { RunOptions } from './run-helpers.js';
import { osc52, type Screen } from './screen.js';
import { approvalLines } from './approval-panel.js';
import { useApprovalKeys, useApprovalQueue } from './use-approvals.js';
import { useChat } from './use-chat.js';
import { editInEditor } from './external-editor.js';
import { shellContext } from './shell-command.js';
import { useShellCommand } from './use-shell-command.js';
import { useShellConfirm } from './use-shell-confirm.js';
import { ShellTrust, shellConfirmLines } from './shell-trust.js';
import { useClock } from './use-clock.js';
import { useShown } from './use-shown.js';
import { useExit } from './use-exit.js';
import { usePromptKeys } from './use-prompt-keys.js';
import { TerminalOutput } from './terminal.js';
import { useTerminalSize } from './use-terminal-size.js';
import { resumedLines } from './session-view.js';
import { shortId } from '../core/sessions/describe.js';
import { roundOutcome } from './use-type-ahead.js';

/** Props of the chat app. */
export interface AppProps extends RunOptions {
  agents: readonly Agent[];
  /** Each agent's history (by position); new, empty ones when absent. */
  conversations?: readonly Conversation[];
  /** Sent as the first message; with `once`, the only one. */
  firstPrompt?: string;
  /**
   * Piped material sent after `firstPrompt` (`git diff | agentor chat "review"`): never scanned for `@path` mentions or
   * `@name` addresses — a diff's `@user` is text, as in a plain run.
   */
  firstContext?: string;
  /** Run `firstPrompt` only, then exit. */
  once?: boolean;
  /** Input history (↑/↓); in memory when absent. */
  history?: InputHistory;
  color: boolean;
  /** The terminal's clear and clipboard; by default OSC 52 goes through Ink and /clear only forgets. */
  screen?: Screen;
  /** Called just before the app unmounts: the exit code and, one-shot, every run's run_end. */
  onExit: (code: number, ends: RunEndEvent[]) => void;
  /** Aborted from outside (SIGINT, SIGTERM): one-shot, cancel the runs (they end on their own); else leave. */
  signal?: AbortSignal;
  /** Where `@path` mentions and Tab completion look, and `!command` runs (default: the process's). */
  cwd?: string;
  /** `/new`, `/resume` and `/sessions` (the chat's session changes; without it they say the chat is not saved). */
  sessions?: SessionSwitcher;
}

/** A picker shown instead of the prompt (`/resume` without an id, `/model` without a name). */
interface OpenPicker {
  title: string;
  items: readonly PickerItem[];
  done: (id: string | undefined) => void;
}

const NO_HISTORY = new InputHistory(null);

/** The chat application. */
export function App({
  agents,
  conversations: given,
  firstPrompt,
  firstContext,
  once = false,
  history = NO_HISTORY,
  color,
  screen: givenScreen,
  onExit,
  signal,
  timeoutMs,
  maxTurns,
  cwd = process.cwd(),
  session: firstSession,
  sessions: switcher,
}: AppProps) {
  const exit = useExit();
  const { stdout, write } = useStdout();
  const { isRawModeSupported } = useStdin();
  const { width, rows } = useTerminalSize();
  // `/new` and `/resume` move the chat to another session, and so to that session's conversations.
  const [session, setSession] = useState<Session | undefined>(firstSession);
  const [conversations, setConversations] = useState<readonly Conversation[]>(
    () => given ?? agents.map((a) => (session ? session.conversation(a.name) : new Conversation())),
  );
  const [picker, setPicker] = useState<OpenPicker | undefined>(undefined);
  // The terminal Ink draws on (mount.ts), or without one (a test's stream) Ink's own write.
  const [screen] = useState<Screen>(
    () =>
      givenScreen ??
      (stdout instanceof TerminalOutput
        ? stdout
        : { clear: () => undefined, copy: (text) => write(osc52(text)), print: (text) => write(text) }),
  );
  const [state, dispatch] = useReducer(chatReducer, undefined, () =>
    initialChatState(
      agents,
      { width, rows, color },
      !once,
      session ? resumedLines(session, width, color) : [],
      session?.id,
    ),
  );
  // What is printed is acknowledged with the next batch of events while a round runs (no render of its own), at once
  // otherwise.
  const printed = useRef<number | undefined>(undefined);
  const running = state.round !== null;
  const runningRef = useRef(running);
  runningRef.current = running;
  const printToScreen = useCallback((text: string) => screen.print(text), [screen]);
  const onPrinted = useCallback((id: number) => {
    printed.current = id;
    if (!runningRef.current) dispatch({ type: 'printed', id });
  }, []);
  const chatDispatch = useCallback(
    (a: ChatAction) =>
      dispatch(a.type === 'events' && printed.current !== undefined ? { ...a, printed: printed.current } : a),
    [],
  );
  const approvals = useApprovalQueue();
  const { start, cancel, isRunning } = useChat(
    agents,
    conversations,
    chatDispatch,
    { timeoutMs, maxTurns, ...(session ? { session } : {}) },
    approvals.approve,
  );
  const approvalShown = useShown(approvals.current);
  const approvalStep = useApprovalKeys(approvals, cancel, approvalShown);
  const now = useClock(running);
  const [finished, setFinished] = useState<{ code: number; ends: RunEndEvent[] } | undefined>(undefined);

  useEffect(() => {
    if (width !== state.layout.width || rows !== state.layout.rows)
      dispatch({ type: 'layout', layout: { width, rows, color } });
  }, [width, rows, color, state.layout.width, state.layout.rows]);

  const left = useRef(false);
  const leave = useCallback(
    (code: number, ends: RunEndEvent[] = []) => {
      if (left.current) return;
      left.current = true;
      cancel();
      onExit(code, ends);
      exit();
    },
    [cancel, onExit, exit],
  );

  /**
   * Sends a message to every agent, or to those it names with leading `@name`s; false when nothing was sent. `shown`
   * is the message as the prompt showed it (long pastes as placeholders): the echo above the answer stays short.
   * `context` (piped material) follows the message unscanned.
   */
  const send = (message: string, shown: string, context = ''): boolean => {
    const to =
      agents.length > 1
        ? parseAddress(
            message,
            state.agents.map((a) => a.name),
            (word) => existsSync(resolveMention(word.replace(/[,.;:!?]+$/, ''), cwd)),
          )
        : undefined;
    if (to && 'error' in to) {
      dispatch({ type: 'echo', text: shown });
      dispatch({ type: 'notice', text: to.error, tone: 'error' });
      return false;
    }
    const attached = attachMentions(to ? to.text : message, cwd);
    const notes = attached.notes.map(
      (n) => ({ text: noteText(n), tone: n.kind === 'skipped' ? 'warn' : 'info' }) as const,
    );
    const round = {
      ...(to ? { targets: to.targets } : {}),
      ...(attached.images.length ? { images: attached.images } : {}),
      shown,
      ...(state.model ? { model: state.model } : {}),
      ...(notes.length ? { notes } : {}),
    };
    void start(composePrompt(attached.prompt, context), round).then((ends) => {
      if (once) return setFinished({ code: exitCodeFor(ends[0]?.status ?? 'failed'), ends });
      keys.runEnded(agents.length > 1 ? roundOutcome(ends) : { status: ends[0]?.status ?? 'failed' });
    });
    return true;
  };

  const chatSessions: ChatSessions | undefined = switcher && {
    switcher,
    adopt: (next) => {
      setSession(next);
      setConversations(agents.map((a) => next.conversation(a.name)));
      dispatch({ type: 'session', id: next.id, lines: resumedLines(next, width, color) });
    },
    pick: (title, items) =>
      new Promise((resolve) =>
        setPicker({
          title,
          items,
          done: (id) => {
            setPicker(undefined);
            resolve(id);
          },
        }),
      ),
  };

  /** Sends a message or runs a slash command (`shown`: see send); true when that started a round. */
  const perform = (text: string, shown: string): boolean => {
    if (text.startsWith('!') && !once) return runShell(text.slice(1).trim(), shown);
    const cmd = parseCommand(text);
    if (!cmd) return text.startsWith('//') ? send(text.slice(1), shown.slice(1)) : send(text, shown);
    if (cmd.name !== 'clear') dispatch({ type: 'echo', text: shown });
    runCommand(cmd, {
      agents,
      conversations,
      state,
      dispatch,
      screen,
      // After the commit that prints the command's echo (see `finished`): a typed /exit stays in the conversation,
      // as a shell keeps `$ exit`, every time rather than when its commit happened to land before the unmount.
      exit: (code) => setFinished({ code, ends: [] }),
      ...(session ? { session } : {}),
      pickModel,
      ...(knownModels.current ? { knownModels: knownModels.current } : {}),
      ...(chatSessions ? { sessions: chatSessions } : {}),
    });
    return false;
  };

  // `!command`: asked about the first time (shell-trust.ts); its output is offered as context in the prompt, as a
  // placeholder the next message carries.
  const shell = useShellCommand(dispatch, cwd);
  const [shellTrust] = useState(() => ShellTrust.besideHistory(history.path));
  const confirm = useShellConfirm(shellTrust, cwd, isRawModeSupported === true, (text) =>
    dispatch({ type: 'notice', text, tone: 'warn' }),
  );
  const runShell = (command: string, shown: string): boolean => {
    dispatch({ type: 'echo', text: shown });
    if (!command) {
      dispatch({ type: 'notice', text: 'usage: !command, e.g. !git status (runs it in the shell)', tone: 'warn' });
      return false;
    }
    confirm.ask(command, (run) => {
      if (!run) {
        dispatch({ type: 'notice', text: 'not run · ↑ brings the command back to edit it', tone: 'warn' });
        return keys.runEnded({ status: 'cancelled' });
      }
      shell.run(command, (result) => {
        if (!result.cancelled) keys.offer(shellContext(result));
        keys.runEnded({ status: result.cancelled ? 'cancelled' : 'completed' });
      });
    });
    return true;
  };

  // The /model picker, shown instead of the prompt until a model is chosen or Esc.
  const knownModels = useRef<readonly string[] | undefined>(undefined);
  const pickModel = (): void => {
    const agent = agents[0];
    if (!agent) return;
    const inUse = state.model ?? agent.model;
    void modelChoices(agent.provider, inUse).then((choices) => {
      if (left.current) return;
      if (choices.note) dispatch({ type: 'notice', text: choices.note, tone: 'warn' });
      if (choices.listed.length) knownModels.current = choices.listed;
      setPicker({
        title: agents.length > 1 ? 'Model for every agent' : 'Model',
        items: choices.items,
        done: (id) => {
          setPicker(undefined);
          if (id !== undefined) dispatch({ type: 'model', model: id });
        },
      });
    });
  };
  const pickerRows = Math.max(3, Math.min(10, rows - 10));

  const keys = usePromptKeys({
    history,
    running: running || shell.running !== undefined || confirm.pending !== undefined,
    isRunning: () => isRunning() || shell.isRunning() || confirm.isPending(),
    cancel: () => {
      cancel();
      shell.cancel();
      confirm.decline();
    },
    leave: (code) => leave(code),
    perform,
    editable: !once,
    // While a question is on screen, keys answer it (use-approvals.ts, use-shell-confirm.ts), not the prompt; keys
    // read before its frame was drawn were typed at the prompt and stay there (use-shown.ts).
    isActive: () =>
      isRawModeSupported === true &&
      !(approvals.current !== undefined && approvalShown()) &&
      picker === undefined &&
      !(confirm.pending !== undefined && confirm.shown()),
    ...(agents.length > 1 ? { cancelled: 'the agents were cancelled' } : {}),
    clearScreen: () => screen.clear(),
    openEditor: (text) => editInEditor(text),
    notify: (text) => dispatch({ type: 'notice', text, tone: 'warn' }),
    complete: (text, cursor) =>
      complete(text, cursor, {
        cwd,
        commands: SLASH_COMMANDS.filter((c) => agents.length > 1 || c.name !== 'agents').map((c) => c.name),
        ...(agents.length > 1 ? { names: state.agents.map((a) => addressName(a.name)) } : {}),
        ...(knownModels.current ? { models: knownModels.current } : {}),
        ...(sessionIds.current?.ids ? { sessions: sessionIds.current.ids } : {}),
        ...(/^\/copy\s+code\s/i.test(text) ? { codeBlocks: copyCodeHints(state) ?? [] } : {}),
      }),
  });

  // `/resume <Tab>` completes the ids of this directory's other sessions: listed once the prompt starts with "/res"
  // (the listing reads session files, so not at startup), again after the chat moved to another session.
  const sessionIds = useRef<{ for: string | undefined; ids?: readonly string[] } | undefined>(undefined);
  const typingResume = /^\/res/i.test(keys.editor.text);
  useEffect(() => {
    if (!switcher || !typingResume || sessionIds.current?.for === session?.id) return;
    const listing: { for: string | undefined; ids?: readonly string[] } = { for: session?.id };
    sessionIds.current = listing;
    void switcher.recent(50).then(
      (recent) => void (listing.ids = recent.filter((s) => s.id !== listing.for).map((s) => shortId(s.id))),
      () => undefined,
    );
  }, [switcher, typingResume, session?.id]);

  // Ctrl+O toggles how reasoning is shown; turned on at the prompt, the last answer's is printed in full.
  const reasoning = useRef(keys.showReasoning);
  useEffect(() => {
    if (keys.showReasoning === reasoning.current) return;
    reasoning.current = keys.showReasoning;
    dispatch({ type: 'reasoning', full: keys.showReasoning });
  }, [keys.showReasoning]);

  // Leave after the final state has been committed, so the last lines are printed before Ink unmounts.
  useEffect(() => {
    if (finished) leave(finished.code, finished.ends);
  }, [finished, leave]);

  useEffect(() => {
    if (firstPrompt || firstContext) {
      const shown = composePrompt(firstPrompt ?? '', firstContext ?? '');
      send(firstPrompt ?? '', shown, firstContext);
    }
    // Only once, on mount.
  }, []);

  useEffect(() => {
    if (!signal) return;
    // One-shot runs are cancelled and end on their own (their statuses give the exit code, partial answers stay).
    const onAbort = (): void => (once && isRunning() ? void cancel() : leave(130));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }, [signal, leave, once, isRunning, cancel]);

  return (
    <ChatScreen
      state={state}
      now={now}
      {...(once ? {} : { editor: keys.editor })}
      queued={keys.queued}
      {...(keys.hint || shell.running
        ? { hint: keys.hint ?? `running ${shell.running ?? ''} · esc or ctrl+c stops it` }
        : {})}
      print={printToScreen}
      onPrinted={onPrinted}
      {...(approvals.current
        ? { approval: approvalLines(approvals.current, approvalStep, width, color, agents.length > 1) }
        : confirm.pending
          ? { approval: shellConfirmLines(confirm.pending.command, cwd, width, color) }
          : {})}
      {...(picker
        ? {
            picker: {
              rows: pickerRows + 4,
              element: (
                <Box marginTop={1}>
                  <ListPicker
                    title={picker.title}
                    items={picker.items}
                    rows={pickerRows}
                    width={width}
                    onSelect={(id) => picker.done(id)}
                    onCancel={() => picker.done(undefined)}
                  />
                </Box>
              ),
            },
          }
        : {})}
    />
  );
}
