/** The slash commands of the interactive chat, as plain functions over a small context. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Agent, Conversation } from '../core/agent.js';
import { sanitize } from '../core/text/sanitize.js';
import { SLASH_COMMANDS, type SlashCommand } from './input.js';
import { transcriptMarkdown, type UiAction, type UiState } from './state.js';

/** What a slash command may touch. */
export interface CommandContext {
  agent: Agent;
  conversation: Conversation;
  state: UiState;
  dispatch: (action: UiAction) => void;
  setModel: (model: string) => void;
  clearScreen: () => void;
  exit: (code: number) => void;
  cwd?: string;
  now?: Date;
}

const KEYS = [
  'enter send · alt+enter or a trailing \\ new line · ↑/↓ history',
  'while an answer streams: keep typing, enter queues the message (sent when the answer completes)',
  'esc or ctrl+c cancel a running answer (queued messages come back into the prompt) · ctrl+c clears the prompt, twice exits · ctrl+d exits',
  'ctrl+o show/hide reasoning in full',
];

/** `/save [file.md]`: writes the transcript (to a timestamped file in the working directory by default). */
export function saveTranscript(
  arg: string,
  ctx: { now?: Date; cwd?: string },
  markdown: (now: Date) => string,
  notice: (text: string, tone?: 'info' | 'warn' | 'error') => void,
): void {
  const now = ctx.now ?? new Date();
  const name = arg || `agentor-chat-${now.toISOString().replace(/[:.]/g, '-').slice(0, 19)}.md`;
  const path = resolve(ctx.cwd ?? process.cwd(), name);
  try {
    writeFileSync(path, markdown(now));
    notice(`saved the transcript to ${path}`);
  } catch (e) {
    notice(`could not save to ${path}: ${(e as Error).message}`, 'error');
  }
}

/** Runs a slash command. */
export function runSlashCommand(cmd: SlashCommand, ctx: CommandContext): void {
  const notice = (text: string, tone: 'info' | 'warn' | 'error' = 'info'): void =>
    ctx.dispatch({ type: 'notice', text, tone });
  switch (cmd.name) {
    case 'help': {
      const width = Math.max(...SLASH_COMMANDS.map((c) => c.usage.length));
      notice(
        [
          'Commands:',
          ...SLASH_COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.help}`),
          'Keys:',
          ...KEYS.map((k) => `  ${k}`),
        ].join('\n'),
      );
      return;
    }
    case 'clear':
      ctx.conversation.clear();
      ctx.clearScreen();
      ctx.dispatch({ type: 'clear' });
      return;
    case 'model':
      if (!cmd.arg) return notice(`model: ${ctx.state.model} (change it with /model <id>)`);
      if (/\s/.test(cmd.arg)) return notice('usage: /model <id>, e.g. /model gpt-4.1', 'warn');
      ctx.setModel(cmd.arg);
      ctx.dispatch({ type: 'model', model: cmd.arg });
      return;
    case 'tools':
      if (ctx.agent.tools.length === 0) return notice('this agent has no tools');
      notice(
        ['Tools:', ...ctx.agent.tools.map((t) => `  ${sanitize(t.name)} — ${sanitize(t.description ?? '')}`)].join(
          '\n',
        ),
      );
      return;
    case 'save':
      return saveTranscript(cmd.arg, ctx, (now) => transcriptMarkdown(ctx.state, now), notice);
    case 'exit':
    case 'quit':
      ctx.exit(0);
      return;
    default:
      notice(
        `unknown command /${cmd.name} — type /help for the list (start with // to send a message that begins with /)`,
        'warn',
      );
  }
}
