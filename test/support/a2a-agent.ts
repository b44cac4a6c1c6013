/**
 * A remote A2A agent for tests, built with @a2a-js/sdk's server side on express 5 (JSON-RPC, v0.3 compat enabled).
 * Prompts steer it: "hang" streams one chunk and waits until the task is cancelled; "fail" ends the task failed;
 * "ask" ends input-required with a question; anything else streams "Hello from remote: <prompt>" in chunks.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import express from 'express';
import {
  A2A_PROTOCOL_VERSION,
  AGENT_CARD_PATH,
  Role,
  TaskState,
  type AgentCard,
  type Message,
  type Part,
} from '@a2a-js/sdk';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';

export interface FakeA2AAgent {
  url: string;
  /** Task ids the client asked to cancel. */
  cancelled: string[];
  /** Every HTTP request: path and A2A-Version header ("" when absent). */
  requests: Array<{ path: string; version: string }>;
  /** User messages received (text), in order. */
  received: Array<{ text: string; taskId: string; contextId: string }>;
  /** Resolves once a "hang" task has streamed its first chunk. */
  waitForHang(): Promise<void>;
  close(): Promise<void>;
}

const textPart = (value: string): Part => ({
  content: { $case: 'text', value },
  metadata: undefined,
  filename: '',
  mediaType: 'text/plain',
});
const agentMessage = (text: string, taskId: string, contextId: string): Message => ({
  messageId: randomUUID(),
  role: Role.ROLE_AGENT,
  parts: [textPart(text)],
  taskId,
  contextId,
  extensions: [],
  metadata: undefined,
  referenceTaskIds: [],
});

/** `legacy: true` serves a v0.3-shaped agent card only, like an A2A 0.3 server (e.g. Agentor's Python server). */
export async function startFakeA2AAgent(
  opts: { name?: string; chunkDelayMs?: number; legacy?: boolean; token?: string } = {},
): Promise<FakeA2AAgent> {
  const cancelled: string[] = [];
  const received: FakeA2AAgent['received'] = [];
  const cancelGates = new Map<string, () => void>();
  let hangStarted: () => void = () => {};
  let hang = new Promise<void>((r) => (hangStarted = r));
  const delay = opts.chunkDelayMs ?? 1;

  const executor: AgentExecutor = {
    async execute(ctx: RequestContext, bus: ExecutionEventBus) {
      const { taskId, contextId } = ctx;
      const text = ctx.userMessage.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
      received.push({ text, taskId, contextId });
      const status = (state: TaskState, message?: string) =>
        bus.publish(
          AgentEvent.statusUpdate({
            taskId,
            contextId,
            status: {
              state,
              timestamp: new Date().toISOString(),
              message: message ? agentMessage(message, taskId, contextId) : undefined,
            },
            metadata: undefined,
          }),
        );
      const chunk = (value: string, append: boolean, lastChunk: boolean) =>
        bus.publish(
          AgentEvent.artifactUpdate({
            taskId,
            contextId,
            artifact: {
              artifactId: 'answer',
              name: 'answer',
              description: '',
              parts: [textPart(value)],
              metadata: undefined,
              extensions: [],
            },
            append,
            lastChunk,
            metadata: undefined,
          }),
        );
      if (!ctx.task) {
        bus.publish(
          AgentEvent.task({
            id: taskId,
            contextId,
            status: { state: TaskState.TASK_STATE_SUBMITTED, timestamp: new Date().toISOString(), message: undefined },
            artifacts: [],
            history: [ctx.userMessage],
            metadata: undefined,
          }),
        );
      }
      status(TaskState.TASK_STATE_WORKING, 'thinking');
      if (text.includes('hang')) {
        const gate = new Promise<void>((r) => cancelGates.set(taskId, r));
        chunk('partial ', false, false);
        hangStarted();
        await gate;
        status(TaskState.TASK_STATE_CANCELED, 'cancelled by the client');
        return;
      }
      if (text.includes('fail')) {
        status(TaskState.TASK_STATE_FAILED, 'the remote tool broke');
        return;
      }
      if (text.includes('ask')) {
        status(TaskState.TASK_STATE_INPUT_REQUIRED, 'Which city?');
        return;
      }
      const pieces = ['Hello ', 'from ', 'remote: ', text];
      for (let i = 0; i < pieces.length; i++) {
        chunk(pieces[i] as string, i > 0, i === pieces.length - 1);
        await new Promise((r) => setTimeout(r, delay));
      }
      status(TaskState.TASK_STATE_COMPLETED);
    },
    async cancelTask(taskId: string) {
      cancelled.push(taskId);
      cancelGates.get(taskId)?.();
    },
  };

  const app = express();
  const requests: FakeA2AAgent['requests'] = [];
  app.use((req, res, next) => {
    requests.push({ path: req.path, version: req.header('a2a-version') ?? '' });
    if (opts.token && req.path.startsWith('/a2a') && req.header('authorization') !== `Bearer ${opts.token}`) {
      res.status(401).json({ error: 'unauthorized' });
      return;
    }
    next();
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const card: AgentCard = {
    name: opts.name ?? 'Remote Helper',
    description: 'A test agent',
    supportedInterfaces: [
      { url: `${url}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION },
      { url: `${url}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '0.3' },
    ],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text'],
    defaultOutputModes: ['text'],
    skills: [],
    signatures: [],
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
  if (opts.legacy) {
    app.get(`/${AGENT_CARD_PATH}`, (_req, res) => {
      res.json({
        protocolVersion: '0.3.0',
        name: card.name,
        description: card.description,
        url: `${url}/a2a/jsonrpc`,
        preferredTransport: 'JSONRPC',
        version: '1.0.0',
        capabilities: { streaming: true },
        defaultInputModes: ['text'],
        defaultOutputModes: ['text'],
        skills: [],
      });
    });
  } else {
    app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: handler, legacyCompat: { enabled: true } }));
  }
  app.use(
    '/a2a/jsonrpc',
    jsonRpcHandler({
      requestHandler: handler,
      userBuilder: UserBuilder.noAuthentication,
      legacyCompat: { enabled: true },
    }),
  );

  return {
    url,
    cancelled,
    requests,
    received,
    waitForHang: async () => {
      await hang;
      hang = new Promise<void>((r) => (hangStarted = r));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of cancelGates.values()) release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
