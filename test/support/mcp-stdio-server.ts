/**
 * A tiny MCP server over stdio for tests: `node --import tsx test/support/mcp-stdio-server.ts`.
 * Tools: add (a+b), echo, calculator (clashes with the built-in), pid (this process id), slow (waits for `ms` or until
 * cancelled), fail (an isError result) — all annotated read-only — and write_note, the one tool not marked read-only
 * (so it needs approval): it appends its text to the file MCP_FIXTURE_NOTES names, so a test sees whether it ran.
 * MCP_FIXTURE_EXIT=1 makes it exit before the handshake (a broken server).
 */
import { appendFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

if (process.env['MCP_FIXTURE_EXIT'] === '1') {
  process.stderr.write('fixture: refusing to start\n');
  process.exit(3);
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
