/**
 * The prompt drawn by Ink: `layoutPromptArea(...).rows` is exactly the number of rows drawn (the live region above
 * is sized from it), no row is wider than the terminal, and the chat App reads keys, pastes and emoji the way a
 * terminal sends them (bracketed paste split over reads, several keys in one read).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { ModelRequest } from '../../src/core/providers/types.js';
import { App } from '../../src/ui/App.js';
import { PromptArea, layoutPromptArea } from '../../src/ui/components/PromptArea.js';
import { InputHistory } from '../../src/ui/history-store.js';
import { emptyEditor, type EditorState } from '../../src/ui/input.js';
import { promptText, ScriptedProvider, text, type Turn } from './helpers.js';
import { renderInTerminal } from './terminal-render.js';

const FAMILY = '👨‍👩‍👧';
const PLACEHOLDER = String.fromCodePoint(0x100000);
const FILE = Array.from({ length: 300 }, (_, i) => `line ${String(i).padStart(3, '0')}: ${'x'.repeat(64)}`).join('\n');

describe('PromptArea', () => {
  const texts = [
    '',
    'plain words that wrap around once the box is narrow enough to need it',
    '你好世界'.repeat(30),
    `${FAMILY} 🇫🇷 e\u0301 👍🏽 `.repeat(12),
    Array.from({ length: 40 }, (_, i) => `line ${i} 第${i}行`).join('\n'),
    `see ${PLACEHOLDER} and\n\ttabbed ${'ｗｉｄｅ'.repeat(9)}`,
    'x'.repeat(400),
    '\n\n\n',
  ];
  it('draws exactly the rows layoutPromptArea counts, none wider than the terminal (CJK, emoji, tabs, placeholders)', () => {
    let checked = 0;
    for (const t of texts)
      for (const width of [20, 33, 47, 80])
        for (const rows of [12, 24])
          for (const running of [false, true])
            for (const cursor of [0, Math.floor(t.length / 2), t.length]) {
              const at = [...t].slice(0, cursor).join('').length;
              const editor: EditorState = {
                ...emptyEditor(),
                text: t,
                cursor: Math.min(at, t.length),
                pastes: { [PLACEHOLDER]: FILE },
              };
              const queued = running ? ['one', `二 ${FAMILY}`.repeat(20)] : [];
              const layout = layoutPromptArea({ running, editor, queued: queued.length, width, rows, liveMinRows: 7 });
              const frame =
                render(
                  <PromptArea layout={layout} editor={editor} queued={queued} width={width} color={false} />,
                ).lastFrame() ?? '';
              const lines = frame.split('\n');
              expect(lines.length, `${JSON.stringify(t.slice(0, 20))} at ${width}x${rows}`).toBe(layout.rows);
              for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(width);
              expect(layout.rows).toBeLessThan(rows);
              checked++;
            }
    expect(checked).toBe(texts.length * 48);
  });

  it('shows a placeholder for a paste, and the rows around the cursor of a long text with a count of the rest', () => {
    const editor: EditorState = {
      ...emptyEditor(),
      text: `look: ${PLACEHOLDER} thanks`,
      cursor: 6,
      pastes: { [PLACEHOLDER]: FILE },
    };
    const layout = layoutPromptArea({ running: false, editor, queued: 0, width: 80, rows: 24, liveMinRows: 7 });
    const frame = render(
      <PromptArea layout={layout} editor={editor} queued={[]} width={80} color={false} />,
    ).lastFrame();
    expect(frame).toContain('❯ look: [pasted 300 lines, 22 KB] thanks');
    expect(frame).not.toContain('line 001');

    const long = Array.from({ length: 60 }, (_, i) => `typed ${i}`).join('\n');
    const tall = { ...emptyEditor(), text: long, cursor: long.indexOf('typed 30') };
    const at = layoutPromptArea({ running: false, editor: tall, queued: 0, width: 80, rows: 24, liveMinRows: 7 });
    const shown = render(<PromptArea layout={at} editor={tall} queued={[]} width={80} color={false} />).lastFrame();
    expect(at.rows).toBe(23);
    expect(shown).toContain('typed 30');
    expect(shown).toMatch(/41 more lines not shown/);
  });
});

const lastUser = (req: ModelRequest | undefined): unknown =>
  req?.messages.filter((m) => m.role === 'user').at(-1)?.content;

describe('App: keys and pastes as a terminal sends them', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function setup(turns: Turn[]) {
    const dir = mkdtempSync(join(tmpdir(), 'agentor-ui-input-'));
    dirs.push(dir);
    const provider = new ScriptedProvider(turns);
    const agent = new Agent({ name: 'tester', model: 'scripted-1', provider, tools: [] });
    const history = new InputHistory(join(dir, 'history.jsonl'));
    let exitCode: number | undefined;
    const ui = renderInTerminal(
      <App agents={[agent]} history={history} color={false} onExit={(c) => (exitCode = c)} />,
    );
    const frame = (): string => ui.text();
    const type = async (s: string): Promise<void> => {
      ui.stdin.write(s);
      await new Promise((r) => setImmediate(r));
    };
    return { ui, provider, frame, type, history, exitCode: () => exitCode };
  }

  it('x😀 then Backspace sends "x" and keeps "x" in history', async () => {
    const t = setup([text('ok')]);
    await expect.poll(t.frame).toContain('❯ ');
    await t.type('x😀');
    await t.type('\x7f');
    await expect.poll(() => promptText(t.frame())).toBe('x');
    await t.type('\r');
    await expect.poll(t.frame).toContain('ok');
    expect(lastUser(t.provider.requests[0])).toBe('x');
    expect(readFileSync(t.history.path as string, 'utf8')).toBe('"x"\n');
  });

  it('a 300-line bracketed paste over several reads shows as a placeholder, is sent whole, and comes back with ↑', async () => {
    const t = setup([text('got it'), text('again')]);
    await expect.poll(t.frame).toContain('❯ ');
    await t.type('explain: ');
    const raw = `\x1b[200~${FILE.replace(/\n/g, '\r')}\r\x1b[201~`;
    // Split inside the content and inside the end marker, each part a read of its own.
    const cuts = [0, 3, 5000, 12000, raw.length - 4, raw.length];
    for (let i = 1; i < cuts.length; i++) await t.type(raw.slice(cuts[i - 1], cuts[i]));
    await expect.poll(() => promptText(t.frame())).toBe('explain: [pasted 300 lines, 22 KB]');
    expect(t.frame()).not.toContain('line 001');
    await t.type(' please');
    await t.type('\r');
    await expect.poll(t.frame).toContain('got it');
    expect(lastUser(t.provider.requests[0])).toBe(`explain: ${FILE}\n please`);
    // The transcript echoes the message as the prompt showed it: the placeholder, not 300 lines.
    expect(t.frame()).toContain('❯ explain: [pasted 300 lines, 22 KB] please');
    expect(t.frame()).not.toContain('line 001');
    await t.type('\x1b[A');
    await expect.poll(() => promptText(t.frame())).toBe('explain: [pasted 300 lines, 22 KB] please');
    await t.type('\r');
    await expect.poll(t.frame).toContain('again');
    expect(lastUser(t.provider.requests[1])).toBe(`explain: ${FILE}\n please`);
  });

  it('keys read at once stay keys: "hi\\r/exit\\r" sends hi, then exits once the answer is in', async () => {
    const t = setup([text('Hello ', 'there.')]);
    await expect.poll(t.frame).toContain('❯ ');
    await t.type('hi\r/exit\r');
    await expect.poll(t.exitCode).toBe(0);
    expect(lastUser(t.provider.requests[0])).toBe('hi');
    // The headless terminal parses what was written asynchronously: wait for it rather than read it at once.
    await expect.poll(t.frame).toContain('Hello there.');
    expect(t.history.entries).toEqual(['hi', '/exit']);
  });

  it('a short paste goes in as text, with its line break, and Enter after it sends', async () => {
    const t = setup([text('ok')]);
    await expect.poll(t.frame).toContain('❯ ');
    await t.type('\x1b[200~first\rsecond\x1b[201~');
    await expect.poll(() => promptText(t.frame())).toBe('first\nsecond');
    await t.type('\r');
    await expect.poll(t.frame).toContain('ok');
    expect(lastUser(t.provider.requests[0])).toBe('first\nsecond');
  });
});
