/**
 * Entry points of the Ink UI. `src/commands/chat.ts` imports this module lazily, so `--help`, `--version` and
 * `--json` never load ink or react; this module itself stays light and loads them on first use.
 */
import type { RunEndEvent } from '../core/events.js';
import type { ListPickerProps } from './components/ListPicker.js';
import type { AgentsChatOptions, AgentsOptions, InteractiveOptions } from './options.js';

export type { ListPickerProps, PickerItem } from './components/ListPicker.js';

export { colorEnabled, type AgentsChatOptions, type AgentsOptions, type InteractiveOptions } from './options.js';

async function load(): Promise<typeof import('./mount.js')> {
  // The CLI bundle is built with NODE_ENV=production (scripts/build.mjs), so React runs its production build without
  // this process (or the MCP servers it starts) seeing NODE_ENV changed.
  return import('./mount.js');
}

/** Opens the interactive chat; resolves with the exit code when the user leaves. */
export async function runInteractive(opts: InteractiveOptions): Promise<number> {
  const { firstPrompt, conversation, historyPath, ...rest } = opts;
  return (
    await (
      await load()
    ).mountChat({
      ...rest,
      agents: [opts.agent],
      ...(conversation ? { conversations: [conversation] } : {}),
      ...(firstPrompt ? { prompt: firstPrompt } : {}),
      ...(historyPath !== undefined ? { historyPath } : {}),
      once: false,
    })
  ).code;
}

/** Renders one prompt's run through the Ink UI (live markdown, tool panels, progress) and resolves with its exit code. */
export async function renderOnce(
  opts: Omit<InteractiveOptions, 'firstPrompt'> & Pick<AgentsOptions, 'context'> & { prompt: string },
): Promise<number> {
  const mounted = await (
    await load()
  ).mountChat({
    agents: [opts.agent],
    ...(opts.conversation ? { conversations: [opts.conversation] } : {}),
    prompt: opts.prompt,
    ...(opts.context ? { context: opts.context } : {}),
    once: true,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.maxTurns !== undefined ? { maxTurns: opts.maxTurns } : {}),
    ...(opts.session ? { session: opts.session } : {}),
    ...(opts.stdout ? { stdout: opts.stdout } : {}),
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
  });
  return mounted.code;
}

/**
 * Renders several agents answering one prompt, one after the other in the scrollback as they stream, until every run
 * ended; resolves with their run_end events (the caller maps the most severe status to the exit code).
 */
export async function renderAgents(opts: AgentsOptions & { prompt: string }): Promise<RunEndEvent[]> {
  return (await (await load()).mountChat({ ...opts, once: true })).ends;
}

/**
 * Opens a conversation with several agents: each message goes to every agent at once (or to those named with
 * `@name`); resolves with the exit code when the user leaves.
 */
export async function runAgentsInteractive(opts: AgentsChatOptions): Promise<number> {
  return (await (await load()).mountChat({ ...opts, once: false })).code;
}

/** Lets the user pick one of `items` in the terminal; resolves with its id, or undefined when they left (Esc). */
export async function pickFromList(props: Omit<ListPickerProps, 'onSelect' | 'onCancel'>): Promise<string | undefined> {
  return (await load()).mountPicker(props);
}
