/**
 * Approvals a run decides for others: a remote agent's tool call (the provider's `approval` chunk, as the A2A provider
 * sends it), calls a client allowed in advance (`preApproved`), and the refusal that says why nobody could be asked
 * (`unaskable`). In-memory fake model, no network.
 */
import { describe, expect, it } from 'vitest';
import { Agent, Conversation, type AgentOptions } from '../../src/core/agent.js';
import type { AgentEvent, RunEndEvent } from '../../src/core/events.js';
import type { ModelChunk, RemoteApprovalAnswer, RemoteApprovalRequest } from '../../src/core/providers/types.js';
import { collect } from '../../src/core/stream.js';
import type { ApprovalAnswer, ApprovalRequest, Approver } from '../../src/core/tools/approval.js';
import type { Tool } from '../../src/core/tools/tool.js';
import { FakeProvider, type FakeTurn } from '../support/fake-provider.js';

const REMOTE: RemoteApprovalRequest = {
  call_id: 'r1',
  name: 'write_note',
  args: { text: 'buy milk' },
  reason: 'the remote agent asks before it runs "write_note": it may change things',
};

/** A model call that asks to approve `request` (as a remote agent does), then says what it was told. */
function remoteAsks(request: RemoteApprovalRequest, replies: RemoteApprovalAnswer[]): FakeTurn {
  return async function* (): AsyncGenerator<ModelChunk> {
    let answer: RemoteApprovalAnswer | undefined;
    yield { type: 'approval', request, reply: (a) => (answer = a) };
    replies.push(answer as RemoteApprovalAnswer);
    yield { type: 'text', text: `remote: ${answer?.decision ?? 'no answer'}` };
  };
}

function agent(model: FakeProvider, extra: Partial<AgentOptions> = {}, tools: Tool[] = []): Agent {
  return new Agent({ name: 'remote', model: 'fake', provider: model, tools, ...extra });
}
const types = (events: AgentEvent[]): string[] => events.map((e) => e.type).filter((t) => t !== 'text_delta');
const approvalOf = (events: AgentEvent[]) => events.find((e) => e.type === 'tool_approval');
const end = (events: AgentEvent[]): RunEndEvent => events.at(-1) as RunEndEvent;
const answering =
  (answer: ApprovalAnswer, asked: ApprovalRequest[] = []): Approver =>
  (request) => {
    asked.push(request);
    return Promise.resolve(answer);
  };

describe("a remote agent's tool call waiting for approval", () => {
  it('with nobody to ask, the policy denies it, says why, and the remote is told; the run completes', async () => {
    const replies: RemoteApprovalAnswer[] = [];
    const events = await collect(agent(new FakeProvider(remoteAsks(REMOTE, replies))).streamChat('hi'));
    expect(types(events)).toEqual(['run_start', 'tool_approval', 'message', 'run_end']);
    expect(approvalOf(events)).toMatchObject({
      call_id: 'r1',
      name: 'write_note',
      decision: 'denied',
      by: 'policy',
      reason: /it may change things; it needs approval and there is no one to ask here$/,
    });
    expect(replies).toEqual([{ decision: 'denied', reason: expect.stringMatching(/no one to ask here/) }]);
    expect(end(events)).toMatchObject({ status: 'completed', text: 'remote: denied' });
  });

  it('asks the approver like a local call: request, decision, then the answer goes back', async () => {
    const replies: RemoteApprovalAnswer[] = [];
    const asked: ApprovalRequest[] = [];
    const events = await collect(
      agent(new FakeProvider(remoteAsks(REMOTE, replies))).streamChat('hi', {
        approve: answering({ decision: 'allowed', scope: 'once' }, asked),
      }),
    );
    expect(types(events)).toEqual(['run_start', 'tool_approval_request', 'tool_approval', 'message', 'run_end']);
    expect(events.find((e) => e.type === 'tool_approval_request')).toMatchObject({
      call_id: 'r1',
      name: 'write_note',
      args: { text: 'buy milk' },
      reason: REMOTE.reason,
      turn: 1,
    });
    expect(asked[0]).toMatchObject({ agent: 'remote', call_id: 'r1', name: 'write_note' });
    expect(approvalOf(events)).toMatchObject({ decision: 'allowed', by: 'user', scope: 'once' });
    expect(replies).toEqual([{ decision: 'allowed', scope: 'once' }]);
    expect(end(events).text).toBe('remote: allowed');
  });

  it('a denial with a reason goes back with the reason', async () => {
    const replies: RemoteApprovalAnswer[] = [];
    await collect(
      agent(new FakeProvider(remoteAsks(REMOTE, replies))).streamChat('hi', {
        approve: answering({ decision: 'denied', reason: 'not today' }),
      }),
    );
    expect(replies).toEqual([{ decision: 'denied', scope: 'once', reason: 'not today' }]);
  });

  it('"always" allows the tool for the rest of the conversation: the next question is not asked', async () => {
    const replies: RemoteApprovalAnswer[] = [];
    const asked: ApprovalRequest[] = [];
    const a = agent(new FakeProvider(remoteAsks(REMOTE, replies), remoteAsks({ ...REMOTE, call_id: 'r2' }, replies)));
    const conversation = new Conversation();
    const approve = answering({ decision: 'allowed', scope: 'session' }, asked);
    await collect(a.streamChat('one', { conversation, approve }));
    const second = await collect(a.streamChat('two', { conversation, approve }));
    expect(asked).toHaveLength(1);
    expect(approvalOf(second)).toMatchObject({ call_id: 'r2', decision: 'allowed', by: 'policy' });
    expect(replies).toEqual([
      { decision: 'allowed', scope: 'session' },
      { decision: 'allowed', scope: 'once' },
    ]);
  });

  it('--approve auto and --allow-tool allow it by policy; never refuses it; nobody is asked', async () => {
    for (const [approval, decision] of [
      [{ mode: 'auto' }, 'allowed'],
      [{ mode: 'ask', allow: ['write_note'] }, 'allowed'],
      [{ mode: 'never', allow: [] }, 'denied'],
    ] as const) {
      const replies: RemoteApprovalAnswer[] = [];
      const asked: ApprovalRequest[] = [];
      const events = await collect(
        agent(new FakeProvider(remoteAsks(REMOTE, replies)), { approval }).streamChat('hi', {
          approve: answering({ decision: 'allowed' }, asked),
        }),
      );
      expect(asked).toEqual([]);
      expect(approvalOf(events)).toMatchObject({ decision, by: 'policy' });
      expect(replies[0]?.decision).toBe(decision);
    }
  });

  it('cancelling while it waits ends the run cancelled and stops reading the provider', async () => {
    const controller = new AbortController();
    const replies: RemoteApprovalAnswer[] = [];
    const approve: Approver = (_request, { signal }) =>
      new Promise((_resolve) => {
        signal.addEventListener('abort', () => undefined);
        controller.abort();
      });
    const events = await collect(
      agent(new FakeProvider(remoteAsks(REMOTE, replies))).streamChat('hi', { approve, signal: controller.signal }),
    );
    expect(end(events).status).toBe('cancelled');
    expect(replies).toEqual([]); // the provider was closed at its question, not resumed
  });
});

describe('calls allowed in advance, and the reason nobody could be asked', () => {
  const writer = (runs: unknown[]): Tool => ({
    name: 'write_file',
    description: 'writes',
    parameters: { type: 'object', properties: {} },
    readOnly: false,
    server: 'fs',
    execute: (args) => {
      runs.push(args);
      return 'ok';
    },
  });
  const writes: FakeTurn = { toolCalls: [{ id: 'c1', name: 'write_file', arguments: { path: 'a' } }] };

  it('preApproved runs the call without asking, recorded as allowed by the user, once', async () => {
    const runs: unknown[] = [];
    const events = await collect(
      agent(new FakeProvider(writes, { text: 'done' }), {}, [writer(runs)]).streamChat('w', {
        preApproved: ['fs__*'],
      }),
    );
    expect(types(events)).toEqual(['run_start', 'tool_call', 'tool_approval', 'tool_result', 'message', 'run_end']);
    expect(approvalOf(events)).toMatchObject({ decision: 'allowed', by: 'user', scope: 'once' });
    expect(runs).toEqual([{ path: 'a' }]);
  });

  it('preApproved never overrides a policy that refuses (never)', async () => {
    const runs: unknown[] = [];
    const events = await collect(
      agent(new FakeProvider(writes, { text: 'done' }), { approval: { mode: 'never' } }, [writer(runs)]).streamChat(
        'w',
        { preApproved: ['*'] },
      ),
    );
    expect(approvalOf(events)).toMatchObject({ decision: 'denied', by: 'policy' });
    expect(runs).toEqual([]);
  });

  it('unaskable says why nobody could be asked, to the model', async () => {
    const runs: unknown[] = [];
    const model = new FakeProvider(writes, { text: 'done' });
    const events = await collect(
      agent(model, {}, [writer(runs)]).streamChat('w', { unaskable: 'this endpoint cannot ask for it' }),
    );
    expect(approvalOf(events)).toMatchObject({
      decision: 'denied',
      by: 'policy',
      reason:
        'MCP server "fs" does not mark "write_file" read-only: it may change things; it needs approval and this endpoint cannot ask for it',
    });
    expect(model.calls[1]?.messages.at(-1)).toMatchObject({ role: 'tool', content: /this endpoint cannot ask for it/ });
    expect(runs).toEqual([]);
  });
});
