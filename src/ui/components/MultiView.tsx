/**
 * The multi-agent screen: header, messages, notices and finished panels once through <Static>; below them one live
 * panel per running agent, sized so that all of them, the shared progress line, the messages typed ahead and the
 * prompt stay shorter than the terminal; in a conversation, the prompt, editable while agents run (as with one agent).
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { EditorState } from '../input.js';
import { formatDuration, plural, spinnerFrame } from '../format.js';
import {
  panelActivity,
  totalTokens,
  totalToolsRun,
  type AgentPanel as Panel,
  type MultiHistoryItem,
  type MultiState,
} from '../multi-state.js';
import { AgentPanel, PANEL_CHROME_ROWS, layoutPanel, panelInnerWidth, type PanelLayout } from './AgentPanel.js';
import { DemoBadge } from './Header.js';
import { HistoryItemView, UserMessage } from './HistoryItemView.js';
import { PromptArea, layoutPromptArea } from './PromptArea.js';
import { StaticHistory } from './StaticHistory.js';

/** Props of the multi-agent screen. */
export interface MultiViewProps {
  state: MultiState;
  /** Bumped after a terminal resize so the history is printed again at the new width. */
  layoutEpoch?: number;
  now: number;
  width: number;
  rows: number;
  color: boolean;
  /** The message being typed (a conversation); undefined hides the prompt (one-shot runs). */
  editor?: EditorState;
  /** Messages typed ahead while agents run, sent one by one when each round ends. */
  queued?: readonly string[];
  hint?: string;
  /** Print finished reasoning in full (Ctrl+O). */
  showReasoning?: boolean;
}

/** Rows kept free below the panels: the progress line with its margin, and one spare row (Ink clears the screen
 * once its live output reaches the terminal height). */
const RESERVED_ROWS = 4;
/** Fewer body rows than this per panel and the panels shrink to one line each. */
const MIN_BODY_ROWS = 2;
/** Rows the live panels need at least next to the prompt: two one-line panels (or one and "… and N more") with their
 * margin, and the reserved rows (see LivePanels). */
const LIVE_MIN_ROWS = RESERVED_ROWS + 4;
const RUNNING_HINT = 'enter queues a message, sent when every agent is done · esc cancels them all';

/** The multi-agent screen. */
export function MultiView({
  state,
  layoutEpoch = 0,
  now,
  width,
  rows,
  color,
  editor,
  queued = [],
  hint,
  showReasoning = false,
}: MultiViewProps) {
  const running = state.live.length > 0;
  const bottom = layoutPromptArea({ running, editor, queued: queued.length, width, rows, liveMinRows: LIVE_MIN_ROWS });
  return (
    <Box flexDirection="column">
      <StaticHistory
        items={state.history}
        printKey={`${state.epoch}:${layoutEpoch}`}
        Item={MultiHistoryItemView}
        width={width}
        color={color}
        showReasoning={showReasoning}
      />
      {running && (
        <LivePanels
          live={state.live}
          cancelling={state.cancelling}
          now={now}
          width={width}
          rows={rows - bottom.rows}
          color={color}
        />
      )}
      {running && <MultiProgressLine state={state} now={now} />}
      <PromptArea
        layout={bottom}
        editor={editor}
        queued={queued}
        hint={hint ?? (running ? RUNNING_HINT : promptHint(width))}
        width={width}
        color={color}
      />
    </Box>
  );
}

function MultiHistoryItemView({
  item,
  width,
  color,
  showReasoning,
}: {
  item: MultiHistoryItem;
  width: number;
  color: boolean;
  showReasoning: boolean;
}) {
  switch (item.kind) {
    case 'header':
      return (
        <Text>
          <Text bold color="magenta">
            agentor
          </Text>
          <Text dimColor> · {plural(item.agents.length, 'agent')} · </Text>
          <Text bold>{item.agents.join(', ')}</Text>
          {item.conversation && <Text dimColor> · @name to address one</Text>}
          {item.isDemo && <DemoBadge />}
        </Text>
      );
    case 'user':
      return <UserMessage text={item.text} />;
    case 'notice':
      return (
        <HistoryItemView
          item={{ id: 0, kind: 'notice', text: item.text, tone: item.tone }}
          width={width}
          color={color}
          showReasoning={false}
        />
      );
    case 'panel':
      return (
        <Box marginTop={1}>
          <AgentPanel panel={item.panel} now={0} width={width} color={color} showReasoning={showReasoning} />
        </Box>
      );
    case 'summary': {
      const counts = new Map<string, number>();
      for (const e of item.ends) counts.set(e.status, (counts.get(e.status) ?? 0) + 1);
      const parts = [...counts].map(([status, n]) => `${n} ${status}`);
      const ok = item.ends.every((e) => e.status === 'completed');
      return (
        <Box marginTop={1} paddingLeft={2}>
          <Text color={ok ? undefined : 'yellow'} dimColor={ok}>
            {ok ? '✓' : '!'} {plural(item.ends.length, 'agent')}: {parts.join(', ')} ·{' '}
            {formatDuration(item.duration_ms)} · {plural(item.tokens, 'token')}
          </Text>
        </Box>
      );
    }
  }
}

/** The line under the prompt of a conversation with several agents. */
function promptHint(width: number): string {
  return width >= 92
    ? '@name sends to one agent · /help for commands · ↑↓ history · ctrl+c twice to exit'
    : '@name → one agent · /help · ctrl+c twice to exit';
}

/**
 * The running agents' panels. Memoised: a key press in the prompt leaves the panels untouched, so typing ahead never
 * pays for laying out their answers.
 */
const LivePanels = memo(function LivePanels({
  live,
  cancelling,
  now,
  width,
  rows,
  color,
}: {
  live: readonly Panel[];
  cancelling: boolean;
  now: number;
  width: number;
  rows: number;
  color: boolean;
}) {
  // Each panel gets an equal share of the rows above the progress line (its top margin included).
  const share = Math.floor((rows - RESERVED_ROWS) / live.length);
  const body = share - 1 - PANEL_CHROME_ROWS;
  if (body >= MIN_BODY_ROWS) {
    const budgets = panelBudgets(live, body, width, color, now);
    return (
      <Box flexDirection="column">
        {live.map((p, i) => (
          <Box key={p.key} marginTop={1}>
            <AgentPanel
              panel={p}
              now={now}
              width={width}
              color={color}
              cancelling={cancelling}
              maxRows={budgets[i]?.maxRows}
              layout={budgets[i]?.layout}
            />
          </Box>
        ))}
      </Box>
    );
  }
  // Too many agents for the terminal's height: one line each (and a count of those that do not fit).
  const fit = Math.max(1, rows - RESERVED_ROWS - 2);
  const shown = live.length > fit ? live.slice(0, fit - 1) : live;
  return (
    <Box flexDirection="column" marginTop={1}>
      {shown.map((p) => (
        <CompactPanel key={p.key} panel={p} now={now} cancelling={cancelling} />
      ))}
      {shown.length < live.length && <Text dimColor>… and {live.length - shown.length} more agents running</Text>}
    </Box>
  );
});

/**
 * Body rows for each live panel: an equal share each, and the rows short panels leave unused go to the panels whose
 * answers had to be cut, so a long answer next to a short one shows more of its tail.
 */
function panelBudgets(
  live: readonly Panel[],
  share: number,
  width: number,
  color: boolean,
  now: number,
): Array<{ maxRows: number; layout?: PanelLayout }> {
  const inner = panelInnerWidth(width);
  const layouts = live.map((p) => layoutPanel(p, inner, color, now, share));
  const cut = layouts.filter((l) => l.hidden).length;
  const spare = layouts.reduce((n, l) => n + (l.hidden ? 0 : share - l.rows), 0);
  const extra = cut > 0 ? Math.floor(spare / cut) : 0;
  // A panel that fits its share keeps that share, so the layout made here is the one it draws.
  return layouts.map((l) => (l.hidden ? { maxRows: share + extra } : { maxRows: share, layout: l }));
}

/** A live panel squeezed to one line: agent, model, activity and the last line of its answer. */
function CompactPanel({ panel, now, cancelling }: { panel: Panel; now: number; cancelling: boolean }) {
  const last = panel.text.trim().split('\n').at(-1) ?? '';
  return (
    <Text wrap="truncate-end">
      <Text color="cyan">● </Text>
      <Text bold>{panel.agent}</Text>
      <Text dimColor> · {panel.model} </Text>
      <Text color="yellow">
        {spinnerFrame(now)} {panelActivity(panel, cancelling)}
      </Text>
      {last && <Text dimColor> · {last}</Text>}
    </Text>
  );
}

/** The shared progress line: elapsed, tokens of every agent, agents done, tools run, and the cancel hint. */
function MultiProgressLine({ state, now }: { state: MultiState; now: number }) {
  const done = state.total - state.live.length;
  const tools = totalToolsRun(state);
  const parts = [
    formatDuration(Math.max(0, now - state.startedAt)),
    plural(totalTokens(state), 'token'),
    ...(tools > 0 ? [`${plural(tools, 'tool')} run`] : []),
    state.cancelling ? 'closing the requests' : 'esc or ctrl+c to cancel',
  ];
  // Always one row (truncated in a narrow terminal): the panels budget their height around it.
  return (
    <Box marginTop={1}>
      <Text wrap="truncate-end">
        <Text color="cyan">{spinnerFrame(now)} </Text>
        {state.cancelling ? 'cancelling… ' : ''}
        {done}/{state.total} agents done <Text dimColor>· {parts.join(' · ')}</Text>
      </Text>
    </Box>
  );
}
