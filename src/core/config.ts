/**
 * Provider configuration with precedence flags > environment > config file
 * ($XDG_CONFIG_HOME/agentor/config.json, else ~/.config/agentor/config.json).
 * The file may name the variable that holds the key (`apiKeyEnv`) but never holds a key itself.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEMO_MODEL } from './providers/demo.js';

/** The model when neither a flag, AGENTOR_MODEL nor the config file names one. */
export const DEFAULT_MODEL = 'gpt-4.1-mini';

/** What the config file may contain. */
export interface ConfigFile {
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
}

/** Flags that override everything else. */
export interface ConfigFlags {
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  demo?: boolean;
}

/** The resolved provider settings. */
export type ResolvedConfig =
  | { kind: 'demo'; model: typeof DEMO_MODEL }
  | { kind: 'openai'; model: string; baseURL: string | undefined; apiKey: string | undefined; apiKeyEnv: string };

/** A configuration problem: the CLI prints the message and exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The XDG config directory of agentor. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'agentor');
}

/** The XDG state directory of agentor (history and other files agentor writes). */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state'), 'agentor');
}

/** Where the config file is. */
export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json');
}

/** Reads the config file; a missing file is an empty config, a broken one is a ConfigError naming it. */
export function readConfigFile(env: NodeJS.ProcessEnv = process.env): ConfigFile {
  const path = configFilePath(env);
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError(`${path} is not valid JSON (${(e as Error).message}). Fix or delete it.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${path} must hold a JSON object such as {"model": "gpt-4.1-mini"}.`);
  }
  const out: ConfigFile = {};
  for (const key of ['model', 'baseUrl', 'apiKeyEnv'] as const) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new ConfigError(`${path}: "${key}" must be a string.`);
    out[key] = v;
  }
  if ('apiKey' in value) {
    throw new ConfigError(
      `${path}: do not store API keys in the config file; set "apiKeyEnv" to the name of a variable that holds it.`,
    );
  }
  return out;
}

/** The model id used when neither the agent nor the run names one: AGENTOR_MODEL, the config file's, or the default. */
export function defaultModel(env: NodeJS.ProcessEnv = process.env): string {
  if (env['AGENTOR_MODEL']) return env['AGENTOR_MODEL'];
  try {
    return readConfigFile(env).model || DEFAULT_MODEL;
  } catch {
    return DEFAULT_MODEL; // a broken file is reported by the provider that needs it, not by asking for a name
  }
}

/** Resolves flags > env > file. Throws ConfigError when no provider is configured. */
export function resolveConfig(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv = process.env,
  file: ConfigFile = readConfigFile(env),
): ResolvedConfig {
  const model = flags.model || env['AGENTOR_MODEL'] || file.model;
  if (flags.demo || model === DEMO_MODEL) return { kind: 'demo', model: DEMO_MODEL };
  const baseURL = flags.baseUrl || env['OPENAI_BASE_URL'] || file.baseUrl || undefined;
  // The key's variable, by the same precedence: --api-key-env, else OPENAI_API_KEY when set, else the file's apiKeyEnv.
  const apiKeyEnv = flags.apiKeyEnv || (env['OPENAI_API_KEY'] ? 'OPENAI_API_KEY' : file.apiKeyEnv || 'OPENAI_API_KEY');
  const apiKey = env[apiKeyEnv] || undefined;
  if (flags.apiKeyEnv && !apiKey) {
    throw new ConfigError(`--api-key-env names ${flags.apiKeyEnv}, but that variable is not set.`);
  }
  if (file.apiKeyEnv && apiKeyEnv === file.apiKeyEnv && !apiKey) {
    throw new ConfigError(
      `${configFilePath(env)} names "apiKeyEnv": "${file.apiKeyEnv}", but ${file.apiKeyEnv} is not set. ` +
        `Set ${file.apiKeyEnv} (or OPENAI_API_KEY), or change "apiKeyEnv" in that file.`,
    );
  }
  if (!apiKey && !baseURL) {
    throw new ConfigError(
      'no model provider is configured. Set OPENAI_API_KEY (or name another variable with --api-key-env), ' +
        'point --base-url (or OPENAI_BASE_URL) at an OpenAI-compatible server such as Ollama, ' +
        'or try the offline demo with --demo.',
    );
  }
  return { kind: 'openai', model: model || DEFAULT_MODEL, baseURL, apiKey, apiKeyEnv };
}

/** Parses a duration such as "30s", "2m", "1h", "500ms" or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) throw new ConfigError(`invalid duration "${text}": use e.g. 500ms, 30s, 2m or 1h`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  if (!(ms > 0)) throw new ConfigError(`invalid duration "${text}": it must be greater than zero`);
  return Math.round(ms);
}
