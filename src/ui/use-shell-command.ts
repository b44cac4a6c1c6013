/**
 * `!command` in the chat: runs it (shell-command.ts) under an AbortController of its own, which the chat's cancel keys
 * abort like a run's; prints its output as a block in the transcript (the last lines of a long one) and hands the
 * result back, so that the chat can offer it as context for the next message.
 */
import { useRef, useState } from 'react';
import type { ChatAction } from './chat-state.js';
import { plural } from './format.js';
import { endedHow, runShellCommand, type ShellResult } from './shell-command.js';

/** Lines of output shown in the transcript at most (the context keeps everything up to the cap). */
export const SHELL_SHOWN_LINES = 100;

/** The transcript's block for a command's output: its last lines, tabs as spaces. */
export function shellOutputText(r: ShellResult): string {
  const lines = r.output.replace(/\t/g, '    ').replace(/\n$/, '').split('\n');
  const hidden = Math.max(0, lines.length - SHELL_SHOWN_LINES);
  const shown = lines.slice(hidden).join('\n');
  return `${hidden ? `… ${plural(hidden, 'earlier line')} not shown\n` : ''}${shown || '(no output)'}`;
}

/** Runs `!command`s for the chat in `cwd`. */
export function useShellCommand(dispatch: (action: ChatAction) => void, cwd: string) {
  const active = useRef<AbortController | undefined>(undefined);
  const [running, setRunning] = useState<string | undefined>(undefined);

  /** Runs `command`; `ended` gets the result once its block is in the transcript. */
  const run = (command: string, ended: (result: ShellResult) => void): void => {
    const controller = new AbortController();
    active.current = controller;
    setRunning(command);
    void runShellCommand(command, { cwd, signal: controller.signal }).then((result) => {
      if (active.current === controller) active.current = undefined;
      setRunning(undefined);
      dispatch({ type: 'notice', text: shellOutputText(result) });
      const how = endedHow(result);
      const ok = result.code === 0 && !result.cancelled;
      const offered = result.cancelled ? '' : ' · the output is in the prompt as context for your next message';
      dispatch({ type: 'notice', text: `${ok ? '✓' : '✗'} ${how}${offered}`, tone: ok ? 'info' : 'warn' });
      ended(result);
    });
  };

  return {
    /** The command running now, if any. */
    running,
    isRunning: (): boolean => active.current !== undefined,
    cancel: (): void => active.current?.abort(),
    run,
  };
}
