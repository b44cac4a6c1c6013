/** Mounts the Ink apps for the entry points in index.ts (a module of its own so that ink and react load lazily). */
import chalk from 'chalk';
import { render } from 'ink';
import { createElement, type ReactElement } from 'react';
import type { RunEndEvent } from '../core/events.js';
import { interruptOnSignals } from '../core/signals.js';
import { App } from './App.js';
import { InputHistory } from './history-store.js';
import { colorEnabled, type AgentsChatOptions, type AgentsOptions, type InteractiveOptions } from './index.js';
import { loadHighlighter } from './markdown.js';
import { MultiApp } from './MultiApp.js';

/** Renders the chat app until it exits; resolves with the exit code. */
export async function mount(opts: InteractiveOptions, once: boolean): Promise<number> {
  let code = 0;
  const history = new InputHistory(opts.historyPath);
  await renderUntilExit(opts, !once, (color, signal) =>
    createElement(App, {
      agent: opts.agent,
      ...(opts.conversation ? { conversation: opts.conversation } : {}),
      ...(opts.firstPrompt ? { firstPrompt: opts.firstPrompt } : {}),
      once,
      history,
      color,
      onExit: (c: number) => {
        code = c;
      },
      signal,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.maxTurns !== undefined ? { maxTurns: opts.maxTurns } : {}),
    }),
  );
  return code;
}

/** Renders several agents' runs on one prompt until every run ended; resolves with their run_end events. */
export async function mountAgents(opts: AgentsOptions): Promise<RunEndEvent[]> {
  return (await mountMulti(opts, false)).ends;
}

/** Renders a conversation with several agents until the user leaves; resolves with the exit code. */
export async function mountAgentsChat(opts: AgentsChatOptions): Promise<number> {
  return (await mountMulti(opts, true, new InputHistory(opts.historyPath))).code;
}

async function mountMulti(
  opts: AgentsOptions,
  conversation: boolean,
  history?: InputHistory,
): Promise<{ ends: RunEndEvent[]; code: number }> {
  let ends: RunEndEvent[] = [];
  let code = 0;
  await renderUntilExit(opts, conversation, (color, signal) =>
    createElement(MultiApp, {
      agents: opts.agents,
      ...(opts.prompt ? { prompt: opts.prompt } : {}),
      conversation,
      ...(history ? { history } : {}),
      color,
      onExit: (e: RunEndEvent[], c?: number) => {
        ends = e;
        code = c ?? 0;
      },
      signal,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.maxTurns !== undefined ? { maxTurns: opts.maxTurns } : {}),
    }),
  );
  return { ends, code };
}

/**
 * Renders an app until it exits. SIGINT, SIGTERM and SIGHUP abort the signal it gets (the app cancels or leaves; the
 * command maps the signal to its exit code); a conversation also turns on bracketed paste and preloads the syntax
 * highlighter while the user types.
 */
async function renderUntilExit(
  io: { stdout?: NodeJS.WriteStream; stdin?: NodeJS.ReadStream },
  conversation: boolean,
  app: (color: boolean, signal: AbortSignal) => ReactElement,
): Promise<void> {
  const color = colorEnabled();
  // Ink styles through the shared chalk instance: NO_COLOR has to reach it as well.
  if (!color) chalk.level = 0;
  // highlight.js is large: in a conversation load it while the user types; a one-shot run loads it at its first
  // code block (see markdown.ts), so answers without code never pay for it.
  if (conversation && color) setTimeout(() => void loadHighlighter(), 200).unref();
  const session = interruptOnSignals();
  const instance = render(app(color, session.signal), {
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 30,
    ...(io.stdout ? { stdout: io.stdout } : {}),
    ...(io.stdin ? { stdin: io.stdin } : {}),
  });
  // Bracketed paste lets a pasted multi-line text arrive as text instead of a series of Enter presses.
  const out = io.stdout ?? process.stdout;
  const paste = conversation && out.isTTY === true && (io.stdin ?? process.stdin).isTTY === true;
  if (paste) out.write('\x1b[?2004h');
  try {
    await instance.waitUntilExit();
  } finally {
    if (paste) out.write('\x1b[?2004l');
    session.release();
  }
}
