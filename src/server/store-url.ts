/**
 * Which store `serve` keeps sessions, A2A tasks and run control in: `memory` (one process, the default) or a Redis
 * URL (`redis://` or `rediss://` for TLS), shared by every replica. Chosen by `--store`, else `AGENTOR_STORE`, else
 * `REDIS_URL`; a password comes from the URL or `REDIS_PASSWORD`. Pure parsing: nothing here talks to Redis, so the
 * Redis client is only loaded once a Redis store is asked for.
 */
import { ConfigError } from '../core/config.js';

/** Where replicas share state. */
export type StoreConfig = { kind: 'memory' } | RedisStoreConfig;

/** A Redis (or protocol-compatible, e.g. Valkey) server. */
export interface RedisStoreConfig {
  kind: 'redis';
  /** The URL as given (may hold a password: never print it, print `shown`). */
  url: string;
  /** The URL with its password masked, for messages and logs. */
  shown: string;
  /** From REDIS_PASSWORD when the URL has none. */
  password?: string;
  tls: boolean;
  database: number;
  /** Prepended to every key and channel, so deployments can share one Redis (default `agentor:`). */
  prefix: string;
}

/** The key prefix when none is configured. */
export const DEFAULT_STORE_PREFIX = 'agentor:';

const USAGE = 'use "memory" or a Redis URL such as redis://localhost:6379/0 (rediss:// for TLS)';

/** The URL with any password replaced by `****` (also when it cannot be parsed). */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString().replace(/\/$/, '');
  } catch {
    // user:password@host: hide whatever sits between the scheme and the last @
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1****@');
  }
}

/** Parses a `--store` value (`source` names where it came from, for the error message). */
export function parseStoreUrl(
  value: string,
  source = '--store',
  env: NodeJS.ProcessEnv = process.env,
  prefix = DEFAULT_STORE_PREFIX,
): StoreConfig {
  const text = value.trim();
  if (text === '' || text.toLowerCase() === 'memory') return { kind: 'memory' };
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new ConfigError(`${source}: "${maskUrl(text)}" is not a URL; ${USAGE}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new ConfigError(`${source}: unsupported store "${maskUrl(text)}"; ${USAGE}`);
  if (!u.hostname) throw new ConfigError(`${source}: "${maskUrl(text)}" names no host; ${USAGE}`);
  const path = u.pathname.replace(/^\//, '');
  const database = path === '' ? 0 : Number(path);
  if (!/^\d*$/.test(path) || !Number.isInteger(database) || database > 65_535)
    throw new ConfigError(
      `${source}: "${maskUrl(text)}": the path must be a database number such as /0 (got "/${path}")`,
    );
  const envPassword = env['REDIS_PASSWORD'];
  return {
    kind: 'redis',
    url: text,
    shown: maskUrl(text),
    ...(u.password === '' && envPassword ? { password: envPassword } : {}),
    tls: u.protocol === 'rediss:',
    database,
    prefix,
  };
}

/** Checks a key prefix (`source` names where it came from). */
export function parseStorePrefix(value: string, source = '--store-prefix'): string {
  if (!/^[A-Za-z0-9:._{}/-]{1,64}$/.test(value))
    throw new ConfigError(
      `${source}: "${value.slice(0, 80)}" is not a key prefix; use 1 to 64 letters, digits or :._-/{} such as "shop:agentor:"`,
    );
  return value;
}

/**
 * The store asked for by the flag, else `AGENTOR_STORE`, else `REDIS_URL`; memory when none is set. The key prefix
 * comes from `prefixFlag`, else `AGENTOR_STORE_PREFIX`, else `agentor:`.
 */
export function resolveStore(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  prefixFlag?: string,
): StoreConfig {
  const fromEnvPrefix = env['AGENTOR_STORE_PREFIX'];
  const prefix =
    prefixFlag !== undefined
      ? parseStorePrefix(prefixFlag)
      : fromEnvPrefix
        ? parseStorePrefix(fromEnvPrefix, 'AGENTOR_STORE_PREFIX')
        : DEFAULT_STORE_PREFIX;
  if (flag !== undefined) return parseStoreUrl(flag, '--store', env, prefix);
  const fromEnv = env['AGENTOR_STORE'];
  if (fromEnv) return parseStoreUrl(fromEnv, 'AGENTOR_STORE', env, prefix);
  const redisUrl = env['REDIS_URL'];
  if (redisUrl) return parseStoreUrl(redisUrl, 'REDIS_URL', env, prefix);
  return { kind: 'memory' };
}
