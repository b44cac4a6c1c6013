import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { TerminalOutput } from '../../src/ui/terminal.js';

/** A terminal stream that records writes; its width can change (as after a SIGWINCH). */
class FakeTty extends EventEmitter {
  isTTY = true;
  columns = 80;
  rows = 24;
  writableLength = 0;
  written: string[] = [];
  write(data: string, cb?: () => void): boolean {
    this.written.push(data);
    cb?.();
    return true;
  }
}

function setup(color = true) {
  const tty = new FakeTty();
  const out = new TerminalOutput(tty as unknown as NodeJS.WriteStream, color);
  const last = (): string => tty.written.at(-1) ?? '';
  return { tty, out, last };
}

/** What Ink writes: erase the previous frame line by line (n lines), then the new frame. */
const inkFrame = (previousLines: number, frame: string): string =>
  (previousLines > 0 ? `${'\x1b[2K\x1b[1A'.repeat(previousLines - 1)}\x1b[2K\x1b[G` : '') + frame;

describe('TerminalOutput', () => {
  it('passes the first frame through and erases later ones by rows, not lines', () => {
    const { out, last } = setup();
    out.write(inkFrame(0, 'one\ntwo\n'));
    expect(last()).toBe('one\ntwo\n');
    out.write(inkFrame(3, 'three\n'));
    // (Written over the old frame line by line: the changed line, then the rest erased.)
    expect(last()).toBe('\r\x1b[2A\x1b[2Kthree\n\x1b[J');
  });

  it('rewrites only the lines of a frame that changed, and erases by rows again once the width changed', () => {
    const { tty, out, last } = setup();
    out.write(inkFrame(0, 'partial row\n\nprogress 1s\n╭────╮\n│ ❯  │\n╰────╯\n'));
    out.write(inkFrame(7, 'partial row grows\n\nprogress 2s\n╭────╮\n│ ❯  │\n╰────╯\n'));
    expect(last()).toBe('\r\x1b[6A\x1b[2Kpartial row grows\n\x1b[B\x1b[2Kprogress 2s\n\x1b[B\x1b[B\x1b[B');
    tty.columns = 10;
    out.write(inkFrame(7, 'x\n'));
    expect(last()).toBe('\r\x1b[8A\x1b[Jx\n');
  });

  it('after the terminal narrowed, erases the rows the old frame wraps into at the new width', () => {
    const { tty, out, last } = setup();
    out.write(inkFrame(0, `${'x'.repeat(70)}\n${'─'.repeat(80)}\nshort\n`));
    tty.columns = 50;
    // Ink erases 4 lines (3 and the cursor's); on screen the frame now takes 2 + 2 + 1 rows.
    out.write(inkFrame(4, 'new\n'));
    expect(last()).toBe('\r\x1b[5A\x1b[Jnew\n');
    // A frame wider than the terminal (drawn before the app had laid itself out again) is counted as it wrapped.
    out.write(inkFrame(2, `${'y'.repeat(120)}\n`));
    out.write(inkFrame(2, 'z\n'));
    expect(last()).toBe('\r\x1b[3A\x1b[Jz\n');
  });

  it('counts wide characters as two columns', () => {
    const { tty, out, last } = setup();
    out.write(inkFrame(0, `${'中'.repeat(30)}\n`));
    tty.columns = 40;
    out.write(inkFrame(2, 'a\n'));
    expect(last()).toBe('\r\x1b[2A\x1b[Ja\n');
  });

  it('follows the cursor Ink places inside its frame (a text cursor in the prompt)', () => {
    const { out, last } = setup();
    // Three lines, then the cursor moved up 2 lines to column 5 and shown.
    out.write(inkFrame(0, 'a\nb\nc\n\x1b[2A\x1b[5G\x1b[?25h'));
    // Ink returns to the bottom before erasing: the erase counts from where the cursor really is.
    out.write(`\x1b[?25l\x1b[2B\x1b[1G${inkFrame(4, 'd\n')}`);
    expect(last()).toBe('\x1b[?25l\r\x1b[1A\x1b[Jd\n');
  });

  it('keeps lines printed above the frame (Static output): only the frame after them is erased next time', () => {
    const { out, last } = setup();
    out.write(inkFrame(0, 'live\n'));
    out.write(inkFrame(2, '')); // Ink clears its frame before printing static output
    expect(last()).toBe('\r\x1b[1A\x1b[J');
    out.write('printed 1\nprinted 2\n');
    out.write('live again\n');
    out.write(inkFrame(2, 'next\n'));
    expect(last()).toBe('\r\x1b[1A\x1b[2Knext\n');
  });

  it('applies NO_COLOR to everything Ink writes: colours go, bold and inverse stay', () => {
    const { out, last } = setup(false);
    out.write('\x1b[1m\x1b[36mbold cyan\x1b[39m\x1b[22m \x1b[7minverse\x1b[27m\n');
    expect(last()).toBe('\x1b[1mbold cyan\x1b[22m \x1b[7minverse\x1b[27m\n');
  });

  it('/clear scrolls the screen into the scrollback and starts at the top, without erasing the scrollback', () => {
    const { tty, out, last } = setup();
    tty.rows = 5;
    out.write(inkFrame(0, 'frame\n'));
    out.clear();
    expect(last()).toBe('\r\x1b[1A\x1b[J\n\n\n\n\x1b[H');
    expect(tty.written.join('')).not.toMatch(/\x1b\[[23]J/);
  });

  it('/copy sends the text to the clipboard with OSC 52', () => {
    const { out, last } = setup();
    out.copy('héllo');
    expect(last()).toBe(`\x1b]52;c;${Buffer.from('héllo').toString('base64')}\x07`);
  });
});
