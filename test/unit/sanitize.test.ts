import { describe, expect, it } from 'vitest';
import { createStreamSanitizer, sanitize } from '../../src/core/text/sanitize.js';

const ESC = '\x1b';
const BEL = '\x07';

describe('sanitize', () => {
  it('removes OSC title changes, screen clears and colours but keeps newlines and tabs', () => {
    const evil = `a${ESC}]0;pwned${BEL}b${ESC}[2Jc${ESC}[31mred${ESC}[0m\td\ne`;
    expect(sanitize(evil)).toBe('abcred\td\ne');
  });

  it('removes C0/C1 controls, DEL and bare CR', () => {
    expect(sanitize('x\x00\x08\x7f\x85y\rz\r\nw')).toBe('xyz\nw');
  });

  it('removes OSC 8 hyperlinks and DCS strings terminated by ST', () => {
    expect(sanitize(`${ESC}]8;;http://evil${ESC}\\link${ESC}]8;;${ESC}\\ ${ESC}Pq#0${ESC}\\ok`)).toBe('link ok');
  });

  it('holds back a sequence split across chunks and removes it whole', () => {
    const s = createStreamSanitizer();
    const out = [s.write(`hello ${ESC}]0;ti`), s.write(`tle${BEL} world ${ESC}[`), s.write('2J!'), s.flush()].join('');
    expect(out).toBe('hello  world !');
  });

  it('keeps a CRLF split across chunks as one newline', () => {
    const s = createStreamSanitizer();
    expect(s.write('a\r') + s.write('\nb') + s.flush()).toBe('a\nb');
  });

  it('never lets an escape byte through, whatever the chunking', () => {
    const text = `x${ESC}]0;t${BEL}y${ESC}[1;31mz${ESC}\\w${ESC}`;
    for (let size = 1; size <= 4; size++) {
      const s = createStreamSanitizer();
      let out = '';
      for (let i = 0; i < text.length; i += size) out += s.write(text.slice(i, i + size));
      out += s.flush();
      expect(out).not.toMatch(/[\x1b\x07]/);
      expect(out).toContain('x');
      expect(out).toContain('w');
    }
  });
});
