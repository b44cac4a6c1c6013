/**
 * The chat screen — one agent or several — as a pure reducer over AgentEvents and a few UI actions.
 *
 * Every message starts a round: one panel per addressed agent, in the order the agents were given. Output that is
 * final (see layout/md-stream.ts) becomes lines in `print`, which the screen prints once into the terminal's
 * scrollback and then acknowledges (`printed`), so finished history lives in the terminal, not in this state. Only
 * the live tail of each answer, running tool calls and counters stay here.
 *
 * Panels print in call order: the first panel not printed yet "leads" and streams straight into the scrollback;
 * the others keep what they finished (`held`) until they lead. With one agent that is the whole story; with several,
 * each answer opens with a rule naming its agent and the round ends with a summary line.
 */
import type { AgentEvent, RunEndEvent, RunStatus } from '../core/events.js';
import { sanitize } from '../core/text/sanitize.js';
import { flat } from '../core/flat-text.js';
import {
  endLines,
  headerLines,
  noticeLines,
  reasoningNote,
  summaryLines,
  titleLines,
  userLines,
  type PanelEnd,
  type Tone,
} from './layout/chrome.js';
import { lines as rowLines, renderMarkdown } from './layout/markdown.js';
import { advanceStream, finishStream, newStream, type MdStream, type StreamLayout } from './layout/md-stream.js';
import { wrapSpans } from './layout/wrap.js';
import { finishedTool, interruptedTool, runningTool, toolPanelLines, type ToolView } from './layout/tool-panel.js';

export type { PanelEnd, Tone, ToolView };

/** An agent as the screen knows it (name and model sanitised). */
export interface AgentInfo {
  name: string;
  model: string;
  isDemo: boolean;
}

/** The terminal the lines are laid out for. */
export interface Layout {
  width: number;
  rows: number;
  color: boolean;
}

/** Lines to print once, above the live region. */
export interface PrintItem {
  id: number;
  lines: string[];
}

/** Reasoning of the current turn. */
export interface LiveReasoning {
  text: string;
  /** Printed in full as it streams (Ctrl+O), or kept as a live tail and collapsed to one line. */
  full: boolean;
  stream: MdStream;
  pending: string;
  live: string[];
}

/** One agent's run in the current round. */
export interface Panel {
  /** The agent's position among the chat's agents. */
  key: number;
  agent: string;
  /** The agent's configured model until its run_start names the one used. */
  model: string;
  run_id?: string;
  startedAt?: number;
  firstTokenAt?: number;
  /** Last sign of life from the model (a token, a tool call): the stall indicator counts from here. */
  lastTokenAt?: number;
  turn: number;
  /** The current turn's answer, as far as it is laid out. */
  answer: MdStream;
  /** Answer text received but not laid out yet (laid out once per batch of events, not per token). */
  pending: string;
  /** The answer's live lines. */
  live: string[];
  reasoning: LiveReasoning | null;
  /** This turn's tool calls not printed yet, in call order (a finished one waits for those called before it). */
  tools: ToolView[];
  /** Lines finished while another panel leads. */
  held: string[];
  outputChars: number;
  toolsRun: number;
  /** The call waiting for the user's approval (the progress line says so instead of counting a stall). */
  approving?: string;
  end?: PanelEnd;
  /** The answer as text, in stream order (for /save, /copy and Ctrl+O). */
  parts: AnswerPart[];
}

/** A piece of an answer as the transcript keeps it. */
export type AnswerPart =
  { kind: 'text'; text: string; turn: number } | { kind: 'reasoning'; text: string } | { kind: 'tool'; tool: ToolView };

/** The message being answered. */
export interface Round {
  number: number;
  startedAt: number;
  cancelling: boolean;
  panels: Panel[];
  /** Index of the panel whose output goes to the screen; every panel before it is printed whole. */
  lead: number;
}

/** A finished exchange, kept as text for /save, /copy and Ctrl+O (what was printed lives in the terminal). */
export type TranscriptEntry =
  | { kind: 'user'; text: string; to?: string[] }
  | {
      kind: 'answer';
      round: number;
      agent: string;
      model: string;
      parts: AnswerPart[];
      status: RunStatus;
      message?: string;
    };

/** Everything the chat screen shows. */
export interface ChatState {
  agents: AgentInfo[];
  /** The prompt stays open for more messages. */
  conversation: boolean;
  layout: Layout;
  /** Lines waiting to be printed (dropped once printed). */
  print: PrintItem[];
  nextId: number;
  round: Round | null;
  rounds: number;
  transcript: TranscriptEntry[];
  /** Ctrl+O: reasoning printed in full as it streams. */
  reasoningFull: boolean;
  /** The model every agent uses from the next message (`/model`); each agent's own when undefined. */
  model?: string;
  /** The id of the session the chat is recorded in (the header shows its short form). */
  session?: string;
}

/** What changes the screen. */
export type ChatAction =
  | { type: 'layout'; layout: Layout }
  /** A message goes to the agents at `targets` (positions in `agents`; all of them by default). */
  | {
      type: 'start';
      prompt: string;
      now: number;
      targets?: readonly number[];
      shown?: string;
      /** Lines under the message, such as the files attached to it ("attached src/a.ts (120 lines)"). */
      notes?: ReadonlyArray<{ text: string; tone: Tone }>;
    }
  /** A batch of events; `printed` acknowledges what is on the screen by now (saves a render of its own). */
  | { type: 'events'; events: readonly AgentEvent[]; printed?: number }
  | { type: 'cancel' }
  /** The event stream stopped while some panels had not ended (should not happen): end them as failed. */
  | { type: 'abandon'; message: string; now: number }
  /** A prompt that does not start a round (a slash command), shown like one. */
  | { type: 'echo'; text: string }
  | { type: 'notice'; text: string; tone?: Tone }
  | { type: 'model'; model: string }
  /** Forget the conversation (the screen is cleared by the caller). */
  | { type: 'clear' }
  /** Ctrl+O: print reasoning in full from now on (and the last answer's right away), or collapse it again. */
  | { type: 'reasoning'; full: boolean }
  /** Everything up to `id` is on the screen. */
  | { type: 'printed'; id: number }
  /** The chat goes on in another session (`/new`, `/resume`): a fresh transcript, `lines` printed (what it holds). */
  | { type: 'session'; id: string; lines: readonly string[] };

const REASONING_STYLE = { dim: true, italic: true };
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

/** Streamed text, sanitised (the hook already did; this keeps the reducer safe whatever feeds it). */
function clean(text: string): string {
  return CONTROL.test(text) ? sanitize(text) : text;
}
/** Rows of collapsed reasoning shown live while it streams. */
export const REASONING_TAIL_ROWS = 3;

/** The screen before the first message: the header. */
export function initialChatState(
  agents: ReadonlyArray<{ name: string; model: string; isDemo: boolean }>,
  layout: Layout,
  conversation = true,
  /** Lines printed under the header (a resumed session's conversation so far). */
  intro: readonly string[] = [],
  /** The session's id, for the header. */
  session?: string,
): ChatState {
  const infos = agents.map((a) => ({ name: sanitize(a.name), model: sanitize(a.model), isDemo: a.isDemo }));
  return {
    agents: infos,
    conversation,
    layout,
    ...(session ? { session } : {}),
    print: [{ id: 0, lines: [...headerLines(infos, conversation, layout.width, layout.color, session), ...intro] }],
    nextId: 1,
    round: null,
    rounds: 0,
    transcript: [],
    reasoningFull: false,
  };
}

/** Output tokens of a panel: the run's reported usage once it ended, else estimated from streamed text (~4 chars). */
export function panelTokens(p: Panel): number {
  return p.end ? p.end.output_tokens : Math.ceil(p.outputChars / 4);
}

/** Whether the screen shows several agents (panels get a title rule, rounds a summary). */
export function several(state: ChatState): boolean {
  return state.agents.length > 1;
}

function streamLayout(l: Layout, base?: StreamLayout['base']): StreamLayout {
  return { width: l.width, rows: l.rows, color: l.color, ...(base ? { base } : {}) };
}

function printLines(state: ChatState, lines: readonly string[]): ChatState {
  if (lines.length === 0) return state;
  return { ...state, print: [...state.print, { id: state.nextId, lines: [...lines] }], nextId: state.nextId + 1 };
}

function newPanel(info: AgentInfo, key: number): Panel {
  return {
    key,
    agent: info.name,
    model: info.model,
    turn: 1,
    answer: newStream(true),
    pending: '',
    live: [],
    reasoning: null,
    tools: [],
    held: [],
    outputChars: 0,
    toolsRun: 0,
    parts: [],
  };
}

/** Lays out what arrived since the last batch (once per batch: never per token). */
function settle(p: Panel, l: Layout, out: string[]): void {
  if (p.pending) {
    const last = p.parts.at(-1);
    if (last?.kind === 'text' && last.turn === p.turn)
      p.parts[p.parts.length - 1] = { ...last, text: last.text + p.pending };
    else p.parts.push({ kind: 'text', text: p.pending, turn: p.turn });
  }
  if (p.pending || p.answer.src) {
    const step = advanceStream(p.answer, p.pending, streamLayout(l));
    p.answer = step.stream;
    p.live = step.live;
    out.push(...step.commit);
    p.pending = '';
  }
  const r = p.reasoning;
  if (r && (r.pending || r.stream.src)) {
    if (r.full) {
      const step = advanceStream(r.stream, r.pending, streamLayout(l, REASONING_STYLE));
      p.reasoning = { ...r, stream: step.stream, live: step.live, pending: '' };
      out.push(...step.commit);
    } else {
      p.reasoning = { ...r, live: reasoningTail(r.text, l), pending: '' };
    }
  }
}

/** The last rows of reasoning that streams collapsed. */
function reasoningTail(text: string, l: Layout): string[] {
  const tail = text.trim().slice(-40 * Math.max(20, l.width));
  const rows = wrapSpans([{ text: tail, style: REASONING_STYLE }], { width: l.width - 2, first: [], rest: [] });
  return rowLines(rows.slice(-REASONING_TAIL_ROWS), l.color).map((line) => `  ${line}`);
}

/** The turn's reasoning is over (its answer started, a tool was called, the run ended). */
function endReasoning(p: Panel, l: Layout, out: string[]): void {
  const r = p.reasoning;
  if (!r) return;
  settle(p, l, out);
  const done = p.reasoning as LiveReasoning;
  if (done.text.trim()) {
    if (done.full) out.push(...finishStream(done.stream, streamLayout(l, REASONING_STYLE)).commit);
    else out.push(...reasoningNote(done.text.trim(), l.width, l.color));
    p.parts.push({ kind: 'reasoning', text: done.text.trim() });
  }
  p.reasoning = null;
}

/** The turn is over: everything it streamed is printed. */
function endTurn(p: Panel, l: Layout, out: string[]): void {
  endReasoning(p, l, out);
  settle(p, l, out);
  const done = finishStream(p.answer, streamLayout(l));
  out.push(...done.commit);
  // Code blocks are numbered across the whole answer (`/copy code n`), not per turn.
  p.answer = { ...newStream(true), codeCount: done.stream.codeCount };
  p.live = [];
}

/** Prints the finished calls at the front of the queue (a call finished early waits for those before it). */
function printTools(p: Panel, l: Layout, out: string[]): void {
  while (p.tools[0]?.result !== undefined) {
    const t = p.tools.shift() as ToolView;
    out.push('', ...toolPanelLines(t, 0, l.width, l.color));
    p.parts.push({ kind: 'tool', tool: t });
  }
}

function applyToPanel(p: Panel, e: AgentEvent, state: ChatState, out: string[]): void {
  const l = state.layout;
  switch (e.type) {
    case 'run_start':
      p.run_id = e.run_id;
      p.model = sanitize(e.model) || p.model;
      p.startedAt = e.ts;
      return;
    case 'reasoning_delta': {
      if (e.turn !== p.turn) endTurn(p, l, out);
      p.turn = e.turn;
      const text = clean(e.text);
      const r = p.reasoning ?? { text: '', full: state.reasoningFull, stream: newStream(true), pending: '', live: [] };
      p.reasoning = { ...r, text: r.text + text, pending: r.pending + text };
      p.lastTokenAt = e.ts;
      p.firstTokenAt ??= e.ts;
      return;
    }
    case 'text_delta': {
      if (e.turn !== p.turn) endTurn(p, l, out);
      if (p.reasoning) endReasoning(p, l, out);
      p.turn = e.turn;
      p.pending += clean(e.text);
      p.outputChars += e.text.length;
      p.firstTokenAt ??= e.ts;
      p.lastTokenAt = e.ts;
      return;
    }
    case 'tool_call':
      endTurn(p, l, out);
      p.turn = e.turn;
      p.tools = [...p.tools, runningTool(e)];
      p.lastTokenAt = e.ts;
      return;
    case 'tool_result': {
      const done = finishedTool(p.tools, e);
      const i = p.tools.findIndex((t) => t.call_id === e.call_id);
      p.tools = i === -1 ? [...p.tools, done] : p.tools.map((t, j) => (j === i ? done : t));
      p.toolsRun++;
      p.lastTokenAt = e.ts;
      printTools(p, l, out);
      return;
    }
    case 'tool_approval_request':
      p.approving = e.call_id; // the approval panel asks it
      return;
    case 'tool_approval': {
      if (p.approving === e.call_id) p.approving = undefined;
      p.lastTokenAt = e.ts;
      // What was decided stays in the transcript; an allowed call's panel follows when it finishes.
      const how =
        e.decision === 'allowed'
          ? `✓ allowed ${sanitize(e.name)} ${e.scope === 'session' ? 'for this session' : 'once'}`
          : `✗ denied ${sanitize(e.name)}${e.by === 'policy' ? ' by the approval policy' : ''}${e.reason ? `: ${sanitize(e.reason)}` : ''}`;
      settle(p, l, out);
      out.push(...noticeLines(how, e.decision === 'allowed' ? 'info' : 'warn', l.width, l.color));
      return;
    }
    case 'message':
      endTurn(p, l, out);
      return;
    case 'error':
      settle(p, l, out);
      out.push(...noticeLines(`⚠ ${sanitize(e.error.message)}`, 'warn', l.width, l.color));
      return;
    case 'run_end':
      endPanel(p, e, state, out);
      return;
  }
}

function endPanel(p: Panel, e: RunEndEvent, state: ChatState, out: string[]): void {
  const l = state.layout;
  endTurn(p, l, out);
  for (const t of p.tools) {
    const shown = t.result === undefined ? interruptedTool(t, e.ts) : t;
    out.push('', ...toolPanelLines(shown, 0, l.width, l.color));
    p.parts.push({ kind: 'tool', tool: shown });
  }
  p.tools = [];
  p.end = {
    status: e.status,
    ...(e.error ? { message: sanitize(e.error.message) } : {}),
    duration_ms: e.duration_ms,
    output_tokens: e.usage.output_tokens || Math.ceil(p.outputChars / 4),
  };
  out.push(...endLines(p.end, p.toolsRun, l.width, l.color, several(state) ? p.agent : undefined));
}

/**
 * The panel an event belongs to: by run_id, else (the run's first event) the first unclaimed panel of that agent,
 * else the first unclaimed one.
 */
function panelIndex(panels: readonly Panel[], e: AgentEvent): number {
  const i = panels.findIndex((p) => p.run_id === e.run_id);
  if (i !== -1) return i;
  const named = panels.findIndex((p) => p.run_id === undefined && p.agent === sanitize(e.agent));
  return named !== -1 ? named : panels.findIndex((p) => p.run_id === undefined);
}

/** Applies a batch of events: panels change in place on copies; output goes to the screen or is held. */
function applyEvents(state: ChatState, events: readonly AgentEvent[]): ChatState {
  if (!state.round) return state;
  const round: Round = { ...state.round, panels: [...state.round.panels] };
  const copied = new Set<number>();
  const panel = (i: number): Panel => {
    if (!copied.has(i)) {
      const p = round.panels[i] as Panel;
      round.panels[i] = { ...p, tools: [...p.tools], held: [...p.held], parts: [...p.parts] };
      copied.add(i);
    }
    return round.panels[i] as Panel;
  };
  const printed: string[] = [];
  const route = (i: number, out: string[]): void => {
    if (out.length === 0) return;
    if (i === round.lead) printed.push(...out);
    else panel(i).held.push(...out);
  };
  let next: ChatState = { ...state, round };
  for (const e of events) {
    const i = panelIndex(round.panels, e);
    if (i === -1) continue; // a run the screen does not follow
    const out: string[] = [];
    const p = panel(i);
    p.run_id ??= e.run_id;
    applyToPanel(p, e, next, out);
    route(i, out);
    if (e.type === 'run_end' && i === round.lead) next = promote(next, round, printed);
  }
  for (const i of copied) {
    if (i >= round.panels.length || (round.panels[i] as Panel).end) continue;
    const out: string[] = [];
    settle(panel(i), next.layout, out);
    route(i, out);
  }
  next = printLines(next, printed);
  return next;
}

/**
 * The lead panel ended: the next one leads, its held lines printed first (and, if it ended too, the one after).
 * After the last panel, the round is over.
 */
function promote(state: ChatState, round: Round, printed: string[]): ChatState {
  let transcript = state.transcript;
  const l = state.layout;
  while (round.lead < round.panels.length && (round.panels[round.lead] as Panel).end) {
    const p = round.panels[round.lead] as Panel;
    transcript = [...transcript, answerEntry(p, round.number)];
    round.lead++;
    const n = round.panels[round.lead];
    if (!n) break;
    if (several(state)) printed.push(...titleLines(n.agent, n.model, l.width, l.color));
    printed.push(...n.held);
    round.panels[round.lead] = { ...n, held: [] };
  }
  if (round.lead < round.panels.length) return { ...state, transcript };
  // A message to one agent needs no summary: its end line already says how it ended.
  if (several(state) && round.panels.length > 1) {
    const duration = Math.max(
      0,
      ...round.panels.map((p) => (p.startedAt ?? round.startedAt) + (p.end?.duration_ms ?? 0)),
    );
    const tokens = round.panels.reduce((n, p) => n + panelTokens(p), 0);
    const ends = round.panels.map((p) => p.end as PanelEnd);
    printed.push(...summaryLines(ends, Math.max(0, duration - round.startedAt), tokens, l.width, l.color));
  }
  return { ...state, transcript, round: null };
}

function answerEntry(p: Panel, round: number): TranscriptEntry {
  for (const part of p.parts) if (part.kind !== 'tool') flat(part.text);
  return {
    kind: 'answer',
    round,
    agent: p.agent,
    model: p.model,
    parts: p.parts,
    status: p.end?.status ?? 'failed',
    ...(p.end?.message ? { message: p.end.message } : {}),
  };
}

/** The last round's answers, in call order (what /copy copies and Ctrl+O looks at). */
export function lastAnswers(state: ChatState): Array<Extract<TranscriptEntry, { kind: 'answer' }>> {
  const answers = state.transcript.filter((e) => e.kind === 'answer');
  const last = answers.at(-1);
  return last ? answers.filter((a) => a.round === last.round) : [];
}

/** The pure state transition of the chat screen. */
export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  const l = state.layout;
  switch (action.type) {
    case 'layout':
      return relayout({ ...state, layout: action.layout });
    case 'start': {
      if (state.round) return state; // one round at a time
      const targets = (action.targets ?? state.agents.map((_, i) => i)).filter((i) => state.agents[i] !== undefined);
      if (targets.length === 0) return state;
      const to =
        targets.length < state.agents.length ? targets.map((i) => (state.agents[i] as AgentInfo).name) : undefined;
      const panels = targets.map((i) => newPanel(state.agents[i] as AgentInfo, i));
      const number = state.rounds + 1;
      const first = panels[0] as Panel;
      const lines = [
        ...userLines(sanitize(action.shown ?? action.prompt), l.width, l.color),
        // Right under the message, without the blank line a notice starts with.
        ...(action.notes ?? []).flatMap((n) => noticeLines(sanitize(n.text), n.tone, l.width, l.color).slice(1)),
        ...(several(state) ? titleLines(first.agent, first.model, l.width, l.color) : []),
      ];
      return printLines(
        {
          ...state,
          rounds: number,
          round: { number, startedAt: action.now, cancelling: false, panels, lead: 0 },
          transcript: [...state.transcript, { kind: 'user', text: sanitize(action.prompt), ...(to ? { to } : {}) }],
        },
        lines,
      );
    }
    case 'events':
      return applyEvents(action.printed === undefined ? state : dropPrinted(state, action.printed), action.events);
    case 'cancel':
      return state.round ? { ...state, round: { ...state.round, cancelling: true } } : state;
    case 'abandon': {
      if (!state.round) return state;
      // Panels that never started have no run_id to match: they get a made-up one first.
      const panels = state.round.panels.map((p, i) => (p.run_id ? p : { ...p, run_id: `pending-${i}` }));
      const startedAt = state.round.startedAt;
      const ends: RunEndEvent[] = panels
        .filter((p) => !p.end)
        .map((p) => ({
          type: 'run_end',
          run_id: p.run_id as string,
          seq: Number.MAX_SAFE_INTEGER,
          ts: action.now,
          agent: p.agent,
          status: 'failed',
          text: '',
          usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
          duration_ms: Math.max(0, action.now - (p.startedAt ?? startedAt)),
          error: { message: action.message, retryable: false },
        }));
      const round = { ...state.round, panels };
      return applyEvents({ ...state, round }, ends);
    }
    case 'echo':
      return printLines(state, userLines(sanitize(action.text), l.width, l.color));
    case 'notice':
      return printLines(state, noticeLines(action.text, action.tone ?? 'info', l.width, l.color));
    case 'model':
      return printLines(
        { ...state, model: action.model },
        noticeLines(
          `model: ${sanitize(action.model)}${several(state) ? ' for every agent from the next message' : ''}`,
          'info',
          l.width,
          l.color,
        ),
      );
    case 'clear':
      return printLines(
        { ...state, transcript: [] },
        headerLines(state.agents, state.conversation, l.width, l.color, state.session),
      );
    case 'session':
      // The header printed at the start scrolled away with the old id: the switch prints it again with the new one.
      return printLines({ ...state, session: action.id, transcript: [] }, [
        '',
        ...headerLines(state.agents, state.conversation, l.width, l.color, action.id),
        ...action.lines,
      ]);
    case 'reasoning':
      return reasoningMode(state, action.full);
    case 'printed':
      return dropPrinted(state, action.id);
  }
}

function dropPrinted(state: ChatState, id: number): ChatState {
  return state.print.length && (state.print[0] as PrintItem).id <= id
    ? { ...state, print: state.print.filter((p) => p.id > id) }
    : state;
}

/** Ctrl+O. Turning it on at the prompt also prints the last answer's reasoning, collapsed above, in full. */
function reasoningMode(state: ChatState, full: boolean): ChatState {
  const l = state.layout;
  const next = { ...state, reasoningFull: full };
  if (!full)
    return printLines(
      next,
      noticeLines('reasoning: collapsed to one line from now on (ctrl+o shows it in full)', 'info', l.width, l.color),
    );
  const out = noticeLines('reasoning: shown in full from now on (ctrl+o collapses it again)', 'info', l.width, l.color);
  if (!state.round) {
    const answers = lastAnswers(state).filter((a) => a.parts.some((x) => x.kind === 'reasoning'));
    for (const a of answers) {
      out.push(
        ...noticeLines(
          `reasoning of ${several(state) ? `${a.agent}'s` : 'the last'} answer:`,
          'info',
          l.width,
          l.color,
        ),
        '',
      );
      const ctx = { width: l.width, color: l.color, code: { next: 1 }, base: REASONING_STYLE };
      out.push(...renderMarkdown(answerReasoning(a), ctx));
    }
  }
  return printLines(next, out);
}

/** The terminal changed size: live lines are laid out again at the new width (printed lines stay as they are). */
function relayout(state: ChatState): ChatState {
  if (!state.round) return state;
  const round: Round = { ...state.round, panels: [...state.round.panels] };
  const printed: string[] = [];
  round.panels.forEach((p, i) => {
    if (p.end) return;
    const q: Panel = { ...p, held: [...p.held] };
    const out: string[] = [];
    settle(q, state.layout, out);
    if (i === round.lead) printed.push(...out);
    else q.held.push(...out);
    round.panels[i] = q;
  });
  return printLines({ ...state, round }, printed);
}

/** An answer's text, its turns joined by a blank line (what /copy copies). */
export function answerText(a: { parts: readonly AnswerPart[] }): string {
  return a.parts
    .filter((p) => p.kind === 'text')
    .map((p) => p.text.trim())
    .filter(Boolean)
    .join('\n\n');
}

/** An answer's reasoning, every turn's. */
export function answerReasoning(a: { parts: readonly AnswerPart[] }): string {
  return a.parts
    .filter((p) => p.kind === 'reasoning')
    .map((p) => p.text)
    .join('\n\n');
}
