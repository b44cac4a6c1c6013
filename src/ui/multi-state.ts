/**
 * The multi-agent screen (`agentor chat --agent a --agent b …`) as a pure reducer over the merged event stream:
 * one panel per agent, told apart by `run_id` (two agents may share a name). A panel stays live until its run ends,
 * then moves to `history` whole, to be printed once through <Static>; live panels only ever show their tail.
 * In a conversation every message starts a round: the addressed agents (all, or those named with `@name`) get a
 * live panel each, and the round ends when the last of them has.
 */
import type { AgentEvent, RunEndEvent, RunStatus } from '../core/events.js';
import { sanitize } from '../core/text/sanitize.js';
import { splitAtSafeBoundary } from './markdown.js';
import { finishedTool, interruptedTool, runningTool, type ToolView } from './state.js';

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
  /** The message (round) this panel answers. */
  round: number;
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
  | { id: string; kind: 'header'; agents: string[]; isDemo: boolean; conversation: boolean }
  /** A message; `to` names the agents it was addressed to with `@name` (absent: every agent). */
  | { id: string; kind: 'user'; text: string; to?: string[] }
  | { id: string; kind: 'panel'; panel: AgentPanel }
  /** After the last run of a round ended: how they all ended. */
  | { id: string; kind: 'summary'; ends: PanelEnd[]; duration_ms: number; tokens: number }
  | { id: string; kind: 'notice'; text: string; tone: 'info' | 'warn' | 'error' };

/** An agent as the screen knows it (name and model sanitised). */
export interface AgentInfo {
  name: string;
  model: string;
  isDemo: boolean;
}

/** Everything the multi-agent screen shows. */
export interface MultiState {
  agents: AgentInfo[];
  history: MultiHistoryItem[];
  /** Panels of the current round's runs still going, in command-line order. */
  live: AgentPanel[];
  /** The current round's panel ends, in the order the runs ended. */
  ends: PanelEnd[];
  /** Agents in the current round. */
  total: number;
  startedAt: number;
  cancelling: boolean;
  /** Messages sent so far; the current round's number. */
  round: number;
  /** Output tokens and tool calls of the current round's finished panels (the progress line never scans history). */
  doneTokens: number;
  doneTools: number;
  /** Bumped by `clear` so <Static> starts over. */
  epoch: number;
  nextId: number;
  conversation: boolean;
}

/** What changes the multi-agent screen. */
export type MultiAction =
  /** A message goes to the agents at `targets` (positions in `agents`; default all of them). */
  | { type: 'start'; prompt: string; now: number; targets?: readonly number[]; shown?: string }
  | { type: 'events'; events: readonly AgentEvent[] }
  | { type: 'cancel' }
  /** The merged stream stopped while some panels had not ended (should not happen): end them as failed. */
  | { type: 'abandon'; message: string; now: number }
  /** A prompt that does not start a round (a slash command), shown like one. */
  | { type: 'echo'; text: string }
  | { type: 'notice'; text: string; tone?: 'info' | 'warn' | 'error' }
  /** Forget what is on screen (the conversations are cleared by the caller). */
  | { type: 'clear' };

function headerItem(agents: readonly AgentInfo[], conversation: boolean, id: string): MultiHistoryItem {
  return {
    id,
    kind: 'header',
    agents: agents.map((a) => a.name),
    isDemo: agents.length > 0 && agents.every((a) => a.isDemo),
    conversation,
  };
}

/** The screen before the first message: a header naming the agents. */
export function initialMultiState(
  agents: ReadonlyArray<{ name: string; model: string; isDemo: boolean }>,
  now = Date.now(),
  conversation = false,
): MultiState {
  const infos = agents.map((a) => ({ name: sanitize(a.name), model: sanitize(a.model), isDemo: a.isDemo }));
  return {
    agents: infos,
    history: [headerItem(infos, conversation, 'header')],
    live: [],
    ends: [],
    total: 0,
    startedAt: now,
    cancelling: false,
    round: 0,
    doneTokens: 0,
    doneTools: 0,
    epoch: 0,
    nextId: 1,
    conversation,
  };
}

function newPanel(info: AgentInfo, key: number, round: number): AgentPanel {
  return {
    key,
    round,
    agent: info.name,
    model: info.model,
    turn: 1,
    blocks: [],
    text: '',
    reasoning: '',
    tools: [],
    outputChars: 0,
    toolsRun: 0,
  };
}

/** Where a message goes: the agents it names with leading `@name`s, and the text without them. */
export type Addressed = { targets: number[]; text: string; to?: string[] } | { error: string };

/**
 * Reads leading `@name` words of a message (`@a @b question`): the message goes to those agents only; without them,
 * to every agent. Names match exactly, else case-insensitively; two agents sharing a name are both addressed.
 */
/** How an agent is addressed: its name, with runs of white space as "-" (a remote A2A agent's name may have spaces). */
export function addressName(name: string): string {
  return name.trim().replace(/\s+/g, '-');
}

export function parseAddress(message: string, names: readonly string[]): Addressed {
  const all = names.map((_, i) => i);
  if (!message.startsWith('@')) return { targets: all, text: message };
  const targets: number[] = [];
  const to: string[] = [];
  let rest = message;
  for (let m = /^@(\S+)\s*/.exec(rest); m; m = /^@(\S+)\s*/.exec(rest)) {
    const word = m[1] as string;
    let found = all.filter((i) => names[i] === word);
    if (found.length === 0) found = all.filter((i) => (names[i] as string).toLowerCase() === word.toLowerCase());
    if (found.length === 0)
      found = all.filter((i) => addressName(names[i] as string).toLowerCase() === word.toLowerCase());
    if (found.length === 0) {
      return {
        error: `no agent named @${sanitize(word)} — the agents are ${names.map((n) => `@${addressName(n)}`).join(', ')} (start the message with a space to send text beginning with @)`,
      };
    }
    for (const i of found) if (!targets.includes(i)) targets.push(i);
    if (!to.includes(names[found[0] as number] as string)) to.push(names[found[0] as number] as string);
    rest = rest.slice(m[0].length);
  }
  if (!rest.trim())
    return { error: `nothing to send to ${to.map((n) => `@${n}`).join(' ')}: write the message after the name` };
  targets.sort((a, b) => a - b);
  return targets.length === names.length ? { targets, text: rest } : { targets, text: rest, to };
}

/** Output tokens of a panel: the run's reported usage once it ended, else estimated from streamed text (~4 chars each). */
export function panelTokens(panel: AgentPanel): number {
  return panel.end ? panel.end.output_tokens : Math.ceil(panel.outputChars / 4);
}

/** Output tokens of every agent in the current round so far. */
export function totalTokens(state: MultiState): number {
  let n = state.doneTokens;
  for (const p of state.live) n += panelTokens(p);
  return n;
}

/** Tool calls finished by every agent in the current round so far. */
export function totalToolsRun(state: MultiState): number {
  let n = state.doneTools;
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
      const base = {
        ...q,
        turn: e.turn,
        outputChars: q.outputChars + e.text.length,
        firstTokenAt: q.firstTokenAt ?? e.ts,
      };
      // A boundary can only appear with a new line break: skip the scan for the (many) deltas without one.
      const { done, rest } = e.text.includes('\n') ? splitAtSafeBoundary(text) : { done: '', rest: text };
      if (!done) return { ...base, text };
      const head: PanelBlock[] = base.reasoning.trim() ? [{ kind: 'reasoning', text: base.reasoning.trim() }] : [];
      return { ...base, blocks: [...base.blocks, ...head, { kind: 'text', text: done }], text: rest, reasoning: '' };
    }
    case 'tool_call': {
      const q = flushTurn(p);
      return { ...q, turn: e.turn, tools: [...q.tools, runningTool(e)] };
    }
    case 'tool_result': {
      return {
        ...p,
        blocks: [...p.blocks, { kind: 'tool', tool: finishedTool(p.tools, e) }],
        tools: p.tools.filter((t) => t.call_id !== e.call_id),
        toolsRun: p.toolsRun + 1,
      };
    }
    case 'tool_approval_request':
    case 'tool_approval':
      return p;
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
  const orphans: PanelBlock[] = q.tools.map((t) => ({ kind: 'tool', tool: interruptedTool(t, e.ts) }));
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
    history: [...state.history, { id: `panel-${panel.round}-${panel.key}`, kind: 'panel', panel }],
    ends: [...state.ends, panel.end as PanelEnd],
    doneTokens: state.doneTokens + panelTokens(panel),
    doneTools: state.doneTools + panel.toolsRun,
  };
  if (next.live.length > 0) return next;
  // A message to one agent needs no summary: its panel already says how it ended.
  if (next.total < 2) return { ...next, cancelling: false };
  const summary: MultiHistoryItem = {
    id: `summary-${state.round}`,
    kind: 'summary',
    ends: next.ends,
    duration_ms: Math.max(0, e.ts - state.startedAt),
    tokens: totalTokens(next),
  };
  return { ...next, cancelling: false, history: [...next.history, summary] };
}

function push(
  state: MultiState,
  item: MultiHistoryItem extends infer H ? (H extends MultiHistoryItem ? Omit<H, 'id'> : never) : never,
): MultiState {
  return {
    ...state,
    history: [...state.history, { ...item, id: `item-${state.nextId}` }],
    nextId: state.nextId + 1,
  };
}

/** The pure state transition of the multi-agent screen. */
export function multiReducer(state: MultiState, action: MultiAction): MultiState {
  switch (action.type) {
    case 'start': {
      if (state.live.length > 0) return state; // one round at a time
      const round = state.round + 1;
      const targets = (action.targets ?? state.agents.map((_, i) => i)).filter((i) => state.agents[i] !== undefined);
      const to =
        targets.length < state.agents.length ? { to: targets.map((i) => (state.agents[i] as AgentInfo).name) } : {};
      const next = push(state, { kind: 'user', text: sanitize(action.shown ?? action.prompt), ...to });
      return {
        ...next,
        round,
        live: targets.map((i) => newPanel(state.agents[i] as AgentInfo, i, round)),
        ends: [],
        total: targets.length,
        startedAt: action.now,
        cancelling: false,
        doneTokens: 0,
        doneTools: 0,
      };
    }
    case 'echo':
      return push(state, { kind: 'user', text: sanitize(action.text) });
    case 'notice':
      return push(state, { kind: 'notice', text: action.text, tone: action.tone ?? 'info' });
    case 'clear':
      return {
        ...state,
        history: [headerItem(state.agents, state.conversation, `header-${state.nextId}`)],
        nextId: state.nextId + 1,
        epoch: state.epoch + 1,
      };
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
          type: 'run_end',
          run_id: p.run_id ?? `pending-${p.round}-${p.key}`,
          seq: Number.MAX_SAFE_INTEGER,
          ts: action.now,
          agent: p.agent,
          status: 'failed',
          text: '',
          usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
          duration_ms: Math.max(0, action.now - (p.startedAt ?? state.startedAt)),
          error: { message: action.message, retryable: false },
        };
        next = endLive(
          next,
          next.live.findIndex((q) => q.key === p.key),
          e,
        );
      }
      return next;
    }
  }
}

/** The conversation on screen as a markdown document (`/save`): every message, then each agent's answer under its name. */
export function multiTranscriptMarkdown(state: MultiState, now: Date = new Date()): string {
  const who = state.agents.map((a) => `${a.name} (${a.model})`).join(', ');
  const out: string[] = [`# agentor chat — ${who}`, '', `_Saved ${now.toISOString()}_`, ''];
  for (const item of state.history) {
    if (item.kind === 'user') {
      if (/^\/[a-zA-Z]/.test(item.text)) continue; // slash commands are not part of the conversation
      out.push(item.to ? `## You → ${item.to.join(', ')}` : '## You', '', item.text, '');
    } else if (item.kind === 'panel') {
      const p = item.panel;
      out.push(`## ${p.agent}`, '');
      for (const b of p.blocks) {
        // Answer text was sanitised as it streamed in the app; again here, so a `cat` of the file is safe whatever fed the state.
        if (b.kind === 'text') out.push(sanitize(b.text), '');
        else if (b.kind === 'notice') out.push(`> ⚠ ${b.text}`, '');
        else if (b.kind === 'tool') {
          const t = b.tool;
          out.push(
            `> ${t.is_error ? '✗' : '✓'} tool \`${t.name}\` ${JSON.stringify(t.args)} (${t.duration_ms ?? 0} ms)`,
            '',
            '```',
            (t.result ?? '').replace(/```/g, '`\u200b``'),
            '```',
            '',
          );
        }
      }
      if (p.end && p.end.status !== 'completed')
        out.push(`_(${p.end.status}${p.end.message ? `: ${p.end.message}` : ''})_`, '');
    }
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/\s*$/, '\n');
}
