/**
 * The transcript's lines around the answers: the header, the user's messages, notices, how a run ended, and with
 * several agents the rule that opens each agent's answer and the round's summary. Each function returns the lines to
 * print, the blank line above included when the item wants one.
 */
import type { RunStatus } from '../../core/events.js';
import { formatDuration, plural, runStats } from '../format.js';
import { FG, toAnsi, type Span, type Style } from './style.js';
import { displayWidth, truncate } from './width.js';
import { lines } from './markdown.js';
import { wrapSpans } from './wrap.js';

/** How a panel's run ended. */
export interface PanelEnd {
  status: RunStatus;
  message?: string;
  duration_ms: number;
  output_tokens: number;
}

/** How notices look. */
export type Tone = 'info' | 'warn' | 'error';

const DEMO = ' offline scripted model, no API calls';

function demoBadge(color: boolean): Span[] {
  // Without colour the badge is drawn in inverse video (NO_COLOR keeps attributes).
  return [
    { text: ' ', style: {} },
    { text: ' DEMO ', style: color ? { bg: '43', fg: '30', bold: true } : { inverse: true, bold: true } },
    { text: DEMO, style: { dim: true } },
  ];
}

/** The first line(s) of the chat: one agent with its model, or the agents of a conversation. */
export function headerLines(
  agents: ReadonlyArray<{ name: string; model: string; isDemo: boolean }>,
  conversation: boolean,
  width: number,
  color: boolean,
  /** The session's id: its short form ends the header (what `--resume` takes). */
  session?: string,
): string[] {
  const demo = agents.length > 0 && agents.every((a) => a.isDemo);
  const spans: Span[] = [{ text: 'agentor', style: { bold: true, fg: FG.magenta } }];
  if (agents.length === 1) {
    const a = agents[0] as { name: string; model: string };
    spans.push(
      { text: ' · ', style: { dim: true } },
      { text: a.name, style: { bold: true } },
      { text: ' · model ', style: { dim: true } },
      { text: a.model, style: {} },
    );
  } else {
    spans.push(
      { text: ` · ${plural(agents.length, 'agent')} · `, style: { dim: true } },
      { text: agents.map((a) => a.name).join(', '), style: { bold: true } },
    );
    if (conversation) spans.push({ text: ' · @name to address one', style: { dim: true } });
  }
  if (demo) spans.push(...demoBadge(color));
  if (session) spans.push({ text: ` · session ${session.slice(0, 8)}`, style: { dim: true } });
  return lines(wrapSpans(spans, { width }), color);
}

/** A message the user sent (or a slash command), after the prompt marker; long lines wrap under the text. */
export function userLines(text: string, width: number, color: boolean): string[] {
  const marker: Span = { text: '❯ ', style: { bold: true, fg: FG.cyan } };
  const rows = wrapSpans([{ text, style: { bold: true } }], {
    width,
    first: [marker],
    rest: [{ text: '  ', style: {} }],
  });
  return ['', ...lines(rows, color)];
}

const TONE: Record<Tone, Style> = { info: { dim: true }, warn: { fg: FG.yellow }, error: { fg: FG.red } };

/** A notice (command output, a warning, an error), indented under the transcript. */
export function noticeLines(text: string, tone: Tone, width: number, color: boolean): string[] {
  const indent: Span = { text: '  ', style: {} };
  const rows = wrapSpans([{ text, style: TONE[tone] }], { width, first: [indent], rest: [indent] });
  return ['', ...lines(rows, color)];
}

/** How a run ended, under its answer: "✓ 1.2s · 40 tokens", "⏹ cancelled · …" or "✗ failed: why" and the figures. */
export function endLines(end: PanelEnd, tools: number, width: number, color: boolean, agent?: string): string[] {
  const stats = runStats(end.duration_ms, end.output_tokens, tools);
  const who = agent ? `${agent} ` : '';
  const indent: Span = { text: '  ', style: {} };
  const wrap = (spans: Span[]): string[] => lines(wrapSpans(spans, { width, first: [indent], rest: [indent] }), color);
  if (end.status === 'completed')
    return wrap([{ text: `✓ ${who}${agent ? 'completed · ' : ''}${stats}`, style: { dim: true } }]);
  if (end.status === 'cancelled')
    return wrap([
      { text: `⏹ ${who}cancelled`, style: { fg: FG.yellow } },
      { text: ` · ${stats}`, style: { dim: true } },
    ]);
  return [
    ...wrap([
      {
        text: `✗ ${who}${end.status.replace('_', ' ')}${end.message ? `: ${end.message}` : ''}`,
        style: { fg: FG.red },
      },
    ]),
    ...wrap([{ text: stats, style: { dim: true } }]),
  ];
}

/** The rule that opens an agent's answer when several agents answer: "── alpha · gpt-4.1 ─────". */
export function titleLines(agent: string, model: string, width: number, color: boolean): string[] {
  const w = Math.max(4, Math.min(width, 80));
  const name = truncate(agent, w - 3);
  const room = w - 3 - displayWidth(name);
  const rest = room > 0 ? truncate(` · ${model} `, room) : '';
  const fill = Math.max(0, room - displayWidth(rest));
  return [
    '',
    toAnsi(
      [
        { text: '── ', style: { fg: FG.cyan } },
        { text: name, style: { bold: true } },
        { text: rest, style: { dim: true } },
        { text: '─'.repeat(fill), style: { fg: FG.cyan } },
      ],
      color,
    ),
  ];
}

/** After the last run of a round with several agents: how they all ended. */
export function summaryLines(
  ends: readonly PanelEnd[],
  durationMs: number,
  tokens: number,
  width: number,
  color: boolean,
): string[] {
  const counts = new Map<string, number>();
  for (const e of ends) counts.set(e.status, (counts.get(e.status) ?? 0) + 1);
  const parts = [...counts].map(([status, n]) => `${n} ${status.replace('_', ' ')}`);
  const ok = ends.every((e) => e.status === 'completed');
  const text = `${ok ? '✓' : '!'} ${plural(ends.length, 'agent')}: ${parts.join(', ')} · ${formatDuration(durationMs)} · ${plural(tokens, 'token')}`;
  return noticeLines(text, ok ? 'info' : 'warn', width, color);
}

/** Where collapsed reasoning was: one line saying how to see it. */
export function reasoningNote(text: string, width: number, color: boolean): string[] {
  const n = text.split('\n').length;
  return noticeLines(`▸ reasoning (${plural(n, 'line')}) · ctrl+o shows it in full`, 'info', width, color);
}
