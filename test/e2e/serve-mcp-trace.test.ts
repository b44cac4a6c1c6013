/**
 * Trace context on MCP over HTTP: `agentor serve` with the OpenTelemetry variables set, a run under an incoming
 * `traceparent` calling a tool of a real MCP SDK server over streamable HTTP. The MCP server's requests for the call
 * carry the run's trace (its `execute_tool` span as the parent) as HTTP headers and in the call's `_meta`.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { cleanEnv, listeningUrl, startCli } from '../support/cli.js';
import { tempDir, useFakeOpenAI } from '../support/cleanup.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { postJson } from './serve-support.js';

const fake = useFakeOpenAI();

interface SeenRequest {
  method: string | undefined;
  headers: IncomingHttpHeaders;
  meta: Record<string, unknown> | undefined;
}

/** A stateless MCP server over streamable HTTP with one read-only tool, recording each JSON-RPC request it gets. */
async function recordingMcpServer(): Promise<{ url: string; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const http = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const message = body
        ? (JSON.parse(body) as { method?: string; params?: { _meta?: Record<string, unknown> } })
        : {};
      seen.push({ method: message.method, headers: req.headers, meta: message.params?._meta });
      const server = new McpServer({ name: 'web', version: '1.0.0' });
      server.registerTool(
        'shout',
        { description: 'Upper-cases text', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } },
        ({ text }) => ({ content: [{ type: 'text', text: text.toUpperCase() }] }),
      );
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close());
      void server.connect(transport).then(() => transport.handleRequest(req, res, message));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`, seen };
}

describe('serve, traced, calling an MCP tool over HTTP', () => {
  it("sends the run's trace context with the tool call: traceparent header and _meta, parent = execute_tool", async () => {
    const mcp = await recordingMcpServer();
    const receiver = await startOtlpReceiver();
    onTestFinished(() => receiver.close());
    const config = join(tempDir('agentor-mcp-trace-'), 'mcp.json');
    writeFileSync(config, JSON.stringify({ mcpServers: { web: { url: mcp.url } } }));

    const cli = startCli(
      ['serve', '--port', '0', '--base-url', fake().url, '-m', 'fake-model', '--mcp-config', config],
      {
        env: cleanEnv({ OPENAI_API_KEY: 'sk-mcp-trace', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }),
      },
    );
    onTestFinished(() => void cli.child.kill('SIGKILL'));
    const url = await listeningUrl(cli);

    fake().enqueue(
      { toolCalls: [{ id: 'call_web', name: 'shout', arguments: { text: 'quiet' } }] },
      { text: ['QUIET, as asked'] },
    );
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const r = await postJson(
      `${url}/chat`,
      { input: 'shout quiet' },
      { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    );
    expect(r.json()).toMatchObject({ status: 'completed', text: 'QUIET, as asked' });

    cli.child.kill('SIGTERM'); // flushes the spans
    expect((await cli.done).code).toBe(143);
    const spans = await receiver.waitForSpans(4, (s) => s.traceId === traceId);
    const toolSpan = spans.find((s) => s.name === 'execute_tool shout');
    expect(toolSpan).toBeDefined();

    const calls = mcp.seen.filter((q) => q.method === 'tools/call');
    expect(calls).toHaveLength(1);
    const expected = `00-${traceId}-${toolSpan?.spanId}-01`;
    expect(calls[0]?.headers['traceparent']).toBe(expected);
    expect(calls[0]?.meta).toMatchObject({ traceparent: expected });
    // The handshake and listing happened before any run: no trace context there.
    expect(mcp.seen.filter((q) => q.method !== 'tools/call').every((q) => !q.headers['traceparent'])).toBe(true);
  });
});
