/**
 * The chat's own session commands, with the switcher the CLI gives it (commands/chat-session.ts) over a memory store:
 * /new, /resume (by prefix, and with the picker), /sessions, the session id in the header; and /compact with several
 * agents, recorded so that resuming reproduces every agent's compacted history.
 */
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { MemorySessionStore } from '../../src/core/sessions/memory-store.js';
import { Session } from '../../src/core/sessions/session.js';
import { openChatSession, type ChatSession } from '../../src/commands/chat-session.js';
import { App } from '../../src/ui/App.js';
import { ScriptedProvider, text, type Turn } from './helpers.js';
import { renderInTerminal } from './terminal-render.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A chat of the given agents in a new session of `store`, with the switcher `agentor chat` gives the UI. */
async function chat(store: MemorySessionStore, turns: Record<string, Turn[]>, plan: 'new' | 'off' = 'new') {
  const providers = Object.fromEntries(Object.entries(turns).map(([name, t]) => [name, new ScriptedProvider(t)]));
  const agents = Object.entries(providers).map(
    ([name, provider]) => new Agent({ name, model: `${name}-model`, provider }),
  );
  const warnings: string[] = [];
  const opened: ChatSession = await openChatSession(
    { kind: plan },
    store,
    agents.map((a) => ({ name: a.name, model: a.model })),
    (w) => void warnings.push(w),
  );
  const ui = renderInTerminal(
    <App
      agents={agents}
      color={false}
      onExit={() => undefined}
      {...(opened.session ? { session: opened.session } : {})}
      {...(opened.switcher ? { sessions: opened.switcher } : {})}
    />,
  );
  const type = async (s: string): Promise<void> => {
    ui.stdin.write(s);
    await tick();
  };
  const send = async (s: string): Promise<void> => {
    await type(s);
    await type('\r');
  };
  return { ui, providers, opened, warnings, frame: (): string => ui.text(), type, send };
}

const short = (id: string | undefined): string => (id ?? '').slice(0, 8);

describe('session commands in the chat', () => {
  it('/new starts a fresh session and names the one kept; /sessions lists both; /resume <prefix> continues it', async () => {
    const store = new MemorySessionStore();
    const t = await chat(store, {
      tester: [text('Paris.'), text('Hi!'), text('About 2.1 million.')],
    });
    const first = t.opened.session as Session;
    await expect.poll(t.frame).toContain(`tester · model tester-model · session ${short(first.id)}`);
    await t.send('capital of France?');
    await expect.poll(t.frame).toContain('Paris.');

    await t.send('/new');
    await expect.poll(() => t.opened.session?.id).not.toBe(first.id);
    const second = t.opened.session as Session;
    await expect
      .poll(t.frame)
      .toContain(`new session ${short(second.id)} · the previous one is kept: /resume ${short(first.id)}`);
    // The header is printed again with the new id (the first one scrolled away with the old id).
    expect(t.frame()).toContain(`tester · model tester-model · session ${short(second.id)}`);
    await t.send('hello');
    await expect.poll(t.frame).toContain('Hi!');
    // A fresh conversation: nothing of the first session went upstream.
    expect(t.providers['tester']?.requests[1]?.messages.map((m) => m.content)).toEqual(['hello']);

    await t.send('/sessions');
    await expect.poll(t.frame).toContain('Sessions of this directory (2; * is this one):');
    expect(t.frame()).toMatch(new RegExp(`\\* ${short(second.id)}  just now\\s+1 msg  hello`));
    expect(t.frame()).toMatch(new RegExp(`  ${short(first.id)}  just now\\s+1 msg  capital of France\\?`));

    await t.send(`/resume ${first.id.slice(0, 6)}`);
    await expect.poll(t.frame).toContain(`resumed session ${short(first.id)} · 1 message`);
    await expect.poll(t.frame).toContain('── resumed ──');
    expect(t.opened.session?.id).toBe(first.id);
    const header = `tester · model tester-model · session ${short(first.id)}`;
    expect(t.frame().split(header).length - 1).toBe(2);
    expect(t.frame().lastIndexOf(header)).toBeGreaterThan(t.frame().indexOf(`/resume ${first.id.slice(0, 6)}`));
    await t.send('and its population?');
    await expect.poll(t.frame).toContain('About 2.1 million.');
    expect(t.providers['tester']?.requests[2]?.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'capital of France?'],
      ['assistant', 'Paris.'],
      ['user', 'and its population?'],
    ]);
    t.ui.unmount();
    await t.opened.close();
    // Both were recorded in full, each in its own session.
    const turns = (await store.list()).map((s) => [s.id, s.turns]);
    expect(turns).toEqual(
      expect.arrayContaining([
        [first.id, 2],
        [second.id, 1],
      ]),
    );
  });

  it('/resume without an id opens a picker of the other sessions (Esc keeps this one, Enter resumes)', async () => {
    const store = new MemorySessionStore();
    const old = await Session.create({ agents: [{ name: 'tester', model: 'tester-model' }] }, { store });
    old.recordRound('fix the build', ['tester']);
    await old.close();
    const t = await chat(store, { tester: [text('Done.')] });
    await t.send('/resume');
    await expect.poll(t.frame).toContain('Resume a session');
    expect(t.frame()).toContain('❯ fix the build');
    expect(t.frame()).toMatch(/1 msg · tester-model · here/);
    await t.type('\x1b');
    await expect.poll(t.frame).toContain('no session resumed: this one goes on');
    expect(t.opened.session?.id).not.toBe(old.id);

    await t.send('/resume');
    await expect.poll(t.frame).toContain('Resume a session');
    await t.type('build');
    await t.type('\r');
    await expect.poll(t.frame).toContain(`resumed session ${short(old.id)} · 1 message`);
    expect(t.opened.session?.id).toBe(old.id);
    // The prompt is back and typing goes to it.
    await t.send('again');
    await expect.poll(t.frame).toContain('Done.');
    t.ui.unmount();
    await t.opened.close();
    // The session left without a word said in it is not kept.
    expect((await store.list()).map((s) => s.id)).toEqual([old.id]);
  });

  it('says what went wrong: an unknown id names the closest, the current one, and a chat that is not saved', async () => {
    const store = new MemorySessionStore();
    const t = await chat(store, { tester: [text('ok')] });
    await t.send('hi');
    await expect.poll(t.frame).toContain('ok');
    await t.send('/resume zzzz');
    await expect.poll(t.frame).toContain('no session "zzzz". The closest ones:');
    await t.send(`/resume ${short(t.opened.session?.id)}`);
    await expect.poll(t.frame).toContain(`this chat is session ${short(t.opened.session?.id)} already`);
    t.ui.unmount();
    await t.opened.close();

    const off = await chat(new MemorySessionStore(), { tester: [] }, 'off');
    await off.send('/new');
    await expect.poll(off.frame).toContain('/new needs saved sessions (this chat runs with --no-session');
    await off.send('/sessions');
    await expect.poll(off.frame).toContain('/sessions needs saved sessions');
    off.ui.unmount();
    await off.opened.close();
  });
});

describe('/compact with several agents', () => {
  it("compacts each agent's own conversation, records it, and a resumed session reproduces every one", async () => {
    const store = new MemorySessionStore();
    const t = await chat(store, {
      alpha: [text('A1.'), text('A2.'), text('ALPHA SUMMARY.'), text('A3.')],
      beta: [text('B1.'), text('B2.'), text('BETA SUMMARY.'), text('B3.')],
    });
    const session = t.opened.session as Session;
    await t.send('one');
    await expect.poll(() => t.frame().includes('A1.') && t.frame().includes('B1.')).toBe(true);
    await expect.poll(t.frame).toContain('2 agents: 2 completed');
    await t.send('two');
    await expect.poll(() => t.providers['beta']?.requests.length).toBe(2);
    await expect.poll(() => t.frame().includes('A2.') && t.frame().includes('B2.')).toBe(true);
    await expect.poll(() => t.frame().split('2 agents: 2 completed').length).toBe(3);

    await t.send('/compact');
    await expect.poll(t.frame).toContain('@alpha: compacted 2 messages into a summary; the last exchange is kept');
    await expect.poll(t.frame).toContain('@beta: compacted 2 messages into a summary; the last exchange is kept');
    // Each summary was written by that agent's own model, from its own conversation only.
    expect(t.providers['alpha']?.requests[2]?.messages.map((m) => m.content).join('\n')).toContain('A1.');
    expect(t.providers['alpha']?.requests[2]?.messages.map((m) => m.content).join('\n')).not.toContain('B1.');
    const alphaNow = session.conversation('alpha').messages.map((m) => m.content);
    const betaNow = session.conversation('beta').messages.map((m) => m.content);
    expect(alphaNow[0]).toContain('ALPHA SUMMARY.');
    expect(alphaNow.slice(-2)).toEqual(['two', 'A2.']);
    expect(betaNow[0]).toContain('BETA SUMMARY.');
    expect(betaNow.slice(-2)).toEqual(['two', 'B2.']);

    await t.send('three');
    await expect.poll(() => t.frame().includes('A3.') && t.frame().includes('B3.')).toBe(true);
    const sent = (name: string): unknown[] =>
      (t.providers[name]?.requests[3]?.messages ?? []).filter((m) => m.role !== 'system').map((m) => m.content);
    expect(sent('alpha').slice(-3)).toEqual(['two', 'A2.', 'three']);
    expect(sent('beta').slice(-3)).toEqual(['two', 'B2.', 'three']);
    t.ui.unmount();
    await t.opened.close();

    const records = (await store.load(session.id))?.records ?? [];
    expect(records.filter((r) => r.type === 'compact').map((r) => (r as { agent: string }).agent)).toEqual([
      'alpha',
      'beta',
    ]);
    const resumed = await Session.resume(session.id, { store, agents: ['alpha', 'beta'] });
    for (const [name, summary, last] of [
      ['alpha', 'ALPHA SUMMARY.', 'A3.'],
      ['beta', 'BETA SUMMARY.', 'B3.'],
    ] as const) {
      const messages = resumed.conversation(name).messages.map((m) => m.content);
      expect(messages[0]).toContain(summary);
      expect(messages.slice(-4)).toEqual(['two', name === 'alpha' ? 'A2.' : 'B2.', 'three', last]);
    }
    await resumed.close();
  });
});
