/**
 * A loopback TCP relay in front of a redis-server that a test can cut and heal: a network partition between one
 * replica and Redis, without touching either. While cut, bytes in both directions are held (as a congested network
 * would), and delivered once healed.
 */
import { connect, createServer, type Socket } from 'node:net';
import { cleanup } from './cleanup.js';

/** A relay to Redis that can be cut. */
export interface RedisPartition {
  /** `redis://127.0.0.1:<relay port>`. */
  readonly url: string;
  cut(): void;
  heal(): void;
}

/** Starts a relay to the redis-server on `port`; closed when the test ends. */
export async function startRedisPartition(port: number): Promise<RedisPartition> {
  let cut = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const relay = (from: Socket, to: Socket): void => {
    from.on('data', (chunk: Buffer) => {
      if (cut) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
    from.on('close', () => to.destroy());
    from.on('error', () => to.destroy());
  };
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) sockets.add(s);
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  const relayPort = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${relayPort}`,
    cut: () => {
      cut = true;
    },
    heal: () => {
      cut = false;
      for (const deliver of held.splice(0)) deliver();
    },
  };
}
