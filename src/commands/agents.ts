/**
 * `agentor agents [--json]`: lists the agent files found in ./agents and in the config directory, in lookup order,
 * with the problem of any file that cannot be used. Exit 2 when some file is invalid, so scripts notice.
 */
import { relative } from 'node:path';
import { agentDirs, findAgents, type FoundAgent } from '../core/agent-file.js';
import { sanitize } from '../core/text/sanitize.js';

/** Options of `agentor agents`. */
export interface AgentsCommandOptions {
  json?: boolean;
}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function jsonEntry(a: FoundAgent): Record<string, unknown> {
  const d = a.definition;
  return {
    name: d?.name ?? null,
    path: a.path,
    scope: a.scope,
    ...(d
      ? {
          description: d.description ?? '',
          model: d.model ?? null,
          tools: d.tools ?? null,
          mcp_servers: Object.keys(d.mcpServers ?? {}),
          ...(d.temperature !== undefined ? { temperature: d.temperature } : {}),
          ...(d.maxTurns !== undefined ? { max_turns: d.maxTurns } : {}),
        }
      : {}),
    ...(a.shadowed ? { shadowed: true } : {}),
    ...(a.error ? { error: a.error } : {}),
  };
}

/** Runs `agentor agents`; resolves with the exit code. */
export async function runAgents(opts: AgentsCommandOptions = {}): Promise<number> {
  const found = findAgents();
  const invalid = found.some((a) => a.error);
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ agents: found.map(jsonEntry), searched: agentDirs().map((d) => d.dir) })}\n`,
    );
    return invalid ? 2 : 0;
  }
  if (found.length === 0) {
    const dirs = agentDirs().map((d) => d.dir);
    process.stderr.write(
      `No agent files found (looked in ${dirs.join(' and ')}).\n` +
        'Create one, e.g. agents/researcher.md:\n\n---\nname: researcher\ndescription: Finds and summarises sources\ntools: [calculator, get_time]\n---\nYou are a careful researcher…\n\nThen run: agentor chat --agent researcher "…"\n',
    );
    return 0;
  }
  const rows = found.map((a) => {
    const d = a.definition;
    const name = sanitize(d?.name ?? '(invalid)');
    const detail = d
      ? [
          d.description ? sanitize(d.description) : '',
          d.model ? `model ${sanitize(d.model)}` : '',
          // `tools: []` is a deliberate choice (an agent that only talks), not a missing field.
          d.tools ? (d.tools.length ? `tools ${sanitize(d.tools.join(','))}` : 'no tools') : '',
          Object.keys(d.mcpServers ?? {}).length ? `mcp ${sanitize(Object.keys(d.mcpServers ?? {}).join(','))}` : '',
        ]
          .filter(Boolean)
          .join(' · ')
      : `error: ${sanitize(a.error ?? '')}`;
    return {
      name,
      where: `${a.scope === 'user' ? 'user' : 'project'}  ${sanitize(display(a.path))}${a.shadowed ? ' (shadowed)' : ''}`,
      detail,
    };
  });
  const width = Math.min(28, Math.max(...rows.map((r) => r.name.length)));
  for (const r of rows)
    process.stdout.write(
      `${r.name.padEnd(width)}  ${r.where}\n${r.detail ? `${' '.repeat(width + 2)}${r.detail}\n` : ''}`,
    );
  return invalid ? 2 : 0;
}
