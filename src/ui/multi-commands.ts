/**
 * Slash commands of a conversation with several agents. /help, /exit and unknown commands are the single-agent
 * chat's (commands.ts); the rest act on every agent: /clear forgets all their conversations, /save writes the whole
 * transcript with agent names, /model switches all of them, /tools lists each one's, and /agents lists the agents.
 */
import type { Agent, Conversation } from '../core/agent.js';
import { sanitize } from '../core/text/sanitize.js';
import { runSlashCommand, saveTranscript } from './commands.js';
import { plural } from './format.js';
import { SLASH_COMMANDS, type SlashCommand } from './input.js';
import { addressName, multiTranscriptMarkdown, type MultiAction, type MultiState } from './multi-state.js';
import { initialState, type UiAction } from './state.js';

/** What a multi-agent slash command may touch. */
export interface MultiCommandContext {
  agents: readonly Agent[];
  conversations: readonly Conversation[];
  state: MultiState;
  dispatch: (action: MultiAction) => void;
  /** The model override for every agent's next turns (undefined: each agent's own). */
  model: string | undefined;
  setModel: (model: string) => void;
  clearScreen: () => void;
  exit: (code: number) => void;
  cwd?: string;
  now?: Date;
}

/** Lines of /agents (also part of /help): each agent as `@name`, its model, tools and description. */
export function agentLines(state: MultiState, agents: readonly Agent[], model?: string): string[] {
  const width = Math.max(...state.agents.map((a) => a.name.length + 1));
  return state.agents.map((a, i) => {
    const agent = agents[i];
    const tools = agent ? agent.tools.length : 0;
    const description = agent?.description ? ` — ${sanitize(agent.description)}` : '';
    return `  ${`@${sanitize(addressName(a.name))}`.padEnd(width)}  model ${model ? sanitize(model) : a.model} · ${plural(tools, 'tool')}${description}`;
  });
}

const ADDRESSING = [
  'A message goes to every agent at once; start it with @name to send it to one agent only (@a @b … to several).',
  'Each agent keeps its own conversation.',
];

/** Runs a slash command of the multi-agent chat. */
export function runMultiSlashCommand(cmd: SlashCommand, ctx: MultiCommandContext): void {
  const notice = (text: string, tone: 'info' | 'warn' | 'error' = 'info'): void =>
    ctx.dispatch({ type: 'notice', text, tone });
  switch (cmd.name) {
    case 'agents':
      notice(
        [`Agents (${ctx.state.agents.length}):`, ...agentLines(ctx.state, ctx.agents, ctx.model), ...ADDRESSING].join(
          '\n',
        ),
      );
      return;
    case 'clear':
      for (const c of ctx.conversations) c.clear();
      ctx.clearScreen();
      ctx.dispatch({ type: 'clear' });
      return;
    case 'model':
      if (!cmd.arg) {
        const models = ctx.state.agents
          .map((a) => `${a.name}: ${ctx.model ? sanitize(ctx.model) : a.model}`)
          .join(' · ');
        return notice(`models: ${models} (/model <id> switches every agent)`);
      }
      if (/\s/.test(cmd.arg)) return notice('usage: /model <id>, e.g. /model gpt-4.1', 'warn');
      ctx.setModel(cmd.arg);
      notice(`model: ${sanitize(cmd.arg)} for every agent from the next message`);
      return;
    case 'tools': {
      const lines = ctx.state.agents.flatMap((a, i) => {
        const tools = ctx.agents[i]?.tools ?? [];
        if (tools.length === 0) return [`@${sanitize(addressName(a.name))}: no tools`];
        return [
          `@${sanitize(addressName(a.name))}:`,
          ...tools.map((t) => `  ${sanitize(t.name)} — ${sanitize(t.description ?? '')}`),
        ];
      });
      notice(['Tools:', ...lines].join('\n'));
      return;
    }
    case 'save':
      return saveTranscript(cmd.arg, ctx, (now) => multiTranscriptMarkdown(ctx.state, now), notice);
    default:
      return single(cmd, ctx);
  }
}

/** /help, /exit and unknown commands: the single-agent chat's own, with the agents added to /help. */
function single(cmd: SlashCommand, ctx: MultiCommandContext): void {
  const first = ctx.agents[0] as Agent;
  const dispatch = (action: UiAction): void => {
    if (action.type !== 'notice') return;
    let text = action.text;
    if (cmd.name === 'help') {
      const lines = text.split('\n');
      const keys = lines.indexOf('Keys:');
      const at = keys === -1 ? lines.length : keys;
      // Same column as the other commands: the usage column is as wide as the widest usage.
      const pad = Math.max(...SLASH_COMMANDS.map((c) => c.usage.length));
      lines.splice(at, 0, `  ${'/agents'.padEnd(pad)}  list the agents and how to address them`);
      text = [
        ...lines,
        `Agents (${ctx.state.agents.length}):`,
        ...agentLines(ctx.state, ctx.agents, ctx.model),
        ...ADDRESSING,
      ].join('\n');
    }
    ctx.dispatch({ type: 'notice', text, ...(action.tone ? { tone: action.tone } : {}) });
  };
  runSlashCommand(cmd, {
    agent: first,
    conversation: ctx.conversations[0] as Conversation,
    state: initialState({ agent: first.name, model: first.model, isDemo: first.isDemo }),
    dispatch,
    setModel: ctx.setModel,
    clearScreen: ctx.clearScreen,
    exit: ctx.exit,
  });
}
