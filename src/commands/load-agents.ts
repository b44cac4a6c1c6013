/**
 * Builds the Agent(s) a command runs from `--agent`, `--mcp-config`/`mcp.json` and `--a2a`, and owns what they hold
 * open (MCP server connections) until `close()`. `chat`, `serve` and `deploy` share it through build-agent.ts.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Agent } from '../core/agent.js';
import type { AgentDefinition } from '../core/agent-file.js';
import { AgentFileError } from '../core/agent-file-error.js';
import { ConfigError, readConfigFile } from '../core/config.js';
import type { ErrorInfo } from '../core/events.js';
import type { ApprovalMode, ApprovalPolicy } from '../core/tools/approval.js';
import { BUILTIN_TOOLS } from '../core/tools/builtins.js';
import {
  loadMcpConfigFile,
  McpPool,
  type McpServerHealth,
  type McpServersConfig,
  type McpToolset,
} from '../core/tools/mcp.js';
import type { Tool } from '../core/tools/tool.js';
import { buildProvider, DEFAULT_INSTRUCTIONS, type AgentFlags } from './build-agent.js';

/** Flags of the commands that run agents. */
export interface LoadAgentFlags extends AgentFlags {
  /** `--agent <path|name>`, once (serve, deploy) or repeated (chat). */
  agent?: string | readonly string[];
  /** `--mcp-config <file>`; without it `./mcp.json` is used when present. */
  mcpConfig?: string;
  /** `--a2a <url>`: a remote A2A agent (chat). */
  a2a?: string;
  /** `--context-window <tokens>`: overrides the agent files' `context_window` and the built-in table. */
  contextWindow?: number;
  /** `--approve`: overrides the agent file's `approve:` and the config file's. */
  approve?: ApprovalMode;
  /** `--allow-tool` (repeatable): added to the agent file's `allow:` and the config file's. */
  allowTool?: readonly string[];
  /** Working directory for `./agents`, `./mcp.json` and stdio MCP servers (default process.cwd()). */
  cwd?: string;
}

/** The agents a command runs and what they hold open. */
export interface LoadedAgents {
  /** At least one; names are unique (a repeated agent gets "-2", "-3"…). */
  agents: Agent[];
  /** The agent files they came from, in the same order (undefined for the default and remote agents). */
  definitions: Array<AgentDefinition | undefined>;
  /** Problems that did not stop loading (MCP servers that failed to start…); each run also reports them as `error` events. */
  notices: ErrorInfo[];
  /** The MCP servers' state: connected or not, and why not (readiness checks). */
  health(): McpServerHealth[];
  /** Shuts down MCP servers (`now`: without the grace to exit on their own); call it when the work ends. Idempotent. */
  close(opts?: { now?: boolean }): Promise<void>;
}

/** Options of `loadAgentFromFlags`. */
export interface LoadAgentOptions {
  env?: NodeJS.ProcessEnv;
  /** Reuse a pool (e.g. one per server process); by default a new one is created and closed by `close()`. */
  mcp?: McpPool;
  /** Cancels MCP start-up (Ctrl+C while servers start): they are stopped, and the agents come back without them. */
  signal?: AbortSignal;
  /** For a new pool: told when an MCP server goes down, fails a restart or is back (e.g. to log it). */
  onMcpNotice?: (notice: ErrorInfo) => void;
}

/** The servers from `--mcp-config <file>`, else from `./mcp.json` when it exists, else none. */
export function mcpServersFromFlags(flags: { mcpConfig?: string }, cwd: string = process.cwd()): McpServersConfig {
  if (flags.mcpConfig) return loadMcpConfigFile(resolve(cwd, flags.mcpConfig));
  const local = resolve(cwd, 'mcp.json');
  return existsSync(local) ? loadMcpConfigFile(local) : {};
}

/**
 * Loads the agents the flags ask for: each `--agent` file (or the default agent when there is none) with its tools —
 * built-ins and MCP tools — plus a remote agent for `--a2a`. Throws ConfigError (exit 2) for bad files and flags.
 */
export async function loadAgentFromFlags(flags: LoadAgentFlags, opts: LoadAgentOptions = {}): Promise<LoadedAgents> {
  const env = opts.env ?? process.env;
  const cwd = flags.cwd ?? process.cwd();
  const refs = flags.agent === undefined ? [] : typeof flags.agent === 'string' ? [flags.agent] : [...flags.agent];
  // The YAML parser loads only when an agent file is asked for: plain `chat` starts without it.
  const { loadAgentRef } = refs.length > 0 ? await import('../core/agent-file.js') : { loadAgentRef: undefined };
  const definitions = loadAgentRef ? refs.map((ref) => loadAgentRef(ref, { cwd, env })) : [];
  const shared = mcpServersFromFlags(flags, cwd);
  const ownsPool = !opts.mcp;
  const pool = opts.mcp ?? new McpPool({ env, cwd, ...(opts.onMcpNotice ? { onNotice: opts.onMcpNotice } : {}) });
  let closing: Promise<void> | undefined;
  const close = (closeOpts: { now?: boolean } = {}): Promise<void> =>
    (closing ??= ownsPool ? pool.close(closeOpts) : Promise.resolve());

  try {
    const agents: Agent[] = [];
    const defs: Array<AgentDefinition | undefined> = [];
    const notices: ErrorInfo[] = [];
    const names = new Map<string, number>();
    const unique = (name: string): string => {
      const n = (names.get(name) ?? 0) + 1;
      names.set(name, n);
      return n === 1 ? name : `${name}-${n}`;
    };
    const builtinNames = BUILTIN_TOOLS.map((t) => t.name);
    const file = flags.demo ? {} : readConfigFile(env);
    // The flag wins over the agent file, which wins over the config file; allow-lists add up.
    const approval = (def: AgentDefinition | undefined): ApprovalPolicy => ({
      mode: flags.approve ?? def?.approve ?? file.approve ?? 'ask',
      allow: [...(flags.allowTool ?? []), ...(def?.allow ?? []), ...(file.allow ?? [])],
    });

    const built = await Promise.all(
      (definitions.length > 0 ? definitions : flags.a2a ? [] : [undefined]).map(async (def) => {
        const servers: McpServersConfig = { ...shared, ...(def?.mcpServers ?? {}) };
        const toolset =
          Object.keys(servers).length > 0
            ? await pool.connect(servers, { reserved: builtinNames, signal: opts.signal })
            : emptyToolset();
        const pick = (set: McpToolset, found: ErrorInfo[], late = false): Tool[] =>
          def?.tools ? selectTools(def, set, found, late) : [...BUILTIN_TOOLS, ...set.tools];
        const problems = [...toolset.errors];
        let selected = pick(toolset, problems);
        // What selecting the tools found (a tool a failed server might have had), reported at each run.
        let unavailable = problems.slice(toolset.errors.length);
        // Read at each turn: a server that failed to start and came up since adds its tools.
        let seen = toolset;
        const tools = (): readonly Tool[] => {
          const now = toolset.latest();
          if (now !== seen) {
            seen = now;
            const found = [...now.errors];
            selected = pick(now, found, true);
            unavailable = found.slice(now.errors.length);
          }
          return selected;
        };
        const { provider, model } = buildProvider({ ...flags, model: flags.model ?? def?.model }, env);
        // The servers' state at each run (failed to start, down), plus what selecting the tools found.
        const notices = (): readonly ErrorInfo[] => {
          tools();
          return [...toolset.notices(), ...unavailable];
        };
        return { def, tools, problems, notices, provider, model };
      }),
    );
    for (const b of built) {
      const name = unique(b.def?.name ?? 'assistant');
      const maxTurns = flags.maxTurns ?? b.def?.maxTurns;
      const contextWindow = flags.contextWindow ?? b.def?.contextWindow;
      notices.push(...b.problems);
      agents.push(
        new Agent({
          name,
          description: b.def?.description ?? '',
          instructions: b.def ? b.def.instructions : (flags.system ?? DEFAULT_INSTRUCTIONS),
          model: b.model,
          provider: b.provider,
          tools: b.tools,
          approval: approval(b.def),
          notices: b.notices,
          ...(b.def?.temperature !== undefined ? { temperature: b.def.temperature } : {}),
          ...(maxTurns !== undefined ? { maxTurns } : {}),
          ...(contextWindow !== undefined ? { contextWindow } : {}),
          ...(b.def?.vision !== undefined ? { vision: b.def.vision } : {}),
        }),
      );
      defs.push(b.def);
    }

    if (flags.a2a) {
      const { A2AProvider } = await import('../core/providers/a2a.js');
      let provider: InstanceType<typeof A2AProvider>;
      try {
        provider = new A2AProvider({ url: flags.a2a, env });
      } catch (e) {
        throw new ConfigError((e as Error).message);
      }
      const card = await provider.card().catch(() => undefined);
      agents.push(
        new Agent({
          name: unique(remoteName(card?.name, flags.a2a)),
          description: card?.description ?? '',
          model: provider.modelLabel(card),
          provider: provider,
          tools: [],
          // The remote agent's own tool calls that it asks to have approved are decided by the same policy.
          approval: approval(undefined),
        }),
      );
      defs.push(undefined);
    }
    return { agents, definitions: defs, notices, health: () => pool.health(), close };
  } catch (e) {
    await close();
    throw e;
  }
}

function emptyToolset(): McpToolset {
  const empty: McpToolset = { tools: [], errors: [], servers: {}, notices: () => [], latest: () => empty };
  return empty;
}

/**
 * The tools an agent file's `tools:` list names: built-ins, MCP tools (by their plain or `server__tool` name), a
 * server name (all its tools) or `server__*`. An unknown name is an error unless a failed server might have had it,
 * or unless `late` (the list is made again once such a server is up: the agent has been running without it already).
 */
export function selectTools(
  def: AgentDefinition,
  toolset: Pick<McpToolset, 'tools' | 'errors' | 'servers'>,
  problems: ErrorInfo[],
  late = false,
): Tool[] {
  const byName = new Map<string, Tool>();
  for (const t of BUILTIN_TOOLS) byName.set(t.name, t);
  for (const t of toolset.tools) byName.set(t.name, t);
  // MCP tools are also reachable as server__tool even when their name did not clash.
  const qualified = new Map<string, Tool>();
  for (const [server, toolNames] of Object.entries(toolset.servers)) {
    for (const n of toolNames) {
      const t = byName.get(n);
      if (t) qualified.set(n.startsWith(`${server}__`) ? n : `${server}__${n}`, t);
    }
  }
  const failed = toolset.errors.length > 0;
  const chosen: Tool[] = [];
  const add = (t: Tool | undefined): void => {
    if (t && !chosen.includes(t)) chosen.push(t);
  };
  for (const want of def.tools ?? []) {
    const server = want.endsWith('__*') ? want.slice(0, -3) : want;
    if (server in toolset.servers && (want.endsWith('__*') || !byName.has(want))) {
      for (const n of toolset.servers[server] ?? []) add(byName.get(n));
      continue;
    }
    const t = byName.get(want) ?? qualified.get(want);
    if (t) {
      add(t);
      continue;
    }
    const clashing = Object.entries(toolset.servers).flatMap(([server, names]) =>
      names.filter((n) => n === `${server}__${want}`),
    );
    if (clashing.length > 1) {
      throw new AgentFileError(
        def.path ?? def.name,
        'tools',
        `"${want}" is ambiguous: several MCP servers offer it; name one of ${clashing.join(', ')}`,
      );
    }
    if (clashing.length === 1) {
      add(byName.get(clashing[0] as string));
      continue;
    }
    const known = [...byName.keys(), ...Object.keys(toolset.servers)];
    if (failed || late) {
      problems.push({
        message: `${def.path ?? def.name}: tool "${want}" is not available (${failed ? 'an MCP server failed to start' : 'no MCP server offers it'}); the agent runs without it`,
        code: 'tool_unavailable',
        retryable: false,
      });
      continue;
    }
    throw new AgentFileError(
      def.path ?? def.name,
      'tools',
      `names an unknown tool "${want}" (available: ${known.join(', ') || 'none'})`,
    );
  }
  return chosen;
}

function remoteName(cardName: string | undefined, url: string): string {
  const clean = (cardName ?? '')
    .trim()
    .replace(/[^a-zA-Z0-9_.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 64);
  if (clean) return clean;
  try {
    return new URL(url).host.replace(/[^a-zA-Z0-9_.-]+/g, '-') || 'remote';
  } catch {
    return 'remote';
  }
}
