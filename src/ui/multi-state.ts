/**
 * The multi-agent screen (`agentor chat --agent a --agent b "…"`) as a pure reducer over the merged event stream:
 * one panel per agent, told apart by `run_id` (two agents may share a name). A panel stays live until its run ends,
 * then moves to `history` whole, to be printed once through <Static>; live panels only ever show their tail.
 */
import type { AgentEvent, RunEndEvent, RunStatus } from '../core/events.js';
import { sanitize } from '../render/sanitize.js';
import { splitAtSafeBoundary } from './markdown.js';
import type { ToolView } from './state.js';

/** A finished piece of a panel's content, in stream order. */
export type PanelBlock =
  | { kind: 'text'; text: string }
  | { kind: 'reasoning'; text: string }
  | { kind: 'tool'; tool: ToolView }
  | { kind: 'notice'; text: string };

/** How a panel's run ended. */
export interface PanelEnd {
  status: RunStatus;
  message?: string;
  duration_ms: number;
  output_tokens: number;
}

/** One agent's run as its panel shows it. */
export interface AgentPanel {
  /** Stable identity (the agent's position on the command line). */
  key: number;
  agent: string;
  /** The agent's configured model until its run_start names the one actually used. */
  model: string;
  run_id?: string;
  startedAt?: number;
  firstTokenAt?: number;
  turn: number;
  /** Finished content (paragraphs split at safe markdown boundaries, finished tools, notices). */
  blocks: PanelBlock[];
  /** Unfinished tail of the current answer (markdown). */
  text: string;
  reasoning: string;
  /** Tool calls still running. */
  tools: ToolView[];
  outputChars: number;
  toolsRun: number;
  end?: PanelEnd;
}

/** A once-printed item of the multi-agent screen. */
export type MultiHistoryItem =
  | { id: string; kind: 'header'; agents: string[]; isDemo: boolean }
  | { id: string; kind: 'user'; text: string }
  | { id: string; kind: 'panel'; panel: AgentPanel }
  /** After the last run ended: how they all ended. */
  | { id: string; kind: 'summary'; ends: PanelEnd[]; duration_ms: number; tokens: number };

/** Everything the multi-agent screen shows. */
export interface MultiState {
  history: MultiHistoryItem[];
  /** Panels of runs still going, in command-line order. */
  live: AgentPanel[];
  /** Every panel's end, in the order the runs ended. */
  ends: PanelEnd[];
  total: number;
  startedAt: number;
  cancelling: boolean;
}

/** What changes the multi-agent screen. */
export type MultiAction =
  | { type: 'start'; prompt: string; now: number }
  | { type: 'events'; events: readonly AgentEvent[] }
  | { type: 'cancel' }
  /** The merged stream stopped while some panels had not ended (should not happen): end them as failed. */
  | { type: 'abandon'; message: string; now: number };

/** The screen before the runs start: a header and a waiting panel per agent. */
export function initialMultiState(agents: ReadonlyArray<{ name: string; model: string; isDemo: boolean }>, now = Date.now()): MultiState {
  const names = agents.map((a) => sanitize(a.name));
  return {
    history: [{ id: 'header', kind: 'header', agents: names, isDemo: agents.length > 0 && agents.every((a) => a.isDemo) }],
    live: agents.map((a, key) => ({
      key,
      agent: names[key] as string,
      model: sanitize(a.model),
      turn: 1,
      blocks: [],
      text: '',
      reasoning: '',
      tools: [],
      outputChars: 0,
      toolsRun: 0,
    })),
    ends: [],
    total: agents.length,
    startedAt: now,
    cancelling: false,
  };
}

/** Output tokens of a panel: the run's reported usage once it ended, else estimated from streamed text (~4 chars each). */
export function panelTokens(panel: AgentPanel): number {
  return panel.end ? panel.end.output_tokens : Math.ceil(panel.outputChars / 4);
}

/** Output tokens of every agent so far. */
export function totalTokens(state: MultiState): number {
  let n = 0;
  for (const item of state.history) if (item.kind === 'panel') n += panelTokens(item.panel);
  for (const p of state.live) n += panelTokens(p);
  return n;
}

/** Tool calls finished by every agent so far. */
export function totalToolsRun(state: MultiState): number {
  let n = 0;
  for (const item of state.history) if (item.kind === 'panel') n += item.panel.toolsRun;
  for (const p of state.live) n += p.toolsRun;
  return n;
}

/** What a live panel is doing, in a word or two. */
export function panelActivity(panel: AgentPanel, cancelling: boolean): string {
  if (cancelling) return 'cancelling';
  if (panel.run_id === undefined) return 'starting';
  if (panel.tools.length > 0) return `running ${panel.tools.map((t) => t.name).join(', ')}`;
  if (panel.text === '' && panel.reasoning !== '') return 'reasoning';
  return panel.text === '' ? 'thinking' : 'writing';
}

/** Moves the current turn's reasoning and answer tail into the panel's finished blocks. */
function flushTurn(p: AgentPanel): AgentPanel {
  const blocks = [...p.blocks];
  if (p.reasoning.trim()) blocks.push({ kind: 'reasoning', text: p.reasoning.trim() });
  if (p.text.trim()) blocks.push({ kind: 'text', text: p.text.replace(/\s+$/, '') });
  return { ...p, blocks, text: '', reasoning: '' };
}

function applyToPanel(p: AgentPanel, e: AgentEvent): AgentPanel {
  switch (e.type) {
    case 'run_start':
      return { ...p, run_id: e.run_id, model: sanitize(e.model) || p.model, startedAt: e.ts };
    case 'reasoning_delta':
      return { ...p, reasoning: p.reasoning + e.text, turn: e.turn };
    case 'text_delta': {
      const q = e.turn !== p.turn && (p.text || p.reasoning) ? flushTurn(p) : p;
      const text = q.text + e.text;
      const base = { ...q, turn: e.turn, outputChars: q.outputChars + e.text.length, firstTokenAt: q.firstTokenAt ?? e.ts };
      // A boundary can only appear with a new line break: skip the scan for the (many) deltas without one.
      const { done, rest } = e.text.includes('\n') ? splitAtSafeBoundary(text) : { done: '', rest: text };
      if (!done) return { ...base, text };
      const head: PanelBlock[] = base.reasoning.trim() ? [{ kind: 'reasoning', text: base.reasoning.trim() }] : [];
      return { ...base, blocks: [...base.blocks, ...head, { kind: 'text', text: done }], text: rest, reasoning: '' };
    }
    case 'tool_call': {
      const q = flushTurn(p);
      const tool: ToolView = { call_id: e.call_id, name: sanitize(e.name), args: e.args, startedAt: e.ts };
      return { ...q, turn: e.turn, tools: [...q.tools, tool] };
    }
    case 'tool_result': {
      const running = p.tools.find((t) => t.call_id === e.call_id);
      const tool: ToolView = {
        call_id: e.call_id,
        name: sanitize(e.name),
        args: running?.args ?? {},
        startedAt: running?.startedAt ?? e.ts - e.duration_ms,
        result: sanitize(e.result),
        is_error: e.is_error,
        duration_ms: e.duration_ms,
      };
      return { ...p, blocks: [...p.blocks, { kind: 'tool', tool }], tools: p.tools.filter((t) => t.call_id !== e.call_id), toolsRun: p.toolsRun + 1 };
    }
    case 'message':
      return flushTurn(p);
    case 'error':
      return { ...p, blocks: [...p.blocks, { kind: 'notice', text: sanitize(e.error.message) }] };
    case 'run_end':
      return endPanel(p, e);
  }
}

function endPanel(p: AgentPanel, e: RunEndEvent): AgentPanel {
  const q = flushTurn(p);
  // Tools still "running" when a run is cut short never report: show them as interrupted.
  const orphans: PanelBlock[] = q.tools.map((t) => ({
    kind: 'tool',
    tool: { ...t, result: 'interrupted', is_error: true, duration_ms: Math.max(0, e.ts - t.startedAt) },
  }));
  const end: PanelEnd = {
    status: e.status,
    ...(e.error ? { message: sanitize(e.error.message) } : {}),
    duration_ms: e.duration_ms,
    output_tokens: e.usage.output_tokens || Math.ceil(q.outputChars / 4),
  };
  return { ...q, blocks: [...q.blocks, ...orphans], tools: [], end };
}

/** The live panel an event belongs to: by run_id, or for a run_start the first unclaimed panel of that agent. */
function panelIndex(live: readonly AgentPanel[], e: AgentEvent): number {
  const i = live.findIndex((p) => p.run_id === e.run_id);
  if (i !== -1 || e.type !== 'run_start') return i;
  const named = live.findIndex((p) => p.run_id === undefined && p.agent === sanitize(e.agent));
  return named !== -1 ? named : live.findIndex((p) => p.run_id === undefined);
}

function applyEvent(state: MultiState, e: AgentEvent): MultiState {
  const i = panelIndex(state.live, e);
  if (i === -1) return state; // a run the screen does not show (already ended, or not one of its agents)
  if (e.type === 'run_end') return endLive(state, i, e);
  const panel = applyToPanel(state.live[i] as AgentPanel, e);
  return { ...state, live: state.live.map((p, j) => (j === i ? panel : p)) };
}

/** Ends live panel `i`: it moves to history whole; after the last one, a summary follows. */
function endLive(state: MultiState, i: number, e: RunEndEvent): MultiState {
  const panel = endPanel(state.live[i] as AgentPanel, e);
  const next: MultiState = {
    ...state,
    live: state.live.filter((_, j) => j !== i),
    history: [...state.history, { id: `panel-${panel.key}`, kind: 'panel', panel }],
    ends: [...state.ends, panel.end as PanelEnd],
  };
  if (next.live.length > 0) return next;
  const summary: MultiHistoryItem = { id: 'summary', kind: 'summary', ends: next.ends, duration_ms: Math.max(0, e.ts - state.startedAt), tokens: totalTokens(next) };
  return { ...next, history: [...next.history, summary] };
}

/** The pure state transition of the multi-agent screen. */
export function multiReducer(state: MultiState, action: MultiAction): MultiState {
  switch (action.type) {
    case 'start':
      return { ...state, startedAt: action.now, history: [...state.history, { id: 'prompt', kind: 'user', text: sanitize(action.prompt) }] };
    case 'events': {
      let next = state;
      for (const e of action.events) next = applyEvent(next, e);
      return next;
    }
    case 'cancel':
      return state.live.length > 0 ? { ...state, cancelling: true } : state;
    case 'abandon': {
      let next = state;
      for (const p of state.live) {
        const e: RunEndEvent = {
          type: 'run_end', run_id: p.run_id ?? `pending-${p.key}`, seq: Number.MAX_SAFE_INTEGER, ts: action.now, agent: p.agent,
          status: 'failed', text: '', usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
          duration_ms: Math.max(0, action.now - (p.startedAt ?? state.startedAt)), error: { message: action.message, retryable: false },
        };
        next = endLive(next, next.live.findIndex((q) => q.key === p.key), e);
      }
      return next;
    }
  }
}
