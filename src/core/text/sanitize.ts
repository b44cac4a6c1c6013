/**
 * Neutralises terminal control sequences in untrusted text (model and tool output) before it is printed, so an
 * answer cannot retitle, clear or otherwise drive the terminal. Keeps "\n" and "\t"; "\r\n" becomes "\n".
 */

// ESC-introduced sequences: CSI (ESC [ … final), OSC/DCS/SOS/PM/APC (… BEL or ESC \), and two-byte escapes.
const ESCAPE_SEQUENCE =
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][\s\S]*?(?:\x07|\x1b\\|\x9c)|[ -/]*[0-~])|[\x9b][0-?]*[ -/]*[@-~]|[\x9d\x90\x98\x9e\x9f][\s\S]*?(?:\x07|\x1b\\|\x9c)/g;
// Everything else that is a control character: C0 (but \t and \n), DEL, C1.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
// An unterminated sequence at the end of a chunk (its rest may arrive in the next chunk).
const INCOMPLETE_TAIL =
  /(?:\x1b(?:\[[0-?]*[ -/]*|[\]PX^_][^\x07\x9c\x1b]*|[ -/]*)?|[\x9b][0-?]*[ -/]*|[\x9d\x90\x98\x9e\x9f][^\x07\x9c]*)$/;
const MAX_HELD = 4096;

/** Removes escape sequences and control characters from a complete string. */
export function sanitize(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}

/**
 * A stateful sanitizer for streamed text: a sequence split across chunks ("\x1b]0;ti" + "tle\x07") is held back
 * until it completes and then removed whole, instead of leaking its printable middle.
 */
export function createStreamSanitizer(): { write(chunk: string): string; flush(): string } {
  let held = '';
  return {
    write(chunk: string): string {
      let text = held + chunk;
      held = '';
      if (text.endsWith('\r')) {
        held = '\r';
        text = text.slice(0, -1);
      }
      const tail = INCOMPLETE_TAIL.exec(text);
      if (tail && tail[0].length > 0 && tail[0].length <= MAX_HELD) {
        held = tail[0] + held;
        text = text.slice(0, tail.index);
      }
      return sanitize(text);
    },
    flush(): string {
      const rest = held;
      held = '';
      return sanitize(rest);
    },
  };
}
