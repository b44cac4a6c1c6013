/**
 * The slash commands of the chat, with one agent or several, as plain functions over a small context. With several
 * agents they act on every agent: /clear forgets all their conversations, /model switches all of them, /tools lists
 * each one's; /agents lists the agents and how to address them.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Agent, Conversation } from '../core/agent.js';
import { contextWindowFor } from '../core/context-window.js';
import { ago, sessionChoices, shortId } from '../core/sessions/describe.js';
import { oneLine } from '../core/text/one-line.js';
import { describeHolder, type Session } from '../core/sessions/session.js';
import { sanitize } from '../core/text/sanitize.js';
import { addressName } from './address.js';
import { lastAnswers, answerText, type ChatAction, type ChatState, type Tone } from './chat-state.js';
import { plural } from './format.js';
import type { PickerItem } from './components/ListPicker.js';
import { parseSlash, SLASH_COMMANDS, type SlashCommand } from './input.js';
import type { SessionSwitcher } from './options.js';
import type { Screen } from './screen.js';
import { statusLines } from './session-view.js';
import { codeBlocks, fencedBlocks, lastAnswerText, transcriptMarkdown } from './transcript.js';

/** A parsed command; `force` for `/save!`. */
export interface ChatCommand extends SlashCommand {
  force: boolean;
}

/** What a slash command may touch. */
export interface CommandContext {
  agents: readonly Agent[];
  conversations: readonly Conversation[];
  state: ChatState;
  dispatch: (action: ChatAction) => void;
  screen: Screen;
  exit: (code: number) => void;
  /** The session the chat is recorded in (for /status and /compact). */
  session?: Session;
  /** `/new`, `/resume`, `/sessions` (absent when the chat is not saved). */
  sessions?: ChatSessions;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  now?: Date;
  /** Opens the model picker (`/model` without an argument); without it, /model names the model in use. */
  pickModel?: () => void;
  /** The models the upstream listed the last time the picker asked: `/model NAME` warns about others. */
  knownModels?: readonly string[];
}

const KEYS = [
  'enter send · alt+enter or a trailing \\ new line · ↑/↓ history',
  'while an answer streams: keep typing, enter queues the message (sent when the answer completes)',
  'esc or ctrl+c cancel a running answer (queued messages come back into the prompt) · ctrl+c clears the prompt, twice exits · ctrl+d exits',
  "ctrl+o reasoning in full from now on, and the last answer's right away (again: collapsed)",
  'tab completes /commands and @paths (several matches are listed under the prompt)',
  'ctrl+r searches the history (type to filter, ctrl+r again for older, enter takes it, esc goes back)',
  'ctrl+g edits the prompt in $VISUAL / $EDITOR (vi by default) · ctrl+l clears the screen, the scrollback stays',
  'a tool call waiting for approval: y once · a always (this tool, this session) · n deny (then an optional reason) · esc cancels',
  '  a key answers only the question on screen: keys typed with it (ya) are dropped, the next question waits for its own',
];

const INPUT = [
  '@path attaches a text file to the message (up to 256 KB; the model gets its text, the transcript a line)',
  '!command runs a shell command here; its output goes into the prompt as context for your next message',
  '  (backspace removes it; esc or ctrl+c stops a running command; start a message with a space to send a "!")',
];

const ADDRESSING = [
  'A message goes to every agent at once; start it with @name to send it to one agent only (@a @b … to several).',
  'Each agent keeps its own conversation.',
];

/** Parses a prompt that is a command (`/save! file` included); undefined for a message. */
export function parseCommand(text: string): ChatCommand | undefined {
  const bang = /^\s*\/save!(?:\s+([\s\S]*))?$/.exec(text);
  if (bang) return { name: 'save', arg: (bang[1] ?? '').trim(), force: true };
  const cmd = parseSlash(text);
  return cmd ? { ...cmd, force: false } : undefined;
}

/** Lines of /agents: each agent as `@name`, its model, tools and description. */
export function agentLines(state: ChatState, agents: readonly Agent[]): string[] {
  const width = Math.max(...state.agents.map((a) => addressName(a.name).length + 1));
  return state.agents.map((a, i) => {
    const agent = agents[i];
    const tools = agent ? agent.tools.length : 0;
    const description = agent?.description ? ` — ${sanitize(agent.description)}` : '';
    const model = state.model ? sanitize(state.model) : a.model;
    return `  ${`@${addressName(a.name)}`.padEnd(width)}  model ${model} · ${plural(tools, 'tool')}${description}`;
  });
}

/** What to tell the user about OSC 52, which some terminals (and multiplexers) do not pass to the clipboard. */
export function clipboardNote(env: NodeJS.ProcessEnv): { text: string; tone: Tone } {
  if (env['TMUX'])
    return {
      text: 'in tmux this needs `set -g set-clipboard on` (tmux 3.2 or later) and a terminal that allows OSC 52',
      tone: 'info',
    };
  if (env['STY'])
    return { text: 'GNU screen does not pass OSC 52 on: /save writes the transcript to a file instead', tone: 'warn' };
  if (env['TERM_PROGRAM'] === 'Apple_Terminal')
    return { text: 'Terminal.app ignores OSC 52: use iTerm2, kitty, WezTerm or Ghostty, or /save', tone: 'warn' };
  return {
    text: 'sent through the terminal (OSC 52): if the clipboard stays empty, your terminal does not allow it',
    tone: 'info',
  };
}

/** `/save [file]` (`/save!` overwrites): writes the transcript, by default to a timestamped file in the working directory. */
export function saveTranscript(
  cmd: ChatCommand,
  ctx: CommandContext,
  notice: (text: string, tone?: Tone) => void,
): void {
  const now = ctx.now ?? new Date();
  const name = cmd.arg || `agentor-chat-${now.toISOString().replace(/[:.]/g, '-').slice(0, 19)}.md`;
  const path = resolve(ctx.cwd ?? process.cwd(), name);
  try {
    writeFileSync(path, transcriptMarkdown(ctx.state, now), { flag: cmd.force ? 'w' : 'wx' });
    notice(`saved the transcript to ${path}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      return notice(`${path} already exists: /save! ${cmd.arg || name} overwrites it, or pick another name`, 'warn');
    notice(`could not save to ${path}: ${(e as Error).message}`, 'error');
  }
}

/** `/copy` (the last answer) and `/copy code [n] [@agent]` (one of its code blocks), through OSC 52. */
function copy(arg: string, ctx: CommandContext, notice: (text: string, tone?: Tone) => void): void {
  const words = arg.split(/\s+/).filter(Boolean);
  const note = clipboardNote(ctx.env ?? process.env);
  const send = (text: string, what: string): void => {
    ctx.screen.copy(text);
    notice(`copied ${what} (${plural(text.length, 'character')}) · ${note.text}`, note.tone);
  };
  if (words[0] !== 'code') {
    if (words.length) return notice('usage: /copy, or /copy code [n] for a code block of the last answer', 'warn');
    const text = lastAnswerText(ctx.state);
    return text ? send(text, 'the last answer') : notice('nothing to copy yet: no answer so far', 'warn');
  }
  const at = words
    .find((w) => w.startsWith('@'))
    ?.slice(1)
    .toLowerCase();
  const n = words.find((w) => /^\d+$/.test(w));
  const answers = lastAnswers(ctx.state)
    .filter((a) => !at || addressName(a.agent).toLowerCase() === at)
    .map((a) => ({ agent: a.agent, blocks: codeBlocks(answerText(a)) }))
    .filter((a) => a.blocks.length > 0);
  if (answers.length === 0) return notice(`no code block in the last answer${at ? ` of @${at}` : ''}`, 'warn');
  if (answers.length > 1)
    return notice(
      `several answers have code: name one, e.g. /copy code ${n ?? 1} @${addressName((answers[0] as { agent: string }).agent)}`,
      'warn',
    );
  const { agent, blocks } = answers[0] as { agent: string; blocks: string[] };
  const index = n ? Number(n) : blocks.length;
  const block = blocks[index - 1];
  if (block === undefined)
    return notice(`no code block ${index}: the last answer has ${plural(blocks.length, 'code block')}`, 'warn');
  const of = blocks.length > 1 ? ` of ${blocks.length}` : '';
  send(block, `code block ${index}${of}${ctx.state.agents.length > 1 ? ` of ${agent}` : ''}`);
}

/**
 * What `/copy code <Tab>` offers: one hint per code block of the last answer, "2 ts: const x = 1" (its number, the
 * fence's language and its first line); undefined when the last answer has none, or several answers of the round
 * have code (their numbers would be ambiguous: `/copy code n @agent` names one).
 */
export function copyCodeHints(state: ChatState): string[] | undefined {
  const withCode = lastAnswers(state)
    .map((a) => fencedBlocks(answerText(a)))
    .filter((blocks) => blocks.length > 0);
  if (withCode.length !== 1) return undefined;
  return (withCode[0] as Array<{ code: string; lang: string }>).map((b, i) => {
    const first = b.code.split('\n').find((line) => line.trim()) ?? '';
    return oneLine(`${i + 1} ${b.lang ? `${b.lang}: ` : ''}${first}`, 32);
  });
}

/** What `/new`, `/resume` and `/sessions` need from the chat (App.tsx provides it). */
export interface ChatSessions {
  switcher: SessionSwitcher;
  /** Makes `session` the chat's: its conversations, the header's id, and its conversation so far printed. */
  adopt(session: Session): void;
  /** Shows a picker instead of the prompt; resolves with the chosen id, undefined on Esc. */
  pick(title: string, items: readonly PickerItem[]): Promise<string | undefined>;
}

type Notice = (text: string, tone?: Tone) => void;

/** Why a session command cannot run now, or undefined when it can. */
function sessionsBlocked(ctx: CommandContext, name: string): string | undefined {
  if (!ctx.sessions) return `/${name} needs saved sessions (this chat runs with --no-session, or "sessions": false)`;
  if (ctx.state.round) return `wait for the answer to finish (or cancel it with esc), then /${name}`;
  return undefined;
}

/** `/new`: the chat goes on in a new session; the one left stays resumable (unless nothing was said in it). */
async function newSession(ctx: CommandContext, notice: Notice): Promise<void> {
  const blocked = sessionsBlocked(ctx, 'new');
  if (blocked || !ctx.sessions) return notice(blocked ?? '', 'warn');
  const previous = ctx.session;
  const kept = previous && previous.turns > 0 ? previous.id : undefined;
  try {
    const next = await ctx.sessions.switcher.startNew();
    ctx.sessions.adopt(next);
    notice(
      `new session ${shortId(next.id)}${kept ? ` · the previous one is kept: /resume ${shortId(kept)} (or agentor chat -r ${shortId(kept)})` : ''}`,
    );
  } catch (e) {
    notice(sanitize((e as Error)?.message ?? String(e)), 'error');
  }
}

/** `/resume [id]`: without an id, a picker of this directory's recent sessions; the chosen one is replayed and continued. */
async function resumeSession(arg: string, ctx: CommandContext, notice: Notice): Promise<void> {
  const blocked = sessionsBlocked(ctx, 'resume');
  if (blocked || !ctx.sessions) return notice(blocked ?? '', 'warn');
  const { switcher } = ctx.sessions;
  const sessions = ctx.sessions;
  try {
    let typed = arg;
    if (!typed) {
      const recent = (await switcher.recent(200)).filter((s) => s.id !== ctx.session?.id);
      if (recent.length === 0)
        return notice('no other session was started in this directory (agentor sessions lists them all)', 'warn');
      const home = (ctx.env ?? process.env)['HOME'];
      const chosen = await sessions.pick(
        'Resume a session',
        sessionChoices(recent, { cwd: ctx.cwd ?? process.cwd(), home }),
      );
      if (chosen === undefined) return notice('no session resumed: this one goes on');
      typed = chosen;
    }
    const next = await switcher.resume(typed);
    const header = next.forkedFrom
      ? `session ${shortId(next.forkedFrom.id)} is in use by another agentor process (${describeHolder(next.forkedFrom.heldBy)}): continuing in a copy of it, session ${shortId(next.id)}`
      : `resumed session ${shortId(next.id)} · ${plural(next.turns, 'message')}`;
    notice(header, next.forkedFrom ? 'warn' : 'info');
    for (const n of next.notices) notice(sanitize(n), 'warn');
    sessions.adopt(next);
  } catch (e) {
    notice(sanitize((e as Error)?.message ?? String(e)), 'error');
  }
}

/** `/sessions`: this directory's recent sessions, the current one marked. */
async function listSessions(ctx: CommandContext, notice: Notice): Promise<void> {
  if (!ctx.sessions) return notice('/sessions needs saved sessions (this chat runs with --no-session)', 'warn');
  try {
    const recent = await ctx.sessions.switcher.recent(20);
    if (recent.length === 0) return notice('no saved session in this directory yet');
    const now = (ctx.now ?? new Date()).getTime();
    const when = recent.map((s) => ago(s.updated, now));
    const wide = Math.max(...when.map((w) => w.length));
    const lines = recent.map((s, i) => {
      const mark = s.id === ctx.session?.id ? '*' : ' ';
      const prompt = oneLine(sanitize(s.firstPrompt), 60) || '(no message)';
      return `${mark} ${shortId(s.id).padEnd(8)}  ${(when[i] as string).padEnd(wide)}  ${plural(s.turns, 'msg').padStart(7)}  ${prompt}`;
    });
    notice(
      [
        `Sessions of this directory (${recent.length === 20 ? 'the 20 most recent' : recent.length}; * is this one):`,
        ...lines,
        '/resume <id> continues one · /new starts another · agentor sessions lists every directory',
      ].join('\n'),
    );
  } catch (e) {
    notice(`cannot list the sessions: ${sanitize((e as Error)?.message ?? String(e))}`, 'error');
  }
}

/** `/compact`: each agent's conversation becomes a model-written summary plus its last exchange, recorded. */
async function compact(ctx: CommandContext, notice: (text: string, tone?: Tone) => void): Promise<void> {
  const session = ctx.session;
  if (!session) return notice('/compact needs a saved session (this chat runs with --no-session)', 'warn');
  if (ctx.state.round) return notice('wait for the answer to finish (or cancel it with esc), then /compact', 'warn');
  notice('compacting the conversation…');
  for (const [i, agent] of ctx.agents.entries()) {
    const who = ctx.agents.length > 1 ? `@${addressName(agent.name)}: ` : '';
    try {
      const record = await session.compact(agent, {
        turns: 1,
        ...(ctx.state.model ? { model: ctx.state.model } : {}),
      });
      const conversation = ctx.conversations[i];
      if (conversation && conversation !== session.conversation(agent.name)) {
        conversation.messages.splice(0, conversation.messages.length, ...session.conversation(agent.name).messages);
      }
      notice(
        record
          ? `${who}compacted ${plural(record.before - record.keep, 'message')} into a summary; the last exchange is kept`
          : `${who}nothing to compact yet`,
      );
    } catch (e) {
      notice(`${who}could not compact: ${sanitize((e as Error)?.message ?? String(e))}`, 'error');
    }
  }
}

function help(ctx: CommandContext): string {
  const several = ctx.state.agents.length > 1;
  const commands = SLASH_COMMANDS.filter((c) => several || c.name !== 'agents');
  const width = Math.max(...commands.map((c) => c.usage.length));
  return [
    'Commands:',
    ...commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.help}`),
    'Keys:',
    ...KEYS.map((k) => `  ${k}`),
    'Files and the shell:',
    ...INPUT.map((k) => `  ${k}`),
    ...(several ? [`Agents (${ctx.state.agents.length}):`, ...agentLines(ctx.state, ctx.agents), ...ADDRESSING] : []),
  ].join('\n');
}

/** Runs a slash command. */
export function runCommand(cmd: ChatCommand, ctx: CommandContext): void {
  const notice = (text: string, tone: Tone = 'info'): void => ctx.dispatch({ type: 'notice', text, tone });
  const several = ctx.state.agents.length > 1;
  switch (cmd.name) {
    case 'help':
      return notice(help(ctx));
    case 'agents':
      return notice(
        [
          `Agents (${ctx.state.agents.length}):`,
          ...agentLines(ctx.state, ctx.agents),
          ...(several ? ADDRESSING : []),
        ].join('\n'),
      );
    case 'clear':
      ctx.session?.clear();
      for (const c of ctx.conversations) c.clear();
      ctx.screen.clear();
      ctx.dispatch({ type: 'clear' });
      return;
    case 'model': {
      if (!cmd.arg && ctx.pickModel) return ctx.pickModel();
      if (!cmd.arg) {
        const models = ctx.state.agents.map((a) => (ctx.state.model ? sanitize(ctx.state.model) : a.model));
        return several
          ? notice(
              `models: ${ctx.state.agents.map((a, i) => `${a.name}: ${models[i]}`).join(' · ')} (/model <id> switches every agent)`,
            )
          : notice(`model: ${models[0]} (change it with /model <id>)`);
      }
      if (/\s/.test(cmd.arg)) return notice('usage: /model <id>, e.g. /model gpt-4.1', 'warn');
      ctx.dispatch({ type: 'model', model: cmd.arg });
      if (ctx.knownModels?.length && !ctx.knownModels.includes(cmd.arg))
        notice(
          `${sanitize(cmd.arg)} is not among the models the provider lists: runs fail if it does not exist`,
          'warn',
        );
      return;
    }
    case 'tools': {
      const lines = ctx.state.agents.flatMap((a, i) => {
        const tools = ctx.agents[i]?.tools ?? [];
        const list = tools.map((t) => `  ${sanitize(t.name)} — ${sanitize(t.description ?? '')}`);
        if (!several) return tools.length ? ['Tools:', ...list] : ['this agent has no tools'];
        return tools.length ? [`@${addressName(a.name)}:`, ...list] : [`@${addressName(a.name)}: no tools`];
      });
      return notice((several ? ['Tools:', ...lines] : lines).join('\n'));
    }
    case 'status':
      return notice(statusLines(ctx.session, ctx.agents, contextWindowFor).join('\n'));
    case 'compact':
      return void compact(ctx, notice);
    case 'new':
      return void newSession(ctx, notice);
    case 'resume':
      return void resumeSession(cmd.arg, ctx, notice);
    case 'sessions':
      return void listSessions(ctx, notice);
    case 'save':
      return saveTranscript(cmd, ctx, notice);
    case 'copy':
      return copy(cmd.arg, ctx, notice);
    case 'exit':
    case 'quit':
      return ctx.exit(0);
    default:
      notice(
        `unknown command /${cmd.name} — type /help for the list (start with // to send a message that begins with /)`,
        'warn',
      );
  }
}
