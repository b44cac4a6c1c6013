/**
 * A2A through the official `@a2a-js/sdk` (1.x server side, with its v0.3 compatibility layer): the agent card at
 * `/.well-known/agent-card.json`, JSON-RPC at `/a2a/jsonrpc` and HTTP+JSON at `/a2a/rest`. The SDK owns the protocol
 * (tasks, routing, errors); agentor brings the executor (a2a-executor.ts), the bounded store (task-store.ts) and the
 * card (a2a-card.ts). Agentor's own errors on the REST path use the binding's AIP-193 shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type {
  AgentCard,
  CancelTaskRequest,
  StreamResponse,
  SubscribeToTaskRequest,
  SendMessageRequest,
  Task,
} from '@a2a-js/sdk';
import {
  DefaultRequestHandler,
  defaultServerCallContextBuilder,
  type ServerCallContext,
  type ServerCallContextBuilder,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import { RequestMalformedError, TaskNotFoundError, UnsupportedOperationError } from '@a2a-js/sdk/errors';
import { buildAgentCard, sendCard, wantsLegacyCard } from './a2a-card.js';
import { AgentorExecutor, REQUEST_KEY, SIGNAL_KEY } from './a2a-executor.js';
import { A2A_JSONRPC_PATH, A2A_REST_PATH, AGENT_CARD_PATHS, type ServerContext } from './context.js';
import { aipErrorBody } from './error-shapes.js';
import { abortOnDisconnect, sendError, sendJson } from './http.js';
import type { ServerStore } from './store-types.js';
import { BoundedTaskStore, type LiveTaskStore } from './task-store.js';

export { buildAgentCard } from './a2a-card.js';

/**
 * Each request's base URL, for the card's URLs. Not an AsyncLocalStorage: on Node 20 that installs promise hooks for
 * the whole process, which cost every promise of every token of every stream (~8% of A2A streaming CPU).
 */
const requestBases = new WeakMap<object, string>();
/** Each request's disconnect signal, keyed by its headers object (which the SDK hands to the context builder). */
const requestSignals = new WeakMap<object, AbortSignal>();
/** …and the request itself (its id and W3C trace context belong to the run it starts). */
const requestsByHeaders = new WeakMap<object, IncomingMessage>();

const signalOf = (context: ServerCallContext): AbortSignal | undefined =>
  context.state.get(SIGNAL_KEY) as AbortSignal | undefined;

/** The SDK's handler, told who streams which task, and stopping a stream whose client has gone. */
class ListeningRequestHandler extends DefaultRequestHandler {
  constructor(
    card: AgentCard,
    private readonly store: LiveTaskStore,
    private readonly executor: AgentorExecutor,
    private readonly shared: ServerStore,
  ) {
    super(card, store, executor);
  }

  /** A task running on another replica is cancelled there (through the shared store); the answer is its end state. */
  override async cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    if (!this.executor.isRunning(params.id) && (await this.shared.cancelRemote(params.id))) {
      const task = await this.store.load(params.id, context);
      if (task) return task;
    }
    return super.cancelTask(params, context);
  }

  override async sendMessage(params: SendMessageRequest, context: ServerCallContext) {
    this.check(params);
    const forwarded = await this.forward(params, context);
    if (!forwarded) return super.sendMessage(params, context);
    const taskId = params.message?.taskId as string;
    if (params.configuration?.returnImmediately) await forwarded.return(undefined);
    else for await (const _ of forwarded); // until the task ends or asks again
    const task = await this.store.load(taskId, context);
    if (!task) throw new TaskNotFoundError(`Task not found: ${taskId}`);
    return task;
  }

  override async *sendMessageStream(
    params: SendMessageRequest,
    context: ServerCallContext,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    this.check(params);
    const forwarded = await this.forward(params, context);
    if (forwarded) {
      yield* untilAborted(forwarded, signalOf(context));
      return;
    }
    yield* untilAborted(super.sendMessageStream(params, context), signalOf(context));
  }

  /**
   * A message for a task that another replica runs goes to that replica, which takes only the answer to the tool
   * approval the task waits for; the task's events then come back through the shared store. Undefined when the task
   * does not run elsewhere (the SDK handles the message here).
   */
  private async forward(
    params: SendMessageRequest,
    context: ServerCallContext,
  ): Promise<AsyncGenerator<StreamResponse> | undefined> {
    const taskId = params.message?.taskId;
    if (!params.message || !taskId || this.executor.isRunning(taskId) || !this.store.ownerElsewhere) return undefined;
    if (!(await this.store.ownerElsewhere(taskId))) return undefined;
    // Followed from before the answer goes out, so no event after it is missed.
    const events = await this.store.follow?.(taskId, signalOf(context), { waiting: true });
    if (!events) return undefined;
    if (!(await this.shared.ask({ op: 'a2a-answer', taskId, message: params.message }))) {
      await events.return(undefined);
      throw new UnsupportedOperationError(
        `task ${taskId} is running (on another replica) and takes only the answer to the tool approval it waits for; wait for it to finish, or cancel it`,
      );
    }
    return events;
  }

  /** A message to a task that is running: only the answer to the approval it waits for is taken. */
  private check(params: SendMessageRequest): void {
    const refusal = params.message ? this.executor.refusal(params.message) : undefined;
    if (refusal?.kind === 'running') throw new UnsupportedOperationError(refusal.message);
    if (refusal) throw new RequestMalformedError(refusal.message);
  }

  override async *resubscribe(
    params: SubscribeToTaskRequest,
    context: ServerCallContext,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    const signal = signalOf(context);
    // Running on another replica: its events come through the shared store's stream of the task.
    const remote = this.executor.isRunning(params.id) ? undefined : await this.store.follow?.(params.id, signal);
    if (remote) {
      yield* untilAborted(remote, signal);
      return;
    }
    this.executor.listen(params.id, signal);
    yield* untilAborted(super.resubscribe(params, context), signal);
  }
}

/** The SDK's transports keep iterating a stream whose client has left (writes just vanish): stop at the next event. */
async function* untilAborted<T>(events: AsyncGenerator<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  for await (const event of events) {
    if (signal?.aborted) return;
    yield event;
  }
}

/** The A2A request handler: an Express app (the SDK's transports) invoked from the node:http server. */
export interface A2AHandler {
  /** Serves an A2A path; `body` is the already-read request body (undefined for GET). */
  handle(req: IncomingMessage, res: ServerResponse, baseUrl: string, body: string | undefined): void;
}

const mediaType = (req: IncomingMessage): string | undefined =>
  req.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();

/**
 * Parses the body the router already read, for the SDK's transports. A content type they do not take is left to
 * them (they answer ContentTypeNotSupported, −32005); a body that is not JSON is a parse error in the transport's
 * shape. Returns false when it has answered.
 */
function attachBody(req: IncomingMessage, res: ServerResponse, body: string): boolean {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const rest = path === A2A_REST_PATH || path.startsWith(`${A2A_REST_PATH}/`);
  const type = mediaType(req);
  const accepted = rest ? ['application/json', 'application/a2a+json'] : ['application/json'];
  if (type !== undefined && !accepted.includes(type)) return true;
  try {
    (req as IncomingMessage & { body?: unknown }).body = JSON.parse(body) as unknown;
    return true;
  } catch (e) {
    const message = `Parse error: the request body is not valid JSON (${(e as Error).message})`;
    if (rest)
      sendJson(res, 400, aipErrorBody(400, message, 'invalid_json'), { 'content-type': 'application/a2a+json' });
    else sendJson(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message } });
    return false;
  }
}

/** Builds the A2A handler for an agent. */
export function createA2AHandler(ctx: ServerContext, fallbackBase: string): A2AHandler {
  const makeCard = (baseUrl: string): AgentCard =>
    buildAgentCard(ctx.agent, ctx.options.publicUrl ?? baseUrl, ctx.options);
  const limits = { maxBytes: ctx.options.a2aTaskStoreBytes };
  const store = ctx.store.tasks(limits) ?? new BoundedTaskStore(limits);
  // The transports consult the handler's card only for capabilities and versions; the URLs a client sees come from
  // the card route, built per request.
  const requestHandler = new ListeningRequestHandler(
    makeCard(fallbackBase),
    store,
    new AgentorExecutor(ctx, store),
    ctx.store,
  );
  const contextBuilder: ServerCallContextBuilder = (options) => {
    const context = defaultServerCallContextBuilder(options);
    const signal = requestSignals.get(options.headers);
    if (signal) context.state.set(SIGNAL_KEY, signal);
    const request = requestsByHeaders.get(options.headers);
    if (request) context.state.set(REQUEST_KEY, request);
    return context;
  };
  const app = express();
  app.disable('x-powered-by');
  app.use(AGENT_CARD_PATHS, (req: Request, res: Response, next: NextFunction) => {
    const card = makeCard(requestBases.get(req) ?? fallbackBase);
    agentCardHandler({ agentCardProvider: async () => card, legacyCompat: { enabled: true }, cache: { maxAge: 0 } })(
      req,
      res,
      next,
    );
  });
  const transport = {
    requestHandler,
    userBuilder: UserBuilder.noAuthentication,
    legacyCompat: { enabled: true },
    contextBuilder,
  };
  app.use(A2A_JSONRPC_PATH, jsonRpcHandler(transport));
  app.use(A2A_REST_PATH, restHandler(transport));
  app.use((req: Request, res: Response) => {
    const message = `no A2A route for ${req.method} ${req.path}`;
    if (req.originalUrl.startsWith(A2A_REST_PATH))
      return sendJson(res, 404, aipErrorBody(404, message, 'not_found'), { 'content-type': 'application/a2a+json' });
    sendError(res, 404, message, 'not_found');
  });
  app.use((err: Error & { status?: number }, req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    const message = status === 500 ? 'internal server error' : err.message || 'bad request';
    if (status === 500) ctx.log(`A2A error on ${req.method} ${req.originalUrl.split('?')[0]}: ${err.message}`);
    if (req.originalUrl.startsWith(A2A_REST_PATH))
      return sendJson(res, status, aipErrorBody(status, message, 'a2a_error'), {
        'content-type': 'application/a2a+json',
      });
    sendError(res, status, message, 'a2a_error');
  });

  return {
    handle(req, res, baseUrl, body) {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (AGENT_CARD_PATHS.includes(path) && !wantsLegacyCard(req, path)) return sendCard(req, res, makeCard(baseUrl));
      if (!ctx.store.available) {
        const e = new Error('the task store is unavailable right now; retry in a moment');
        if (path.startsWith(A2A_REST_PATH))
          return sendJson(res, 503, aipErrorBody(503, e.message, 'store_unavailable'), {
            'content-type': 'application/a2a+json',
            'retry-after': '1',
          });
        return sendError(res, 503, e.message, 'store_unavailable', { 'retry-after': '1' });
      }
      requestSignals.set(req.headers, abortOnDisconnect(req, res));
      requestsByHeaders.set(req.headers, req);
      if (body !== undefined && body !== '' && !attachBody(req, res, body)) return;
      requestBases.set(req, baseUrl);
      app(req as Request, res as Response);
    },
  };
}
