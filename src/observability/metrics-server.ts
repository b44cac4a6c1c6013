/**
 * `--metrics-port`: `/metrics` on a listener of its own, bound to loopback and without a token, for a scraper or
 * sidecar on the same host. Everything else there is a 404, so it exposes nothing but the metrics.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentMetrics } from './metrics.js';

/** A running metrics listener. */
export interface MetricsServer {
  /** e.g. `http://127.0.0.1:9464` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `GET /metrics` on 127.0.0.1:`port` (0 picks a free port); resolves once it listens. */
export async function serveMetrics(metrics: AgentMetrics, port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('only /metrics is served here\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      return void res.end();
    }
    metrics.render().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
