/**
 * The `!command` confirmation (shell-trust.ts) in the chat: `ask` runs the command at once when it is trusted, or
 * holds it and reads y / a / n / Esc from the keyboard until the user decided; the panel's lines are drawn instead of
 * the prompt meanwhile.
 */
import { useRef, useState } from 'react';
import type { KeyPress } from './keys.js';
import { shellConfirmKey, type ShellTrust } from './shell-trust.js';
import { useKeyPresses } from './use-key-presses.js';
import { useShown } from './use-shown.js';

/** A command waiting for the user's yes or no. */
export interface PendingShellCommand {
  command: string;
  /** Called once: true to run it. */
  decide: (run: boolean) => void;
}

/** Asks before `!command`s in `cwd` as `trust` says; `warn` tells the user a remembered directory could not be saved. */
export function useShellConfirm(trust: ShellTrust, cwd: string, isActive: boolean, warn: (text: string) => void) {
  const [pending, setPendingState] = useState<PendingShellCommand | undefined>(undefined);
  // Read when a key arrives, ahead of React's next render ("!ls" Enter and "y" can come in one read).
  const pendingRef = useRef(pending);
  const setPending = (next: PendingShellCommand | undefined): void => {
    pendingRef.current = next;
    setPendingState(next);
  };

  const onPress = (press: KeyPress): void => {
    const p = pendingRef.current;
    if (!p) return;
    const decision =
      press.kind === 'key'
        ? shellConfirmKey(press.name, press.ctrl)
        : press.kind === 'text'
          ? shellConfirmKey(press.text.trim().toLowerCase(), false)
          : undefined;
    if (!decision) return;
    setPending(undefined);
    if (decision === 'always') {
      const failed = trust.remember(cwd);
      if (failed) warn(failed);
    } else if (decision === 'yes') trust.allowForChat();
    p.decide(decision !== 'no');
  };
  // Keys read before the question is on screen were typed at the prompt: they stay there (use-shown.ts).
  const shown = useShown(pending);
  useKeyPresses(onPress, { isActive: () => isActive && pending !== undefined && shown() });

  return {
    /** The command waiting for the user, if any. */
    pending,
    /** True once its question is on screen, so keys answer it (until then they go to the prompt). */
    shown,
    /**
     * A command is waiting for the user (read ahead of React's next render): the prompt queues what is typed meanwhile,
     * so a second `!command` read with the first waits its turn instead of replacing the question.
     */
    isPending: (): boolean => pendingRef.current !== undefined,
    /** Declines the waiting command, if any (the run is being cancelled). */
    decline: (): void => {
      const p = pendingRef.current;
      if (!p) return;
      setPending(undefined);
      p.decide(false);
    },
    /** Runs `decide(true)` at once when `command` needs no confirmation; else holds it until the user answered. */
    ask: (command: string, decide: (run: boolean) => void): void => {
      if (!trust.needsConfirmation(cwd)) return decide(true);
      setPending({ command, decide });
    },
  };
}
