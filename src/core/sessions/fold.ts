/**
 * The fold "session records → model messages": rebuilds each agent's conversation from a session log exactly as the
 * turn loop (run.ts) built it while the runs happened — the user's input, assistant text, tool calls with their
 * `call_id` and tool results, a cut-short turn's partial answer — and applies compactions. Pure: no I/O, no clock.
 *
 * The rules, mirroring run.ts:
 * - a run's input is the last `user` record before its `run_start` (else `run_start.input`);
 * - a run's messages join its agent's history when the run ends (so concurrent agents never mix);
 * - a turn with tool calls becomes one assistant message with `tool_calls` plus one `tool` message per call, in call
 *   order, once every result is in; a run cut short mid-tools keeps only the turn's text; a remote agent's own calls
 *   (`remote`, `chat --a2a`) are activity, never part of the conversation;
 * - a run with no `run_end` (the process was killed) keeps what was recorded: its input and the text streamed so far;
 * - `compact` replaces the agent's history (not the messages of a run still going) by the summary plus its last
 *   `keep` messages;
 * - records of unknown types are skipped, so newer event types never break an older reader.
 */
import { emptyUsage, type AgentEvent, type RunEndEvent, type ToolCallEvent, type Usage } from '../events.js';
import { contentText, toChatMessage } from '../providers/messages.js';
import type { ChatMessage } from '../providers/types.js';
import type { InputMessage } from '../run.js';
import type { SessionCompactRecord, SessionRecord, SessionUserRecord } from './types.js';

/** What a session's log folds into. */
export interface FoldedSession {
  /** Each agent's conversation (the system prompt is not part of it), by agent name, in order of first appearance. */
  histories: Map<string, ChatMessage[]>;
  /** User messages sent. */
  turns: number;
  /** Token usage summed over every run. */
  usage: Usage;
  /** Each agent's last reported `context_tokens`. */
  contextTokens: Map<string, number>;
  /** Runs that never ended (the process was killed): their recorded part was kept. */
  interrupted: string[];
  /** Compactions applied. */
  compactions: number;
}

/** The first message of a compacted history: the summary, as context from the user. */
export const SUMMARY_PREFIX = 'Summary of our conversation so far (earlier messages were compacted into it):\n\n';
/** The answer after the summary, so user and assistant messages keep alternating (some chat templates require it). */
export const SUMMARY_ACK = 'Understood. I will continue from that summary.';

/** A history replaced by `summary` plus its last `keep` messages. */
export function compactedHistory(history: readonly ChatMessage[], summary: string, keep: number): ChatMessage[] {
  const kept = keep > 0 ? history.slice(Math.max(0, history.length - keep)) : [];
  return [{ role: 'user', content: SUMMARY_PREFIX + summary }, { role: 'assistant', content: SUMMARY_ACK }, ...kept];
}

/** The model messages of an input given as text or as a list of messages. */
export function inputMessages(record: SessionUserRecord): ChatMessage[] {
  if (record.messages && record.messages.length > 0) return record.messages.map(toChatMessage);
  return [{ role: 'user', content: record.text }];
}

/** One run being folded. */
interface OpenRun {
  agent: string;
  /** The messages it adds to its agent's history when it ends. */
  fresh: ChatMessage[];
  /** The current turn's text: from its `message` event, else what its deltas streamed so far. */
  message: string | undefined;
  deltas: string;
  turn: number;
  calls: ToolCallEvent[];
  results: Map<string, string>;
}

/**
 * Folds session records (the header excluded) into each agent's conversation. `agentKey` maps an agent name to the
 * conversation it continues (a one-agent session maps every name to its one conversation).
 */
export function foldSession(records: Iterable<SessionRecord>, agentKey?: (agent: string) => string): FoldedSession {
  const fold = new SessionFold(agentKey);
  for (const r of records) fold.apply(r);
  return fold.finish();
}

/** The fold, one record at a time (`foldSession` drives it). */
export class SessionFold {
  private readonly histories = new Map<string, ChatMessage[]>();
  private readonly runs = new Map<string, OpenRun>();
  private readonly contextTokens = new Map<string, number>();
  private lastInput: SessionUserRecord | undefined;
  private turns = 0;
  private compactions = 0;
  private readonly usage = emptyUsage();

  constructor(private readonly key: (agent: string) => string = (agent) => agent) {}

  /** Applies one record; unknown record types are ignored. */
  apply(record: SessionRecord): void {
    switch (record.type) {
      case 'user':
        this.turns++;
        this.lastInput = record;
        return;
      case 'compact':
        return this.compact(record);
      case 'clear':
        for (const h of this.histories.values()) h.length = 0;
        return;
      case 'run_start': {
        const input = this.lastInput;
        // The recorded input is this run's when its last user message is what the run says it got.
        const fresh =
          input && lastUserText(input) === record.input
            ? inputMessages(input)
            : [{ role: 'user' as const, content: record.input }];
        const agent = this.key(record.agent);
        this.history(agent);
        this.runs.set(record.run_id, {
          agent,
          fresh,
          message: undefined,
          deltas: '',
          turn: 0,
          calls: [],
          results: new Map(),
        });
        return;
      }
      case 'text_delta': {
        const run = this.runs.get(record.run_id);
        if (!run) return;
        if (record.turn !== run.turn) this.newTurn(run, record.turn);
        run.deltas += record.text;
        return;
      }
      case 'message': {
        const run = this.runs.get(record.run_id);
        if (!run) return;
        if (record.turn !== run.turn) this.newTurn(run, record.turn);
        run.message = record.text;
        return;
      }
      case 'tool_call': {
        const run = this.runs.get(record.run_id);
        if (!run || record.remote) return;
        if (record.turn !== run.turn) this.newTurn(run, record.turn);
        run.calls.push(record);
        return;
      }
      case 'tool_result': {
        const run = this.runs.get(record.run_id);
        if (!run || record.remote) return;
        run.results.set(record.call_id, record.result);
        if (run.calls.length > 0 && run.calls.every((c) => run.results.has(c.call_id))) this.closeToolTurn(run);
        return;
      }
      case 'run_end':
        return this.end(record);
      default:
        return;
    }
  }

  /** The result; runs still open (never ended) keep their recorded part. */
  finish(): FoldedSession {
    const interrupted = [...this.runs.keys()];
    for (const id of interrupted) this.close(id, undefined);
    return {
      histories: this.histories,
      turns: this.turns,
      usage: { ...this.usage },
      contextTokens: this.contextTokens,
      interrupted,
      compactions: this.compactions,
    };
  }

  private history(agent: string): ChatMessage[] {
    let h = this.histories.get(agent);
    if (!h) this.histories.set(agent, (h = []));
    return h;
  }

  private newTurn(run: OpenRun, turn: number): void {
    run.turn = turn;
    run.message = undefined;
    run.deltas = '';
    run.calls = [];
    run.results = new Map();
  }

  /** The turn's text as the run recorded it: its message, else the deltas streamed before the run was cut short. */
  private turnText(run: OpenRun): string {
    return run.message ?? run.deltas;
  }

  private closeToolTurn(run: OpenRun): void {
    const text = this.turnText(run);
    run.fresh.push({
      role: 'assistant',
      content: text || null,
      tool_calls: run.calls.map((c) => ({
        id: c.call_id,
        type: 'function',
        function: { name: c.name, arguments: JSON.stringify(c.args) },
      })),
    });
    for (const c of run.calls)
      run.fresh.push({ role: 'tool', tool_call_id: c.call_id, content: run.results.get(c.call_id) ?? '' });
    run.message = undefined;
    run.deltas = '';
    run.calls = [];
    run.results = new Map();
  }

  private end(e: RunEndEvent): void {
    this.usage.input_tokens += e.usage.input_tokens;
    this.usage.output_tokens += e.usage.output_tokens;
    this.usage.total_tokens = this.usage.input_tokens + this.usage.output_tokens;
    if (e.context_tokens !== undefined) this.contextTokens.set(this.key(e.agent), e.context_tokens);
    this.close(e.run_id, e);
  }

  /** Ends a run (`end` undefined: it never ended): its last turn's text joins, then all its messages. */
  private close(runId: string, end: RunEndEvent | undefined): void {
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.delete(runId);
    const text = this.turnText(run);
    if (end?.status === 'max_turns' && run.calls.length === 0) {
      // The loop stopped while the model still wanted tools: it recorded the turn's text, or an empty answer.
      run.fresh.push({ role: 'assistant', content: text || null });
    } else if (run.message !== undefined && run.calls.length === 0) {
      run.fresh.push({ role: 'assistant', content: run.message });
    } else if (text) {
      // Cut short: mid-answer (no message yet) or mid-tools (the calls are dropped, as the loop drops them).
      run.fresh.push({ role: 'assistant', content: text });
    }
    this.history(run.agent).push(...run.fresh);
  }

  private compact(record: SessionCompactRecord): void {
    const history = this.history(this.key(record.agent));
    const next = compactedHistory(history, record.summary, record.keep);
    history.length = 0;
    history.push(...next);
    this.compactions++;
  }
}

/** The text a run reports as its input for this record (run_start.input): the last user message. */
export function lastUserText(record: SessionUserRecord): string {
  if (!record.messages || record.messages.length === 0) return record.text;
  for (let i = record.messages.length - 1; i >= 0; i--) {
    const m = record.messages[i] as InputMessage;
    if (m.role === 'user') return contentText(m.content);
  }
  return '';
}

/** True for events the fold reads (a reader may skip parsing the others, e.g. `reasoning_delta`). */
export function isFoldedType(type: AgentEvent['type'] | SessionRecord['type']): boolean {
  return type !== 'reasoning_delta' && type !== 'error';
}
