/**
 * A tool call as a bordered panel of lines: name, arguments, spinner and elapsed time while it runs, then ✓/✗,
 * duration and the first lines of its result. Drawn as text (not an Ink box) so its height is known: the live region
 * counts it, and a squeezed screen gets the one-line form instead.
 */
import { sanitize } from '../../core/text/sanitize.js';
import type { ToolCallEvent, ToolResultEvent } from '../../core/events.js';
import { formatArgs, formatDuration, headLines, spinnerFrame } from '../format.js';
import { FG, paint, toAnsi, type Span, type Style } from './style.js';
import { displayWidth, truncate } from './width.js';

/** A tool call as its panel shows it. */
export interface ToolView {
  call_id: string;
  name: string;
  args: Record<string, unknown>;
  startedAt: number;
  result?: string;
  is_error?: boolean;
  duration_ms?: number;
}

const ARG_LINES = 4;
const RESULT_LINES = 4;
/** Panels are at most this wide, however wide the terminal. */
export const TOOL_PANEL_MAX_WIDTH = 100;

function status(tool: ToolView, now: number): Span {
  if (tool.result === undefined)
    return { text: `${spinnerFrame(now)} running ${formatDuration(now - tool.startedAt)}`, style: { fg: FG.yellow } };
  if (tool.is_error) return { text: `✗ failed · ${formatDuration(tool.duration_ms ?? 0)}`, style: { fg: FG.red } };
  return { text: `✓ ${formatDuration(tool.duration_ms ?? 0)}`, style: { fg: FG.green } };
}

/** The panel's lines at `width` columns (at most TOOL_PANEL_MAX_WIDTH). */
export function toolPanelLines(tool: ToolView, now: number, width: number, color: boolean): string[] {
  const w = Math.max(12, Math.min(width, TOOL_PANEL_MAX_WIDTH));
  const inner = w - 4;
  const border: Style = { fg: tool.result === undefined ? FG.gray : tool.is_error ? FG.red : FG.green };
  const row = (spans: Span[]): string => {
    const used = spans.reduce((n, s) => n + displayWidth(s.text), 0);
    return toAnsi(
      [{ text: '│ ', style: border }, ...spans, { text: `${' '.repeat(Math.max(0, inner - used))} │`, style: border }],
      color,
    );
  };
  const cut = (text: string, style: Style): Span => ({ text: truncate(text, inner), style });
  const out = [paint(`╭${'─'.repeat(w - 2)}╮`, border, color)];
  const title = truncate(`⚙ ${tool.name} `, inner);
  const st = status(tool, now);
  const room = inner - displayWidth(title);
  out.push(
    row([
      { text: title, style: { bold: true } },
      ...(room > 0 ? [{ text: truncate(st.text, room), style: st.style }] : []),
    ]),
  );
  const formatted = sanitize(formatArgs(tool.args));
  const args = formatted ? headLines(formatted, ARG_LINES, inner) : { lines: [], more: 0 };
  for (const line of args.lines) out.push(row([cut(line, { dim: true })]));
  if (args.more > 0) out.push(row([cut(`… ${args.more} more lines`, { dim: true })]));
  if (tool.result !== undefined) {
    const result = headLines(tool.result, RESULT_LINES, inner - 2);
    const style: Style = tool.is_error ? { fg: FG.red } : {};
    const shown = result.lines.length ? result.lines : ['(empty)'];
    shown.forEach((line, i) => out.push(row([cut(`${i === 0 ? '→ ' : '  '}${line}`, style)])));
    if (result.more > 0) out.push(row([cut(`  … ${result.more} more lines`, style)]));
  }
  out.push(paint(`╰${'─'.repeat(w - 2)}╯`, border, color));
  return out;
}

/** The call on one line (a squeezed live region): name, status and the first line of its result. */
export function toolLine(tool: ToolView, now: number, width: number, color: boolean): string {
  const st = status(tool, now);
  const first = tool.result === undefined ? '' : ` → ${(tool.result.trim().split('\n')[0] ?? '').trim()}`;
  const text = truncate(`⚙ ${tool.name} ${st.text}${first}`, width);
  return paint(text, st.style, color);
}

/** A panel for a call that started (name sanitised; the arguments are drawn sanitised). */
export function runningTool(e: ToolCallEvent): ToolView {
  return { call_id: e.call_id, name: toolName(e), args: e.args, startedAt: e.ts };
}

/** The panel's title: a remote agent's own call says so. */
function toolName(e: ToolCallEvent | ToolResultEvent): string {
  return e.remote ? `${sanitize(e.name)} · remote` : sanitize(e.name);
}

/** The finished panel of a call, from its running one among `running` (when the call was seen) and its result. */
export function finishedTool(running: readonly ToolView[], e: ToolResultEvent): ToolView {
  const started = running.find((t) => t.call_id === e.call_id);
  return {
    call_id: e.call_id,
    name: toolName(e),
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
