/**
 * A tiny MCP server over stdio for tests: `node --import tsx test/support/mcp-stdio-server.ts`.
 * Tools: add (a+b), echo, calculator (clashes with the built-in), pid (this process id), slow (waits for `ms` or until
 * cancelled), fail (an isError result) — all annotated read-only — and write_note, the one tool not marked read-only
 * (so it needs approval): it appends its text to the file MCP_FIXTURE_NOTES names, so a test sees whether it ran.
 * Variants, by environment:
 * - MCP_FIXTURE_EXIT=1: exits before the handshake (a broken server).
 * - MCP_FIXTURE_EXIT_UNLESS=<file>: exits like that (after reporting `started`) unless the file exists: a server that
 *   fails its first start and comes up once the test creates the file.
 * - MCP_FIXTURE_NOTIFY=127.0.0.1:<port>: reports to a test over TCP, one JSON line per event: `{"event":"started",
 *   "pid":…,"grandchild":…}` at start, `{"event":"slow","pid":…}` when a `slow` call begins (ready markers for tests
 *   that cannot see its stderr, e.g. when the CLI runs it).
 * - MCP_FIXTURE_GATE=1 (with MCP_FIXTURE_NOTIFY): after reporting `started`, waits until the test releases it (see
 *   FixtureEvents.release) before it answers the handshake: a start-up, or a restart, that a test holds open.
 * - MCP_FIXTURE_HANG=1: never answers the handshake (a slow start-up that does not end).
 * - MCP_FIXTURE_GRANDCHILD=1: starts a child process of its own that outlives it unless its process group is stopped
 *   (like `npx` running the real server).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

if (process.env['MCP_FIXTURE_EXIT'] === '1') {
  process.stderr.write('fixture: refusing to start\n');
  process.exit(3);
}

const notifyTo = process.env['MCP_FIXTURE_NOTIFY'];
/** Reports `event`; with `held`, resolves only once the test closes the connection (its release). */
function notify(event: Record<string, unknown>, held = false): Promise<void> {
  if (!notifyTo) return Promise.resolve();
  const [host, port] = notifyTo.split(':');
  return new Promise((resolve) => {
    const line = `${JSON.stringify(event)}\n`;
    const socket = connect(Number(port), host, () => (held ? socket.write(line) : socket.end(line, () => resolve())));
    if (held) socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}

const grandchild =
  process.env['MCP_FIXTURE_GRANDCHILD'] === '1'
    ? spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    : undefined;
await notify(
  { event: 'started', pid: process.pid, grandchild: grandchild?.pid },
  process.env['MCP_FIXTURE_GATE'] === '1',
);
const unless = process.env['MCP_FIXTURE_EXIT_UNLESS'];
if (unless && !existsSync(unless)) {
  process.stderr.write(`fixture: not starting until ${unless} exists\n`);
  process.exit(3);
}
if (process.env['MCP_FIXTURE_HANG'] === '1') {
  process.stderr.write('fixture: hanging before the handshake\n');
  setInterval(() => {}, 1000);
  await new Promise(() => {});
}

const server = new McpServer({ name: 'fixture', version: '1.0.0' });
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const readOnly = { readOnlyHint: true };

server.registerTool(
  'add',
  { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() }, annotations: readOnly },
  ({ a, b }) => text(String(a + b)),
);
server.registerTool(
  'echo',
  { description: 'Echoes its input', inputSchema: { text: z.string() }, annotations: readOnly },
  ({ text: t }) => text(`echo: ${t}`),
);
server.registerTool(
  'calculator',
  {
    description: 'A calculator that clashes with the built-in one',
    inputSchema: { expression: z.string() },
    annotations: readOnly,
  },
  () => text('fixture calculator'),
);
server.registerTool('pid', { description: 'The server process id', annotations: readOnly }, () =>
  text(String(process.pid)),
);
server.registerTool(
  'slow',
  { description: 'Waits', inputSchema: { ms: z.number() }, annotations: readOnly },
  async ({ ms }, extra) => {
    await notify({ event: 'slow', pid: process.pid });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      extra.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return text('slow done');
  },
);
server.registerTool('fail', { description: 'Always fails', annotations: readOnly }, () => ({
  content: [{ type: 'text' as const, text: 'the fixture failed on purpose' }],
  isError: true,
}));

server.registerTool(
  'write_note',
  { description: 'Appends a note to the notes file', inputSchema: { text: z.string() } },
  ({ text: t }) => {
    const file = process.env['MCP_FIXTURE_NOTES'];
    if (file) appendFileSync(file, `${t}\n`);
    return text(`noted: ${t}`);
  },
);

await server.connect(new StdioServerTransport());
process.stderr.write('fixture: ready\n');
