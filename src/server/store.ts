/**
 * What `serve` keeps beyond one request — conversation sessions, A2A tasks, and control of running tasks — behind one
 * interface with two implementations: memory (one process, the default) and Redis (shared by every replica, loaded
 * only when `--store redis://…` asks for it). Handlers use the interface and do not know which one they got.
 */
import { SessionStore } from './sessions.js';
import type { OpenStoreOptions, ServerStore } from './store-types.js';
import type { StoreConfig } from './store-url.js';

export type { OpenStoreOptions, ReplicaRequest, ServerStore } from './store-types.js';

/** The default: everything in this process. */
export function memoryStore(): ServerStore {
  return {
    shown: 'memory',
    sessions: (options) => new SessionStore(options),
    tasks: () => undefined,
    cancelRemote: () => Promise.resolve(false),
    onCancel: () => {},
    ask: () => Promise.resolve(false),
    tell: () => {},
    onRequest: () => {},
    readiness: () => [],
    available: true,
    close: () => Promise.resolve(),
  };
}

/** Opens the configured store (connecting to Redis, which rejects naming the masked URL when unreachable). */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<ServerStore> {
  if (config.kind === 'memory') return memoryStore();
  const { openRedisStore } = await import('./store-redis.js');
  return openRedisStore(config, options);
}
