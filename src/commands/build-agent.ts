/**
 * Builds the Agent a command runs from its flags and the environment. `chat`, `serve` and `deploy` share it, so an
 * agent behaves the same whichever way it is reached.
 */
import { Agent } from '../core/agent.js';
import { resolveConfig, type ConfigFlags } from '../core/config.js';
import { DemoProvider } from '../core/providers/demo.js';
import { OpenAIProvider } from '../core/providers/openai.js';
import type { ModelProvider } from '../core/providers/types.js';
import { BUILTIN_TOOLS } from '../core/tools/builtins.js';

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
export function buildProvider(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): { provider: ModelProvider; model: string } {
  const config = resolveConfig(flags, env);
  if (config.kind === 'demo') return { provider: new DemoProvider(), model: config.model };
  return {
    provider: new OpenAIProvider({ apiKey: config.apiKey, baseURL: config.baseURL, apiKeyEnv: config.apiKeyEnv }),
    model: config.model,
  };
}

/** The default agent: built-in tools, the default instructions, the configured model. */
export function buildDefaultAgent(flags: AgentFlags, env: NodeJS.ProcessEnv = process.env): Agent {
  const { provider, model } = buildProvider(flags, env);
  return new Agent({
    name: 'assistant',
    instructions: flags.system ?? DEFAULT_INSTRUCTIONS,
    model,
    provider,
    tools: BUILTIN_TOOLS,
    ...(flags.maxTurns !== undefined ? { maxTurns: flags.maxTurns } : {}),
  });
}

// Agent files (--agent), MCP servers (--mcp-config, ./mcp.json, front matter) and remote A2A agents (--a2a):
// `const { agents, close } = await loadAgentFromFlags(flags)`; call `close()` when the run, session or server ends.
export { loadAgentFromFlags, selectTools } from './load-agents.js';
export type { LoadAgentFlags, LoadAgentOptions, LoadedAgents } from './load-agents.js';
