/** Tool approvals: the pure policy, the session fold, and the run pausing on an approver (in-memory fake model). */
import { describe, expect, it } from 'vitest';
import { Agent, Conversation, type AgentOptions } from '../../src/core/agent.js';
import type { AgentEvent, RunEndEvent, ToolApprovalEvent, ToolResultEvent } from '../../src/core/events.js';
import { collect } from '../../src/core/stream.js';
import {
  allows,
  decide,
  parseAllowPattern,
  parseApprovalMode,
  sessionApprovals,
  type ApprovalAnswer,
  type ApprovalRequest,
  type Approver,
  type ApproverContext,
} from '../../src/core/tools/approval.js';
import { BUILTIN_TOOLS } from '../../src/core/tools/builtins.js';
import { tool, type Tool } from '../../src/core/tools/tool.js';
import { FakeProvider, type FakeTurn } from '../support/fake-provider.js';

const mcpTool = (name: string, server: string, readOnly: boolean): Tool => ({
  name,
  description: name,
  parameters: { type: 'object', properties: {} },
  execute: () => 'ok',
  readOnly,
  server,
});

describe('the approval policy', () => {
  const write = mcpTool('write_file', 'fs', false);
  const read = mcpTool('read_file', 'fs', true);

  it('runs built-in read-only tools, read-only MCP tools and tools of your own code; asks for other MCP tools', () => {
    for (const t of BUILTIN_TOOLS) expect(decide(t, undefined)).toEqual({ action: 'auto' });
    expect(decide(read, undefined)).toEqual({ action: 'auto' });
    expect(decide(tool({ name: 'mine', description: '', execute: () => 1 }), undefined)).toEqual({ action: 'auto' });
    expect(decide(write, undefined)).toEqual({
      action: 'ask',
      reason: 'MCP server "fs" does not mark "write_file" read-only: it may change things',
    });
    expect(decide(tool({ name: 'rm', description: '', execute: () => 1, readOnly: false }), {})).toMatchObject({
      action: 'ask',
      reason: '"rm" may change things',
    });
  });

  it('auto runs everything, never refuses what would be asked (and still runs read-only tools)', () => {
    expect(decide(write, { mode: 'auto' })).toEqual({ action: 'auto' });
    expect(decide(write, { mode: 'never' })).toMatchObject({ action: 'deny', reason: /refuses such calls \(never\)/ });
    expect(decide(read, { mode: 'never' })).toEqual({ action: 'auto' });
  });

  it('allow patterns: a name, server__tool, server__*, *; tools allowed for the session', () => {
    for (const p of ['write_file', 'fs__write_file', 'fs__*', '*'])
      expect(decide(write, { allow: [p] }), p).toEqual({ action: 'auto' });
    for (const p of ['read_file', 'git__*', 'git__write_file', 'fs__'])
      expect(decide(write, { allow: [p] }), p).toMatchObject({ action: 'ask' });
    // An allow-list wins over never, as the user named the tool.
    expect(decide(write, { mode: 'never', allow: ['fs__*'] })).toEqual({ action: 'auto' });
    expect(decide(write, undefined, new Set(['write_file']))).toEqual({ action: 'auto' });
    // A clashing MCP tool is only ever named server__tool; its plain name is the other tool's.
    const clash = mcpTool('fs__calculator', 'fs', false);
    expect(allows('fs__calculator', clash)).toBe(true);
    expect(allows('calculator', clash)).toBe(false);
    expect(allows('fs__*', clash)).toBe(true);
    expect(allows('write_file', tool({ name: 'write_file', description: '', execute: () => 1 }))).toBe(true);
    expect(allows('fs__*', tool({ name: 'write_file', description: '', execute: () => 1 }))).toBe(false);
  });

  it('parses modes and patterns, and says what is accepted when it cannot', () => {
    expect(parseApprovalMode(' auto ')).toBe('auto');
    expect(() => parseApprovalMode('yolo')).toThrow(/--approve must be one of ask, auto, never.*"yolo"/);
    expect(() => parseApprovalMode(true, 'approve')).toThrow(/^approve must be one of/);
    expect(parseAllowPattern('fs__*')).toBe('fs__*');
    expect(parseAllowPattern('*')).toBe('*');
    expect(parseAllowPattern('write-file')).toBe('write-file');
    for (const bad of ['', 'a b', 'fs*', '__*', 'x'.repeat(65), 3])
      expect(() => parseAllowPattern(bad), String(bad)).toThrow(/--allow-tool: .* is not a tool pattern; use/);
  });

  it('folds a session\'s recorded events into the tools allowed for it ("always" only)', () => {
    const base = { run_id: 'r', seq: 0, ts: 0, agent: 'a', call_id: 'c', turn: 1 } as const;
    const approval = (name: string, decision: 'allowed' | 'denied', scope: 'once' | 'session'): ToolApprovalEvent => ({
      ...base,
      type: 'tool_approval',
      name,
      decision,
      by: 'user',
      scope,
    });
    const events = [
      { type: 'run_start' },
      approval('write_file', 'allowed', 'session'),
      approval('delete_file', 'allowed', 'once'),
      approval('rm', 'denied', 'once'),
      { type: 'some_future_event', name: 'x' },
      approval('fs__move', 'allowed', 'session'),
    ] as Array<Pick<AgentEvent, 'type'>>;
    expect([...sessionApprovals(events)]).toEqual(['write_file', 'fs__move']);
    expect(sessionApprovals([]).size).toBe(0);
  });
});

/** A tool that changes things (readOnly: false) and counts its runs. */
function writer(name = 'write_file'): Tool & { runs: Array<Record<string, unknown>> } {
  const runs: Array<Record<string, unknown>> = [];
  return Object.assign(mcpTool(name, 'fs', false), {
    runs,
    execute: (args: Record<string, unknown>) => {
      runs.push(args);
      return `wrote ${String(args['path'])}`;
    },
  });
}

function agent(model: FakeProvider, tools: Tool[], extra: Partial<AgentOptions> = {}): Agent {
  return new Agent({ name: 'tester', model: 'fake', provider: model, tools, ...extra });
}

const call = (name: string, args: Record<string, unknown>, id: string): FakeTurn => ({
  toolCalls: [{ id, name, arguments: args }],
});
const types = (events: AgentEvent[]): string[] => events.map((e) => e.type);
const byType = <T extends AgentEvent['type']>(events: AgentEvent[], type: T) =>
  events.filter((e): e is Extract<AgentEvent, { type: T }> => e.type === type);
const end = (events: AgentEvent[]): RunEndEvent => events.at(-1) as RunEndEvent;

/** An approver that records each request and waits for the test to answer it. */
function manualApprover() {
  const asked: Array<{ request: ApprovalRequest; ctx: ApproverContext; answer: (a: ApprovalAnswer) => void }> = [];
  let notify: (() => void) | undefined;
  let pendingCount = 0;
  let maxPending = 0;
  const approve: Approver = (request, ctx) =>
    new Promise<ApprovalAnswer>((resolve) => {
      pendingCount++;
      maxPending = Math.max(maxPending, pendingCount);
      asked.push({
        request,
        ctx,
        answer: (a) => {
          pendingCount--;
          resolve(a);
        },
      });
      notify?.();
    });
  return {
    approve,
    asked,
    maxPending: () => maxPending,
    /** Resolves when the n-th request (1-based) has been made. */
    waitForRequest(n: number): Promise<(typeof asked)[number]> {
      return new Promise((resolve) => {
        const check = (): void => {
          if (asked.length >= n) resolve(asked[n - 1] as (typeof asked)[number]);
        };
        notify = check;
        check();
      });
    },
  };
}

describe('a run with tools that need approval', () => {
  it('without an approver, the call is denied by the policy, the model is told why, and the run goes on', async () => {
    const w = writer();
    const model = new FakeProvider(call('write_file', { path: 'a' }, 'c1'), { text: 'I could not write it.' });
    const events = await collect(agent(model, [w]).streamChat('write a'));
    expect(types(events)).toEqual([
      'run_start',
      'tool_call',
      'tool_approval',
      'tool_result',
      'text_delta',
      'message',
      'run_end',
    ]);
    expect(byType(events, 'tool_approval')[0]).toMatchObject({
      call_id: 'c1',
      name: 'write_file',
      decision: 'denied',
      by: 'policy',
      scope: 'once',
      reason: /may change things; it needs approval and there is no one to ask here/,
    });
    const result = byType(events, 'tool_result')[0] as ToolResultEvent;
    expect(result).toMatchObject({ is_error: true, duration_ms: 0 });
    expect(result.result).toMatch(/^Error: denied by the approval policy: /);
    expect(w.runs).toEqual([]);
    expect(model.calls[1]?.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'c1', content: result.result });
    expect(end(events).status).toBe('completed');
  });

  it('a refused tool counts against the error budget and is withdrawn from the model', async () => {
    const w = writer();
    const model = new FakeProvider(call('write_file', { path: 'a' }, 'c1'), call('write_file', { path: 'b' }, 'c2'), {
      text: 'giving up',
    });
    await collect(agent(model, [w, ...BUILTIN_TOOLS]).streamChat('write'));
    expect(model.calls[1]?.tools).toContain('write_file');
    expect(model.calls[2]?.tools).not.toContain('write_file');
  });

  it('allowed once: request, decision, then the tool runs; the next call is asked about again', async () => {
    const w = writer();
    const approver = manualApprover();
    const model = new FakeProvider(call('write_file', { path: 'a' }, 'c1'), call('write_file', { path: 'b' }, 'c2'), {
      text: 'done',
    });
    const run = collect(agent(model, [w]).streamChat('write', { approve: approver.approve }));
    const first = await approver.waitForRequest(1);
    expect(first.request).toEqual({
      run_id: expect.stringMatching(/^run_/),
      agent: 'tester',
      call_id: 'c1',
      name: 'write_file',
      args: { path: 'a' },
      reason: 'MCP server "fs" does not mark "write_file" read-only: it may change things',
      server: 'fs',
    });
    expect(w.runs).toEqual([]);
    first.answer({ decision: 'allowed' });
    (await approver.waitForRequest(2)).answer({ decision: 'allowed', scope: 'once' });
    const events = await run;
    expect(types(events)).toEqual([
      'run_start',
      'tool_call',
      'tool_approval_request',
      'tool_approval',
      'tool_result',
      'tool_call',
      'tool_approval_request',
      'tool_approval',
      'tool_result',
      'text_delta',
      'message',
      'run_end',
    ]);
    expect(byType(events, 'tool_approval_request')[0]).toMatchObject({
      call_id: 'c1',
      name: 'write_file',
      args: { path: 'a' },
      server: 'fs',
      turn: 1,
    });
    expect(byType(events, 'tool_approval')[0]).toMatchObject({ decision: 'allowed', by: 'user', scope: 'once' });
    expect(byType(events, 'tool_result').map((r) => r.result)).toEqual(['wrote a', 'wrote b']);
    expect(w.runs).toEqual([{ path: 'a' }, { path: 'b' }]);
  });

  it('denied with a reason: the model sees "the user denied this call" and the reason; the run goes on', async () => {
    const w = writer();
    const model = new FakeProvider(call('write_file', { path: '/etc/passwd' }, 'c1'), { text: 'ok, I will not.' });
    const events = await collect(
      agent(model, [w]).streamChat('write', {
        approve: async () => ({ decision: 'denied', reason: '  not that file  ', scope: 'session' }),
      }),
    );
    expect(byType(events, 'tool_approval')[0]).toMatchObject({
      decision: 'denied',
      by: 'user',
      scope: 'once',
      reason: 'not that file',
    });
    expect(byType(events, 'tool_result')[0]).toMatchObject({
      result: 'Error: the user denied this call: not that file',
      is_error: true,
    });
    expect(model.calls[1]?.messages.at(-1)).toMatchObject({
      content: 'Error: the user denied this call: not that file',
    });
    expect(w.runs).toEqual([]);
    expect(end(events)).toMatchObject({ status: 'completed', text: 'ok, I will not.' });
    // Without a reason typed, just the denial.
    const again = await collect(
      agent(new FakeProvider(call('write_file', {}, 'c1'), { text: 'ok' }), [w]).streamChat('w', {
        approve: async () => ({ decision: 'denied' }),
      }),
    );
    expect(byType(again, 'tool_result')[0]?.result).toBe('Error: the user denied this call.');
  });

  it('parallel calls are asked one by one while read-only calls run; "always" covers later calls of the session', async () => {
    const w = writer();
    const approver = manualApprover();
    const conversation = new Conversation();
    const model = new FakeProvider(
      {
        toolCalls: [
          { id: 'c1', name: 'write_file', arguments: { path: 'a' } },
          { id: 'c2', name: 'calculator', arguments: { expression: '1+1' } },
          { id: 'c3', name: 'delete_file', arguments: { path: 'x' } },
          { id: 'c4', name: 'write_file', arguments: { path: 'b' } },
        ],
      },
      { text: 'done' },
    );
    const del = writer('delete_file');
    const a = agent(model, [w, del, ...BUILTIN_TOOLS]);
    const seen: AgentEvent[] = [];
    const run = (async () => {
      for await (const e of a.streamChat('go', { approve: approver.approve, conversation })) seen.push(e);
    })();
    const first = await approver.waitForRequest(1);
    expect(first.request.call_id).toBe('c1');
    // The read-only calculator did not wait for the answer.
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (seen.some((e) => e.type === 'tool_result' && e.call_id === 'c2')) resolve();
        else setImmediate(check);
      };
      check();
    });
    expect(approver.asked).toHaveLength(1);
    first.answer({ decision: 'allowed', scope: 'session' });
    const second = await approver.waitForRequest(2);
    expect(second.request.call_id).toBe('c3'); // c4 is write_file, allowed for the session: not asked
    second.answer({ decision: 'denied' });
    await run;
    expect(approver.asked).toHaveLength(2);
    expect(approver.maxPending()).toBe(1);
    expect(byType(seen, 'tool_approval').map((e) => [e.call_id, e.decision, e.scope])).toEqual([
      ['c1', 'allowed', 'session'],
      ['c3', 'denied', 'once'],
    ]);
    expect(w.runs).toEqual([{ path: 'a' }, { path: 'b' }]);
    expect(del.runs).toEqual([]);
    // Results go back to the model in call order, whatever order they finished in.
    expect(model.calls[1]?.messages.filter((m) => m.role === 'tool').map((m) => m.tool_call_id)).toEqual([
      'c1',
      'c2',
      'c3',
      'c4',
    ]);
    expect(conversation.allowedTools).toEqual(new Set(['write_file']));

    // The next run of the conversation does not ask about write_file again.
    model.enqueue(call('write_file', { path: 'c' }, 'c5'), { text: 'again' });
    const next = await collect(a.streamChat('more', { approve: approver.approve, conversation }));
    expect(approver.asked).toHaveLength(2);
    expect(types(next)).not.toContain('tool_approval_request');
    expect(w.runs.at(-1)).toEqual({ path: 'c' });
  });

  it('cancelling the run while it waits for an approval ends it cancelled; the tool never runs', async () => {
    const w = writer();
    const approver = manualApprover();
    const controller = new AbortController();
    const model = new FakeProvider(call('write_file', { path: 'a' }, 'c1'));
    const run = collect(agent(model, [w]).streamChat('w', { approve: approver.approve, signal: controller.signal }));
    const { ctx } = await approver.waitForRequest(1);
    controller.abort(new Error('esc'));
    const events = await run;
    expect(ctx.signal.aborted).toBe(true);
    expect(types(events)).toEqual(['run_start', 'tool_call', 'tool_approval_request', 'tool_result', 'run_end']);
    expect(byType(events, 'tool_result')[0]).toMatchObject({ is_error: true, result: /cancelled/ });
    expect(end(events).status).toBe('cancelled');
    expect(w.runs).toEqual([]);
    expect(model.calls).toHaveLength(1);
  });

  it('an approval that nobody answers in time is denied by the policy; the approver is told to stop asking', async () => {
    const w = writer();
    const approver = manualApprover();
    const model = new FakeProvider(call('write_file', { path: 'a' }, 'c1'), { text: 'no answer, skipped' });
    const events = await collect(
      agent(model, [w]).streamChat('w', { approve: approver.approve, approvalTimeoutMs: 5 }),
    );
    expect(approver.asked[0]?.ctx.signal.aborted).toBe(true);
    expect(byType(events, 'tool_approval')[0]).toMatchObject({
      decision: 'denied',
      by: 'policy',
      reason: 'no answer to the approval request within 5 ms',
    });
    expect(byType(events, 'tool_result')[0]?.result).toMatch(/denied by the approval policy: no answer/);
    expect(end(events).status).toBe('completed');
    expect(w.runs).toEqual([]);
  });

  it('an approver that throws denies the call (policy) instead of failing the run', async () => {
    const w = writer();
    const model = new FakeProvider(call('write_file', {}, 'c1'), { text: 'ok' });
    const events = await collect(
      agent(model, [w]).streamChat('w', {
        approve: () => {
          throw new Error('no terminal');
        },
      }),
    );
    expect(byType(events, 'tool_approval')[0]).toMatchObject({
      decision: 'denied',
      by: 'policy',
      reason: 'the approval could not be asked (no terminal)',
    });
    expect(end(events).status).toBe('completed');
  });

  it('never refuses without asking; an allow-list and auto run without asking', async () => {
    const asked: string[] = [];
    const approve: Approver = async (r) => {
      asked.push(r.call_id);
      return { decision: 'allowed' };
    };
    const never = await collect(
      agent(new FakeProvider(call('write_file', {}, 'c1'), { text: 'ok' }), [writer()], {
        approval: { mode: 'never' },
      }).streamChat('w', { approve }),
    );
    expect(types(never)).not.toContain('tool_approval_request');
    expect(byType(never, 'tool_approval')[0]).toMatchObject({ decision: 'denied', by: 'policy' });
    for (const approval of [{ allow: ['fs__*'] }, { mode: 'auto' as const }]) {
      const w = writer();
      const events = await collect(
        agent(new FakeProvider(call('write_file', { path: 'z' }, 'c1'), { text: 'ok' }), [w], { approval }).streamChat(
          'w',
          { approve },
        ),
      );
      expect(types(events)).toEqual(['run_start', 'tool_call', 'tool_result', 'text_delta', 'message', 'run_end']);
      expect(w.runs).toEqual([{ path: 'z' }]);
    }
    expect(asked).toEqual([]);
  });

  it('calls that would not run anyway (unknown tool, bad arguments) are not asked about', async () => {
    const asked: string[] = [];
    const model = new FakeProvider(
      {
        toolCalls: [
          { id: 'c1', name: 'nope', arguments: {} },
          { id: 'c2', name: 'write_file', arguments: '{bad json' },
        ],
      },
      { text: 'ok' },
    );
    const events = await collect(
      agent(model, [writer()]).streamChat('w', {
        approve: async (r) => {
          asked.push(r.call_id);
          return { decision: 'allowed' };
        },
      }),
    );
    expect(asked).toEqual([]);
    expect(byType(events, 'tool_result').map((r) => r.is_error)).toEqual([true, true]);
  });
});
