/** The chat in a session: recorded, resumed with its last exchanges shown, /status, /compact; the list picker. */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { MemorySessionStore } from '../../src/core/sessions/memory-store.js';
import { Session } from '../../src/core/sessions/session.js';
import { App } from '../../src/ui/App.js';
import { filterItems, ListPicker, type PickerItem } from '../../src/ui/components/ListPicker.js';
import { ScriptedProvider, text, type Turn } from './helpers.js';
import { renderInTerminal } from './terminal-render.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function chat(turns: Turn[], session: Session) {
  const provider = new ScriptedProvider(turns);
  const agent = new Agent({ name: 'tester', model: 'gpt-4o', provider });
  const ui = renderInTerminal(<App agents={[agent]} color={false} onExit={() => undefined} session={session} />);
  const type = async (s: string): Promise<void> => {
    ui.stdin.write(s);
    await tick();
  };
  return { ui, provider, agent, frame: (): string => ui.text(), type };
}

describe('the chat in a session', () => {
  it('records every exchange; resumed, it shows the last ones and continues the conversation', async () => {
    const store = new MemorySessionStore();
    const session = await Session.create({ agents: [{ name: 'tester', model: 'gpt-4o' }] }, { store });
    const first = chat([text('Paris is the capital.')], session);
    await first.type('capital of France?');
    await first.type('\r');
    await expect.poll(first.frame).toContain('Paris is the capital.');
    await first.type('/status');
    await first.type('\r');
    await expect.poll(first.frame).toContain(`session ${session.id}`);
    // usage 5 input tokens of gpt-4o's 128k window
    expect(first.frame()).toContain('tester · gpt-4o · context 5 / 128k tokens (0%)');
    expect(first.frame()).toContain('1 message · 5 in / 1 out tokens so far');
    first.ui.unmount();
    await session.close();

    const resumed = await Session.resume(session.id, { store });
    const again = chat([text('About 2.1 million people.')], resumed);
    await expect.poll(again.frame).toContain('── resumed ──');
    expect(again.frame()).toContain('❯ capital of France?');
    expect(again.frame()).toContain('Paris is the capital.');
    await again.type('and its population?');
    await again.type('\r');
    await expect.poll(again.frame).toContain('About 2.1 million people.');
    expect(again.provider.requests[0]?.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'capital of France?'],
      ['assistant', 'Paris is the capital.'],
      ['user', 'and its population?'],
    ]);
    again.ui.unmount();
    await resumed.close();
  });

  it('/compact replaces the conversation by a summary, recorded; /clear is recorded too', async () => {
    const store = new MemorySessionStore();
    const session = await Session.create({ agents: [{ name: 'tester', model: 'm' }] }, { store });
    const t = chat([text('One.'), text('Two.'), text('SUMMARY: counted to two.'), text('Three.')], session);
    for (const m of ['count', 'more']) {
      await t.type(m);
      await t.type('\r');
      await expect.poll(() => t.provider.requests.length).toBe(m === 'count' ? 1 : 2);
      await expect.poll(t.frame).toContain(m === 'count' ? 'One.' : 'Two.');
    }
    await t.type('/compact');
    await t.type('\r');
    await expect.poll(t.frame).toContain('compacted 2 messages into a summary; the last exchange is kept');
    await t.type('go on');
    await t.type('\r');
    await expect.poll(t.frame).toContain('Three.');
    const sent = t.provider.requests[3]?.messages.map((m) => m.content);
    expect(sent?.[0]).toContain('SUMMARY: counted to two.');
    expect(sent?.slice(2)).toEqual(['more', 'Two.', 'go on']);
    await t.type('/clear');
    await t.type('\r');
    await session.flush();
    const types = (await store.load(session.id))?.records.map((r) => r.type);
    expect(types).toContain('compact');
    expect(types?.at(-1)).toBe('clear');
    t.ui.unmount();
    const resumed = await Session.resume(session.id, { store });
    expect(resumed.conversation('tester').messages).toEqual([]);
    await resumed.close();
  });
});

describe('ListPicker', () => {
  const items: PickerItem[] = [
    { id: 'a1', label: 'capital of France', detail: '2 min ago' },
    { id: 'b2', label: 'fix the build', detail: 'yesterday', keywords: '/home/me/project' },
    { id: 'c3', label: 'write a poem', detail: 'last week' },
  ];

  it('filters on every word typed, in label, detail, keywords and id', () => {
    expect(filterItems(items, '').map((i) => i.id)).toEqual(['a1', 'b2', 'c3']);
    expect(filterItems(items, 'FIX project').map((i) => i.id)).toEqual(['b2']);
    expect(filterItems(items, 'c3').map((i) => i.id)).toEqual(['c3']);
    expect(filterItems(items, 'nothing')).toEqual([]);
  });

  it('type to filter, ↑/↓ to move, Enter chooses, Esc leaves', async () => {
    let chosen: string | undefined;
    let cancelled = false;
    const ui = render(
      <ListPicker
        items={items}
        title="Pick one"
        width={80}
        onSelect={(id) => (chosen = id)}
        onCancel={() => (cancelled = true)}
      />,
    );
    const press = async (s: string): Promise<void> => {
      ui.stdin.write(s);
      await tick();
    };
    await expect.poll(() => ui.lastFrame()).toContain('❯ capital of France');
    await press('\x1b[B');
    await expect.poll(() => ui.lastFrame()).toContain('❯ fix the build');
    await press('\x1b[B');
    await press('\x1b[B'); // stays on the last one
    await expect.poll(() => ui.lastFrame()).toContain('❯ write a poem');
    await press('\x1b[A');
    await expect.poll(() => ui.lastFrame()).toContain('❯ fix the build');
    await press('poe');
    await expect.poll(() => ui.lastFrame()).toContain('filter ❯ poe');
    expect(ui.lastFrame()).not.toContain('fix the build');
    await press('\r');
    expect(chosen).toBe('c3');
    await press('zzz');
    await expect.poll(() => ui.lastFrame()).toContain('nothing matches');
    await press('\x1b');
    await expect.poll(() => cancelled).toBe(true);
    ui.unmount();
  });
});
