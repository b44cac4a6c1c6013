/**
 * A session log as a person reads it: who said what, which tools ran, how runs ended, where the conversation was
 * compacted. Used by `agentor sessions show/export` and to show a resumed conversation. Pure: no I/O. The text is
 * as recorded (untrusted model and tool output): renderers sanitise it.
 */
import type { ErrorInfo, RunEndEvent } from '../events.js';
import type { SessionRecord } from './types.js';

/** One entry of a transcript. */
export type TranscriptEntry =
  | { kind: 'user'; text: string; to?: string[] }
  | { kind: 'assistant'; agent: string; text: string }
  | { kind: 'tool'; agent: string; name: string; args: unknown; result?: string; isError?: boolean }
  | { kind: 'end'; agent: string; status: RunEndEvent['status']; error?: ErrorInfo }
  | { kind: 'compact'; agent: string; summary: string; before: number; keep: number }
  | { kind: 'clear' };

interface OpenTurn {
  agent: string;
  turn: number;
  text: string;
  done: boolean;
}

/** The transcript of a session's records; runs that never ended keep the text they streamed. */
export function sessionTranscript(records: Iterable<SessionRecord>): TranscriptEntry[] {
  const out: TranscriptEntry[] = [];
  const turns = new Map<string, OpenTurn>();
  const tools = new Map<string, Extract<TranscriptEntry, { kind: 'tool' }>>();
  const flushTurn = (runId: string): void => {
    const t = turns.get(runId);
    if (t && !t.done && t.text.trim()) out.push({ kind: 'assistant', agent: t.agent, text: t.text });
    turns.delete(runId);
  };
  for (const r of records) {
    switch (r.type) {
      case 'user':
        out.push({ kind: 'user', text: r.text, ...(r.to && r.to.length > 0 ? { to: r.to } : {}) });
        break;
      case 'compact':
        out.push({ kind: 'compact', agent: r.agent, summary: r.summary, before: r.before, keep: r.keep });
        break;
      case 'clear':
        out.push({ kind: 'clear' });
        break;
      case 'text_delta': {
        let t = turns.get(r.run_id);
        if (t && t.turn !== r.turn) {
          flushTurn(r.run_id);
          t = undefined;
        }
        if (!t) turns.set(r.run_id, (t = { agent: r.agent, turn: r.turn, text: '', done: false }));
        t.text += r.text;
        break;
      }
      case 'message':
        if (r.text.trim()) out.push({ kind: 'assistant', agent: r.agent, text: r.text });
        turns.set(r.run_id, { agent: r.agent, turn: r.turn, text: '', done: true });
        break;
      case 'tool_call': {
        const entry = { kind: 'tool' as const, agent: r.agent, name: r.name, args: r.args };
        // A turn's text comes before its tool calls.
        flushTurn(r.run_id);
        tools.set(r.call_id, entry);
        out.push(entry);
        break;
      }
      case 'tool_result': {
        const entry = tools.get(r.call_id);
        if (entry) {
          entry.result = r.result;
          entry.isError = r.is_error;
        }
        break;
      }
      case 'run_end':
        flushTurn(r.run_id);
        if (r.status !== 'completed') {
          out.push({ kind: 'end', agent: r.agent, status: r.status, ...(r.error ? { error: r.error } : {}) });
        }
        break;
      default:
        break;
    }
  }
  for (const id of [...turns.keys()]) flushTurn(id);
  return out;
}

/** A transcript as Markdown (for `agentor sessions export --format md`). */
export function transcriptMarkdown(entries: readonly TranscriptEntry[], title: string): string {
  const parts: string[] = [`# ${title}`];
  for (const e of entries) {
    switch (e.kind) {
      case 'user':
        parts.push(`## You${e.to && e.to.length > 1 ? ` → ${e.to.join(', ')}` : ''}\n\n${e.text}`);
        break;
      case 'assistant':
        parts.push(`## ${e.agent}\n\n${e.text}`);
        break;
      case 'tool': {
        const result = e.result === undefined ? '(no result)' : e.result;
        parts.push(
          `> **${e.name}** \`${JSON.stringify(e.args)}\`${e.isError ? ' — failed' : ''}\n>\n` +
            result
              .split('\n')
              .map((l) => `> ${l}`)
              .join('\n'),
        );
        break;
      }
      case 'end':
        parts.push(`*${e.agent}: run ${e.status}${e.error ? `: ${e.error.message}` : ''}*`);
        break;
      case 'compact':
        parts.push(
          `*${e.agent}: ${e.before - e.keep} earlier messages were compacted into this summary:*\n\n${e.summary}`,
        );
        break;
      case 'clear':
        parts.push('*The conversation was cleared (/clear): what follows starts over.*');
        break;
    }
  }
  return `${parts.join('\n\n')}\n`;
}
