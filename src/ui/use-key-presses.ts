/**
 * The one way the chat reads the keyboard. Ink hands `useInput` a lossy summary of each input event (Backspace and
 * Delete look alike, several keys read at once look like one string); this hook catches the event itself, just before
 * useInput's handler runs for it (the emitter calls a prepended listener first), and decodes it there with KeyReader
 * (keys.ts), where Ink batches the state updates. So "y", or "n" + a reason + Enter, read at once (a busy UI, SSH)
 * are still each a key, for the prompt, the approval panel and the list picker alike.
 *
 * Which reader takes a key is decided when the key arrives, from what the last render said (`isActive` is kept in a
 * ref), not when React gets round to re-subscribing handlers: a key that comes right after the approval panel was
 * drawn goes to the panel, never to the prompt it replaced.
 */
import { useInput, useStdin } from 'ink';
import { useEffect, useRef } from 'react';
import { KeyReader, type KeyPress } from './keys.js';

/** A bracketed paste with no input for this long is taken as ended (its end marker was lost). */
export const PASTE_IDLE_MS = 5000;

/** How a reader of keys is used. */
export interface KeyPressOptions {
  /** False: keys are not for this reader now (default true). */
  isActive?: boolean;
  /** Called once per input event, before its keys. */
  onRead?: () => void;
}

/** Calls `onPress` with every key press, in order, while `isActive`. */
export function useKeyPresses(onPress: (press: KeyPress) => void, { isActive = true, onRead }: KeyPressOptions = {}) {
  const reader = useRef(new KeyReader());
  const { internal_eventEmitter: events, isRawModeSupported } = useStdin();
  const active = useRef(isActive);
  active.current = isActive;
  const handler = useRef({ onPress, onRead });
  handler.current = { onPress, onRead };
  const lastEvent = useRef<string | undefined>(undefined);
  const reading = isRawModeSupported === true;
  useEffect(() => {
    if (!reading || !events) return;
    const record = (data: string): void => {
      lastEvent.current = data;
    };
    events.prependListener('input', record);
    return () => {
      events.removeListener('input', record);
    };
  }, [events, reading]);

  // A paste that stays open this long without input lost its end marker: it ends there, so keys work again.
  const pasteTimer = useRef<NodeJS.Timeout | undefined>(undefined);
  useEffect(() => () => clearTimeout(pasteTimer.current), []);
  useInput(
    (input) => {
      const event = lastEvent.current ?? input;
      lastEvent.current = undefined;
      if (!active.current) return;
      handler.current.onRead?.();
      for (const press of reader.current.push(event)) handler.current.onPress(press);
      clearTimeout(pasteTimer.current);
      if (reader.current.pasting)
        pasteTimer.current = setTimeout(() => {
          for (const press of reader.current.flush()) handler.current.onPress(press);
        }, PASTE_IDLE_MS);
    },
    { isActive: reading },
  );
}
