/**
 * The chat screen as a pure reducer over AgentEvents and a few UI actions. Finished items go to `history` (printed
 * once through <Static>); only the active run's small live tail, running tool panels and counters stay in `run`.
 */
import type { AgentEvent, RunStatus, ToolCallEvent, ToolResultEvent } from '../core/events.js';
import { sanitize } from '../core/text/sanitize.js';
import { splitAtSafeBoundary } from './markdown.js';

/** A tool call as shown in its panel. */
export interface ToolView {
  call_id: string;
  name: string;
  args: Record<string, unknown>;
  startedAt: number;
  result?: string;
  is_error?: boolean;
  duration_ms?: number;
}

/** One finished, printed-once item of the transcript. */
export type HistoryItem =
  | { id: number; kind: 'header'; agent: string; model: string; isDemo: boolean }
  | { id: number; kind: 'user'; text: string }
  /** A piece of an answer; `continued` when an earlier piece of the same turn was already printed. */
  | { id: number; kind: 'assistant'; text: string; continued: boolean }
  | { id: number; kind: 'reasoning'; text: string }
  | { id: number; kind: 'tool'; tool: ToolView }
  | {
      id: number;
      kind: 'run_end';
      status: RunStatus;
      message?: string;
      duration_ms: number;
      output_tokens: number;
      tools: number;
    }
  | { id: number; kind: 'notice'; text: string; tone: 'info' | 'warn' | 'error' };

/** The run in progress. */
export interface LiveRun {
  startedAt: number;
  firstTokenAt?: number;
  lastTokenAt?: number;
  turn: number;
  /** Unprinted tail of the current answer (markdown). */
  text: string;
  /** True once part of the current turn's answer moved to history. */
  continued: boolean;
  reasoning: string;
  tools: ToolView[];
  outputChars: number;
  toolsRun: number;
  cancelling: boolean;
}

/** Everything the chat screen shows. */
export interface UiState {
  history: HistoryItem[];
  run: LiveRun | null;
  /** Bumped by /clear so <Static> starts over. */
  epoch: number;
  nextId: number;
  agent: string;
  model: string;
  isDemo: boolean;
}

/** What changes the screen. */
export type UiAction =
  | { type: 'submit'; text: string; now: number }
  /** A prompt that does not start a run (a slash command), shown like one. */
  | { type: 'echo'; text: string }
  | { type: 'events'; events: readonly AgentEvent[] }
  | { type: 'cancel' }
  | { type: 'notice'; text: string; tone?: 'info' | 'warn' | 'error' }
  | { type: 'model'; model: string }
  | { type: 'clear' };

type NewItem = HistoryItem extends infer H ? (H extends HistoryItem ? Omit<H, 'id'> : never) : never;

/** The screen before anything happened: just the header. */
export function initialState(info: { agent: string; model: string; isDemo: boolean }): UiState {
  return { history: [{ id: 0, kind: 'header', ...info }], run: null, epoch: 0, nextId: 1, ...info };
}

/** Output tokens of the run so far (estimated from streamed characters, ~4 per token). */
export function outputTokens(run: LiveRun): number {
  return Math.ceil(run.outputChars / 4);
}

/** Tokens per second since the first token (undefined until there is enough to estimate). */
export function tokensPerSecond(run: LiveRun, now: number): number | undefined {
  if (run.firstTokenAt === undefined) return undefined;
  const seconds = (now - run.firstTokenAt) / 1000;
  return seconds >= 0.25 ? outputTokens(run) / seconds : undefined;
}

function push(state: UiState, items: NewItem[]): UiState {
  if (items.length === 0) return state;
  let id = state.nextId;
  const added = items.map((it) => ({ ...it, id: id++ }));
  return { ...state, history: [...state.history, ...added], nextId: id };
}

/** Moves the live answer and reasoning of the current turn into history (end of a turn, tool call, run end). */
function flushTurn(state: UiState, run: LiveRun): { state: UiState; run: LiveRun } {
  const items: NewItem[] = [];
  if (run.reasoning.trim()) items.push({ kind: 'reasoning', text: run.reasoning.trim() });
  if (run.text.trim()) items.push({ kind: 'assistant', text: run.text.replace(/\s+$/, ''), continued: run.continued });
  return { state: push(state, items), run: { ...run, text: '', reasoning: '', continued: false } };
}

function applyEvent(state: UiState, e: AgentEvent): UiState {
  let run = state.run;
  if (!run) return state; // events of a run the screen no longer follows
  switch (e.type) {
    case 'run_start':
      return { ...state, run: { ...run, startedAt: Math.min(run.startedAt, e.ts) } };
    case 'reasoning_delta':
      return { ...state, run: { ...run, reasoning: run.reasoning + e.text, turn: e.turn } };
    case 'text_delta': {
      let next = state;
      if (e.turn !== run.turn && (run.text || run.reasoning)) ({ state: next, run } = flushTurn(state, run));
      const text = run.text + e.text;
      run = {
        ...run,
        turn: e.turn,
        outputChars: run.outputChars + e.text.length,
        firstTokenAt: run.firstTokenAt ?? e.ts,
        lastTokenAt: e.ts,
      };
      // A boundary can only appear with a new line break: skip the scan for the (many) deltas without one.
      const { done, rest } = e.text.includes('\n') ? splitAtSafeBoundary(text) : { done: '', rest: text };
      if (done) {
        next = push(next, [
          ...(run.reasoning.trim() ? [{ kind: 'reasoning', text: run.reasoning.trim() } as NewItem] : []),
          { kind: 'assistant', text: done, continued: run.continued },
        ]);
        run = { ...run, text: rest, continued: true, reasoning: '' };
      } else {
        run = { ...run, text };
      }
      return { ...next, run };
    }
    case 'tool_call': {
      const flushed = flushTurn(state, run);
      return { ...flushed.state, run: { ...flushed.run, turn: e.turn, tools: [...flushed.run.tools, runningTool(e)] } };
    }
    case 'tool_result': {
      const next = push(state, [{ kind: 'tool', tool: finishedTool(run.tools, e) }]);
      return {
        ...next,
        run: { ...run, tools: run.tools.filter((t) => t.call_id !== e.call_id), toolsRun: run.toolsRun + 1 },
      };
    }
    case 'tool_approval_request':
    case 'tool_approval':
      return state;
    case 'message': {
      const flushed = flushTurn(state, run);
      return { ...flushed.state, run: flushed.run };
    }
    case 'error':
      return { ...push(state, [{ kind: 'notice', text: sanitize(e.error.message), tone: 'warn' }]), run };
    case 'run_end': {
      const flushed = flushTurn(state, run);
      const orphans: NewItem[] = flushed.run.tools.map((t) => ({ kind: 'tool', tool: interruptedTool(t, e.ts) }));
      const next = push(flushed.state, [
        ...orphans,
        {
          kind: 'run_end',
          status: e.status,
          ...(e.error ? { message: sanitize(e.error.message) } : {}),
          duration_ms: e.duration_ms,
          output_tokens: e.usage.output_tokens || outputTokens(run),
          tools: run.toolsRun,
        },
      ]);
      return { ...next, run: null };
    }
  }
}

/** The pure state transition of the chat screen. */
export function reducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'submit': {
      const next = push(state, [{ kind: 'user', text: sanitize(action.text) }]);
      const run: LiveRun = {
        startedAt: action.now,
        turn: 1,
        text: '',
        continued: false,
        reasoning: '',
        tools: [],
        outputChars: 0,
        toolsRun: 0,
        cancelling: false,
      };
      return { ...next, run };
    }
    case 'echo':
      return push(state, [{ kind: 'user', text: sanitize(action.text) }]);
    case 'events': {
      let next = state;
      for (const e of action.events) next = applyEvent(next, e);
      return next;
    }
    case 'cancel':
      return state.run ? { ...state, run: { ...state.run, cancelling: true } } : state;
    case 'notice':
      return push(state, [{ kind: 'notice', text: action.text, tone: action.tone ?? 'info' }]);
    case 'model':
      return {
        ...push(state, [{ kind: 'notice', text: `model: ${action.model}`, tone: 'info' }]),
        model: action.model,
      };
    case 'clear':
      return {
        ...state,
        history: [{ id: state.nextId, kind: 'header', agent: state.agent, model: state.model, isDemo: state.isDemo }],
        nextId: state.nextId + 1,
        epoch: state.epoch + 1,
      };
  }
}

/** The conversation on screen as a markdown document (`/save`). */
export function transcriptMarkdown(state: UiState, now: Date = new Date()): string {
  const out: string[] = [`# agentor chat — ${state.agent} (${state.model})`, '', `_Saved ${now.toISOString()}_`, ''];
  let lastKind = '';
  for (const item of state.history) {
    switch (item.kind) {
      case 'user':
        if (/^\/[a-zA-Z]/.test(item.text)) continue; // slash commands are not part of the conversation
        out.push('## You', '', item.text, '');
        break;
      case 'assistant':
        if (lastKind !== 'assistant' && !item.continued) out.push(`## ${state.agent}`, '');
        out.push(item.text, '');
        break;
      case 'tool': {
        const t = item.tool;
        const mark = t.is_error ? '✗' : '✓';
        out.push(
          `> ${mark} tool \`${t.name}\` ${JSON.stringify(t.args)} (${t.duration_ms ?? 0} ms)`,
          '',
          '```',
          (t.result ?? '').replace(/```/g, '`\u200b``'),
          '```',
          '',
        );
        break;
      }
      case 'run_end':
        if (item.status !== 'completed') out.push(`_(${item.status}${item.message ? `: ${item.message}` : ''})_`, '');
        break;
      default:
        break;
    }
    if (item.kind !== 'reasoning') lastKind = item.kind;
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/\s*$/, '\n');
}

/** A tool panel for a call that started (name sanitised; the arguments are drawn sanitised by the panel). */
export function runningTool(e: ToolCallEvent): ToolView {
  return { call_id: e.call_id, name: sanitize(e.name), args: e.args, startedAt: e.ts };
}

/** The finished panel of a call, from its running one among `running` (when the call was seen) and its result. */
export function finishedTool(running: readonly ToolView[], e: ToolResultEvent): ToolView {
  const started = running.find((t) => t.call_id === e.call_id);
  return {
    call_id: e.call_id,
    name: sanitize(e.name),
    args: started?.args ?? {},
    startedAt: started?.startedAt ?? e.ts - e.duration_ms,
    result: sanitize(e.result),
    is_error: e.is_error,
    duration_ms: e.duration_ms,
  };
}

/** A call still "running" when its run was cut short never reports: its panel shows it as interrupted at `ts`. */
export function interruptedTool(t: ToolView, ts: number): ToolView {
  return { ...t, result: 'interrupted', is_error: true, duration_ms: Math.max(0, ts - t.startedAt) };
}
