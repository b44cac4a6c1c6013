/**
 * The agent file a deployment ships, found and validated exactly as `chat` and `serve` do it (src/core/agent-file.ts),
 * plus its raw bytes, which are copied into the image unchanged.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadAgentFile, resolveAgentRef } from '../core/agent-file.js';
import { ConfigError } from '../core/config.js';
import { envReferences, type McpEnvReference } from '../core/tools/mcp.js';
import { DeployError } from './errors.js';

/** An agent file as deploy needs it: where it is, its bytes, and the front-matter fields that shape the service. */
export interface AgentSource {
  /** Absolute path of the file on this machine. */
  path: string;
  /** The file's own name. */
  fileName: string;
  content: string;
  name: string;
  description?: string;
  model?: string;
  /**
   * MCP servers declared in the front matter: stdio ones need their command inside the image, and the `${VAR}`
   * references in their config are variables the service needs.
   */
  mcpServers: { name: string; command?: string; url?: string; variables: McpEnvReference[] }[];
}

/** Resolves `--agent <path|name>` (a path, else ./agents/<name>.md, else the config dir's agents/) and reads it. */
export function findAgentFile(ref: string, cwd: string, env: NodeJS.ProcessEnv = process.env): AgentSource {
  try {
    const path = resolveAgentRef(ref, { cwd, env });
    const def = loadAgentFile(path);
    // Read once more as bytes-for-bytes text: the image gets the file exactly as written, not a re-serialisation.
    const content = readFileSync(path, 'utf8');
    const servers = Object.entries(def.mcpServers ?? {}).map(([name, cfg]) => ({
      name,
      ...('command' in cfg ? { command: cfg.command } : {}),
      ...('url' in cfg ? { url: cfg.url } : {}),
      variables: envReferences(cfg),
    }));
    return {
      path,
      fileName: basename(path),
      content,
      name: def.name,
      ...(def.description !== undefined ? { description: def.description } : {}),
      ...(def.model !== undefined ? { model: def.model } : {}),
      mcpServers: servers,
    };
  } catch (e) {
    if (e instanceof ConfigError) throw new DeployError(e.message);
    throw e;
  }
}
