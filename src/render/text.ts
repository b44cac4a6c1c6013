/**
 * The plain-text consumer: assistant text on stdout as it arrives, sanitised, and nothing else there. Tool activity,
 * notices and failures go to stderr so `agentor chat … > answer.md` captures only the answer.
 */
import type { Writable } from 'node:stream';
import type { AgentEvent, RunEndEvent } from '../core/events.js';
import { writer } from './output.js';
import { createStreamSanitizer, sanitize } from './sanitize.js';

/** Options of the plain renderer. */
export interface TextRenderOptions {
  out: Writable;
  err: Writable;
  /** Dim styling for stderr diagnostics (only when stderr is a colour terminal). */
  color?: boolean;
  /** Prefix each line with the agent name (multi-agent runs). */
  prefixAgents?: boolean;
}

const truncate = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Renders a stream as plain text; returns the run_end events seen (one per run). */
export async function renderText(events: AsyncIterable<AgentEvent>, opts: TextRenderOptions): Promise<RunEndEvent[]> {
  const out = writer(opts.out);
  const err = writer(opts.err);
  const dim = (s: string): string => (opts.color ? `\x1b[2m${s}\x1b[22m` : s);
  const red = (s: string): string => (opts.color ? `\x1b[31m${s}\x1b[39m` : s);
  const ends: RunEndEvent[] = [];
  // Per run: a sanitiser (escape sequences may span chunks), the last character written, the last turn with text.
  const runs = new Map<string, { sanitizer: ReturnType<typeof createStreamSanitizer>; last: string; turn: number; atLineStart: boolean }>();
  let lastRun: string | undefined;
  const state = (e: AgentEvent) => {
    let s = runs.get(e.run_id);
    if (!s) {
      s = { sanitizer: createStreamSanitizer(), last: '\n', turn: 0, atLineStart: true };
      runs.set(e.run_id, s);
    }
    return s;
  };
  const emit = async (e: AgentEvent, text: string): Promise<void> => {
    if (!text) return;
    const s = state(e);
    if (opts.prefixAgents) {
      // Interleaved agents: start a fresh prefixed line whenever the speaking run changes.
      let body = text;
      if (lastRun !== e.run_id && !s.atLineStart) body = text;
      const prefix = `[${sanitize(e.agent)}] `;
      let outText = '';
      if (lastRun !== undefined && lastRun !== e.run_id) {
        const prev = runs.get(lastRun);
        if (prev && !prev.atLineStart) outText += '\n';
        if (prev) prev.atLineStart = true;
      }
      for (const ch of body.split(/(\n)/)) {
        if (ch === '') continue;
        if (s.atLineStart && ch !== '\n') outText += prefix;
        outText += ch;
        s.atLineStart = ch === '\n';
      }
      lastRun = e.run_id;
      s.last = text[text.length - 1] as string;
      await out(outText);
      return;
    }
    s.last = text[text.length - 1] as string;
    await out(text);
  };

  for await (const e of events) {
    switch (e.type) {
      case 'text_delta': {
        const s = state(e);
        if (s.turn !== 0 && s.turn !== e.turn) await emit(e, s.last === '\n' ? '\n' : '\n\n');
        s.turn = e.turn;
        await emit(e, s.sanitizer.write(e.text));
        break;
      }
      case 'tool_call':
        await err(dim(`⚙ ${sanitize(e.name)}(${truncate(sanitize(JSON.stringify(e.args)), 120)})\n`));
        break;
      case 'tool_result': {
        const mark = e.is_error ? red('✗') : '✓';
        await err(dim(`${mark} ${sanitize(e.name)} ${e.duration_ms}ms → ${truncate(sanitize(e.result).replace(/\s+/g, ' '), 120)}\n`));
        break;
      }
      case 'error':
        await err(dim(`! ${sanitize(e.error.message)}\n`));
        break;
      case 'run_end': {
        const s = state(e);
        await emit(e, s.sanitizer.flush());
        if (s.last !== '\n') await emit(e, '\n');
        ends.push(e);
        if (e.status !== 'completed') {
          const why = e.error?.message ? `: ${sanitize(e.error.message)}` : '';
          const who = opts.prefixAgents ? `[${sanitize(e.agent)}] ` : '';
          await err(red(`agentor: ${who}run ${e.status}${why}\n`));
        }
        break;
      }
      default:
        break;
    }
  }
  return ends;
}
