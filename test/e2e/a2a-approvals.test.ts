/**
 * `agentor chat --a2a URL` against `agentor serve` as the remote agent: when the remote task goes `input-required` to
 * have one of its tool calls approved, the client decides as for a local call — one-shot `--json`/`--plain` by the
 * policy (denied unless `--approve auto`/`--allow-tool`, stderr says how to allow it), an agent run with an approver
 * as the interactive chat has (its panel: test/pty/a2a-approvals.test.ts) — and sends the decision back on the same
 * task, whose stream goes on to the answer. The remote's
 * write_note records each call, so the tests see whether the call really ran; its model is the loopback fake.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent, Conversation } from '../../src/core/agent.js';
import type { AgentEvent } from '../../src/core/events.js';
import { A2AProvider } from '../../src/core/providers/a2a.js';
import { collect } from '../../src/core/stream.js';
import type { ApprovalRequest } from '../../src/core/tools/approval.js';
import { ndjson, runCli } from '../support/cli.js';
import { noteTool, useNoteRemote } from './serve-support.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';
import { serve, type RunningServer } from '../../src/server/index.js';

const notes: string[] = [];
const { fake, remote } = useNoteRemote(notes);
beforeEach(() => {
  notes.length = 0;
});

/** The remote's model asks for write_note, then answers `answer` whatever the tool said. */
function scriptNote(answer = 'done', text = 'buy milk', id = 'call_1'): void {
  fake().enqueue({ toolCalls: [{ id, name: 'write_note', arguments: { text } }] }, { text: answer });
}

/** What the remote's model was told write_note returned (the tool message of its latest request). */
function toolMessageSeen(): string {
  const messages = fake().requests.at(-1)?.body.messages as Array<{ role: string; content: string }>;
  return messages.filter((m) => m.role === 'tool').at(-1)?.content ?? '';
}

const chat = (args: string[]) => runCli(['chat', '--a2a', remote().url, ...args, 'note: buy milk']);
const approvals = (events: Array<{ type: string }>) => events.filter((e) => e.type.startsWith('tool_approval'));

describe('one-shot chat --a2a: the remote asks, the policy answers', () => {
  it('--json: denied by the policy (nobody to ask), the remote is told, stderr says how to allow it', async () => {
    scriptNote('I could not write it.');
    const { code, stdout, stderr } = await chat(['--json']);
    expect(code).toBe(0);
    const events = ndjson(stdout);
    expect(approvals(events)).toEqual([
      expect.objectContaining({
        type: 'tool_approval',
        call_id: 'call_1',
        name: 'write_note',
        decision: 'denied',
        by: 'policy',
        reason: expect.stringMatching(/the remote agent asks before it runs "write_note".*no one to ask here/),
      }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'I could not write it.' });
    expect(stderr).toMatch(/write_note was denied: .*run again with --allow-tool write_note/);
    expect(notes).toEqual([]);
    expect(toolMessageSeen()).toMatch(/^Error: the user denied this call: .*no one to ask here/);
  });

  it('--approve auto: allowed by the policy, the call runs on the remote, the answer streams back (plain)', async () => {
    scriptNote('Noted.');
    const { code, stdout, stderr } = await chat(['--approve', 'auto']);
    expect(code).toBe(0);
    expect(stdout).toBe('Noted.\n');
    expect(stderr).toMatch(/✓ write_note allowed once by policy/);
    expect(notes).toEqual(['buy milk']);
    expect(toolMessageSeen()).toBe('noted: buy milk');
  });

  it('--allow-tool write_note: allowed by the policy', async () => {
    scriptNote('Noted.');
    const { code, stdout } = await chat(['--allow-tool', 'write_note', '--json']);
    expect(code).toBe(0);
    expect(approvals(ndjson(stdout))).toEqual([
      expect.objectContaining({ type: 'tool_approval', decision: 'allowed', by: 'policy' }),
    ]);
    expect(notes).toEqual(['buy milk']);
  });
});

describe("the remote's own tool activity", () => {
  it('--json: the remote tool call and its result are tool events marked remote, in order, around the approval', async () => {
    scriptNote('Noted.');
    const { code, stdout } = await chat(['--json', '--approve', 'auto']);
    expect(code).toBe(0);
    const events = ndjson(stdout);
    const tools = events.filter((e) => e.type.startsWith('tool_'));
    expect(tools).toEqual([
      expect.objectContaining({
        type: 'tool_call',
        call_id: 'call_1',
        name: 'write_note',
        args: { text: 'buy milk' },
        remote: true,
      }),
      expect.objectContaining({ type: 'tool_approval', call_id: 'call_1', decision: 'allowed', by: 'policy' }),
      expect.objectContaining({
        type: 'tool_result',
        call_id: 'call_1',
        name: 'write_note',
        is_error: false,
        remote: true,
        result: 'ran on the remote agent (its output stays there)',
      }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'Noted.' });
    expect(notes).toEqual(['buy milk']);
  });

  it('plain: the remote call shows on stderr, marked as run by the remote agent; stdout stays the answer', async () => {
    scriptNote('Noted.');
    const { code, stdout, stderr } = await chat(['--approve', 'auto']);
    expect(code).toBe(0);
    expect(stdout).toBe('Noted.\n');
    expect(stderr).toMatch(/⚙ write_note\(\{"text":"buy milk"\}\) · on the remote agent/);
    expect(stderr).toMatch(/✓ write_note \d+ms → ran on the remote agent/);
  });
});

describe('the A2A provider with an approver (what the interactive chat does)', () => {
  const agent = (): Agent =>
    new Agent({ name: 'client', provider: new A2AProvider({ url: remote().url, env: {} }), tools: [] });

  it('asks with the remote call described; "always" covers the next call of the conversation on the remote too', async () => {
    const asked: ApprovalRequest[] = [];
    const a = agent();
    const conversation = new Conversation();
    const approve = (request: ApprovalRequest) => {
      asked.push(request);
      return Promise.resolve({ decision: 'allowed' as const, scope: 'session' as const });
    };
    scriptNote('Noted milk.', 'milk', 'call_1');
    const first = await collect(a.streamChat('note milk', { conversation, approve }));
    expect(first.map((e) => e.type).filter((t) => t !== 'text_delta' && t !== 'reasoning_delta')).toEqual([
      'run_start',
      'tool_call',
      'tool_approval_request',
      'tool_approval',
      'tool_result',
      'message',
      'run_end',
    ]);
    expect(asked[0]).toMatchObject({ call_id: 'call_1', name: 'write_note', args: { text: 'milk' } });
    expect(first.at(-1)).toMatchObject({ status: 'completed', text: 'Noted milk.' });

    scriptNote('Noted eggs.', 'eggs', 'call_2');
    const second = await collect(a.streamChat('note eggs', { conversation, approve }));
    expect(asked).toHaveLength(1); // the remote ran it without asking: "always" went with the answer
    expect(second.at(-1)).toMatchObject({ status: 'completed', text: 'Noted eggs.' });
    expect(notes).toEqual(['milk', 'eggs']);
  });

  it('a denial with a reason reaches the remote model', async () => {
    scriptNote('Fine, no note.');
    const events: AgentEvent[] = await collect(
      agent().streamChat('note', { approve: () => Promise.resolve({ decision: 'denied', reason: 'not today' }) }),
    );
    expect(events.at(-1)).toMatchObject({ status: 'completed', text: 'Fine, no note.' });
    expect(toolMessageSeen()).toBe('Error: the user denied this call: not today');
    expect(notes).toEqual([]);
  });

  it('cancelling while the question waits ends the run cancelled; the call never runs', async () => {
    scriptNote();
    const controller = new AbortController();
    const events = await collect(
      agent().streamChat('note', {
        signal: controller.signal,
        approve: () => {
          controller.abort();
          return new Promise(() => undefined);
        },
      }),
    );
    expect(events.at(-1)).toMatchObject({ status: 'cancelled' });
    expect(notes).toEqual([]);
  });
});

describe("an answer after the remote's approval timeout", () => {
  // The same remote, but it waits only 200 ms for an answer before it denies the call and goes on.
  let impatient: RunningServer | undefined;
  beforeAll(async () => {
    const scribe = new Agent({
      name: 'scribe',
      instructions: 'Write notes.',
      model: 'fake-model',
      provider: new OpenAIProvider({ apiKey: 'sk-test', baseURL: fake().url, maxRetries: 0 }),
      tools: [noteTool(notes)],
    });
    impatient = await serve(scribe, { port: 0, shutdownGraceMs: 2_000, log: () => undefined, approvalTimeoutMs: 200 });
  });
  afterAll(async () => {
    await impatient?.close();
  });

  /** Allows the call once the remote has given up: its model was asked again (with the denial), `extra` requests in. */
  function lateRun(extra: number): AsyncIterable<AgentEvent> {
    const seen = (): number => fake().requests.filter((r) => r.method === 'POST').length;
    const before = seen();
    const client = new Agent({
      name: 'client',
      provider: new A2AProvider({ url: (impatient as RunningServer).url, env: {} }),
      tools: [],
    });
    return client.streamChat('note: buy milk', {
      approve: async () => {
        await vi.waitFor(() => expect(seen()).toBeGreaterThanOrEqual(before + extra), { timeout: 10_000 });
        return { decision: 'allowed', scope: 'once' };
      },
    });
  }

  it('the run says the remote stopped waiting and the call was denied, then ends with the remote answer', async () => {
    fake().enqueue(
      { toolCalls: [{ id: 'call_1', name: 'write_note', arguments: { text: 'buy milk' } }] },
      { text: ['I could not ', 'write it: nobody approved.'] },
    );
    const events = await collect(lateRun(2));
    expect(events.find((e) => e.type === 'error')).toMatchObject({
      error: {
        message: 'the remote agent stopped waiting for approval of "write_note"; the call was denied',
        code: 'a2a_approval_expired',
      },
    });
    expect(events.at(-1)).toMatchObject({
      type: 'run_end',
      status: 'completed',
      text: 'I could not write it: nobody approved.',
    });
    expect(notes).toEqual([]);
    expect(toolMessageSeen()).toMatch(/^Error: .*no answer to the approval request within 200 ms/);
  });

  it('while the remote still works on its answer, the run follows the task to its end', async () => {
    // The remote's next model call streams a little, then holds until released: the task is still working when the
    // late answer is refused.
    fake().enqueue(
      { toolCalls: [{ id: 'call_1', name: 'write_note', arguments: { text: 'buy milk' } }] },
      { fault: 'hang', text: ['Not ', 'written.'] },
    );
    const events: AgentEvent[] = [];
    for await (const e of lateRun(2)) {
      events.push(e);
      // What the held call streamed has reached the client: the upstream holds now; let it finish.
      if (e.type === 'text_delta') fake().release();
    }
    expect(events.filter((e) => e.type === 'error')).toEqual([
      expect.objectContaining({ error: expect.objectContaining({ code: 'a2a_approval_expired' }) }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'Not written.' });
    expect(notes).toEqual([]);
  });
});
