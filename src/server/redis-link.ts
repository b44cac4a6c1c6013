/**
 * The connection to a Redis store, behind a small surface (`command`, `script`, `publish`/`subscribe`) so the stores
 * built on it do not depend on the client library. Loaded only when `--store redis://…` is asked for: it imports
 * node-redis. Commands fail at once while the connection is down (no offline queue: a request must not hang on a lost
 * store), and the client reconnects by itself; `ready` says whether it is connected right now.
 */
import { createClient } from '@redis/client';
import type { RedisStoreConfig } from './store-url.js';

/** A Redis connection as the stores use it. */
export interface RedisLink {
  /** The URL with its password masked. */
  readonly shown: string;
  /** Connected right now. */
  readonly ready: boolean;
  /** One command, e.g. `['SET', key, value, 'PX', '1000']`. */
  command(args: readonly string[]): Promise<unknown>;
  /** Several commands in one MULTI/EXEC: all applied or none. */
  atomically(commands: ReadonlyArray<readonly string[]>): Promise<unknown[]>;
  /** A Lua script with its keys and arguments (EVALSHA, loaded on first use). */
  script(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** Resolves with the number of subscribers that received it (every replica's connection counts). */
  publish(channel: string, message: string): Promise<number>;
  /** Calls `listener` for each message on `channel` until the link closes. */
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /** A connection of its own for blocking commands (XREAD BLOCK), which would hold up every other command here. */
  blocking(): Promise<BlockingConnection>;
  /** Called on each change of `ready` (e.g. to log it). */
  onReadyChange(listener: (ready: boolean, reason?: string) => void): void;
  close(): Promise<void>;
}

/** A dedicated connection for blocking reads; another connection wakes it with `CLIENT UNBLOCK <id>`. */
export interface BlockingConnection {
  /** Its `CLIENT ID`. */
  readonly id: string;
  command(args: readonly string[]): Promise<unknown>;
  close(): void;
}

/** Raised when the store cannot be reached when the server starts. */
export class StoreUnreachableError extends Error {
  constructor(shown: string, reason: string) {
    super(`cannot reach the store at ${shown}: ${reason}`);
    this.name = 'StoreUnreachableError';
  }
}

/** Between reconnect attempts, growing to at most this. */
const MAX_RECONNECT_DELAY_MS = 2_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** A short reason without the URL (node-redis errors may carry it, password included). */
function reasonOf(e: unknown, config: RedisStoreConfig): string {
  const message = (e as Error)?.message ?? String(e);
  return message.split(config.url).join(config.shown);
}

/** Connects to the store; rejects with a StoreUnreachableError naming the (masked) URL when it cannot. */
export async function connectRedis(config: RedisStoreConfig): Promise<RedisLink> {
  let lastError = '';
  const readyListeners: Array<(ready: boolean, reason?: string) => void> = [];
  let everConnected = false;
  const client = createClient({
    url: config.url,
    ...(config.password ? { password: config.password } : {}),
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // The first connection fails fast (the server exits naming the URL); later losses are retried for ever.
      reconnectStrategy: (retries: number, cause: Error) =>
        everConnected ? Math.min(50 * 2 ** Math.min(retries, 6), MAX_RECONNECT_DELAY_MS) : cause,
    },
  });
  client.on('error', (e: unknown) => (lastError = reasonOf(e, config)));
  client.on('ready', () => (everConnected = true));
  try {
    await client.connect();
    await client.sendCommand(['PING']);
  } catch (e) {
    client.destroy();
    throw new StoreUnreachableError(config.shown, reasonOf(e, config) || lastError || 'connection failed');
  }
  let wasReady = true;
  const changed = (): void => {
    const ready = client.isReady;
    if (ready === wasReady) return;
    wasReady = ready;
    for (const l of readyListeners) l(ready, ready ? undefined : lastError || 'connection lost');
  };
  client.on('ready', changed);
  client.on('end', changed);
  client.on('reconnecting', changed);
  client.on('error', changed);

  const subscribers: Array<{ destroy(): void }> = [];
  const shas = new Map<string, string>();
  const loadScript = async (source: string): Promise<string> => {
    const sha = await client.sendCommand<string>(['SCRIPT', 'LOAD', source]);
    shas.set(source, sha);
    return sha;
  };
  const link: RedisLink = {
    shown: config.shown,
    get ready() {
      return client.isReady;
    },
    command: (args) => client.sendCommand([...args]),
    atomically: async (commands) => {
      const multi = client.multi();
      for (const c of commands) multi.addCommand([...c]);
      return await multi.exec();
    },
    script: async (source, keys, args) => {
      let sha = shas.get(source);
      if (!sha) {
        sha = await loadScript(source);
      }
      const call = (): Promise<unknown> =>
        client.sendCommand(['EVALSHA', sha as string, String(keys.length), ...keys, ...args]);
      try {
        return await call();
      } catch (e) {
        // A restarted Redis has forgotten its scripts.
        if (!/NOSCRIPT/.test((e as Error).message)) throw e;
        sha = await loadScript(source);
        return call();
      }
    },
    publish: async (channel, message) => Number(await client.sendCommand(['PUBLISH', channel, message])),
    subscribe: async (channel, listener) => {
      const sub = client.duplicate();
      sub.on('error', () => {}); // reported through the main client's state
      await sub.connect();
      subscribers.push(sub);
      await sub.subscribe(channel, (message: string) => listener(message));
    },
    blocking: async () => {
      const own = client.duplicate({ socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false } });
      own.on('error', () => {}); // a failed read rejects; the caller opens a new connection
      await own.connect();
      subscribers.push(own);
      const id = String(await own.sendCommand<number>(['CLIENT', 'ID']));
      return {
        id,
        command: (args) => own.sendCommand([...args]),
        close: () => {
          const at = subscribers.indexOf(own);
          if (at !== -1) subscribers.splice(at, 1);
          own.destroy();
        },
      };
    },
    onReadyChange: (listener) => {
      readyListeners.push(listener);
    },
    close: async () => {
      for (const s of subscribers.splice(0)) s.destroy();
      if (client.isOpen) await client.close().catch(() => client.destroy());
      else client.destroy();
    },
  };
  return link;
}
