/**
 * The plain-text consumer: assistant text on stdout as it arrives, sanitised, and nothing else there. Tool activity,
 * notices and failures go to stderr so `agentor chat … > answer.md` captures only the answer.
 */
import type { Writable } from 'node:stream';
import type { AgentEvent, AgentEventType, RunEndEvent, ToolApprovalEvent } from '../core/events.js';
import { joinTurns, keptTypes } from '../core/stream.js';
import { batchedWriter, writer } from './output.js';
import { createStreamSanitizer, sanitize } from '../core/text/sanitize.js';

/** Options of the plain renderer. */
export interface TextRenderOptions {
  out: Writable;
  err: Writable;
  /** Dim styling for stderr diagnostics (only when stderr is a colour terminal). */
  color?: boolean;
  /** Prefix each line with the agent name (multi-agent runs). */
  prefixAgents?: boolean;
  /** stdout and stderr end up in the same place (a terminal, `2>&1`): keep diagnostics on lines of their own. */
  sameDestination?: boolean;
  /** Show only these event types (`--events`); the run_ends returned are all the real ones all the same. */
  events?: readonly AgentEventType[];
  /** What to add to a `tool_approval` line (e.g. how to allow a denied tool), if anything. */
  approvalHint?: (e: ToolApprovalEvent) => string | undefined;
}

const truncate = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Renders a stream as plain text; returns every run's run_end (one per run), whatever `events` shows. */
export async function renderText(events: AsyncIterable<AgentEvent>, opts: TextRenderOptions): Promise<RunEndEvent[]> {
  const stdout = batchedWriter(opts.out);
  const out = (text: string): Promise<void> => stdout.write(text);
  const errWrite = writer(opts.err);
  // Diagnostics go out after the answer text written before them, also when both share a terminal.
  const errRaw = async (text: string): Promise<void> => {
    await stdout.flush();
    await errWrite(text);
  };
  // When both streams share a destination, a diagnostic must not glue itself to a half-written answer line.
  const sharedTerminal = opts.sameDestination === true;
  let lastOut = '\n';
  let breakInserted = false; // a line break written for a diagnostic stands in for the answer's next one
  const err = async (text: string): Promise<void> => {
    if (sharedTerminal && lastOut !== '\n') {
      await out('\n');
      lastOut = '\n';
      breakInserted = true;
      for (const r of runs.values()) r.last = '\n';
    }
    await errRaw(text);
  };
  const dim = (s: string): string => (opts.color ? `\x1b[2m${s}\x1b[22m` : s);
  const red = (s: string): string => (opts.color ? `\x1b[31m${s}\x1b[39m` : s);
  const ends: RunEndEvent[] = [];
  // Per run: a sanitiser (escape sequences may span chunks) and the last character written.
  const runs = new Map<string, { sanitizer: ReturnType<typeof createStreamSanitizer>; last: string }>();
  const pendingLines = new Map<string, string>(); // prefixAgents: each run's unfinished line
  const who = (e: AgentEvent): string => (opts.prefixAgents ? `[${sanitize(e.agent)}] ` : '');
  const state = (e: AgentEvent) => {
    let s = runs.get(e.run_id);
    if (!s) {
      s = { sanitizer: createStreamSanitizer(), last: '\n' };
      runs.set(e.run_id, s);
    }
    return s;
  };
  const emit = async (e: AgentEvent, chunk: string): Promise<void> => {
    const text = breakInserted && chunk.startsWith('\n') ? chunk.slice(1) : chunk;
    if (!text) return;
    breakInserted = false;
    const s = state(e);
    if (opts.prefixAgents) {
      // Interleaved agents: whole lines only, each tagged with its agent, so concurrent answers stay readable
      // (the way `docker compose logs` does it). A partial line waits for its newline or the run's end.
      const buffered = (pendingLines.get(e.run_id) ?? '') + text;
      const cut = buffered.lastIndexOf('\n');
      s.last = text[text.length - 1] as string;
      pendingLines.set(e.run_id, cut < 0 ? buffered : buffered.slice(cut + 1));
      if (cut < 0) return;
      const prefix = `[${sanitize(e.agent)}]`;
      const lines = buffered
        .slice(0, cut)
        .split('\n')
        .map((l) => (l ? `${prefix} ${l}` : prefix));
      lastOut = '\n';
      await out(`${lines.join('\n')}\n`);
      return;
    }
    s.last = text[text.length - 1] as string;
    lastOut = s.last;
    await out(text);
  };

  const keep = keptTypes(opts.events);
  // Each run is one answer on stdout: its turns joined by a blank line, as in run_end.text.
  for await (const e of joinTurns(events)) {
    if (e.type === 'run_end') ends.push(e);
    // A hidden run_end still closes its answer's last line; it only says nothing about how the run ended.
    if (keep && !keep.has(e.type) && e.type !== 'run_end') continue;
    switch (e.type) {
      case 'text_delta':
        await emit(e, state(e).sanitizer.write(e.text));
        break;
      case 'tool_call':
        await err(
          dim(
            `⚙ ${who(e)}${sanitize(e.name)}(${truncate(sanitize(JSON.stringify(e.args)), 120)})${e.remote ? ' · on the remote agent' : ''}\n`,
          ),
        );
        break;
      case 'tool_result': {
        const mark = e.is_error ? red('✗') : '✓';
        await err(
          dim(
            `${mark} ${who(e)}${sanitize(e.name)} ${e.duration_ms}ms → ${truncate(sanitize(e.result).replace(/\s+/g, ' '), 120)}\n`,
          ),
        );
        break;
      }
      case 'tool_approval_request':
        await err(dim(`? ${who(e)}${sanitize(e.name)} waits for approval: ${sanitize(e.reason)}\n`));
        break;
      case 'tool_approval': {
        const hint = opts.approvalHint?.(e);
        const how = e.decision === 'allowed' ? (e.scope === 'session' ? ' for this session' : ' once') : '';
        const why = e.reason ? `: ${sanitize(e.reason)}` : '';
        const mark = e.decision === 'allowed' ? '✓' : red('✗');
        await err(
          dim(`${mark} ${who(e)}${sanitize(e.name)} ${e.decision}${how} by ${e.by}${why}${hint ? ` — ${hint}` : ''}\n`),
        );
        break;
      }
      case 'error':
        await err(dim(`! ${who(e)}${sanitize(e.error.message)}\n`));
        break;
      case 'run_end': {
        const s = state(e);
        await emit(e, s.sanitizer.flush());
        if (s.last !== '\n') await emit(e, '\n');
        if (e.status !== 'completed' && (!keep || keep.has('run_end'))) {
          const why = e.error?.message ? `: ${sanitize(e.error.message)}` : '';
          await err(red(`agentor: ${who(e)}run ${e.status}${why}\n`));
        }
        break;
      }
      default:
        break;
    }
  }
  await stdout.flush();
  return ends;
}
