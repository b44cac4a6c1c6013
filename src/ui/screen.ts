/** What the chat asks of the terminal besides drawing (implemented by terminal.ts; a test passes its own). */

/** What the chat does to the terminal besides Ink's frame. */
export interface Screen {
  /** Prints finished lines (each ending with a line break) above the live region, once. */
  print(text: string): void;
  /** Moves everything on screen into the scrollback and starts again at the top: the scrollback is never erased. */
  clear(): void;
  /** Puts `text` on the system clipboard through the terminal (OSC 52). */
  copy(text: string): void;
}

/** The OSC 52 sequence that sets the clipboard to `text`. */
export function osc52(text: string): string {
  return `\x1b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\x07`;
}
