/** What the chat shows of its session: the conversation so far when resumed, and the `/status` lines. */
import type { Session } from '../core/sessions/session.js';
import type { SessionRecord } from '../core/sessions/types.js';
import { sessionTranscript } from '../core/sessions/transcript.js';
import { sanitize } from '../core/text/sanitize.js';
import { REPLAY_MESSAGES, replayLines } from './layout/replay.js';

/**
 * A resumed session's last exchanges and what resuming reported; nothing for a new session. Only the records from the
 * last shown user message on are made a transcript: a long session's earlier thousands of turns are only counted.
 */
export function resumedLines(session: Session, width: number, color: boolean): string[] {
  const records = session.resumedRecords;
  if (records.length === 0) return [];
  let from = 0;
  let earlier = 0;
  for (let i = records.length - 1, seen = 0; i >= 0; i--) {
    if ((records[i] as SessionRecord).type !== 'user') continue;
    if (seen < REPLAY_MESSAGES) {
      seen++;
      from = i;
    } else earlier++;
  }
  const models = new Map(session.header.agents.map((a) => [a.name, a.model]));
  return replayLines(sessionTranscript(earlier > 0 ? records.slice(from) : records), {
    width,
    color,
    several: session.header.agents.length > 1,
    id: session.id,
    earlier,
    modelOf: (agent) => models.get(agent),
  });
}

/** "12.3k" for token counts. */
export function tokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 100_000) return `${(n / 1000).toFixed(1)}k`;
  return `${Math.round(n / 1000)}k`;
}

/** The context an agent's conversation fills: "12.3k / 128k tokens (10%)", or just the tokens without a window. */
export function contextLine(used: number | undefined, window: number | undefined): string {
  if (used === undefined) return 'not known yet (after the first answer)';
  if (!window) return `${tokens(used)} tokens (window unknown: --context-window <tokens> or context_window)`;
  return `${tokens(used)} / ${tokens(window)} tokens (${Math.min(100, Math.round((used / window) * 100))}%)`;
}

/** The lines of `/status`. */
export function statusLines(
  session: Session | undefined,
  agents: ReadonlyArray<{ name: string; model: string; contextWindow: number | undefined }>,
  windowFor: (model: string) => number | undefined,
): string[] {
  const out: string[] = [];
  if (session) {
    out.push(
      `session ${session.id}${session.saving ? '' : ' (not being saved: see the warning above)'}`,
      `  resume with: agentor chat --resume ${session.id.slice(0, 8)}`,
      `  ${session.turns} message${session.turns === 1 ? '' : 's'} · ${tokens(session.usage.input_tokens)} in / ${tokens(session.usage.output_tokens)} out tokens so far`,
    );
  } else {
    out.push('this chat is not saved (--no-session, or "sessions": false in the config)');
  }
  for (const a of agents) {
    const used = session?.contextOf(a.name);
    out.push(
      `${sanitize(a.name)} · ${sanitize(a.model)} · context ${contextLine(used, a.contextWindow ?? windowFor(a.model))}`,
    );
  }
  return out;
}
