/**
 * Sessions described for people: the short id, "5 min ago", one-line first prompts, and the rows of a session picker.
 * Shared by `agentor sessions`, `chat --resume` and the chat's `/sessions` and `/resume`, so they all say it the same way.
 */
import { oneLine } from '../text/one-line.js';
import type { SessionSummary } from './types.js';

/** The first 8 characters of an id (what listings show; a unique prefix resumes it). */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

/** When, relative to now: "just now", "5 min ago", "3 h ago", "2 days ago", then a date. */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.floor(s / 86_400)} day${s < 2 * 86_400 ? '' : 's'} ago`;
  return new Date(ms).toISOString().slice(0, 10);
}

/** One row of a session picker (the shape of the UI's PickerItem). */
export interface SessionChoice {
  id: string;
  label: string;
  detail: string;
  keywords: string;
}

/** Picker rows: first prompt, then age, messages, model or agents, directory and short id. */
export function sessionChoices(
  sessions: readonly SessionSummary[],
  where: { cwd: string; home?: string | undefined },
): SessionChoice[] {
  const { cwd, home } = where;
  return sessions.map((s) => {
    const dir = s.cwd === cwd ? 'here' : home && s.cwd.startsWith(home) ? `~${s.cwd.slice(home.length)}` : s.cwd;
    return {
      id: s.id,
      label: oneLine(s.firstPrompt, 70) || '(no message)',
      detail: `${ago(s.updated)} · ${s.turns} msg · ${oneLine(s.agents.length > 1 ? s.agents.join(',') : s.model, 24)} · ${oneLine(dir, 30)} · ${shortId(s.id)}`,
      keywords: s.cwd,
    };
  });
}
