/**
 * Two agents streaming rich markdown (a table, a list, a quote, a code block) at a model's pace, in a terminal of
 * 80x24: what ends in the scrollback is the transcript only — each answer once, no frame of the live region left
 * behind (no "printed after" title, one prompt box).
 */
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { App } from '../../src/ui/App.js';
import { InputHistory } from '../../src/ui/history-store.js';
import { chunks, richMarkdown } from '../pty/content.js';
import { ScriptedProvider, type Turn } from './helpers.js';
import { renderInTerminal } from './terminal-render.js';

/** Streams `text` in model-sized chunks, a few milliseconds apart (the pace of a model, so frames fall in between). */
const paced = (text: string): Turn =>
  async function* () {
    for (const c of chunks(text)) {
      yield { type: 'text', text: c };
      await new Promise((r) => setTimeout(r, 3));
    }
    yield { type: 'usage', usage: { input_tokens: 1, output_tokens: 80, total_tokens: 81 } };
  };

describe('two agents streaming rich markdown', () => {
  it.each([
    [80, 24],
    [50, 20],
  ])(
    'at %ix%i leave the transcript only in the scrollback',
    async (columns, rows) => {
      const agents = ['alpha', 'beta'].map(
        (name) =>
          new Agent({
            name,
            model: 'gpt-4.1-mini',
            provider: new ScriptedProvider([paced(richMarkdown())]),
            tools: [],
          }),
      );
      let code: number | undefined;
      const ui = renderInTerminal(
        <App agents={agents} history={new InputHistory(null)} color={false} onExit={(c) => (code = c)} />,
        { columns, rows },
      );
      ui.stdin.write('md');
      await new Promise((r) => setImmediate(r));
      ui.stdin.write('\r');
      await expect.poll(ui.text, { timeout: 30_000 }).toMatch(/2 agents: 2 completed/);
      const text = ui.text();
      expect(ui.raw()).not.toContain('\x1b[2J');
      expect(text).not.toContain('printed after');
      expect(text.match(/╭/g)?.length).toBe(1);
      expect(text.match(/^Done\.$/gm)?.length).toBe(2);
      expect(text.match(/^def f\(x\):$/gm)?.length).toBe(2);
      expect(text.match(/^── alpha/gm)?.length).toBe(1);
      expect(text.match(/^── beta/gm)?.length).toBe(1);
      ui.unmount();
      expect(code).toBeUndefined();
    },
    60_000,
  );
});
