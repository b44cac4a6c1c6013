/**
 * A2A through the official `@a2a-js/sdk` (1.x server side, with its v0.3 compatibility layer): the agent card at
 * `/.well-known/agent-card.json`, JSON-RPC at `/a2a/jsonrpc` and HTTP+JSON at `/a2a/rest`. The SDK owns the protocol
 * (tasks, their store, routing, errors); the executor below is one more consumer of `agent.streamChat`: text deltas
 * become chunks of one answer artifact, tool activity becomes working-status metadata, `run_end` the final state.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  A2A_PROTOCOL_VERSION,
  Role,
  TaskState,
  type AgentCard,
  type AgentSkill,
  type Message,
  type Part,
} from '@a2a-js/sdk';
import { duplicateInterfacesForLegacy } from '@a2a-js/sdk/compat/v0_3';
import {
  AgentEvent as A2AEvent,
  DefaultRequestHandler,
  defaultServerCallContextBuilder,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
  type ServerCallContextBuilder,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import type { Agent } from '../core/agent.js';
import type { RunEndEvent } from '../core/events.js';
import { agentorVersion } from '../core/package.js';
import { joinTurns } from '../core/stream.js';
import { A2A_JSONRPC_PATH, A2A_REST_PATH, AGENT_CARD_PATHS, type RunHandle, type ServerContext } from './context.js';
import { abortOnDisconnect, sendError } from './http.js';
import { BoundedTaskStore } from './task-store.js';

const SIGNAL_KEY = 'agentor.signal';

/**
 * Each request's base URL, for the card's URLs. Not an AsyncLocalStorage: on Node 20 that installs promise hooks for
 * the whole process, which cost every promise of every token of every stream (~8% of A2A streaming CPU).
 */
const requestBases = new WeakMap<object, string>();
/** Each request's disconnect signal, keyed by its headers object (which the SDK hands to the context builder). */
const requestSignals = new WeakMap<object, AbortSignal>();

function textPart(value: string): Part {
  return { content: { $case: 'text', value }, mediaType: 'text/plain', filename: '', metadata: undefined };
}

function agentMessage(taskId: string, contextId: string, text: string): Message {
  return {
    messageId: randomUUID(),
    taskId,
    contextId,
    role: Role.ROLE_AGENT,
    parts: [textPart(text)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** The agent card: name, description (never the instructions), a skill per tool, streaming, reachable URLs. */
export function buildAgentCard(
  agent: Agent,
  baseUrl: string,
  options: { token?: string; version?: string },
): AgentCard {
  const base = baseUrl.replace(/\/+$/, '');
  const skills: AgentSkill[] = agent.tools.map((t) => ({
    id: t.name,
    name: t.name,
    description: t.description,
    tags: ['tool'],
    examples: [],
    inputModes: ['text/plain'],
    outputModes: ['text/plain'],
    securityRequirements: [],
  }));
  if (skills.length === 0) {
    skills.push({
      id: 'chat',
      name: 'chat',
      description: agent.description || `Chat with ${agent.name}.`,
      tags: ['chat'],
      examples: [],
      inputModes: ['text/plain'],
      outputModes: ['text/plain'],
      securityRequirements: [],
    });
  }
  const bearer = options.token !== undefined && options.token !== '';
  return {
    name: agent.name,
    description: agent.description || `${agent.name}, an agent served by agentor`,
    supportedInterfaces: duplicateInterfacesForLegacy(
      [
        {
          url: `${base}${A2A_JSONRPC_PATH}`,
          protocolBinding: 'JSONRPC',
          tenant: '',
          protocolVersion: A2A_PROTOCOL_VERSION,
        },
        {
          url: `${base}${A2A_REST_PATH}`,
          protocolBinding: 'HTTP+JSON',
          tenant: '',
          protocolVersion: A2A_PROTOCOL_VERSION,
        },
      ],
      ['JSONRPC', 'HTTP+JSON'],
    ),
    provider: { organization: 'agentor', url: base },
    version: options.version ?? agentorVersion(),
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: bearer
      ? {
          bearer: {
            scheme: {
              $case: 'httpAuthSecurityScheme',
              value: { scheme: 'Bearer', description: 'Authorization: Bearer <token>', bearerFormat: '' },
            },
          },
        }
      : {},
    securityRequirements: bearer ? [{ schemes: { bearer: { list: [] } } }] : [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills,
    signatures: [],
  };
}

function userText(message: Message): string {
  return message.parts
    .map((p) =>
      p.content?.$case === 'text'
        ? p.content.value
        : p.content?.$case === 'data'
          ? JSON.stringify(p.content.value)
          : '',
    )
    .filter(Boolean)
    .join('\n');
}

/** Runs the agent for A2A tasks and projects its events onto task, status and artifact updates. */
class AgentorExecutor implements AgentExecutor {
  private readonly running = new Map<string, RunHandle>();

  constructor(private readonly ctx: ServerContext) {}

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    const run = this.running.get(taskId);
    // A running task ends itself: the aborted run yields run_end(cancelled), published as the canceled state.
    if (run) run.abort(new Error('cancelled by the A2A client'));
    else
      bus.publish(
        A2AEvent.statusUpdate({
          taskId,
          contextId: '',
          status: { state: TaskState.TASK_STATE_CANCELED, message: undefined, timestamp: new Date().toISOString() },
          metadata: {},
        }),
      );
  };

  execute = async (rc: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = rc;
    // Event metadata stays undefined unless there is some: the SDK deep-copies any metadata object (even {}) into the
    // stored task on every event, which for per-token artifact chunks is a measurable share of streaming CPU.
    const status = (state: TaskState, text?: string, metadata?: Record<string, unknown>): void =>
      bus.publish(
        A2AEvent.statusUpdate({
          taskId,
          contextId,
          status: {
            state,
            message: text === undefined ? undefined : agentMessage(taskId, contextId, text),
            timestamp: new Date().toISOString(),
          },
          metadata,
        }),
      );
    if (!rc.task) {
      bus.publish(
        A2AEvent.task({
          id: taskId,
          contextId,
          status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
          artifacts: [],
          history: [rc.userMessage],
          metadata: {},
        }),
      );
    }
    const input = userText(rc.userMessage);
    if (!input.trim())
      return status(TaskState.TASK_STATE_REJECTED, 'the message has no text part; send the prompt as a text part');
    const lease = this.ctx.sessions.acquire(`a2a:${contextId}`);
    if (!lease)
      return status(
        TaskState.TASK_STATE_REJECTED,
        `context ${contextId} is busy with another task; wait for it to finish`,
      );

    const signal = rc.context.state.get(SIGNAL_KEY) as AbortSignal | undefined;
    const run = this.ctx.runs.start(signal);
    this.running.set(taskId, run);
    const artifactId = randomUUID();
    let chunks = 0;
    let held: string | undefined; // the newest text chunk, sent once we know whether it is the last one
    const flush = (lastChunk: boolean): void => {
      if (held === undefined && !(lastChunk && chunks > 0)) return;
      bus.publish(
        A2AEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: {
            artifactId,
            name: 'answer',
            description: '',
            parts: [textPart(held ?? '')],
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
      status(TaskState.TASK_STATE_WORKING);
      let end: RunEndEvent | undefined;
      const events = this.ctx.agent.streamChat(input, {
        signal: run.signal,
        conversation: lease.conversation,
        timeoutMs: this.ctx.options.runTimeoutMs,
      });
      // One answer artifact: its turns joined the way run_end.text joins them.
      for await (const e of joinTurns(events)) {
        switch (e.type) {
          case 'text_delta':
            flush(false);
            held = e.text;
            break;
          case 'tool_call':
            flush(false);
            status(TaskState.TASK_STATE_WORKING, undefined, {
              agentor: { type: 'tool_call', call_id: e.call_id, name: e.name, args: e.args },
            });
            break;
          case 'tool_result':
            // Only that it finished: the result is for the model, not part of the answer.
            status(TaskState.TASK_STATE_WORKING, undefined, {
              agentor: {
                type: 'tool_result',
                call_id: e.call_id,
                name: e.name,
                is_error: e.is_error,
                duration_ms: e.duration_ms,
              },
            });
            break;
          case 'run_end':
            end = e;
            break;
          default:
            break;
        }
      }
      if (held === undefined && chunks === 0 && end?.status === 'completed') held = end.text;
      flush(true);
      const meta = end ? { agentor: { run_id: end.run_id, status: end.status, usage: end.usage } } : {};
      if (!end || end.status === 'failed' || end.status === 'timeout' || end.status === 'max_turns') {
        status(TaskState.TASK_STATE_FAILED, end?.error?.message ?? 'the run failed', meta);
      } else if (end.status === 'cancelled') {
        status(TaskState.TASK_STATE_CANCELED, 'the task was cancelled', meta);
      } else {
        status(TaskState.TASK_STATE_COMPLETED, undefined, meta);
      }
    } finally {
      this.running.delete(taskId);
      run.done();
      lease.release();
    }
  };
}

/** The A2A request handler: an Express app (the SDK's transports) invoked from the node:http server. */
export interface A2AHandler {
  /** Serves an A2A path; `body` is the already-read request body (undefined for GET). */
  handle(req: IncomingMessage, res: ServerResponse, baseUrl: string, body: string | undefined): void;
}

/** Builds the A2A handler for an agent. */
export function createA2AHandler(ctx: ServerContext, fallbackBase: string): A2AHandler {
  const makeCard = (baseUrl: string): AgentCard =>
    buildAgentCard(ctx.agent, ctx.options.publicUrl ?? baseUrl, ctx.options);
  // The transports consult the handler's card only for capabilities and versions; the URLs a client sees come from
  // the card route below, built per request.
  const requestHandler = new DefaultRequestHandler(
    makeCard(fallbackBase),
    new BoundedTaskStore(),
    new AgentorExecutor(ctx),
  );
  const contextBuilder: ServerCallContextBuilder = (options) => {
    const context = defaultServerCallContextBuilder(options);
    const signal = requestSignals.get(options.headers);
    if (signal) context.state.set(SIGNAL_KEY, signal);
    return context;
  };
  const app = express();
  app.disable('x-powered-by');
  app.use(AGENT_CARD_PATHS, (req: Request, res: Response, next: NextFunction) => {
    const card = makeCard(requestBases.get(req) ?? fallbackBase);
    agentCardHandler({ agentCardProvider: async () => card, legacyCompat: { enabled: true } })(req, res, next);
  });
  const transport = {
    requestHandler,
    userBuilder: UserBuilder.noAuthentication,
    legacyCompat: { enabled: true },
    contextBuilder,
  };
  app.use(A2A_JSONRPC_PATH, jsonRpcHandler(transport));
  app.use(A2A_REST_PATH, restHandler(transport));
  app.use((req: Request, res: Response) =>
    sendError(res, 404, `no A2A route for ${req.method} ${req.path}`, 'not_found'),
  );
  app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    sendError(
      res,
      err.status && err.status >= 400 && err.status < 500 ? err.status : 500,
      err.message || 'internal error',
      'a2a_error',
    );
  });

  return {
    handle(req, res, baseUrl, body) {
      requestSignals.set(req.headers, abortOnDisconnect(req, res));
      const r = req as IncomingMessage & { body?: unknown };
      if (body !== undefined && body !== '') {
        try {
          r.body = JSON.parse(body) as unknown;
        } catch (e) {
          const message = `Parse error: the request body is not valid JSON (${(e as Error).message})`;
          if (req.url?.startsWith(A2A_JSONRPC_PATH)) {
            const payload = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message } });
            res.writeHead(400, {
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(payload)),
            });
            res.end(payload);
          } else sendError(res, 400, message, 'invalid_json');
          return;
        }
      }
      requestBases.set(req, baseUrl);
      app(req as Request, res as Response);
    },
  };
}
