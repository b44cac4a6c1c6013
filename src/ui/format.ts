/** Small display helpers shared by the chat components. */
import { truncateToWidth } from './graphemes.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** The spinner frame for a moment in time (all spinners on screen turn together). */
export function spinnerFrame(now: number): string {
  return SPINNER[Math.floor(now / 80) % SPINNER.length] as string;
}

/** "850ms", "2.4s", "1m 05s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** The first `maxLines` lines of `text`, each cut to `width`, and how many lines were left out. */
export function headLines(text: string, maxLines: number, width: number): { lines: string[]; more: number } {
  const all = text.replace(/\s+$/, '').split('\n');
  return {
    lines: all.slice(0, maxLines).map((l) => truncateToWidth(l, width)),
    more: Math.max(0, all.length - maxLines),
  };
}

/** Tool arguments for a panel: `key: value` lines for flat objects, pretty JSON otherwise. */
export function formatArgs(args: Record<string, unknown>): string {
  const entries = Object.entries(args);
  if (entries.length === 0) return '';
  const flat = entries.every(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
  if (flat)
    return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v.replace(/\n/g, '⏎') : String(v)}`).join('\n');
  return JSON.stringify(args, null, 2);
}

/** "1 tool" / "3 tools". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A finished run's figures: "1.2s · 40 tokens · 2 tools" (the tools only when some ran). */
export function runStats(durationMs: number, tokens: number, tools: number): string {
  return `${formatDuration(durationMs)} · ${plural(tokens, 'token')}${tools ? ` · ${plural(tools, 'tool')}` : ''}`;
}
