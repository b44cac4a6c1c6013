/** A remote A2A agent (the official SDK's server, in process) as the model of an agent run. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, Conversation } from '../../src/core/agent.js';
import type { AgentEvent, RunEndEvent } from '../../src/core/events.js';
import { A2AProvider } from '../../src/core/providers/a2a.js';
import { collect } from '../../src/core/stream.js';
import { startFakeA2AAgent, type FakeA2AAgent } from '../support/a2a-agent.js';

let remote: FakeA2AAgent;
beforeAll(async () => {
  remote = await startFakeA2AAgent();
});
afterAll(async () => {
  await remote.close();
});

const agent = (): Agent => new Agent({ name: 'remote', provider: new A2AProvider({ url: remote.url, env: {} }) });
const endOf = (events: AgentEvent[]): RunEndEvent => events.at(-1) as RunEndEvent;

describe('A2AProvider', () => {
  it('streams artifact chunks as text and working status messages as reasoning', async () => {
    const events = await collect(agent().streamChat('hi there'));
    expect(endOf(events)).toMatchObject({ status: 'completed', text: 'Hello from remote: hi there' });
    expect(events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : []))).toEqual([
      'Hello ',
      'from ',
      'remote: ',
      'hi there',
    ]);
    expect(events.find((e) => e.type === 'reasoning_delta')).toMatchObject({ text: 'thinking\n' });
  });

  it("ends input-required with the agent's question; the follow-up answers inside the same task and context", async () => {
    const a = agent();
    const conversation = new Conversation();
    const first = await a.chat('ask me', { conversation });
    expect(first).toMatchObject({ status: 'completed', text: 'Which city?' });
    const asked = remote.received.at(-1);
    await a.chat('Paris', { conversation });
    expect(remote.received.at(-1)).toMatchObject({ text: 'Paris', taskId: asked?.taskId, contextId: asked?.contextId });
  });

  it('a new conversation starts a new remote context', async () => {
    const a = agent();
    await a.chat('one', { conversation: new Conversation() });
    const first = remote.received.at(-1)?.contextId;
    await a.chat('two', { conversation: new Conversation() });
    expect(remote.received.at(-1)?.contextId).not.toBe(first);
  });

  it("a failed task fails the run with the remote agent's message", async () => {
    const end = endOf(await collect(agent().streamChat('please fail')));
    expect(end).toMatchObject({
      status: 'failed',
      error: { code: 'a2a_failed', message: 'the remote agent failed the task: the remote tool broke' },
    });
  });

  it('cancelling the run cancels the remote task and keeps the partial text', async () => {
    const controller = new AbortController();
    const events: AgentEvent[] = [];
    for await (const e of agent().streamChat('hang on', { signal: controller.signal })) {
      events.push(e);
      if (e.type === 'text_delta') controller.abort();
    }
    expect(endOf(events)).toMatchObject({ status: 'cancelled', text: 'partial ' });
    expect(remote.cancelled).toHaveLength(1);
  });
});
