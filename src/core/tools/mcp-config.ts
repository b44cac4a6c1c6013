/**
 * The `mcpServers` format (shared with other MCP clients): validation, config files, and `${VAR}` references. Pure:
 * nothing here starts a server.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, parseDuration } from '../config.js';

/** A server started as a child process speaking MCP over stdio. */
export interface McpStdioServerConfig {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Per-call timeout of this server's tools, in milliseconds (the config accepts `60000` or `"60s"`). */
  timeout?: number;
  /** How long this server may take to start and list its tools, in milliseconds (default: the pool's, 30 s). */
  startupTimeout?: number;
}

/** A server reached over HTTP (streamable HTTP, or the older SSE transport with `type: "sse"`). */
export interface McpHttpServerConfig {
  url: string;
  headers?: Record<string, string>;
  type?: 'http' | 'streamable-http' | 'sse';
  /** Per-call timeout of this server's tools, in milliseconds (the config accepts `60000` or `"60s"`). */
  timeout?: number;
  /** How long this server may take to connect and list its tools, in milliseconds (default: the pool's, 30 s). */
  startupTimeout?: number;
}

/** One entry of `mcpServers`. */
export type McpServerConfig = McpStdioServerConfig | McpHttpServerConfig;

/** The `mcpServers` map: server name → how to reach it. */
export type McpServersConfig = Record<string, McpServerConfig>;

const SERVER_NAME = /^[a-zA-Z0-9_-]{1,32}$/;

// Below this a number is almost surely meant as seconds ("timeout": 60): say so instead of timing out after 60 ms.
const MIN_TIMEOUT_MS = 100;

function stringMap(value: unknown, where: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${where} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new ConfigError(`${where}.${k} must be a string`);
    out[k] = String(v);
  }
  return out;
}

/** A timeout field: a number of milliseconds, or a duration with its unit ("500ms", "60s", "2m"). */
function duration(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') {
    if (!(value > 0) || !Number.isFinite(value))
      throw new ConfigError(`${where} must be a duration such as "60s" or "2m" (a number is milliseconds)`);
    if (value < MIN_TIMEOUT_MS)
      throw new ConfigError(
        `${where} is ${value}: a number is milliseconds, so that is ${value} ms; write "${value}s" for seconds`,
      );
    return Math.round(value);
  }
  if (typeof value === 'string' && /[a-z]\s*$/i.test(value)) {
    try {
      return parseDuration(value);
    } catch (e) {
      throw new ConfigError(`${where}: ${(e as Error).message}`);
    }
  }
  throw new ConfigError(
    `${where} must be a duration with its unit, such as "60s" or "2m" (or a number of milliseconds), not ${JSON.stringify(value)}`,
  );
}

/**
 * Validates an `mcpServers` map (the value of the key, not the whole file). `where` prefixes error messages, e.g.
 * "mcp.json: mcpServers". Entries with `"disabled": true` are dropped.
 */
export function parseMcpServers(value: unknown, where = 'mcpServers'): McpServersConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(
      `${where} must be an object mapping server names to {"command", "args", "env"} or {"url", "headers"}`,
    );
  }
  const out: McpServersConfig = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const at = `${where}.${name}`;
    if (!SERVER_NAME.test(name)) throw new ConfigError(`${at}: server names use 1-32 letters, digits, "_" or "-"`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new ConfigError(`${at} must be an object with "command" or "url"`);
    const entry = raw as Record<string, unknown>;
    if (entry['disabled'] === true) continue;
    const timeout = duration(entry['timeout'], `${at}.timeout`);
    const startupTimeout = duration(entry['startupTimeout'], `${at}.startupTimeout`);
    const timeouts = {
      ...(timeout !== undefined ? { timeout } : {}),
      ...(startupTimeout !== undefined ? { startupTimeout } : {}),
    };
    if (typeof entry['command'] === 'string' && entry['command']) {
      const args = entry['args'] ?? [];
      if (!Array.isArray(args) || args.some((a) => typeof a !== 'string' && typeof a !== 'number'))
        throw new ConfigError(`${at}.args must be a list of strings`);
      const cfg: McpStdioServerConfig = { command: entry['command'], args: args.map(String) };
      if (entry['env'] !== undefined) cfg.env = stringMap(entry['env'], `${at}.env`);
      if (entry['cwd'] !== undefined) {
        if (typeof entry['cwd'] !== 'string') throw new ConfigError(`${at}.cwd must be a string`);
        cfg.cwd = entry['cwd'];
      }
      out[name] = { ...cfg, ...timeouts };
    } else if (typeof entry['url'] === 'string' && entry['url']) {
      const type = entry['type'] ?? entry['transport'];
      if (
        type !== undefined &&
        type !== 'http' &&
        type !== 'streamable-http' &&
        type !== 'streamableHttp' &&
        type !== 'sse'
      ) {
        throw new ConfigError(`${at}.type must be "http" (streamable HTTP) or "sse", not ${JSON.stringify(type)}`);
      }
      const cfg: McpHttpServerConfig = { url: entry['url'] };
      if (type === 'sse') cfg.type = 'sse';
      if (entry['headers'] !== undefined) cfg.headers = stringMap(entry['headers'], `${at}.headers`);
      out[name] = { ...cfg, ...timeouts };
    } else {
      throw new ConfigError(`${at} needs "command" (a stdio server) or "url" (an HTTP server)`);
    }
  }
  return out;
}

/** Reads an MCP config file: `{"mcpServers": {…}}` (also accepted: `{"servers": {…}}`). */
export function loadMcpConfigFile(path: string): McpServersConfig {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `${path}: ${code === 'ENOENT' ? 'no such MCP config file' : `cannot be read (${(e as Error).message})`}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError(`${path} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${path} must hold {"mcpServers": {…}}`);
  const obj = value as Record<string, unknown>;
  const servers = obj['mcpServers'] ?? obj['servers'];
  if (servers === undefined) throw new ConfigError(`${path} has no "mcpServers" object`);
  return parseMcpServers(servers, `${path}: mcpServers`);
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Expands `${VAR}` and `${VAR:-default}` from the environment; a missing variable is an error naming it. */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(ENV_REFERENCE, (_m, name: string, fallback: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    throw new Error(`environment variable ${name} is not set`);
  });
}

/** A `${VAR}` reference in a server's config: where it is, and its default when written `${VAR:-default}`. */
export interface McpEnvReference {
  name: string;
  /** The field it appears in, e.g. "headers.Authorization", "env.DEBUG", "args[2]", "url". */
  field: string;
  /** Set for `${VAR:-default}` (possibly empty): the server starts without the variable. */
  fallback?: string;
}

/** Every `${VAR}` reference of a server's config, in field order (a variable used twice is listed twice). */
export function envReferences(cfg: McpServerConfig): McpEnvReference[] {
  const fields: Array<[string, string]> = [];
  if ('command' in cfg) {
    fields.push(['command', cfg.command]);
    (cfg.args ?? []).forEach((a, i) => fields.push([`args[${i}]`, a]));
    for (const [k, v] of Object.entries(cfg.env ?? {})) fields.push([`env.${k}`, v]);
    if (cfg.cwd !== undefined) fields.push(['cwd', cfg.cwd]);
  } else {
    fields.push(['url', cfg.url]);
    for (const [k, v] of Object.entries(cfg.headers ?? {})) fields.push([`headers.${k}`, v]);
  }
  const out: McpEnvReference[] = [];
  for (const [field, text] of fields) {
    for (const m of text.matchAll(ENV_REFERENCE)) {
      const name = m[1] as string;
      out.push(m[2] !== undefined ? { name, field, fallback: m[2] } : { name, field });
    }
  }
  return out;
}
