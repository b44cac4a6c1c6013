/**
 * The floor of the A2A throughput benchmark: the `@a2a-js/sdk` sample server shape (express, the SDK's
 * DefaultRequestHandler + InMemoryTaskStore, the agent card and JSON-RPC handlers) with an echo executor that streams
 * the same upstream agentor uses — a plain `fetch` to `<BASE_URL>/chat/completions` with `stream: true`, SSE split by
 * hand — and publishes each content delta as an artifact chunk (append/lastChunk), then a completed status. It does
 * what agentor's executor does, minus agentor itself, so the ratio charges agentor only for its own work.
 *
 *   BASE_URL=http://127.0.0.1:PORT/v1 node --import tsx bench/a2a-baseline-server.ts   → prints `READY <url>`
 */
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { A2A_PROTOCOL_VERSION, AGENT_CARD_PATH, TaskState, type AgentCard, type Part, type Task } from '@a2a-js/sdk';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
  type TaskStore,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';

const baseUrl = (process.env['BASE_URL'] ?? '').replace(/\/+$/, '');
if (!baseUrl) throw new Error('set BASE_URL to the fake upstream (…/v1)');

/**
 * BASELINE_STORE=shared swaps the SDK's InMemoryTaskStore (a deep copy of the whole task on every load and save, so
 * per-token cost grows with the answer) for one that keeps tasks by reference: a tighter floor, to see what the
 * transport and executor alone cost.
 */
function sharedStore(): TaskStore {
  const tasks = new Map<string, Task>();
  return {
    load: async (id) => tasks.get(id),
    save: async (task) => void tasks.set(task.id, task),
    list: async () => ({ tasks: [...tasks.values()], nextPageToken: '', pageSize: tasks.size, totalSize: tasks.size }),
  };
}

const textPart = (value: string): Part => ({
  content: { $case: 'text', value },
  mediaType: 'text/plain',
  filename: '',
  metadata: undefined,
});

/** Yields the content deltas of an OpenAI-style SSE stream. */
async function* contentDeltas(res: Response): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') return;
      const json = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string | null } }> };
      const text = json.choices?.[0]?.delta?.content;
      if (text) yield text;
    }
  }
}

const executor: AgentExecutor = {
  async execute(rc: RequestContext, bus: ExecutionEventBus) {
    const { taskId, contextId } = rc;
    const status = (state: TaskState): void =>
      bus.publish(
        AgentEvent.statusUpdate({
          taskId,
          contextId,
          status: { state, message: undefined, timestamp: new Date().toISOString() },
          metadata: undefined,
        }),
      );
    if (!rc.task) {
      bus.publish(
        AgentEvent.task({
          id: taskId,
          contextId,
          status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
          artifacts: [],
          history: [rc.userMessage],
          metadata: {},
        }),
      );
    }
    status(TaskState.TASK_STATE_WORKING);
    const prompt = rc.userMessage.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
    const artifactId = randomUUID();
    let chunks = 0;
    let held: string | undefined; // like agentor: hold the newest chunk until we know whether it is the last
    const flush = (lastChunk: boolean): void => {
      if (held === undefined) return;
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: {
            artifactId,
            name: 'answer',
            description: '',
            parts: [textPart(held)],
            metadata: undefined,
            extensions: [],
          },
          append: chunks > 0,
          lastChunk,
          metadata: undefined,
        }),
      );
      chunks++;
      held = undefined;
    };
    try {
      const request = (): Promise<Response> =>
        fetch(`${baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer test' },
          body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: prompt }] }),
        });
      // One retry on a connection error (a pooled keep-alive socket the upstream just closed), as the openai SDK that
      // agentor uses does; otherwise the floor would lose streams that agentor completes.
      const res = await request().catch(() => request());
      if (!res.ok) throw new Error(`upstream ${res.status}`);
      for await (const text of contentDeltas(res)) {
        flush(false);
        held = text;
      }
      flush(true);
      status(TaskState.TASK_STATE_COMPLETED);
    } catch (e) {
      process.stderr.write(
        `baseline: the upstream stream failed: ${(e as Error).message} ${String((e as Error).cause ?? '')}\n`,
      );
      status(TaskState.TASK_STATE_FAILED);
    }
  },
  async cancelTask() {},
};

const app = express();
const server = app.listen(0, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const card: AgentCard = {
    name: 'baseline',
    description: 'SDK sample server streaming the upstream',
    supportedInterfaces: [
      { url: `${url}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION },
    ],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [],
    signatures: [],
  };
  const handler = new DefaultRequestHandler(
    card,
    process.env['BASELINE_STORE'] === 'shared' ? sharedStore() : new InMemoryTaskStore(),
    executor,
  );
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: handler }));
  app.use('/a2a/jsonrpc', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  process.stdout.write(`READY ${url}\n`);
});
const shutdown = (): void => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
