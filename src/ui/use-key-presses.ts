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
import { useEffect, useLayoutEffect, useRef } from 'react';
import { KeyReader, type KeyPress } from './keys.js';

/** A bracketed paste with no input for this long is taken as ended (its end marker was lost). */
export const PASTE_IDLE_MS = 5000;

/** How a reader of keys is used. */
export interface KeyPressOptions {
  /**
   * False: keys are not for this reader now (default true). A function is asked as each read arrives, for what
   * changes between renders (a panel's frame reaching the screen, see use-shown.ts).
   */
  isActive?: boolean | (() => boolean);
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
  // A paste that stays open this long without input lost its end marker: it ends there, so keys work again.
  const pasteTimer = useRef<NodeJS.Timeout | undefined>(undefined);
  useEffect(() => () => clearTimeout(pasteTimer.current), []);
  const take = (event: string): void => {
    const isOn = active.current;
    if (typeof isOn === 'function' ? !isOn() : !isOn) return;
    handler.current.onRead?.();
    for (const press of reader.current.push(event)) handler.current.onPress(press);
    clearTimeout(pasteTimer.current);
    if (reader.current.pasting)
      pasteTimer.current = setTimeout(() => {
        for (const press of reader.current.flush()) handler.current.onPress(press);
      }, PASTE_IDLE_MS);
  };
  const takeRef = useRef(take);
  takeRef.current = take;

  // Ink subscribes useInput's handler in a passive effect, which runs after the frame is drawn: a reader that mounts
  // with its frame (the /model picker) would lose the keys pressed on that frame. Layout effects run in the same
  // commit as the drawing, so this listener is there from the first frame; it hands on to useInput (which batches the
  // updates a read causes) once that is subscribed.
  const inkListens = useRef(false);
  useLayoutEffect(() => {
    if (!reading || !events) return;
    const record = (data: string): void => {
      lastEvent.current = data;
    };
    const early = (data: string): void => {
      if (inkListens.current) return;
      lastEvent.current = undefined;
      takeRef.current(data);
    };
    events.prependListener('input', record);
    events.on('input', early);
    return () => {
      events.removeListener('input', record);
      events.removeListener('input', early);
    };
  }, [events, reading]);

  useInput(
    (input) => {
      const event = lastEvent.current ?? input;
      lastEvent.current = undefined;
      takeRef.current(event);
    },
    { isActive: reading },
  );
  // Declared after useInput, so it runs once useInput's handler is subscribed (effects run in order).
  useEffect(() => {
    inkListens.current = reading;
    return () => {
      inkListens.current = false;
    };
  }, [reading]);
}
