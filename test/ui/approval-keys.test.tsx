/**
 * The approval panel's keys as a terminal sends them: keys can come faster than the UI renders (a fast typist, a busy
 * UI), and each must act on what the key before it did.
 */
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { ChatMessage } from '../../src/core/providers/types.js';
import type { Tool } from '../../src/core/tools/tool.js';
import { App } from '../../src/ui/App.js';
import { InputHistory } from '../../src/ui/history-store.js';
import { approvalKey } from '../../src/ui/use-approvals.js';
import { tempDir } from '../support/cleanup.js';
import { ScriptedProvider, text, type Turn } from './helpers.js';
import { renderInTerminal } from './terminal-render.js';

const callWriteNote: Turn = async function* () {
  yield { type: 'tool_calls', calls: [{ id: 'call_1', name: 'write_note', arguments: '{"text":"eggs"}' }] };
};

describe('the approval panel, keys faster than renders', () => {
  it('"n", a reason and Enter with no render between them: denied with that reason, which the model reads', async () => {
    const { provider, written, ui } = setup([callWriteNote, text('Understood.')]);
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

  it('"n", a reason and Enter in ONE read: still the choice, the reason and Enter', async () => {
    const { provider, written, ui } = setup([callWriteNote, text('Understood.')]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('note eggs\r');
    await expect.poll(() => ui.text()).toContain('waiting for your approval');
    ui.stdin.write('nno eggs today\r');
    await expect.poll(() => ui.text()).toContain('Understood.');
    const toolMessage = provider.requests[1]?.messages.find((m: ChatMessage) => m.role === 'tool');
    expect(toolMessage?.content).toBe('Error: the user denied this call: no eggs today');
    expect(written).toEqual([]);
    expect(ui.text()).toContain('✗ denied write_note: no eggs today');
  });

  it('"ya" in one read allows the call on screen once; the "a" never answers the next call, which is asked', async () => {
    const twoCalls: Turn = async function* () {
      yield {
        type: 'tool_calls',
        calls: [
          { id: 'call_1', name: 'write_note', arguments: '{"text":"milk"}' },
          { id: 'call_2', name: 'write_note', arguments: '{"text":"eggs"}' },
        ],
      };
    };
    const { written, ui } = setup([twoCalls, text('Both noted.')]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('two notes\r');
    await expect.poll(() => ui.text()).toContain('text: milk');
    ui.stdin.write('ya');
    await expect.poll(() => ui.text()).toContain('✓ allowed write_note once');
    await expect.poll(() => ui.screen()).toContain('text: eggs');
    expect(ui.screen()).toContain('⏸ waiting for your approval');
    expect(ui.text()).not.toContain('for this session');
    ui.stdin.write('a');
    await expect.poll(() => ui.text()).toContain('Both noted.');
    expect(written.sort()).toEqual(['eggs', 'milk']);
    expect(ui.text()).toContain('✓ allowed write_note for this session');
  });
});

function setup(turns: Turn[]) {
  const dir = tempDir('agentor-ui-approval-');
  const written: string[] = [];
  const writeNote: Tool = {
    name: 'write_note',
    description: 'appends a note',
    parameters: { type: 'object', properties: { text: { type: 'string' } } },
    readOnly: false,
    execute: (args) => void written.push(String(args['text'])),
  };
  const provider = new ScriptedProvider(turns);
  const agent = new Agent({ name: 'tester', model: 'scripted-1', provider, tools: [writeNote] });
  const ui = renderInTerminal(
    <App
      agents={[agent]}
      history={new InputHistory(join(dir, 'history.jsonl'))}
      color={false}
      onExit={() => undefined}
    />,
  );
  onTestFinished(() => ui.unmount());
  return { provider, written, ui };
}

describe('approvalKey', () => {
  const choose = { kind: 'choose' } as const;
  const typed = (text: string) => ({ kind: 'text', text }) as const;
  const key = (name: string, ctrl = false) => ({ kind: 'key', name, ctrl, meta: false, shift: false }) as const;

  it('y, a and n; anything else is no choice', () => {
    expect(approvalKey(choose, typed('y'))).toEqual({ step: choose, answer: { decision: 'allowed', scope: 'once' } });
    expect(approvalKey(choose, typed('A'))).toEqual({
      step: choose,
      answer: { decision: 'allowed', scope: 'session' },
    });
    expect(approvalKey(choose, typed('n'))).toEqual({ step: { kind: 'reason', text: '' } });
    expect(approvalKey(choose, typed('q'))).toEqual({ step: choose });
    expect(approvalKey(choose, key('return'))).toEqual({ step: choose });
  });

  it('"nno eggs" read at once is n, then the reason; Enter denies with it, Esc goes back to the choice', () => {
    const reason = approvalKey(choose, typed('nno eggs')).step;
    expect(reason).toEqual({ kind: 'reason', text: 'no eggs' });
    expect(approvalKey(reason, key('return'))).toEqual({
      step: choose,
      answer: { decision: 'denied', reason: 'no eggs' },
    });
    expect(approvalKey(reason, key('backspace')).step).toEqual({ kind: 'reason', text: 'no egg' });
    expect(approvalKey(reason, key('escape'))).toEqual({ step: choose });
  });

  it('a paste is never a choice; Esc and Ctrl+C cancel the run', () => {
    expect(approvalKey(choose, { kind: 'paste', text: 'yes please' })).toEqual({ step: choose });
    expect(approvalKey(choose, key('escape'))).toEqual({ step: choose, cancel: true });
    expect(approvalKey({ kind: 'reason', text: 'x' }, key('c', true))).toEqual({ step: choose, cancel: true });
  });
});
