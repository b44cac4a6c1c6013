/**
 * The live region: what is drawn below the printed transcript while a round runs, as lines that each fit the
 * terminal's width, never more of them than the rows it is given. Ink clears the whole terminal — scrollback
 * included — once its live output reaches the screen's height, so this bound is what keeps the scrollback.
 *
 * In order: the leading panel's live part (collapsed reasoning's last rows, the answer's unfinished tail, its running
 * tool calls), then each other agent's panel (a title with its status, and the last rows of its answer), then the
 * progress line. When the rows run short, tool panels shrink to one line each, other panels to their title line,
 * and an answer tail taller than what is left shows its last rows under a note.
 */
import type { ChatState, Panel, Round } from '../chat-state.js';
import { panelTokens } from '../chat-state.js';
import { formatDuration, plural, runStats, spinnerFrame } from '../format.js';
import { FG, parseAnsi, toAnsi, type Span, type Style } from './style.js';
import { toolLine, toolPanelLines } from './tool-panel.js';
import { displayWidth } from './width.js';
import { clip } from './wrap.js';

/** Without a token for this long, the progress line says the model is being waited for. */
export const STALL_MS = 3000;

/** A line cut to `width` columns (lines are laid out to fit; this only guards the bound). */
export function fitLine(line: string, width: number): string {
  return displayWidth(line) <= width ? line : toAnsi(clip(parseAnsi(line), width), true);
}

function paintLine(spans: Span[], width: number, color: boolean): string {
  return toAnsi(clip(spans, width), color);
}

/** What a panel is doing, in a few words. */
export function activity(p: Panel, now: number, cancelling: boolean): { text: string; stalled: boolean } {
  if (p.end) return { text: 'done', stalled: false };
  if (cancelling) return { text: 'cancelling', stalled: false };
  if (p.run_id === undefined) return { text: 'starting', stalled: false };
  if (p.approving !== undefined) return { text: 'waiting for your approval', stalled: false };
  const running = p.tools.filter((t) => t.result === undefined);
  if (running.length > 0) return { text: `running ${running.map((t) => t.name).join(', ')}`, stalled: false };
  const since = now - (p.lastTokenAt ?? p.startedAt ?? now);
  if (since >= STALL_MS) {
    const secs = `${Math.floor(since / 1000)} s`;
    return {
      text: `waiting for the model · ${secs} ${p.lastTokenAt === undefined ? 'since the request' : 'since the last token'}`,
      stalled: true,
    };
  }
  if (p.reasoning && p.outputChars === 0) return { text: 'reasoning', stalled: false };
  return { text: p.outputChars === 0 ? 'thinking' : 'writing', stalled: false };
}

/** Tokens per second since the first token, while that is a meaningful figure. */
function rate(p: Panel, now: number): number | undefined {
  if (p.firstTokenAt === undefined) return undefined;
  const seconds = (now - p.firstTokenAt) / 1000;
  return seconds >= 0.25 ? panelTokens(p) / seconds : undefined;
}

/** The progress line under the live panels: activity, elapsed time, tokens and the cancel hint. */
export function progressLine(state: ChatState, round: Round, now: number): string {
  const { width, color } = state.layout;
  const elapsed = formatDuration(Math.max(0, now - round.startedAt));
  const cancel = round.cancelling
    ? `closing the ${round.panels.length > 1 ? 'requests' : 'request'}`
    : 'esc or ctrl+c to cancel';
  const spinner: Span = { text: `${spinnerFrame(now)} `, style: { fg: FG.cyan } };
  const dim: Style = { dim: true };
  if (round.panels.length === 1 && state.agents.length === 1) {
    const p = round.panels[0] as Panel;
    const act = activity(p, now, round.cancelling);
    const r = act.stalled ? undefined : rate(p, now);
    const parts = [
      elapsed,
      `${plural(panelTokens(p), 'token')}${r !== undefined ? ` · ${r.toFixed(0)} tok/s` : ''}`,
      `turn ${p.turn}`,
      `${plural(p.toolsRun, 'tool')} run`,
      cancel,
    ];
    return paintLine(
      [
        spinner,
        { text: `${act.text}${act.stalled ? ' ·' : '…'} `, style: act.stalled ? { fg: FG.yellow } : {} },
        { text: parts.join(' · '), style: dim },
      ],
      width,
      color,
    );
  }
  const done = round.panels.filter((p) => p.end).length;
  const lead = round.panels[round.lead];
  const tokens = round.panels.reduce((n, p) => n + panelTokens(p), 0);
  const tools = round.panels.reduce((n, p) => n + p.toolsRun, 0);
  const act = lead ? activity(lead, now, round.cancelling) : undefined;
  const parts = [
    `${done}/${round.panels.length} agents done`,
    elapsed,
    plural(tokens, 'token'),
    ...(tools > 0 ? [`${plural(tools, 'tool')} run`] : []),
    cancel,
  ];
  return paintLine(
    [
      spinner,
      ...(lead && act ? [{ text: `${lead.agent} ${act.text}… `, style: act.stalled ? { fg: FG.yellow } : {} }] : []),
      { text: parts.join(' · '), style: dim },
    ],
    width,
    color,
  );
}

/** A waiting panel's title: its name, model and status ("✓ completed · 1.2s · 40 tokens" once it ended). */
function panelTitle(p: Panel, now: number, cancelling: boolean, width: number, color: boolean, tail = ''): string {
  let status: Span;
  if (p.end) {
    const stats = runStats(p.end.duration_ms, p.end.output_tokens, p.toolsRun);
    status =
      p.end.status === 'completed'
        ? { text: `✓ completed · ${stats}`, style: { fg: FG.green } }
        : p.end.status === 'cancelled'
          ? { text: `⏹ cancelled · ${stats}`, style: { fg: FG.yellow } }
          : { text: `✗ ${p.end.status.replace('_', ' ')} · ${stats}`, style: { fg: FG.red } };
  } else {
    const act = activity(p, now, cancelling);
    const elapsed = formatDuration(Math.max(0, now - (p.startedAt ?? now)));
    status = {
      text: `${spinnerFrame(now)} ${act.text} · ${elapsed} · ${plural(panelTokens(p), 'token')}`,
      style: { fg: FG.yellow },
    };
  }
  return paintLine(
    [
      { text: '── ', style: { fg: FG.cyan } },
      { text: p.agent, style: { bold: true } },
      { text: ` · ${p.model} · `, style: { dim: true } },
      status,
      ...(tail ? [{ text: ` · ${tail}`, style: { dim: true } }] : []),
    ],
    width,
    color,
  );
}

/** The live lines of the leading panel; `compact` draws tool calls on one line each. */
function leadLines(p: Panel, now: number, width: number, color: boolean, compact: boolean): string[] {
  const out: string[] = [];
  const r = p.reasoning;
  if (r && r.live.length) out.push(...(r.full ? r.live : ['', ...r.live]));
  out.push(...p.live);
  if (p.tools.length) {
    if (compact) out.push('', ...p.tools.map((t) => toolLine(t, now, width, color)));
    else for (const t of p.tools) out.push('', ...toolPanelLines(t, now, width, color));
  }
  return out;
}

/** The last `rows` rows of `lines`, under a note saying how many are not shown. */
function tail(lines: readonly string[], rows: number, note: (hidden: number) => string, color: boolean): string[] {
  if (lines.length <= rows) return [...lines];
  if (rows <= 0) return [];
  const shown = lines.slice(lines.length - (rows - 1)).filter((l, i) => i > 0 || l !== '');
  const hidden = lines.length - shown.length;
  return [toAnsi([{ text: note(hidden), style: { dim: true } }], color), ...shown].slice(-rows);
}

/** A waiting panel's body: what it has finished (held) and its live lines, the last `rows` of them. */
function bodyTail(p: Panel, rows: number): string[] {
  if (rows <= 0) return [];
  const r = p.reasoning;
  const liveLines = [...(r && r.live.length ? (r.full ? r.live : ['', ...r.live]) : []), ...p.live];
  const need = rows + 1;
  const fromHeld = Math.max(0, need - liveLines.length);
  return [...p.held.slice(p.held.length - fromHeld), ...liveLines].slice(-rows);
}

/**
 * The live region of `state` at `now`, at most `budget` rows: every line fits the width, so the row count is the
 * line count.
 */
export function layoutLive(state: ChatState, now: number, budget: number): string[] {
  const round = state.round;
  if (!round || budget <= 0) return [];
  const { width, color } = state.layout;
  const progress = progressLine(state, round, now);
  if (budget < 3) return [progress];
  let avail = budget - 2;
  const lead = round.panels[round.lead];
  const others = round.panels.slice(round.lead + 1);

  // The other agents: a title and the last rows each when there is room, else one line each, else one line for all.
  let mode: 'full' | 'line' | 'count' = 'full';
  let reserve = others.length * 2;
  if (others.length && reserve > avail / 2) {
    mode = 'line';
    reserve = 1 + others.length;
    if (reserve > avail / 2) {
      mode = 'count';
      reserve = 2;
    }
  }
  if (others.length && reserve > avail) reserve = 0;

  let mine: string[] = [];
  if (lead) {
    const room = avail - reserve;
    mine = leadLines(lead, now, width, color, false);
    if (mine.length > room) mine = leadLines(lead, now, width, color, true);
    if (mine.length > room)
      mine = tail(mine, room, (n) => `⋯ ${plural(n, 'line')} above, printed once this part is complete`, color);
  }
  avail -= mine.length;

  const theirs: string[] = [];
  if (others.length && avail >= 2) {
    if (mode === 'full') {
      const share = Math.floor(avail / others.length);
      for (const p of others) {
        const body = bodyTail(p, share - 2);
        const hidden = p.held.length + p.live.length > body.length;
        theirs.push(
          '',
          panelTitle(
            p,
            now,
            round.cancelling,
            width,
            color,
            hidden ? `printed after ${lead?.agent ?? 'the others'}` : '',
          ),
        );
        theirs.push(...body);
      }
    } else if (mode === 'line' && avail >= 1 + others.length) {
      theirs.push('');
      for (const p of others) theirs.push(panelTitle(p, now, round.cancelling, width, color));
    } else {
      const running = others.filter((p) => !p.end).length;
      theirs.push(
        '',
        toAnsi(
          [{ text: `… ${plural(others.length, 'more agent')} (${running} running)`, style: { dim: true } }],
          color,
        ),
      );
    }
  }
  return [...mine, ...theirs.slice(0, Math.max(0, avail)), '', progress].map((l) => fitLine(l, width));
}
