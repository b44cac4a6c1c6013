/**
 * The approval panel's keys as a terminal sends them: keys can come faster than the UI renders (a fast typist, a busy
 * UI), and each must act on what the key before it did.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { ChatMessage } from '../../src/core/providers/types.js';
import type { Tool } from '../../src/core/tools/tool.js';
import { App } from '../../src/ui/App.js';
import { InputHistory } from '../../src/ui/history-store.js';
import { ScriptedProvider, text, type Turn } from './helpers.js';
import { renderInTerminal } from './terminal-render.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const callWriteNote: Turn = async function* () {
  yield { type: 'tool_calls', calls: [{ id: 'call_1', name: 'write_note', arguments: '{"text":"eggs"}' }] };
};

describe('the approval panel, keys faster than renders', () => {
  it('"n", a reason and Enter with no render between them: denied with that reason, which the model reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentor-ui-approval-'));
    dirs.push(dir);
    const written: string[] = [];
    const writeNote: Tool = {
      name: 'write_note',
      description: 'appends a note',
      parameters: { type: 'object', properties: { text: { type: 'string' } } },
      readOnly: false,
      execute: (args) => void written.push(String(args['text'])),
    };
    const provider = new ScriptedProvider([callWriteNote, text('Understood.')]);
    const agent = new Agent({ name: 'tester', model: 'scripted-1', provider, tools: [writeNote] });
    const ui = renderInTerminal(
      <App
        agents={[agent]}
        history={new InputHistory(join(dir, 'history.jsonl'))}
        color={false}
        onExit={() => undefined}
      />,
    );
    const type = async (s: string): Promise<void> => {
      ui.stdin.write(s);
      await new Promise((r) => setImmediate(r));
    };
    await expect.poll(() => ui.text()).toContain('❯ ');
    await type('note eggs\r');
    await expect.poll(() => ui.text()).toContain('waiting for your approval');
    // The key hints appear once the panel listens: keys typed from then on are answers.
    await expect.poll(() => ui.text()).toContain('y allow once');
    // Three input events handled one after the other, before React renders again.
    ui.stdin.write('n');
    ui.stdin.write('no eggs today');
    ui.stdin.write('\r');
    await expect.poll(() => ui.text()).toContain('Understood.');
    const toolMessage = provider.requests[1]?.messages.find((m: ChatMessage) => m.role === 'tool');
    expect(toolMessage?.content).toBe('Error: the user denied this call: no eggs today');
    expect(written).toEqual([]);
  });
});
