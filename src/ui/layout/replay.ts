/**
 * A resumed session's conversation so far, as lines printed under the header before the prompt: the last exchanges
 * (the whole log can be thousands of turns; `agentor sessions show` prints all of it), laid out like live answers.
 */
import type { TranscriptEntry } from '../../core/sessions/transcript.js';
import { sanitize } from '../../core/text/sanitize.js';
import { noticeLines, titleLines, userLines } from './chrome.js';
import { renderMarkdown } from './markdown.js';
import { toolPanelLines } from './tool-panel.js';

/** How many user messages (with their answers) a resumed chat shows. */
export const REPLAY_MESSAGES = 10;

/** The lines of the last `messages` user messages of a transcript and everything after them. */
export function replayLines(
  entries: readonly TranscriptEntry[],
  opts: {
    width: number;
    color: boolean;
    several: boolean;
    id: string;
    messages?: number;
    /** User messages before `entries` that the caller already left out (counted in the "earlier" line). */
    earlier?: number;
    modelOf?: (agent: string) => string | undefined;
  },
): string[] {
  const { width, color } = opts;
  const users: number[] = [];
  entries.forEach((e, i) => e.kind === 'user' && users.push(i));
  const keep = opts.messages ?? REPLAY_MESSAGES;
  const from = users.length > keep ? (users[users.length - keep] as number) : 0;
  const earlier = (opts.earlier ?? 0) + users.length - Math.min(users.length, keep);
  const out: string[] = [];
  if (earlier > 0) {
    out.push(
      ...noticeLines(
        `… ${earlier} earlier message${earlier === 1 ? '' : 's'} (agentor sessions show ${opts.id.slice(0, 8)})`,
        'info',
        width,
        color,
      ),
    );
  }
  const code = { next: 1 };
  for (const e of entries.slice(from)) {
    switch (e.kind) {
      case 'user':
        out.push(...userLines(sanitize(e.text), width, color));
        break;
      case 'assistant':
        if (opts.several)
          out.push(...titleLines(sanitize(e.agent), sanitize(opts.modelOf?.(e.agent) ?? ''), width, color));
        out.push('', ...renderMarkdown(sanitize(e.text), { width, color, code }));
        break;
      case 'tool':
        out.push(
          '',
          ...toolPanelLines(
            {
              call_id: '',
              name: sanitize(e.name),
              args: typeof e.args === 'object' && e.args !== null ? (e.args as Record<string, unknown>) : {},
              startedAt: 0,
              ...(e.result !== undefined
                ? { result: sanitize(e.result), is_error: e.isError === true, duration_ms: 0 }
                : {}),
            },
            0,
            width,
            color,
          ),
        );
        break;
      case 'end':
        out.push(
          ...noticeLines(
            `${opts.several ? `${sanitize(e.agent)}: ` : ''}run ${e.status}${e.error ? `: ${sanitize(e.error.message)}` : ''}`,
            'warn',
            width,
            color,
          ),
        );
        break;
      case 'clear':
        out.push(...noticeLines('(the conversation was cleared here)', 'info', width, color));
        break;
      case 'compact':
        out.push(
          ...noticeLines(`${e.before - e.keep} earlier messages were compacted into a summary`, 'info', width, color),
        );
        break;
    }
  }
  out.push(...noticeLines('── resumed ──', 'info', width, color));
  return out;
}
