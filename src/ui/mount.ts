/** Mounts the chat app for the entry points in index.ts (a module of its own so that ink and react load lazily). */
import { render, useApp } from 'ink';
import { createElement, type ReactElement } from 'react';
import type { Agent, Conversation } from '../core/agent.js';
import type { RunEndEvent } from '../core/events.js';
import { interruptOnSignals } from '../core/signals.js';
import type { Session } from '../core/sessions/session.js';
import { App } from './App.js';
import { ListPicker, type ListPickerProps } from './components/ListPicker.js';
import { holdHeapSmall } from './heap-budget.js';
import { InputHistory } from './history-store.js';
import { loadHighlighter } from './layout/highlight.js';
import { colorEnabled, type SessionSwitcher } from './options.js';
import { TerminalOutput } from './terminal.js';

/** What the chat is mounted with. */
export interface ChatMount {
  agents: readonly Agent[];
  conversations?: readonly Conversation[];
  /** One-shot: the prompt; a conversation: the optional first message. */
  prompt?: string;
  /** Piped material sent after the prompt; never scanned for `@path` mentions or `@name` addresses. */
  context?: string;
  /** Run `prompt` only, then exit. */
  once: boolean;
  /** Input history file of a conversation (default: history.jsonl in the XDG state dir); null: in memory only. */
  historyPath?: string | null;
  timeoutMs?: number;
  maxTurns?: number;
  /** The session the chat is recorded in. */
  session?: Session;
  /** `/new`, `/resume` and `/sessions`. */
  sessions?: SessionSwitcher;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

/** Renders the chat until it exits; resolves with the exit code and, one-shot, every run's run_end. */
export async function mountChat(opts: ChatMount): Promise<{ code: number; ends: RunEndEvent[] }> {
  let result = { code: 0, ends: [] as RunEndEvent[] };
  const history = opts.once ? undefined : new InputHistory(opts.historyPath);
  await renderUntilExit(opts, !opts.once, (color, signal) =>
    createElement(App, {
      agents: opts.agents,
      ...(opts.conversations ? { conversations: opts.conversations } : {}),
      ...(opts.prompt ? { firstPrompt: opts.prompt } : {}),
      ...(opts.context ? { firstContext: opts.context } : {}),
      once: opts.once,
      ...(history ? { history } : {}),
      color,
      onExit: (code: number, ends: RunEndEvent[]) => {
        result = { code, ends };
      },
      signal,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.maxTurns !== undefined ? { maxTurns: opts.maxTurns } : {}),
      ...(opts.session ? { session: opts.session } : {}),
      ...(opts.sessions ? { sessions: opts.sessions } : {}),
    }),
  );
  return result;
}

/**
 * Renders an app until it exits. SIGINT, SIGTERM and SIGHUP abort the signal it gets (the app cancels or leaves; the
 * command maps the signal to its exit code); a conversation also turns on bracketed paste, preloads the syntax
 * highlighter while the user types and holds the heap small. In a terminal, Ink draws through TerminalOutput (terminal.ts), which erases its
 * frames by rows, applies NO_COLOR, and erases the live region on exit.
 */
async function renderUntilExit(
  io: { stdout?: NodeJS.WriteStream; stdin?: NodeJS.ReadStream },
  conversation: boolean,
  app: (color: boolean, signal: AbortSignal) => ReactElement,
): Promise<void> {
  const color = colorEnabled();
  // highlight.js is large: in a conversation load it while the user types; a one-shot run loads it at its first
  // code block (see layout/markdown.ts), so answers without code never pay for it.
  if (conversation && color) setTimeout(() => void loadHighlighter(), 200).unref();
  // A conversation may stay open for hours: its heap is held near what it keeps (heap-budget.ts).
  const releaseHeap = conversation ? holdHeapSmall() : undefined;
  const session = interruptOnSignals();
  const out = io.stdout ?? process.stdout;
  const terminal = out.isTTY === true ? new TerminalOutput(out, color) : undefined;
  const instance = render(app(color, session.signal), {
    exitOnCtrlC: false,
    ...(terminal ? terminal.inkOptions() : { patchConsole: false, maxFps: 30 }),
    stdout: (terminal ?? out) as NodeJS.WriteStream,
    ...(io.stdin ? { stdin: io.stdin } : {}),
  });
  // Bracketed paste lets a pasted multi-line text arrive as text instead of a series of Enter presses.
  const paste = conversation && out.isTTY === true && (io.stdin ?? process.stdin).isTTY === true;
  if (paste) out.write('\x1b[?2004h');
  try {
    await instance.waitUntilExit();
  } finally {
    if (paste) out.write('\x1b[?2004l');
    terminal?.dispose();
    session.release();
    releaseHeap?.();
  }
}

/** Shows a list picker until the user chooses (resolves with the item's id) or leaves (undefined). */
export async function mountPicker(
  props: Omit<ListPickerProps, 'onSelect' | 'onCancel'>,
  io: { stdout?: NodeJS.WriteStream; stdin?: NodeJS.ReadStream } = {},
): Promise<string | undefined> {
  let chosen: string | undefined;
  const instance = render(
    createElement(() => {
      const { exit } = useApp();
      return createElement(ListPicker, {
        ...props,
        onSelect: (id: string) => {
          chosen = id;
          exit();
        },
        onCancel: () => exit(),
      });
    }),
    {
      exitOnCtrlC: false,
      patchConsole: false,
      ...(io.stdout ? { stdout: io.stdout } : {}),
      ...(io.stdin ? { stdin: io.stdin } : {}),
    },
  );
  await instance.waitUntilExit();
  instance.clear();
  return chosen;
}
