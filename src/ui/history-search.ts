/**
 * Ctrl+R: incremental search back through the prompt history, as readline and fish do it. Typing narrows the search
 * (the newest prompt that contains the text, ignoring case), Ctrl+R again goes to an older match, Backspace widens it
 * again, Enter takes the match into the prompt (to edit or send), Esc or Ctrl+G goes back to what was being typed.
 * ←/→, Home and End take the match too and then move, as in readline. Pure: use-prompt-keys.ts holds the state.
 */
import type { KeyPress } from './keys.js';
import type { PromptEntry } from './paste.js';

/** A search in progress. */
export interface HistorySearch {
  query: string;
  /** The history index of the match shown; -1 when nothing matches. */
  match: number;
}

/** What a key does to the search: go on, take `entry` (then apply `then` to the prompt), or cancel. */
export type SearchOutcome =
  | { kind: 'search'; search: HistorySearch }
  | { kind: 'accept'; entry: PromptEntry | undefined; then?: KeyPress }
  | { kind: 'cancel' };

/** The newest entry before `before` whose text contains `query` (case-insensitive); -1 when none does. */
export function findOlder(history: readonly PromptEntry[], query: string, before: number): number {
  const q = query.toLowerCase();
  for (let i = Math.min(before, history.length) - 1; i >= 0; i--) {
    if ((history[i] as PromptEntry).text.toLowerCase().includes(q)) return i;
  }
  return -1;
}

/** A search just started: the newest entry (an empty query matches every entry). */
export function startSearch(history: readonly PromptEntry[]): HistorySearch {
  return { query: '', match: history.length - 1 };
}

/** The next state of `s` after `press`. */
export function searchKey(s: HistorySearch, press: KeyPress, history: readonly PromptEntry[]): SearchOutcome {
  const taken = (then?: KeyPress): SearchOutcome => ({
    kind: 'accept',
    entry: s.match >= 0 ? history[s.match] : undefined,
    ...(then ? { then } : {}),
  });
  if (press.kind !== 'key') {
    const text = press.text.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
    const query = s.query + text;
    // Still matching where it is, or the next older one that does.
    return { kind: 'search', search: { query, match: findOlder(history, query, (s.match < 0 ? -1 : s.match) + 1) } };
  }
  const { name, ctrl, meta } = press;
  if (name === 'escape' || (ctrl && (name === 'g' || name === 'c'))) return { kind: 'cancel' };
  if (name === 'return' && !meta) return taken();
  if (ctrl && name === 'r') {
    if (s.match < 0) return { kind: 'search', search: s };
    const older = findOlder(history, s.query, s.match);
    return { kind: 'search', search: older < 0 ? s : { ...s, match: older } };
  }
  if (ctrl && name === 's') {
    // Newer: the oldest match after the current one.
    for (let i = s.match + 1; i < history.length; i++)
      if ((history[i] as PromptEntry).text.toLowerCase().includes(s.query.toLowerCase()))
        return { kind: 'search', search: { ...s, match: i } };
    return { kind: 'search', search: s };
  }
  if (name === 'backspace') {
    const query = [...s.query].slice(0, -1).join('');
    return { kind: 'search', search: { query, match: findOlder(history, query, history.length) } };
  }
  if (['left', 'right', 'home', 'end', 'up', 'down'].includes(name) || (ctrl && (name === 'a' || name === 'e')))
    return taken(press);
  return { kind: 'search', search: s };
}

/** The line under the prompt while searching. */
export function searchHint(s: HistorySearch): string {
  const status = s.match < 0 ? (s.query ? 'no match' : 'history is empty') : 'ctrl+r older';
  return `search history: ${s.query}█ · ${status} · enter takes it · esc goes back`;
}
