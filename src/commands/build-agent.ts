/**
 * The model provider a command's agents use, from its flags and the environment, and the default instructions.
 * `chat`, `serve` and `deploy` share it (through load-agents.ts, which builds the agents), so an agent behaves the same
 * whichever way it is reached.
 */
import { resolveConfig, type ConfigFlags } from '../core/config.js';
import { providerFor } from '../core/providers/default.js';
import type { ModelProvider } from '../core/providers/types.js';

/** The default agent's instructions when no agent file or --system is given. */
export const DEFAULT_INSTRUCTIONS =
  'You are agentor, a helpful assistant running in a terminal. Answer concisely in Markdown. ' +
  'Use the available tools when they help (arithmetic: calculator; the current time: get_time).';

/** Flags shared by the commands that run an agent. */
export interface AgentFlags extends ConfigFlags {
  system?: string;
  maxTurns?: number;
}

/** Creates the provider the resolved configuration asks for (throws ConfigError when none is configured). */
export function buildProvider(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv = process.env,
): { provider: ModelProvider; model: string } {
  const config = resolveConfig(flags, env);
  return { provider: providerFor(config), model: config.model };
}
