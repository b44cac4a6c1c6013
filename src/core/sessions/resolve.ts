/**
 * Finds a session from what a user typed: a whole id or a unique prefix of one (as git does with commits). An unknown
 * id names the closest ids; an ambiguous prefix names the candidates.
 */
import type { SessionStore, SessionSummary } from './types.js';

/** What a typed id resolved to. */
export type ResolvedSession =
  | { id: string }
  | { error: 'not_found'; closest: SessionSummary[] }
  | { error: 'ambiguous'; candidates: SessionSummary[] };

/** Resolves a whole id or a unique prefix. */
export async function resolveSession(store: SessionStore, typed: string): Promise<ResolvedSession> {
  const query = typed.trim();
  if (!query) return { error: 'not_found', closest: await store.list({ limit: 3 }) };
  // A whole id (what --continue, the picker and pasted ids give) needs no listing at all.
  if (await store.header(query)) return { id: query };
  const matches = await store.list({ prefix: query, brief: true });
  if (matches.length === 1) return { id: (matches[0] as SessionSummary).id };
  if (matches.length > 1) return { error: 'ambiguous', candidates: await store.list({ prefix: query }) };
  return { error: 'not_found', closest: closestSessions(await store.list(), query, 3) };
}

/** The `n` sessions whose ids are closest to `query` (edit distance to as much of the id as was typed). */
export function closestSessions(sessions: readonly SessionSummary[], query: string, n: number): SessionSummary[] {
  const q = query.toLowerCase();
  return sessions
    .map((s) => ({ s, d: editDistance(q, s.id.toLowerCase().slice(0, Math.max(q.length, 1))) }))
    .sort((a, b) => a.d - b.d || b.s.updated - a.s.updated)
    .slice(0, n)
    .map((x) => x.s);
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] as number;
}
