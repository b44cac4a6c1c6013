/**
 * Which request goes where, and the order of the checks in front of it: the Host check (no token: DNS-rebinding
 * defence), CORS preflights, the open routes (probes, agent card), the bearer token, the browser origin, shutdown,
 * then the protocol routes. The A2A handler (Express and the A2A SDK) loads on the first A2A request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { A2AHandler } from './a2a.js';
import { handleApproval } from './approvals.js';
import { A2A_JSONRPC_PATH, A2A_REST_PATH, AGENT_CARD_PATHS, type ServerContext } from './context.js';
import type { Guards } from './guards.js';
import type { Health } from './health.js';
import { applyCors, HttpError, readBody } from './http.js';
import { handleChatCompletions, handleModel, handleModels } from './openai-compat.js';
import { handleChat } from './sse.js';

const CARD_PATHS = new Set(AGENT_CARD_PATHS);
const HOST_RE = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const MODELS_PATH = '/v1/models';

/** The base URL a client used to reach us: from Host (never 0.0.0.0), else the socket's local address. */
export function requestBase(req: IncomingMessage): string {
  const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const host = req.headers.host;
  if (host && HOST_RE.test(host)) {
    return `${scheme}://${host.replace(/^0\.0\.0\.0(?=:|$)/, '127.0.0.1').replace(/^\[::\](?=:|$)/, '[::1]')}`;
  }
  const addr = req.socket.localAddress ?? '127.0.0.1';
  const local = addr === '0.0.0.0' || addr === '::' ? '127.0.0.1' : addr.replace(/^::ffff:/, '');
  return `${scheme}://${local.includes(':') ? `[${local}]` : local}:${req.socket.localPort ?? 80}`;
}

const FIXED_ROUTES = new Set([
  '/chat',
  '/ws',
  '/v1/chat/completions',
  MODELS_PATH,
  '/livez',
  '/health',
  '/readyz',
  '/metrics',
  A2A_JSONRPC_PATH,
  A2A_REST_PATH,
  ...AGENT_CARD_PATHS,
]);

/**
 * The route template a path is counted and logged under, so metric labels stay bounded: a known path, a known path
 * with its variable part replaced, or "other" (what a scanner probes never becomes a label value).
 */
export function routeTemplate(path: string): string {
  if (FIXED_ROUTES.has(path)) return path;
  if (path.startsWith(`${MODELS_PATH}/`)) return `${MODELS_PATH}/{model}`;
  if (path.startsWith(`${A2A_REST_PATH}/`)) return `${A2A_REST_PATH}/*`;
  if (path.startsWith(`${A2A_JSONRPC_PATH}/`)) return `${A2A_JSONRPC_PATH}/*`;
  return 'other';
}

function allow(method: string, allowed: readonly string[], usage: string): void {
  if (!allowed.includes(method))
    throw new HttpError(405, `use ${usage}`, 'method_not_allowed', { allow: allowed.join(', ') });
}

const isA2APath = (path: string): boolean =>
  path === A2A_JSONRPC_PATH ||
  path === A2A_REST_PATH ||
  path.startsWith(`${A2A_REST_PATH}/`) ||
  path.startsWith(`${A2A_JSONRPC_PATH}/`);

/** What the router dispatches to. */
export interface RouterParts {
  ctx: ServerContext;
  guards: Guards;
  health: Health;
  a2a: (req: IncomingMessage) => Promise<A2AHandler>;
}

/** The request router of one handler: resolves when the response is written, throws HttpError for problems. */
export function createRouter({ ctx, guards, health, a2a }: RouterParts) {
  /** Routes anyone who may reach the server can use: probes and the agent card. */
  const open = async (req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<boolean> => {
    if (path === '/livez' || path === '/health') {
      allow(method, ['GET', 'HEAD'], `GET ${path}`);
      health.livez(res);
      return true;
    }
    if (path === '/readyz') {
      allow(method, ['GET', 'HEAD'], 'GET /readyz');
      await health.readyz(req, res, guards.authorized(req));
      return true;
    }
    if (CARD_PATHS.has(path)) {
      allow(method, ['GET', 'HEAD'], `GET ${path}`);
      (await a2a(req)).handle(req, res, requestBase(req), undefined);
      return true;
    }
    return false;
  };

  const metrics = ctx.options.telemetry?.metricsRoute === false ? undefined : ctx.options.telemetry?.metrics;

  /** Routes behind the token. */
  const guarded = async (req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> => {
    if (path === '/metrics' && metrics) {
      allow(method, ['GET', 'HEAD'], 'GET /metrics');
      const text = await metrics.render();
      res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
      return void res.end(method === 'HEAD' ? undefined : text);
    }
    if (path === '/chat') {
      allow(method, ['POST'], 'POST /chat with {"input": "…"}');
      return handleChat(ctx, req, res);
    }
    if (path === '/chat/approvals') {
      allow(method, ['POST'], 'POST /chat/approvals with {"run_id", "call_id", "decision": "allowed"|"denied"}');
      return handleApproval(ctx, req, res);
    }
    if (path === MODELS_PATH) {
      allow(method, ['GET'], `GET ${MODELS_PATH}`);
      return handleModels(ctx, res);
    }
    if (path.startsWith(`${MODELS_PATH}/`)) {
      allow(method, ['GET'], `GET ${MODELS_PATH}/{model}`);
      return handleModel(ctx, res, path.slice(MODELS_PATH.length + 1));
    }
    if (path === '/v1/chat/completions') {
      allow(method, ['POST'], 'POST /v1/chat/completions');
      return handleChatCompletions(ctx, req, res);
    }
    if (isA2APath(path)) {
      const body =
        method === 'POST' || method === 'PUT' || method === 'PATCH' ? await readBody(req, ctx.maxBodyBytes) : undefined;
      return (await a2a(req)).handle(req, res, requestBase(req), body);
    }
    if (path === '/ws')
      throw new HttpError(426, 'connect with a WebSocket client to /ws', 'upgrade_required', { upgrade: 'websocket' });
    throw new HttpError(
      404,
      `no route for ${method} ${path} (try POST /chat, GET /ws, POST /v1/chat/completions, GET /.well-known/agent-card.json)`,
      'not_found',
    );
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    guards.checkHost(req);
    if (applyCors(req, res, ctx.options.cors)) return;
    if (await open(req, res, method, path)) return;
    if (!guards.authorized(req)) {
      throw new HttpError(
        401,
        'missing or wrong bearer token: send Authorization: Bearer <token> (the token given to agentor serve --token / AGENTOR_TOKEN)',
        'unauthorized',
        { 'www-authenticate': 'Bearer' },
      );
    }
    guards.checkOrigin(req);
    if (ctx.runs.closing && method === 'POST')
      throw new HttpError(503, 'the server is shutting down', 'shutting_down', { connection: 'close' });
    return guarded(req, res, method, path);
  };
}
