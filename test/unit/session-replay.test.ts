/** What a resumed chat prints of its session: the last exchanges only, the earlier ones counted. */
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { MemorySessionStore } from '../../src/core/sessions/memory-store.js';
import { Session } from '../../src/core/sessions/session.js';
import { collect } from '../../src/core/stream.js';
import { REPLAY_MESSAGES } from '../../src/ui/layout/replay.js';
import { resumedLines } from '../../src/ui/session-view.js';
import { FakeProvider } from '../support/fake-provider.js';

/** The lines as text, attributes (kept without colour) left out. */
const plain = (lines: readonly string[]): string => lines.join('\n').replace(/\x1b\[[0-9;]*m/g, '');

async function sessionOf(turns: number): Promise<{ store: MemorySessionStore; id: string }> {
  const store = new MemorySessionStore();
  const session = await Session.create({ agents: [{ name: 'assistant', model: 'm' }], cwd: '/p' }, { store });
  for (let i = 1; i <= turns; i++) {
    const agent = new Agent({ name: 'assistant', model: 'm', provider: new FakeProvider({ text: `answer ${i}` }) });
    await collect(agent.streamChat(`question ${i}`, { session }));
  }
  await session.close();
  return { store, id: session.id };
}

describe('a resumed session on the screen', () => {
  it(`shows the last ${REPLAY_MESSAGES} exchanges and counts the earlier ones`, async () => {
    const { store, id } = await sessionOf(REPLAY_MESSAGES + 3);
    const resumed = await Session.resume(id, { store });
    const text = plain(resumedLines(resumed, 80, false));
    expect(text).toContain(`… 3 earlier messages (agentor sessions show ${id.slice(0, 8)})`);
    expect(text).not.toMatch(/question 3$/m);
    expect(text).toMatch(/question 4$/m);
    expect(text).toContain(`answer ${REPLAY_MESSAGES + 3}`);
    expect(text).toContain('── resumed ──');
    // the whole conversation is still the model's
    expect(resumed.conversation('assistant').messages).toHaveLength(2 * (REPLAY_MESSAGES + 3));
    await resumed.close();
  });

  it('a short session is shown whole, without an "earlier" line', async () => {
    const { store, id } = await sessionOf(2);
    const resumed = await Session.resume(id, { store });
    const text = plain(resumedLines(resumed, 80, false));
    expect(text).not.toContain('earlier');
    expect(text).toMatch(/question 1$/m);
    expect(text).toContain('answer 2');
    await resumed.close();
  });
});
