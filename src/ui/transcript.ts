/**
 * The conversation as text: the markdown document `/save` writes (reasoning included, collapsed in `<details>`), and
 * what `/copy` copies (the last answer, or one of its code blocks).
 */
import type { Token, Tokens } from 'marked';
import { sanitize } from '../core/text/sanitize.js';
import { answerText, lastAnswers, type ChatState, type TranscriptEntry } from './chat-state.js';
import { lex } from './layout/markdown.js';

const fence = (text: string): string => text.replace(/```/g, '`\u200b``');

function answerMarkdown(a: Extract<TranscriptEntry, { kind: 'answer' }>): string[] {
  const out: string[] = [`## ${a.agent}`, ''];
  for (const part of a.parts) {
    if (part.kind === 'text') {
      // Sanitised as it streamed; again here, so that a `cat` of the file is safe whatever fed the state.
      if (part.text.trim()) out.push(sanitize(part.text.trim()), '');
    } else if (part.kind === 'reasoning') {
      out.push('<details>', '<summary>reasoning</summary>', '', sanitize(part.text), '', '</details>', '');
    } else {
      const t = part.tool;
      out.push(
        `> ${t.is_error ? '✗' : '✓'} tool \`${t.name}\` ${JSON.stringify(t.args)} (${t.duration_ms ?? 0} ms)`,
        '',
        '```',
        fence(t.result ?? ''),
        '```',
        '',
      );
    }
  }
  if (a.status !== 'completed') out.push(`_(${a.status.replace('_', ' ')}${a.message ? `: ${a.message}` : ''})_`, '');
  return out;
}

/** The conversation as a markdown document: every message, each answer under its agent's name. */
export function transcriptMarkdown(state: ChatState, now: Date = new Date()): string {
  const who = state.agents.map((a) => `${a.name} (${a.model})`).join(', ');
  const out: string[] = [`# agentor chat — ${who}`, '', `_Saved ${now.toISOString()}_`, ''];
  for (const entry of state.transcript) {
    if (entry.kind === 'user') out.push(entry.to ? `## You → ${entry.to.join(', ')}` : '## You', '', entry.text, '');
    else out.push(...answerMarkdown(entry));
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/\s*$/, '\n');
}

/** The last answer as markdown (with several agents, the last round's answers, each under its agent's name). */
export function lastAnswerText(state: ChatState): string {
  const answers = lastAnswers(state).filter((a) => answerText(a));
  if (answers.length <= 1) return answers[0] ? answerText(answers[0]) : '';
  return answers.map((a) => `## ${a.agent}\n\n${answerText(a)}`).join('\n\n');
}

/** The code blocks of a markdown text, in order (nested in lists and quotes too): what `/copy code n` picks from. */
export function codeBlocks(markdown: string): string[] {
  return fencedBlocks(markdown).map((b) => b.code);
}

/** The code blocks of a markdown text with their fence's language ('' when it names none). */
export function fencedBlocks(markdown: string): Array<{ code: string; lang: string }> {
  const out: Array<{ code: string; lang: string }> = [];
  const walk = (tokens: readonly Token[]): void => {
    for (const t of tokens) {
      if (t.type === 'code')
        out.push({ code: (t as Tokens.Code).text, lang: (t as Tokens.Code).lang?.split(/\s/)[0] ?? '' });
      else if (t.type === 'list') for (const item of (t as Tokens.List).items) walk(item.tokens);
      else if ('tokens' in t && Array.isArray(t.tokens) && t.type === 'blockquote') walk(t.tokens);
    }
  };
  walk(lex(markdown));
  return out;
}
