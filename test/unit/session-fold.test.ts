/**
 * The fold "session records → model messages" against the real turn loop: every scenario runs a real Agent (in-memory
 * model) in a session, and the conversation rebuilt from the recorded log must equal the one the loop built.
 */
import { describe, expect, it } from 'vitest';
import { Agent, Conversation } from '../../src/core/agent.js';
import type { AgentEvent } from '../../src/core/events.js';
import { streamAgents } from '../../src/core/multi-agent.js';
import { ProviderError, type ChatMessage, type ModelProvider } from '../../src/core/providers/types.js';
import { compactedHistory, foldSession, SUMMARY_PREFIX } from '../../src/core/sessions/fold.js';
import { isContextLengthError, keptMessages, transcriptText } from '../../src/core/sessions/compact.js';
import { MemorySessionStore } from '../../src/core/sessions/memory-store.js';
import { Session } from '../../src/core/sessions/session.js';
import type { SessionRecord } from '../../src/core/sessions/types.js';
import { collect } from '../../src/core/stream.js';
import { agentOn as agent, FakeProvider, type FakeTurn } from '../support/fake-provider.js';

async function newSession(store = new MemorySessionStore(), names = ['tester']): Promise<Session> {
  return Session.create({ agents: names.map((name) => ({ name, model: 'fake-model' })), cwd: '/work' }, { store });
}

/** The session's log as a store keeps it (the header left out). */
async function records(store: MemorySessionStore, session: Session): Promise<SessionRecord[]> {
  await session.flush();
  return (await store.load(session.id))?.records ?? [];
}

/**
 * Runs `prompts` in a session and, alongside, in a plain Conversation with the same script; returns the three
 * histories: the session's live one, the plain loop's, and the one folded from the log.
 */
async function threeWays(prompts: string[], turns: FakeTurn[]) {
  const store = new MemorySessionStore();
  const session = await newSession(store);
  const inSession = agent(new FakeProvider(...structuredClone(turns)));
  const plain = agent(new FakeProvider(...structuredClone(turns)));
  const conversation = new Conversation();
  for (const p of prompts) {
    await collect(inSession.streamChat(p, { session }));
    await collect(plain.streamChat(p, { conversation }));
  }
  const folded = foldSession(await records(store, session));
  return { live: session.conversation('tester').messages, plain: conversation.messages, folded, store, session };
}

describe('the fold rebuilds what the loop built', () => {
  const call = (id: string, expression: string) => ({ id, name: 'calculator', arguments: { expression } });
  const cases: Array<[string, string[], FakeTurn[]]> = [
    ['plain answers over several messages', ['hi', 'and then?'], [{ text: ['Hel', 'lo'] }, { text: 'More.' }]],
    [
      'a tool turn with text, then the answer',
      ['compute'],
      [{ text: 'Let me check.', toolCalls: [call('c1', '6*7')] }, { text: 'It is 42.' }],
    ],
    [
      'parallel tool calls without text, results in call order',
      ['two things'],
      [{ toolCalls: [call('a', '1+1'), call('b', '2+2')] }, { text: '2 and 4' }],
    ],
    [
      'an unparsable tool argument and an unknown tool',
      ['broken'],
      [{ toolCalls: [{ id: 'x', name: 'nope', arguments: {} }] }, { text: 'sorry' }],
    ],
    [
      'a stream that drops mid-answer keeps the partial text',
      ['q', 'again'],
      [{ fault: 'drop', text: ['half an'] }, { text: 'ok' }],
    ],
    [
      'a failure before any text keeps only the question',
      ['q', 'again'],
      [{ fault: 'error', error: new ProviderError('upstream answered 500', { code: '500' }) }, { text: 'ok' }],
    ],
    ['an empty answer', ['q'], [{ text: [] }]],
  ];
  for (const [name, prompts, turns] of cases) {
    it(name, async () => {
      const { live, plain, folded } = await threeWays(prompts, turns);
      expect(live).toEqual(plain);
      expect(folded.histories.get('tester')).toEqual(live);
      expect(folded.turns).toBe(prompts.length);
    });
  }

  it('max_turns: the turn that still wanted tools is kept as text only', async () => {
    const store = new MemorySessionStore();
    const session = await newSession(store);
    const a = agent(
      new FakeProvider({ text: 'step', toolCalls: [call('1', '1+1')] }, { toolCalls: [call('2', '2+2')] }),
      {
        maxTurns: 2,
      },
    );
    const events = await collect(a.streamChat('loop', { session }));
    expect(events.at(-1)).toMatchObject({ status: 'max_turns' });
    const live = session.conversation('tester').messages;
    expect(live.at(-1)).toEqual({ role: 'assistant', content: null });
    expect(foldSession(await records(store, session)).histories.get('tester')).toEqual(live);
  });

  it('a cancelled run keeps what streamed before the cancel', async () => {
    const store = new MemorySessionStore();
    const session = await newSession(store);
    const model = new FakeProvider({ fault: 'hang', text: ['partial ', 'answer'] });
    const controller = new AbortController();
    const run = collect(agent(model).streamChat('q', { session, signal: controller.signal }));
    await model.waitForHang();
    controller.abort(new Error('cancelled by the user'));
    expect((await run).at(-1)).toMatchObject({ status: 'cancelled' });
    const live = session.conversation('tester').messages;
    expect(live).toEqual([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'partial answer' },
    ]);
    expect(foldSession(await records(store, session)).histories.get('tester')).toEqual(live);
  });

  it('a conversation given as a list of messages is recorded whole', async () => {
    const store = new MemorySessionStore();
    const session = await newSession(store);
    const input = [
      { role: 'user' as const, content: 'my name is Ada' },
      { role: 'assistant' as const, content: 'Hello Ada' },
      { role: 'user' as const, content: 'what is my name?' },
    ];
    await collect(agent(new FakeProvider({ text: 'Ada' })).streamChat(input, { session }));
    const log = await records(store, session);
    expect(log[0]).toMatchObject({ type: 'user', text: 'what is my name?', messages: input });
    expect(foldSession(log).histories.get('tester')).toEqual(session.conversation('tester').messages);
    expect(session.conversation('tester').messages).toHaveLength(4);
  });
});

describe('the fold reads a log the way it was left', () => {
  async function recorded(turns: FakeTurn[], prompt = 'q'): Promise<SessionRecord[]> {
    const store = new MemorySessionStore();
    const session = await newSession(store);
    await collect(agent(new FakeProvider(...turns)).streamChat(prompt, { session }));
    return records(store, session);
  }

  it('a run killed mid-answer (no message, no run_end) keeps its question and the text streamed so far', async () => {
    const log = await recorded([{ text: ['The answer ', 'is ', 'long'] }]);
    const cut = log.filter((r) => r.type !== 'message' && r.type !== 'run_end').slice(0, -1); // the last delta lost too
    const folded = foldSession(cut);
    expect(folded.histories.get('tester')).toEqual([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'The answer is ' },
    ]);
    expect(folded.interrupted).toHaveLength(1);
  });

  it('a run killed mid-tools drops the unanswered calls and keeps the turn text', async () => {
    const log = await recorded([
      { text: 'checking', toolCalls: [{ id: 'c', name: 'calculator', arguments: { expression: '1+1' } }] },
      { text: 'done' },
    ]);
    const cut = log.slice(
      0,
      log.findIndex((r) => r.type === 'tool_result'),
    );
    expect(foldSession(cut).histories.get('tester')).toEqual([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'checking' },
    ]);
  });

  it("a remote agent's own tool activity (chat --a2a) is shown, recorded, and never folded into the conversation", async () => {
    const store = new MemorySessionStore();
    const session = await newSession(store);
    const remote: ModelProvider = {
      id: 'remote',
      async *stream() {
        yield { type: 'text', text: 'Noting it. ' };
        yield {
          type: 'remote_tool',
          activity: { kind: 'call', call_id: 'r1', name: 'write_note', args: { text: 'x' } },
        };
        yield {
          type: 'remote_tool',
          activity: { kind: 'result', call_id: 'r1', name: 'write_note', is_error: false, duration_ms: 3 },
        };
        yield { type: 'text', text: 'Done.' };
      },
    };
    const tester = new Agent({ name: 'tester', model: 'fake-model', provider: remote });
    const events = await collect(tester.streamChat('note x', { session }));
    expect(events.filter((e) => e.type === 'tool_call' || e.type === 'tool_result')).toEqual([
      expect.objectContaining({
        type: 'tool_call',
        call_id: 'r1',
        name: 'write_note',
        args: { text: 'x' },
        remote: true,
      }),
      expect.objectContaining({ type: 'tool_result', call_id: 'r1', is_error: false, duration_ms: 3, remote: true }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'Noting it. Done.' });
    const log = await records(store, session);
    expect(log.filter((r) => r.type === 'tool_call')).toHaveLength(1);
    const live = session.conversation('tester').messages;
    expect(live).toEqual([
      { role: 'user', content: 'note x' },
      { role: 'assistant', content: 'Noting it. Done.' },
    ]);
    expect(foldSession(log).histories.get('tester')).toEqual(live);
  });

  it('skips record types it does not know (newer events are recorded as they are)', async () => {
    const log = await recorded([{ text: 'fine' }]);
    const base = { run_id: (log[1] as AgentEvent).run_id, ts: 1, agent: 'tester' };
    const withNew = [
      ...log.slice(0, 2),
      { ...base, type: 'tool_approval_request', seq: 99, call_id: 'z' } as unknown as SessionRecord,
      ...log.slice(2),
      { type: 'future_record', ts: 2 } as unknown as SessionRecord,
    ];
    expect(foldSession(withNew).histories.get('tester')).toEqual(foldSession(log).histories.get('tester'));
  });

  it('sums usage and keeps each agent’s last context size', async () => {
    const log = await recorded([{ text: 'x', usage: { input_tokens: 1200, output_tokens: 30, total_tokens: 1230 } }]);
    const folded = foldSession(log);
    expect(folded.usage).toEqual({ input_tokens: 1200, output_tokens: 30, total_tokens: 1230 });
    expect(folded.contextTokens.get('tester')).toBe(1200);
    expect(log.find((r) => r.type === 'run_start')).toMatchObject({ session_id: expect.any(String) });
    expect(log.find((r) => r.type === 'run_end')).toMatchObject({ context_tokens: 1200 });
  });
});

describe('several agents in one session', () => {
  it('one user record per round; each agent keeps its own history; @-addressed rounds only reach theirs', async () => {
    const store = new MemorySessionStore();
    const session = await newSession(store, ['a', 'b']);
    const a = agent(new FakeProvider({ text: 'A1' }, { text: 'A2' }), { name: 'a' });
    const b = agent(new FakeProvider({ text: 'B1' }), { name: 'b' });
    await collect(streamAgents([a, b], 'both of you', { session }));
    await collect(streamAgents([a], 'only a', { session }));
    const log = await records(store, session);
    expect(log.filter((r) => r.type === 'user')).toMatchObject([
      { text: 'both of you', to: ['a', 'b'] },
      { text: 'only a', to: ['a'] },
    ]);
    const folded = foldSession(log);
    expect(folded.histories.get('a')).toEqual(session.conversation('a').messages);
    expect(folded.histories.get('b')).toEqual([
      { role: 'user', content: 'both of you' },
      { role: 'assistant', content: 'B1' },
    ]);
    expect(folded.histories.get('a')?.map((m) => m.content)).toEqual(['both of you', 'A1', 'only a', 'A2']);
  });
});

describe('compaction', () => {
  const contextError = () =>
    new ProviderError(
      "the upstream answered 400: This model's maximum context length is 8192 tokens. Please reduce the length of the messages.",
      { code: '400' },
    );

  it('recognises context-length rejections, and only those', () => {
    expect(isContextLengthError(contextError())).toBe(true);
    expect(isContextLengthError({ code: 'context_length_exceeded', message: 'x' })).toBe(true);
    expect(isContextLengthError({ message: 'prompt is too long: 210000 tokens > 200000 maximum' })).toBe(true);
    expect(isContextLengthError(new ProviderError('upstream answered 500: boom'))).toBe(false);
    expect(isContextLengthError(undefined)).toBe(false);
  });

  it('keeps whole exchanges (a tool call never without its result), and leaves something to summarise', () => {
    const h: ChatMessage[] = [
      { role: 'user', content: 'u1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'u2' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 't', type: 'function', function: { name: 'x', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 't', content: 'r' },
      { role: 'assistant', content: 'a2' },
    ];
    expect(keptMessages(h, 2)).toBe(4);
    expect(keptMessages(h, 1)).toBe(4);
    expect(keptMessages(h.slice(0, 2), 2)).toBe(0);
    expect(keptMessages(h, 0)).toBe(0);
    expect(transcriptText(h)).toContain('(called x {})');
  });

  it('/compact: the history becomes a summary plus the last exchanges, recorded so the fold reproduces it', async () => {
    const store = new MemorySessionStore();
    const session = await newSession(store);
    const model = new FakeProvider(
      { text: 'A1' },
      { text: 'A2' },
      { text: 'A3' },
      { text: 'the summary' },
      { text: 'A4' },
    );
    const a = agent(model);
    for (const q of ['q1', 'q2', 'q3']) await collect(a.streamChat(q, { session }));
    const record = await session.compact(a);
    expect(record).toMatchObject({ type: 'compact', keep: 4, before: 6, reason: 'manual', summary: 'the summary' });
    const summaryCall = model.calls[3];
    expect(summaryCall?.tools).toEqual([]);
    expect(summaryCall?.messages[1]?.content).toContain('[user]\nq1');
    expect(summaryCall?.messages[1]?.content).not.toContain('q2');
    await collect(a.streamChat('q4', { session }));
    expect(model.calls[4]?.messages.slice(1, 3)).toEqual(compactedHistory([], 'the summary', 0));
    const live = session.conversation('tester').messages;
    expect(live.map((m) => m.content)).toEqual([
      `${SUMMARY_PREFIX}the summary`,
      expect.any(String),
      'q2',
      'A2',
      'q3',
      'A3',
      'q4',
      'A4',
    ]);
    expect(foldSession(await records(store, session)).histories.get('tester')).toEqual(live);
  });

  it('nothing to compact yet: no model call, no record; a single exchange is summarised whole', async () => {
    const store = new MemorySessionStore();
    const session = await newSession(store);
    const model = new FakeProvider({ text: 'A1' }, { text: 'summary' });
    const a = agent(model);
    expect(await session.compact(a)).toBeUndefined();
    expect(model.calls).toHaveLength(0);
    await collect(a.streamChat('q1', { session }));
    expect(await session.compact(a)).toMatchObject({ keep: 0, before: 2 });
    expect(session.conversation('tester').messages).toEqual(compactedHistory([], 'summary', 0));
  });

  it('a request rejected for context length is compacted and sent again within the same run', async () => {
    const store = new MemorySessionStore();
    const session = await newSession(store);
    const model = new FakeProvider(
      { text: 'A1' },
      { text: 'A2' },
      { fault: 'error', error: contextError() },
      { text: 'summary of q1' },
      { text: 'A3', usage: { input_tokens: 50, output_tokens: 2, total_tokens: 52 } },
    );
    const a = agent(model);
    await collect(a.streamChat('q1', { session }));
    await collect(a.streamChat('q2', { session }));
    const events = await collect(a.streamChat('q3', { session }));
    expect(events.map((e) => e.type)).toEqual(['run_start', 'error', 'text_delta', 'message', 'run_end']);
    expect(events[1]).toMatchObject({ error: { code: 'context_compacted' } });
    expect(events.at(-1)).toMatchObject({ status: 'completed', text: 'A3' });
    // The retried request: system, the summary and its answer, the last exchange kept, then the new question.
    expect(model.calls[4]?.messages.map((m) => m.content)).toEqual([
      'be brief',
      `${SUMMARY_PREFIX}summary of q1`,
      expect.any(String),
      'q2',
      'A2',
      'q3',
    ]);
    const live = session.conversation('tester').messages;
    expect(live.map((m) => m.content).slice(2)).toEqual(['q2', 'A2', 'q3', 'A3']);
    const log = await records(store, session);
    expect(log.filter((r) => r.type === 'compact')).toMatchObject([{ reason: 'context_length', keep: 2, before: 4 }]);
    expect(foldSession(log).histories.get('tester')).toEqual(live);
  });

  it('a rejection after the answer started streaming is not retried', async () => {
    const store = new MemorySessionStore();
    const session = await newSession(store);
    const model = new FakeProvider({ text: 'A1' }, async function* () {
      yield { type: 'text' as const, text: 'partial' };
      throw contextError();
    });
    const a = agent(model);
    await collect(a.streamChat('q1', { session }));
    const events = await collect(a.streamChat('q2', { session }));
    expect(events.at(-1)).toMatchObject({ status: 'failed' });
    expect(model.calls).toHaveLength(2);
  });
});

describe('recording failures', () => {
  it('a store that fails: one warning, the run and the conversation go on', async () => {
    const store = new MemorySessionStore();
    const warnings: string[] = [];
    const session = await Session.create(
      { agents: [{ name: 'tester', model: 'fake-model' }] },
      { store, onWarning: (m) => warnings.push(m) },
    );
    store.append = () => Promise.reject(new Error('ENOSPC: no space left on device'));
    const a = agent(new FakeProvider({ text: 'one' }, { text: 'two' }));
    const first = await collect(a.streamChat('q1', { session }));
    await session.flush();
    const second = await collect(a.streamChat('q2', { session }));
    await session.flush();
    expect(first.at(-1)).toMatchObject({ status: 'completed' });
    expect(second.at(-1)).toMatchObject({ status: 'completed', text: 'two' });
    expect(warnings).toEqual(['the session is not being saved any more: ENOSPC: no space left on device']);
    expect(session.saving).toBe(false);
    expect(session.conversation('tester').messages).toHaveLength(4);
  });
});
