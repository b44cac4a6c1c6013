/**
 * One agent's panel on the multi-agent screen: a bordered box titled with the agent and its model, its answer as
 * markdown, its tool panels and its status. Live, it shows only the tail that fits `maxRows`; finished, everything.
 */
import { Box, Text } from 'ink';
import { formatDuration, plural, runStats, spinnerFrame } from '../format.js';
import { renderMarkdown, rowsOf, tailRows, visibleLength } from '../markdown.js';
import { panelActivity, panelTokens, type AgentPanel as Panel, type PanelEnd } from '../multi-state.js';
import type { ToolView } from '../state.js';
import { ToolPanel, toolPanelRows } from './ToolPanel.js';

/** A piece of a panel's body as laid out on screen. */
export type Segment =
  | { key: string; kind: 'text'; text: string; dim?: boolean; tone?: 'warn' | 'ok' | 'error'; truncate?: boolean }
  | { key: string; kind: 'tool'; tool: ToolView };

/** Columns inside a panel of `width` (borders and padding). */
export function panelInnerWidth(width: number): number {
  return Math.max(10, width - 4);
}

/** Rows a panel needs around its body: two borders and the title. */
export const PANEL_CHROME_ROWS = 3;
const LIVE_REASONING_ROWS = 3;
const TOOL_WIDTH = 100;
const TONES = { warn: 'yellow', ok: 'green', error: 'red' } as const;

// Finished blocks never change: their rendering is cached, so a frame only renders the live tail's markdown.
const rendered = new Map<string, string>();
function markdown(text: string, width: number, color: boolean): string {
  const key = `${width}:${color ? 1 : 0}:${text}`;
  let out = rendered.get(key);
  if (out === undefined) {
    out = renderMarkdown(text, { width, color });
    if (rendered.size >= 500) rendered.delete(rendered.keys().next().value as string);
    rendered.set(key, out);
  }
  return out;
}

/** The panel's body in stream order, each piece rendered lazily (the tail of a long answer never renders its head). */
function pieces(panel: Panel, width: number, color: boolean, showReasoning: boolean): Array<() => Segment> {
  const out: Array<() => Segment> = panel.blocks.map((b, i): (() => Segment) => {
    const key = `b${i}`;
    switch (b.kind) {
      case 'text':
        return () => ({ key, kind: 'text', text: markdown(b.text, width, color) });
      case 'reasoning':
        return showReasoning
          ? () => ({ key, kind: 'text', text: b.text, dim: true })
          : () => ({
              key,
              kind: 'text',
              text: `▸ reasoning (${plural(b.text.split('\n').length, 'line')})`,
              dim: true,
            });
      case 'tool':
        return () => ({ key, kind: 'tool', tool: b.tool });
      case 'notice':
        return () => ({ key, kind: 'text', text: `⚠ ${b.text}`, tone: 'warn' });
    }
  });
  const reasoning = panel.reasoning.trim();
  if (reasoning)
    out.push(() => ({
      key: 'reasoning',
      kind: 'text',
      text: tailRows(reasoning, LIVE_REASONING_ROWS, width).text,
      dim: true,
    }));
  if (panel.text.trim())
    out.push(() => ({ key: 'live', kind: 'text', text: renderMarkdown(panel.text, { width, color }) }));
  for (const t of panel.tools) out.push(() => ({ key: `t${t.call_id}`, kind: 'tool', tool: t }));
  return out;
}

/** A tool call squeezed to one row, for a panel too short for the whole tool panel. */
function toolLine(key: string, tool: ToolView, now: number): Segment {
  const first = (tool.result ?? '').trim().split('\n')[0] ?? '';
  if (tool.result === undefined)
    return {
      key,
      kind: 'text',
      text: `⚙ ${tool.name} ${spinnerFrame(now)} running ${formatDuration(now - tool.startedAt)}`,
      tone: 'warn',
      truncate: true,
    };
  const mark = tool.is_error
    ? `✗ failed · ${formatDuration(tool.duration_ms ?? 0)}`
    : `✓ ${formatDuration(tool.duration_ms ?? 0)}`;
  return {
    key,
    kind: 'text',
    text: `⚙ ${tool.name} ${mark} → ${first}`,
    tone: tool.is_error ? 'error' : 'ok',
    truncate: true,
  };
}

function segmentRows(s: Segment, width: number): number {
  if (s.kind === 'tool') return toolPanelRows(s.tool);
  return s.truncate ? 1 : rowsOf(s.text, width);
}

/** A panel's body as laid out: its segments, whether older content was left out, and the rows it takes. */
export interface PanelLayout {
  segments: Segment[];
  hidden: boolean;
  rows: number;
}

/**
 * The body of a panel: everything when `maxRows` is undefined, else the last segments that fit in `maxRows` rows
 * (one blank row between segments; a text cut at the top keeps its last rows, a tool its summary line), and whether
 * something was left out (a "more above" note then takes the first row).
 */
export function layoutPanel(
  panel: Panel,
  width: number,
  color: boolean,
  now: number,
  maxRows?: number,
  showReasoning = false,
): PanelLayout {
  const all = pieces(panel, width, color, showReasoning);
  if (maxRows === undefined) {
    const segments = all.map((f) => f()).filter((s) => s.kind === 'tool' || visibleLength(s.text.trim()) > 0);
    return {
      segments,
      hidden: false,
      rows: segments.reduce((n, s, i) => n + (i > 0 ? 1 : 0) + segmentRows(s, width), 0),
    };
  }
  const out: Segment[] = [];
  let used = 0;
  for (let i = all.length - 1; i >= 0; i--) {
    const s = (all[i] as () => Segment)();
    // Markdown that renders to nothing yet (a heading's "## " before its words) takes no row.
    if (s.kind === 'text' && visibleLength(s.text.trim()) === 0) continue;
    const gap = out.length > 0 ? 1 : 0;
    const rows = segmentRows(s, width);
    // Keep a row for the "more above" note while anything above may still be left out.
    if (used + gap + rows + (i > 0 ? 1 : 0) <= maxRows) {
      out.unshift(s);
      used += gap + rows;
      continue;
    }
    const room = maxRows - used - gap - 1;
    let cut: Segment | undefined;
    if (s.kind === 'text' && room > 0) {
      const tail = tailRows(s.text, room, width).text.replace(/^(?:[ \t]*\n)+/, '');
      if (tail.trim()) cut = { ...s, text: tail };
    } else if (s.kind === 'tool' && room > 0) {
      cut = toolLine(s.key, s.tool, now);
    }
    if (cut) {
      out.unshift(cut);
      used += gap + segmentRows(cut, width);
    }
    return { segments: out, hidden: true, rows: used + 1 };
  }
  return { segments: out, hidden: false, rows: used };
}

/** Status of a finished run: ✓, ⏹ cancelled or ✗ with the status, plus duration, tokens and tools. */
function endLabel(end: PanelEnd, toolsRun: number): { text: string; color: string } {
  const stats = runStats(end.duration_ms, end.output_tokens, toolsRun);
  if (end.status === 'completed') return { text: `✓ completed · ${stats}`, color: 'green' };
  if (end.status === 'cancelled') return { text: `⏹ cancelled · ${stats}`, color: 'yellow' };
  return { text: `✗ ${end.status} · ${stats}`, color: 'red' };
}

/** Props of an agent panel. */
export interface AgentPanelProps {
  panel: Panel;
  now: number;
  width: number;
  color: boolean;
  cancelling?: boolean;
  /** Rows the body may use; undefined shows all of it (a finished panel printed once). */
  maxRows?: number;
  /** Finished reasoning in full instead of a one-line summary (Ctrl+O in a conversation). */
  showReasoning?: boolean;
  /** The body already laid out for these props (MultiView measures every live panel to share the rows out). */
  layout?: PanelLayout;
}

/** An agent's panel. */
export function AgentPanel({
  panel,
  now,
  width,
  color,
  cancelling = false,
  maxRows,
  showReasoning = false,
  layout,
}: AgentPanelProps) {
  const inner = panelInnerWidth(width);
  const { segments, hidden } =
    layout ??
    layoutPanel(panel, inner, color, now, maxRows === undefined ? undefined : Math.max(0, maxRows), showReasoning);
  const end = panel.end ? endLabel(panel.end, panel.toolsRun) : undefined;
  const started = panel.startedAt ?? now;
  const status =
    end?.text ??
    `${spinnerFrame(now)} ${panelActivity(panel, cancelling)} · ${formatDuration(Math.max(0, now - started))} · ${plural(panelTokens(panel), 'token')}`;
  const border = end?.color ?? (cancelling ? 'yellow' : 'cyan');
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={border} paddingX={1} width={width}>
      <Box justifyContent="space-between">
        <Box flexShrink={1}>
          <Text wrap="truncate-end">
            <Text bold>{panel.agent}</Text>
            <Text dimColor> · {panel.model}</Text>
          </Text>
        </Box>
        <Box flexShrink={0} marginLeft={2}>
          <Text color={end ? end.color : 'yellow'} wrap="truncate-end">
            {status}
          </Text>
        </Box>
      </Box>
      {hidden && <Text dimColor>… more above, shown in full when finished</Text>}
      {segments.map((s, i) =>
        s.kind === 'tool' ? (
          <Box key={s.key} marginTop={i > 0 ? 1 : 0}>
            <ToolPanel tool={s.tool} now={now} width={Math.min(inner, TOOL_WIDTH)} />
          </Box>
        ) : (
          <Box key={s.key} marginTop={i > 0 ? 1 : 0}>
            <Text
              dimColor={s.dim}
              italic={s.dim}
              color={s.tone ? TONES[s.tone] : undefined}
              wrap={s.truncate ? 'truncate-end' : 'wrap'}
            >
              {s.text}
            </Text>
          </Box>
        ),
      )}
      {panel.end?.message && <Text color="red">✗ {panel.end.message}</Text>}
    </Box>
  );
}
