/**
 * The upstream read path `serve` (and chat) stream through: the OpenAI provider's node:http fetch. A pooled connection
 * the upstream closes just as the next request goes out is retried once on a fresh one, silently; failures say what
 * happened to the operator. A finished answer leaves its connection in the pool for the next model call.
 */
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { AgentEvent } from '../../src/core/events.js';
import { OpenAIProvider } from '../../src/core/providers/openai.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A Chat Completions stream answering `text`, framed as chunked HTTP/1.1 on a keep-alive connection. */
function answer(text: string): string {
  const frames = [
    { choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: null }] },
    { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  ]
    .map((f) => `data: ${JSON.stringify(f)}\n\n`)
    .join('');
  const body = `${frames}data: [DONE]\n\n`;
  return `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\nTransfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
}

/** An upstream that answers the first request of each connection and resets the connection on the second. */
async function resettingUpstream(): Promise<{ url: string; connections: () => number; resets: () => number }> {
  let connections = 0;
  let resets = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    let requests = 0;
    let buffered = '';
    socket.on('data', (d) => {
      buffered += String(d);
      // One request per blank line after the headers plus its body: enough for the SDK's small JSON posts.
      const end = buffered.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(buffered)?.[1] ?? 0);
      if (end === -1 || Buffer.byteLength(buffered) < end + 4 + length) return;
      buffered = '';
      if (++requests === 1) socket.write(answer(`answer ${connections}`));
      else {
        resets++;
        socket.resetAndDestroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`,
    connections: () => connections,
    resets: () => resets,
  };
}

async function run(agent: Agent): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const e of agent.streamChat('hi')) events.push(e);
  return events;
}

describe('the upstream read path', () => {
  it('a pooled connection reset as the next request goes out is retried on a fresh one, with no notice', async () => {
    const upstream = await resettingUpstream();
    const agent = new Agent({
      model: 'm',
      provider: new OpenAIProvider({ apiKey: 'k', baseURL: upstream.url, maxRetries: 0 }),
    });
    const first = await run(agent);
    expect(first.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'answer 1' });
    const second = await run(agent);
    expect(second.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'answer 2' });
    expect(second.filter((e) => e.type === 'error')).toEqual([]);
    // The second run went out on the first run's connection (kept alive), met the reset, and went again.
    expect(upstream.resets()).toBe(1);
    expect(upstream.connections()).toBe(2);
  });
});
