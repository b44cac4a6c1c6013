/**
 * Terminal input decoded into key presses. Ink splits what it reads from stdin into events (a run of text without
 * ESC, or one escape sequence) but hands `useInput` a lossy summary: Backspace and Delete look the same, and a run of
 * several keys read at once ("hello\r/exit\r" from a busy UI or an SSH link) arrives as one string that reads as a
 * paste. Here every event is decoded into the keys it holds, in order, and bracketed paste (ESC[200~ … ESC[201~, turned
 * on in mount.ts) is the only thing that makes a paste, however many reads it takes and wherever they split it.
 */

/** One thing the user did at the keyboard. */
export type KeyPress =
  /** Printable text typed (several characters when they were read at once). */
  | { kind: 'text'; text: string }
  /** A whole bracketed paste, line breaks as "\n", control characters removed. */
  | { kind: 'paste'; text: string }
  /** A key: a named one ("return", "left", …) or a letter with Ctrl or Alt ("w" with ctrl). */
  | { kind: 'key'; name: string; ctrl: boolean; meta: boolean; shift: boolean };

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

const key = (name: string, mods: { ctrl?: boolean; meta?: boolean; shift?: boolean } = {}): KeyPress => ({
  kind: 'key',
  name,
  ctrl: mods.ctrl ?? false,
  meta: mods.meta ?? false,
  shift: mods.shift ?? false,
});

/** xterm's modifier parameter (1 + bit mask): shift 1, alt 2, ctrl 4, meta 8. */
function modifiers(param: string | undefined): { ctrl: boolean; meta: boolean; shift: boolean } {
  const m = Math.max(0, (Number(param) || 1) - 1);
  return { shift: (m & 1) !== 0, meta: (m & 10) !== 0, ctrl: (m & 4) !== 0 };
}

const CSI_LETTER: Record<string, string> = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end' };
const CSI_TILDE: Record<string, string> = {
  '1': 'home',
  '2': 'insert',
  '3': 'delete',
  '4': 'end',
  '5': 'pageup',
  '6': 'pagedown',
  '7': 'home',
  '8': 'end',
};

/** A key given as a code point with modifiers (kitty's CSI u, xterm's modifyOtherKeys CSI 27;m;c ~). */
function codePointKey(code: number, mods: { ctrl: boolean; meta: boolean; shift: boolean }): KeyPress {
  if (code === 13) return key('return', mods);
  if (code === 9) return key('tab', mods);
  if (code === 27) return key('escape', mods);
  if (code === 127 || code === 8) return key('backspace', mods);
  if (!mods.ctrl && !mods.meta) return code >= 32 ? { kind: 'text', text: String.fromCodePoint(code) } : key('unknown');
  return key(String.fromCodePoint(code).toLowerCase(), mods);
}

/** One escape sequence (Ink hands them over one at a time). */
function decodeEscape(seq: string): KeyPress {
  if (seq === '\x1b' || seq === '\x1b\x1b') return key('escape', { meta: seq.length === 2 });
  // ESC ESC [ … is Alt with an arrow in some terminals (rxvt, macOS Terminal).
  const alt = seq.startsWith('\x1b\x1b');
  const body = alt ? seq.slice(1) : seq;
  const csi = /^\x1b\[([0-9;:]*)([A-Za-z~^$@])$/.exec(body);
  if (csi) {
    const params = (csi[1] as string).split(';');
    const final = csi[2] as string;
    // kitty's keyboard protocol adds ":<event>" to the modifiers: 3 is a key release, which is no key press.
    const [modParam, event] = (params[1] ?? '').split(':');
    if (event === '3') return key('unknown');
    const mods = modifiers(modParam);
    if (alt) mods.meta = true;
    if (final in CSI_LETTER) return key(CSI_LETTER[final] as string, mods);
    if (final === 'Z') return key('tab', { shift: true });
    if (final === 'u') return codePointKey(Number((params[0] ?? '').split(':')[0]), mods);
    if (final === '~' && params[0] === '27' && params.length === 3)
      return codePointKey(Number(params[2]), modifiers(params[1]));
    if (final === '~' && (params[0] ?? '') in CSI_TILDE) return key(CSI_TILDE[params[0] as string] as string, mods);
    // rxvt: ESC [ a…d are Shift+arrows.
    if ('abcd'.includes(final) && params[0] === '')
      return key(CSI_LETTER[final.toUpperCase()] as string, { shift: true, meta: alt });
    return key('unknown');
  }
  const ss3 = /^\x1bO([A-Za-z])$/.exec(body);
  if (ss3) {
    const c = ss3[1] as string;
    if (c === 'M') return key('return');
    if (c in CSI_LETTER) return key(CSI_LETTER[c] as string, { meta: alt });
    // rxvt: ESC O a…d are Ctrl+arrows.
    if ('abcd'.includes(c)) return key(CSI_LETTER[c.toUpperCase()] as string, { ctrl: true });
    return key('unknown');
  }
  // ESC and one character: that character with Alt.
  const rest = seq.slice(1);
  if (rest === '\r' || rest === '\n') return key('return', { meta: true });
  if (rest === '\x7f' || rest === '\b') return key('backspace', { meta: true });
  if (/^[a-zA-Z]$/.test(rest)) return key(rest.toLowerCase(), { meta: true, shift: rest !== rest.toLowerCase() });
  return key('unknown', { meta: true });
}

/**
 * A run of text without ESC: printable characters become text, each control character a key. "\r" is Enter. "\n" is
 * Ctrl+J (a new line), except in a run that ends with it and has no "\r": that is text typed before the terminal went
 * into raw mode, whose line discipline turned every Enter into "\n".
 */
function decodeRun(run: string): KeyPress[] {
  const out: KeyPress[] = [];
  const cooked = run.length > 1 && run.endsWith('\n') && !run.includes('\r');
  let text = '';
  const flush = (): void => {
    if (text) out.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f && (c < 0x80 || c > 0x9f)) {
      text += run[i];
      continue;
    }
    flush();
    if (c === 13) {
      out.push(key('return'));
      if (run[i + 1] === '\n') i++;
    } else if (c === 10) out.push(cooked ? key('return') : key('j', { ctrl: true }));
    else if (c === 9) out.push(key('tab'));
    else if (c === 0x7f || c === 8) out.push(key('backspace'));
    else if (c >= 1 && c <= 26) out.push(key(String.fromCharCode(c + 96), { ctrl: true }));
    // NUL (Ctrl+Space), the other C0 and the C1 controls: nothing the prompt uses.
  }
  flush();
  return out;
}

const EVENTS = /\x1b\x1b?(?:\[[0-?]*[ -/]*[@-~]|O.|.)?|[^\x1b]+/gsu;

/** The keys in one input event as Ink splits stdin (a text run, or one escape sequence). */
export function decodeKeys(event: string): KeyPress[] {
  // Ink splits at ESC already; an event that still holds one (only in tests, or another input source) is split here.
  const parts = event.indexOf('\x1b', 1) === -1 ? [event] : (event.match(EVENTS) ?? []);
  return parts.flatMap((p) => (p.startsWith('\x1b') ? [decodeEscape(p)] : decodeRun(p)));
}

/** A pasted text as the prompt takes it: "\n" line breaks, no escape sequences or other control characters. */
export function cleanPaste(raw: string): string {
  return raw
    .replace(/\r\n?/g, '\n')
    .replace(/\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '');
}

/**
 * Reads input events in order and turns them into key presses, collecting a bracketed paste into one press. A paste
 * may span any number of reads and its end marker may be split between two of them: the raw paste is kept until the
 * marker shows up in it. A start marker split after a partial read (Ink flushes a pending "ESC[20" as an event of its
 * own) is held for one event.
 */
export class KeyReader {
  private paste: string | null = null;
  private held = '';

  /** True between the start and the end of a bracketed paste. */
  get pasting(): boolean {
    return this.paste !== null;
  }

  /**
   * Ends a paste whose end marker never came (a terminal that lost it): what was read so far is the paste. Without
   * this the prompt would take every later key, Ctrl+C included, as pasted text.
   */
  flush(): KeyPress[] {
    if (this.paste === null) return [];
    const text = cleanPaste(this.paste);
    this.paste = null;
    return text ? [{ kind: 'paste', text }] : [];
  }

  /** The key presses that `event` completes. */
  push(event: string): KeyPress[] {
    if (this.held) {
      const held = this.held;
      this.held = '';
      const joined = held + event;
      if (joined.startsWith(PASTE_START) || PASTE_START.startsWith(joined)) return this.push(joined);
      return [...decodeKeys(held), ...this.push(event)];
    }
    if (this.paste === null) {
      if (event.startsWith(PASTE_START)) {
        this.paste = '';
        const rest = event.slice(PASTE_START.length);
        return rest ? this.push(rest) : [];
      }
      if (event.length >= 2 && event.length < PASTE_START.length && PASTE_START.startsWith(event)) {
        this.held = event;
        return [];
      }
      return decodeKeys(event);
    }
    const from = Math.max(0, this.paste.length - PASTE_END.length + 1);
    this.paste += event;
    const end = this.paste.indexOf(PASTE_END, from);
    if (end === -1) return [];
    const text = cleanPaste(this.paste.slice(0, end));
    const rest = this.paste.slice(end + PASTE_END.length);
    this.paste = null;
    return [...(text ? [{ kind: 'paste' as const, text }] : []), ...(rest ? this.push(rest) : [])];
  }
}
