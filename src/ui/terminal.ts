/**
 * The terminal as Ink sees it: a stream in front of stdout that erases Ink's previous frame itself.
 *
 * Ink erases its last frame by counting lines ("up one line" per line it wrote). That count is wrong after the
 * terminal changed width: terminals re-wrap what is on screen (xterm.js, tmux, iTerm2, kitty, VTE…), so a frame line
 * that fitted 100 columns takes two rows at 60, and Ink leaves the difference behind as garbage — or, when the frame
 * reaches the screen height, clears the whole terminal with its scrollback and reprints everything. Instead, this
 * stream keeps the display width of every line of the frame on screen and erases by rows at the *current* width
 * (cursor up that many rows, erase to the end of the screen). Nothing above the frame is ever touched: what was in the
 * terminal before agentor started stays in the scrollback, also across resizes.
 *
 * It is also where NO_COLOR is applied to everything Ink draws (colours go, bold, underline and inverse stay), and
 * where `/clear` and `/copy` reach the terminal.
 */
import { EventEmitter } from 'node:events';
import { displayWidth } from './layout/width.js';
import { stripColour } from './layout/style.js';
import { osc52, type Screen } from './screen.js';

/** Ink's "back to the bottom of the frame" before it erases (when it had shown the cursor inside the frame). */
const RETURN = /^(?:\x1b\[\?25l)?(?:\x1b\[\d+B)?(?:\x1b\[1G)?/;
/** Ink's erase of its previous frame: erase line, up, …, erase line, column 1. */
const ERASE = /^(?:\x1b\[2K\x1b\[1A)*\x1b\[2K\x1b\[G/;
/** Ink's cursor placement after a frame: up n lines, to column x, show the cursor. */
const CURSOR = /(?:\x1b\[(\d+)A)?\x1b\[(\d+)G\x1b\[\?25h$/;
const PASS = /^(?:\x1b\[\?2026[hl]|\x1b\[\?25[hl])$/;

type Callback = (error?: Error | null) => void;

/** Ink's stdout: forwards to the real one, keeping track of the frame on screen (see the module comment). */
export class TerminalOutput extends EventEmitter implements Screen {
  readonly isTTY = true;
  /** The lines of the frame on screen, as written (styled). */
  private lines: string[] = [];
  /** Their display widths, measured when first needed (a frame replaced before any erase is never measured). */
  private measured: number[] | undefined;
  /** The terminal's width when the frame was written. */
  private writtenAt = 0;
  /** Where Ink left the cursor: a line of the frame (lines.length: the line below it) and a column. */
  private cursor = { line: 0, col: 0 };
  /** Lines to print above the frame, waiting for Ink's next frame (so both reach the screen together). */
  private toPrint = '';
  /** Ink has drawn the state committed last (false from a printing commit until Ink's next render). */
  private drawn = true;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly color: boolean,
  ) {
    super();
    out.on('resize', this.resized);
  }

  get columns(): number {
    return this.out.columns || 80;
  }

  get rows(): number {
    return this.out.rows || 24;
  }

  get writableLength(): number {
    return this.out.writableLength;
  }

  private readonly resized = (): void => {
    this.emit('resize');
  };

  /**
   * Prints what is still waiting, erases the live frame (the shell prompt comes back right under the last printed
   * line, not under a stale prompt box) and stops listening to the real stream.
   */
  dispose(): void {
    this.flush();
    if (this.lines.length) this.out.write(this.erase());
    this.out.off('resize', this.resized);
  }

  /** What Ink is rendered with to draw through this stream (`onRender` tells it when Ink has drawn a commit). */
  inkOptions(): { maxFps: number; patchConsole: false; onRender: () => void } {
    return { maxFps: 30, patchConsole: false, onRender: this.rendered };
  }

  /**
   * A commit that brings lines to print is being applied (called from an insertion effect, before Ink renders it).
   * Ink throttles its renders: until it renders this commit, the frame on screen is an older one, which may still
   * show the rows being printed as live. Drawn again under the printed rows, they would be on screen twice.
   */
  readonly willPrint = (): void => {
    this.drawn = false;
  };

  /** Called once Ink has drawn the commit being applied (see afterDraw). */
  private afterDrawn: Array<() => void> = [];

  /**
   * Calls `then` once the frame of the commit being applied is on screen: at once when Ink has drawn it, else right
   * after Ink's (throttled) render of it writes it. The commit must have been marked with willPrint (an insertion
   * effect), so that an older frame does not count.
   */
  afterDraw(then: () => void): void {
    if (this.drawn) then();
    else this.afterDrawn.push(then);
  }

  /** Ink rendered the tree as committed (its frame, if it changed, is written right after this). */
  private readonly rendered = (): void => {
    this.drawn = true;
    const waiting = this.afterDrawn.splice(0);
    if (waiting.length) queueMicrotask(() => waiting.forEach((then) => then()));
    // When the frame did not change, Ink writes nothing: the lines go out over the frame on screen, which is current.
    if (this.toPrint) queueMicrotask(() => this.flush());
  };

  /**
   * Prints finished lines above the live frame. Called from a layout effect. When Ink has already drawn the commit that
   * printed them (it draws in the commit, before layout effects, unless its throttle holds the render back), they go
   * out now, the frame drawn again under them. Otherwise they wait for Ink's render of that commit, which its throttle
   * always delivers, and go out in one write with its frame (see willPrint).
   */
  print(text: string): void {
    this.toPrint += text;
    if (this.drawn) this.flush();
  }

  private takePending(): string {
    const text = this.toPrint;
    this.toPrint = '';
    return text;
  }

  private flush(): void {
    if (!this.toPrint) return;
    const text = this.takePending();
    const frame = this.lines.length ? `${this.lines.join('\n')}\n` : '';
    const cursor = this.cursor;
    const atBottom = cursor.line === this.lines.length && cursor.col === 0;
    const out = this.erase() + text + frame;
    if (frame) this.content(frame);
    // (A text cursor Ink had placed inside the frame is put back by its next frame.)
    this.out.write(`\x1b[?2026h${out}\x1b[?2026l`);
    if (!atBottom) this.cursor = { line: this.lines.length, col: 0 };
  }

  /**
   * The terminal's width right now, asked of the kernel. `columns` only follows once the SIGWINCH has been handled,
   * and a frame written before that (a timer can run first) must not be erased at the old width. Node's
   * `getWindowSize()` returns the cached size, so this asks the TTY handle itself, where there is one.
   */
  private currentColumns(): number {
    const handle = (this.out as unknown as { _handle?: { getWindowSize?: (size: number[]) => unknown } })._handle;
    const size: number[] = [];
    try {
      if (handle?.getWindowSize && !handle.getWindowSize(size) && size[0]) return size[0];
    } catch {
      // not a TTY handle after all: the cached size will do
    }
    return this.columns;
  }

  private widths(): number[] {
    this.measured ??= this.lines.map((l) => displayWidth(l));
    return this.measured;
  }

  private setFrame(lines: string[]): void {
    this.lines = lines;
    this.measured = undefined;
    this.writtenAt = this.currentColumns();
  }

  /** Rows between the top of the frame and the cursor, at the terminal's current width. */
  private rowsAbove(): number {
    const cols = Math.max(1, this.currentColumns());
    const widths = this.widths();
    let rows = 0;
    for (let i = 0; i < this.cursor.line && i < widths.length; i++)
      rows += Math.max(1, Math.ceil((widths[i] as number) / cols));
    return rows + Math.floor(this.cursor.col / cols);
  }

  /** Rows the whole frame takes at the terminal's current width. */
  private frameRows(): number {
    const cols = Math.max(1, this.currentColumns());
    return this.widths().reduce((rows, w) => rows + Math.max(1, Math.ceil(w / cols)), 0);
  }

  /**
   * Erases the frame on screen and leaves the cursor where it began. Row by row, not with "erase below" (ESC[J): tmux
   * moves the whole screen into its scrollback when that is sent from the top-left corner, which is where a frame as
   * tall as the screen allows begins (and where drawing starts after /clear). The cursor comes back with DECRC, which
   * a move down at the bottom row cannot upset.
   */
  private erase(): string {
    const up = this.rowsAbove();
    const rows = Math.max(up, this.frameRows()) + 1;
    this.setFrame([]);
    this.cursor = { line: 0, col: 0 };
    return `\r${up > 0 ? `\x1b[${up}A` : ''}\x1b7${'\x1b[2K\x1b[1B'.repeat(rows - 1)}\x1b[2K\x1b8`;
  }

  /**
   * The next frame written over the last one line by line, only the lines that changed (a streamed answer changes its
   * last row and the progress line; the prompt box under them is left alone): fewer bytes per frame. Undefined when
   * that cannot be done exactly (the width changed, a line does not fit a row, the cursor is not below the frame).
   */
  private redraw(data: string): string | undefined {
    const cols = this.currentColumns();
    if (this.cursor.line !== this.lines.length || this.cursor.col !== 0 || cols !== this.writtenAt) return undefined;
    if (!data.endsWith('\n') || CURSOR.test(data)) return undefined;
    const next = data.slice(0, -1).split('\n');
    const old = this.lines;
    if (this.widths().some((w) => w > cols) || next.some((l) => displayWidth(l) > cols)) return undefined;
    let first = 0;
    while (first < next.length && first < old.length && next[first] === old[first]) first++;
    let out = `\r${old.length - first > 0 ? `\x1b[${old.length - first}A` : ''}`;
    for (let i = first; i < next.length; i++) {
      // Erased before it is written, never after: a line as wide as the screen leaves the cursor on its last column.
      out += i < old.length && next[i] === old[i] ? '\x1b[B' : `\x1b[2K${next[i] as string}\n`;
    }
    // (The cursor is below the new frame's first row here, never at the top-left corner: see erase.)
    if (next.length < old.length)
      out += next.length > 0 ? '\x1b[J' : `\x1b7${'\x1b[2K\x1b[1B'.repeat(old.length)}\x1b8`;
    this.setFrame(next);
    this.cursor = { line: next.length, col: 0 };
    return out;
  }

  write(chunk: string | Uint8Array, encoding?: BufferEncoding | Callback, cb?: Callback): boolean {
    const done = typeof encoding === 'function' ? encoding : cb;
    let data = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (!this.color) data = stripColour(data);
    return done ? this.out.write(this.translate(data), done) : this.out.write(this.translate(data));
  }

  /** Ink's write with its line-counting erase replaced by the row-counting one, and the frame recorded. */
  private translate(data: string): string {
    if (data === '' || PASS.test(data)) return data;
    const ret = RETURN.exec(data)?.[0] ?? '';
    let rest = data.slice(ret.length);
    const erase = ERASE.exec(rest)?.[0];
    if (erase === undefined) {
      const m = CURSOR.exec(rest);
      if (this.toPrint && rest !== '' && !(m && m.index === 0))
        return ret + this.erase() + this.takePending() + this.content(rest);
      if (rest === '' || (m && m.index === 0)) {
        // Only cursor movement (the frame is unchanged): follow it.
        if (/\x1b\[\d+B|\x1b\[1G/.test(ret)) this.cursor = { line: this.lines.length, col: 0 };
        if (m) this.placeCursor(m);
        return data;
      }
      return ret + this.content(rest);
    }
    rest = rest.slice(erase.length);
    const hide = ret.startsWith('\x1b[?25l') ? '\x1b[?25l' : '';
    if (this.toPrint) return hide + this.erase() + this.takePending() + (rest ? this.content(rest) : '');
    const diff = rest ? this.redraw(rest) : undefined;
    if (diff !== undefined) return hide + diff;
    return hide + this.erase() + (rest ? this.content(rest) : '');
  }

  /** Text written at the cursor: the new frame (or lines printed above it, which the next frame write follows). */
  private content(data: string): string {
    const m = CURSOR.exec(data);
    const body = m ? data.slice(0, m.index) : data;
    const lines = body.split('\n');
    const last = lines.pop() as string;
    if (last !== '') lines.push(last);
    this.setFrame(lines);
    this.cursor = last === '' ? { line: lines.length, col: 0 } : { line: lines.length - 1, col: displayWidth(last) };
    if (m) this.placeCursor(m);
    return data;
  }

  private placeCursor(m: RegExpExecArray): void {
    // Ink places the cursor counting from the line below its frame.
    const up = Number(m[1] ?? 0);
    this.cursor = { line: Math.max(0, this.lines.length - up), col: Math.max(0, Number(m[2]) - 1) };
  }

  /** `/clear`: the frame is erased and the screen scrolled up into the scrollback, then drawing starts at the top. */
  clear(): void {
    this.out.write(`${this.erase()}${'\n'.repeat(Math.max(0, this.rows - 1))}\x1b[H`);
  }

  /** `/copy`: OSC 52 to the terminal, which puts it on the clipboard if it allows that. */
  copy(text: string): void {
    this.out.write(osc52(text));
  }
}
