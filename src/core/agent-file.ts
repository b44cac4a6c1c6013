/**
 * Agent files: markdown with YAML front matter. The front matter configures the agent, the body is its instructions.
 *
 * ```md
 * ---
 * name: researcher
 * description: Finds and summarises sources
 * model: gpt-4.1-mini
 * tools: [calculator, get_time]
 * temperature: 0.2
 * max_turns: 12
 * context_window: 128000
 * vision: false           # the model takes no images: a message with one is refused before it is sent
 * mcpServers: { fs: { command: npx, args: [-y, "@modelcontextprotocol/server-filesystem", "."] } }
 * approve: ask            # ask | auto | never: tool calls that may change things
 * allow: [fs__read_file]  # tools that run without asking
 * ---
 * You are a careful researcher…
 * ```
 *
 * Every problem is an AgentFileError (a ConfigError: the CLI prints it and exits 2) naming the file, the field and
 * what is wrong with it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, configDir } from './config.js';
import { parseAllowPattern, parseApprovalMode, type ApprovalMode } from './tools/approval.js';
import { parseMcpServers, type McpServersConfig } from './tools/mcp.js';

/** An agent as declared by an agent file. */
export interface AgentDefinition {
  name: string;
  description?: string;
  model?: string;
  /** Tool names the model is offered; absent means every built-in (plus the tools of the agent's MCP servers). */
  tools?: string[];
  temperature?: number;
  maxTurns?: number;
  /** The model's context window in tokens (`context_window`), for "context used" displays. */
  contextWindow?: number;
  /** `vision:` — whether the model takes images (absent: the built-in table of text-only models decides). */
  vision?: boolean;
  mcpServers?: McpServersConfig;
  /** `approve:` — how tool calls that may change things are approved. */
  approve?: ApprovalMode;
  /** `allow:` — tools that run without asking (a name, `server__tool`, `server__*`). */
  allow?: string[];
  /** The markdown body: the system prompt. */
  instructions: string;
  /** Absolute path of the file it came from (absent when parsed from a string without a path). */
  path?: string;
}

export { AgentFileError } from './agent-file-error.js';
import { AgentFileError } from './agent-file-error.js';

/** Agent names end up in events, prefixes, service names and file names: keep them simple. */
const AGENT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
const KNOWN_FIELDS = [
  'name',
  'description',
  'model',
  'tools',
  'temperature',
  'max_turns',
  'maxTurns',
  'context_window',
  'vision',
  'mcpServers',
  'approve',
  'allow',
] as const;
const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n?^---[ \t]*(?:\r?\n|$)/m;

/** Parses the text of an agent file; `file` is used in error messages (and kept as `path`). */
export function parseAgentFile(text: string, file = '<agent>'): AgentDefinition {
  const m = FRONT_MATTER.exec(text);
  if (!m || m.index !== 0) {
    throw new AgentFileError(
      file,
      undefined,
      'has no YAML front matter: start the file with a "---" line, then at least "name: <agent name>", then a closing "---" line, then the instructions.',
    );
  }
  const doc = parseDocument(m[1] ?? '');
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    // +1: the opening "---" line comes before the YAML.
    const where = e.linePos?.[0] ? ` (line ${e.linePos[0].line + 1}, column ${e.linePos[0].col})` : '';
    const what = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new AgentFileError(file, undefined, `front matter is not valid YAML${where}: ${what}`);
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined)
    throw new AgentFileError(file, 'name', 'is required (the front matter is empty)');
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new AgentFileError(file, undefined, 'front matter must be a YAML mapping such as "name: researcher"');
  }
  const fm = data as Record<string, unknown>;
  for (const key of Object.keys(fm)) {
    if (!(KNOWN_FIELDS as readonly string[]).includes(key)) {
      throw new AgentFileError(
        file,
        key,
        `is not a known field (known: ${KNOWN_FIELDS.filter((k) => k !== 'maxTurns').join(', ')})`,
      );
    }
  }

  const name = fm['name'];
  if (name === undefined || name === null || name === '') throw new AgentFileError(file, 'name', 'is required');
  if (typeof name !== 'string') throw new AgentFileError(file, 'name', `must be a string, not ${describe(name)}`);
  if (!AGENT_NAME.test(name)) {
    throw new AgentFileError(
      file,
      'name',
      `"${name}" is not a valid name: use 1-64 letters, digits, "_", "-" or ".", starting with a letter or digit`,
    );
  }
  const def: AgentDefinition = { name, instructions: body(text.slice(m[0].length)) };
  if (file !== '<agent>') def.path = file;

  const description = fm['description'];
  if (description !== undefined && description !== null) {
    if (typeof description !== 'string')
      throw new AgentFileError(file, 'description', `must be a string, not ${describe(description)}`);
    def.description = description.trim();
  }
  const model = fm['model'];
  if (model !== undefined && model !== null) {
    if (typeof model !== 'string' || !model.trim())
      throw new AgentFileError(
        file,
        'model',
        `must be a non-empty string such as "gpt-4.1-mini", not ${describe(model)}`,
      );
    def.model = model.trim();
  }
  const tools = fm['tools'];
  if (tools !== undefined && tools !== null) def.tools = parseTools(tools, file);
  const temperature = fm['temperature'];
  if (temperature !== undefined && temperature !== null) {
    if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0 || temperature > 2) {
      throw new AgentFileError(file, 'temperature', `must be a number from 0 to 2, not ${describe(temperature)}`);
    }
    def.temperature = temperature;
  }
  const turnsKey = fm['max_turns'] !== undefined ? 'max_turns' : 'maxTurns';
  const maxTurns = fm[turnsKey];
  if (maxTurns !== undefined && maxTurns !== null) {
    if (typeof maxTurns !== 'number' || !Number.isInteger(maxTurns) || maxTurns < 1) {
      throw new AgentFileError(file, turnsKey, `must be a whole number ≥ 1, not ${describe(maxTurns)}`);
    }
    def.maxTurns = maxTurns;
  }
  const window = fm['context_window'];
  if (window !== undefined && window !== null) {
    if (typeof window !== 'number' || !Number.isInteger(window) || window < 1) {
      throw new AgentFileError(file, 'context_window', `must be a whole number of tokens ≥ 1, not ${describe(window)}`);
    }
    def.contextWindow = window;
  }
  const vision = fm['vision'];
  if (vision !== undefined && vision !== null) {
    if (typeof vision !== 'boolean')
      throw new AgentFileError(file, 'vision', `must be true or false, not ${describe(vision)}`);
    def.vision = vision;
  }
  const servers = fm['mcpServers'];
  if (servers !== undefined && servers !== null) {
    try {
      def.mcpServers = parseMcpServers(servers, 'mcpServers');
    } catch (e) {
      const problem = (e as Error).message.replace(/^mcpServers:?\s*/, '');
      throw new AgentFileError(file, 'mcpServers', problem);
    }
  }
  const approve = fm['approve'];
  if (approve !== undefined && approve !== null) {
    try {
      def.approve = parseApprovalMode(approve, 'approve');
    } catch (e) {
      throw new AgentFileError(file, 'approve', (e as Error).message.replace(/^approve /, ''));
    }
  }
  const allow = fm['allow'];
  if (allow !== undefined && allow !== null) def.allow = parseAllow(allow, file);
  return def;
}

function parseAllow(value: unknown, file: string): string[] {
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(list))
    throw new AgentFileError(file, 'allow', `must be a list of tool patterns such as [fs__*], not ${describe(value)}`);
  return list.map((item: unknown, i: number) => {
    try {
      return parseAllowPattern(item, `item ${i + 1}`);
    } catch (e) {
      throw new AgentFileError(file, 'allow', (e as Error).message);
    }
  });
}

function parseTools(value: unknown, file: string): string[] {
  // "calculator, get_time" is accepted too: other tools' agent files write lists that way.
  const list =
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value;
  if (!Array.isArray(list))
    throw new AgentFileError(
      file,
      'tools',
      `must be a list of tool names such as [calculator, get_time], not ${describe(value)}`,
    );
  const out: string[] = [];
  list.forEach((item: unknown, i: number) => {
    if (typeof item !== 'string' || !/^[a-zA-Z0-9_.*-]{1,128}$/.test(item)) {
      throw new AgentFileError(
        file,
        'tools',
        `item ${i + 1} must be a tool name (letters, digits, "_", "-"), not ${describe(item)}`,
      );
    }
    if (!out.includes(item)) out.push(item);
  });
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 39)}…` : value)}`;
  return `${typeof value} ${JSON.stringify(value) ?? typeof value}`;
}

/** The instructions: the body without the blank lines around it. */
function body(text: string): string {
  return text.replace(/^\s*\n/, '').replace(/\s+$/, '');
}

/** Reads and parses an agent file (errors name the path as given). */
export function loadAgentFile(path: string): AgentDefinition {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AgentFileError(
      path,
      undefined,
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory, not an agent file'
          : `cannot be read (${(e as Error).message})`,
    );
  }
  const def = parseAgentFile(text, path);
  def.path = resolve(path);
  return def;
}

/** Where agent files are looked up, in order: `./agents`, then `<config dir>/agents`. */
export function agentDirs(
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Array<{ dir: string; scope: 'project' | 'user' }> {
  return [
    { dir: resolve(opts.cwd ?? process.cwd(), 'agents'), scope: 'project' },
    { dir: join(configDir(opts.env ?? process.env), 'agents'), scope: 'user' },
  ];
}

function looksLikePath(ref: string): boolean {
  return isAbsolute(ref) || ref.includes('/') || ref.includes('\\') || extname(ref) === '.md' || ref.startsWith('.');
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves `--agent <path|name>` to a file: an existing path (or anything that looks like one), else
 * `./agents/<name>.md`, else `<config dir>/agents/<name>.md`. Throws ConfigError saying where it looked.
 */
export function resolveAgentRef(ref: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const cwd = opts.cwd ?? process.cwd();
  if (!ref.trim()) throw new ConfigError('--agent needs a file path or an agent name');
  const asPath = resolve(cwd, ref);
  if (isFile(asPath)) return asPath;
  if (looksLikePath(ref)) throw new ConfigError(`--agent ${ref}: no such file (${asPath})`);
  const tried: string[] = [];
  for (const { dir } of agentDirs(opts)) {
    const candidate = join(dir, `${ref}.md`);
    if (isFile(candidate)) return candidate;
    tried.push(candidate);
  }
  // A file whose front matter names the agent, e.g. agents/research.md with "name: researcher".
  for (const found of findAgents(opts)) {
    if (found.definition?.name === ref) return found.path;
  }
  throw new ConfigError(
    `--agent ${ref}: no agent named "${ref}" (looked for ${tried.join(' and ')}). Run "agentor agents" to list the agents found.`,
  );
}

/** Resolves and loads `--agent <path|name>`. */
export function loadAgentRef(ref: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): AgentDefinition {
  return loadAgentFile(resolveAgentRef(ref, opts));
}

/** One agent file found by `findAgents`: its definition, or the error that makes it unusable. */
export interface FoundAgent {
  path: string;
  scope: 'project' | 'user';
  definition?: AgentDefinition;
  error?: string;
  /** True when an earlier directory already has an agent of the same name (lookup by name never reaches it). */
  shadowed?: boolean;
}

/** Every `*.md` file in the agent directories, parsed, in lookup order. */
export function findAgents(opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): FoundAgent[] {
  const out: FoundAgent[] = [];
  const seen = new Set<string>();
  for (const { dir, scope } of agentDirs(opts)) {
    let entries: string[];
    try {
      entries = readdirSync(dir)
        .filter((f) => f.endsWith('.md'))
        .sort();
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      if (!isFile(path)) continue;
      try {
        const definition = loadAgentFile(path);
        const key = definition.name;
        out.push({
          path,
          scope,
          definition,
          ...(seen.has(key) || seen.has(basename(entry, '.md')) ? { shadowed: true } : {}),
        });
        seen.add(key);
        seen.add(basename(entry, '.md'));
      } catch (e) {
        out.push({ path, scope, error: (e as Error).message });
      }
    }
  }
  return out;
}
