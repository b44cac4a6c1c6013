/**
 * The receiving end of the MCP fixture's MCP_FIXTURE_NOTIFY channel (test/support/mcp-stdio-server.ts): a loopback TCP
 * listener collecting its JSON events, so a test can wait for "the server started" or "the slow call began" even when
 * the CLI runs the server and its stderr is out of reach. Also: whether a process is still running.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { onTestFinished } from 'vitest';
import { tempDir } from './cleanup.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = resolve(ROOT, 'test/support/mcp-stdio-server.ts');

/** One event the fixture reported. */
export interface FixtureEvent {
  event: 'started' | 'slow';
  pid: number;
  grandchild?: number;
}

/** A listener for fixture events. */
export interface FixtureEvents {
  /** The value for MCP_FIXTURE_NOTIFY. */
  address: string;
  events: FixtureEvent[];
  /** Resolves with the n-th event of this kind (1-based; default the first), as soon as it arrives. */
  next(kind: FixtureEvent['event'], nth?: number): Promise<FixtureEvent>;
  /** Lets every fixture waiting on MCP_FIXTURE_GATE go on (closes their connections). */
  release(): void;
  close(): Promise<void>;
}

export async function listenForFixture(): Promise<FixtureEvents> {
  const events: FixtureEvent[] = [];
  const waiters = new Set<() => void>();
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    let buffer = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      buffer += d;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buffer.slice(0, nl)) as FixtureEvent);
        buffer = buffer.slice(nl + 1);
        for (const w of [...waiters]) w();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    events,
    next(kind, nth = 1) {
      return new Promise((resolve) => {
        const check = (): void => {
          const found = events.filter((e) => e.event === kind)[nth - 1];
          if (!found) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      });
    },
    release() {
      for (const socket of open) socket.end();
    },
    close: () =>
      new Promise((resolve) => {
        // A fixture still held at the gate does not keep the listener open.
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A listener for fixture events and an MCP config file whose one server, "fixture", is the fixture reporting to it,
 * with `vars` (MCP_FIXTURE_GATE, …) in its environment; both are removed when the test ends.
 */
export async function fixtureMcpConfig(
  vars: Record<string, string> = {},
): Promise<{ fx: FixtureEvents; config: string }> {
  const fx = await listenForFixture();
  onTestFinished(() => fx.close());
  const config = join(tempDir('agentor-mcp-config-'), 'mcp.json');
  const entry = {
    command: process.execPath,
    args: ['--import', 'tsx', FIXTURE],
    cwd: ROOT,
    env: { MCP_FIXTURE_NOTIFY: fx.address, ...vars },
  };
  writeFileSync(config, JSON.stringify({ mcpServers: { fixture: entry } }));
  return { fx, config };
}

/**
 * The fixture as a server that comes up late: each start waits at the gate for `fx.release()`, and exits there (a
 * failed start) until the file `flag` exists.
 */
export async function lateFixtureMcpConfig(): Promise<{ fx: FixtureEvents; config: string; flag: string }> {
  const flag = join(tempDir('agentor-mcp-flag-'), 'ready');
  return { ...(await fixtureMcpConfig({ MCP_FIXTURE_GATE: '1', MCP_FIXTURE_EXIT_UNLESS: flag })), flag };
}

/** True while `pid` runs (a zombie, dead but not yet reaped, counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return process.platform !== 'linux'; // no /proc entry on Linux: gone
    } catch {
      return false;
    }
  }
}
