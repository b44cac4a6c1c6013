/**
 * Probes: `GET /livez` (the process answers; `/health` is its alias) and `GET /readyz` (the server can do its job: a
 * model provider is configured, every check the embedder added passes — MCP servers connected, stores reachable — and
 * it is not shutting down). Not ready is a 503 listing the failing checks; their reasons are shown to callers that
 * could use the agent anyway (no token, or the right one), the names alone to anyone else. Changes are logged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadinessCheck, ServerContext } from './context.js';
import { sendJson } from './http.js';

/** A readiness hook that has not answered after this long counts as failing. */
const PROBE_TIMEOUT_MS = 2_000;

/** The probe routes of one handler. */
export interface Health {
  livez(res: ServerResponse): void;
  readyz(req: IncomingMessage, res: ServerResponse, showReasons: boolean): Promise<void>;
}

/**
 * A provider that can tell it has nowhere to send requests is not ready: the OpenAI one without key or base URL, or the
 * stand-in an Agent gets when no provider is configured at all (id "unconfigured").
 */
function providerCheck(ctx: ServerContext): ReadinessCheck {
  const provider = ctx.agent.provider as { configured?: unknown; id?: unknown };
  return provider.configured === false || provider.id === 'unconfigured'
    ? { name: 'provider', ok: false, reason: 'no model provider is configured (no API key and no base URL)' }
    : { name: 'provider', ok: true };
}

async function hookChecks(ctx: ServerContext): Promise<ReadinessCheck[]> {
  const hook = ctx.options.readiness;
  if (!hook) return [];
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(hook),
      new Promise<ReadinessCheck[]>((resolve) => {
        timer = setTimeout(
          () =>
            resolve([{ name: 'readiness', ok: false, reason: `checks did not answer within ${PROBE_TIMEOUT_MS} ms` }]),
          PROBE_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (e) {
    return [{ name: 'readiness', ok: false, reason: `checks failed: ${(e as Error)?.message ?? String(e)}` }];
  } finally {
    clearTimeout(timer);
  }
}

/** Creates the probe routes for a handler. */
export function createHealth(ctx: ServerContext): Health {
  let wasReady: boolean | undefined;
  return {
    livez(res) {
      sendJson(res, 200, { status: 'ok' });
    },
    async readyz(_req, res, showReasons) {
      const checks = [providerCheck(ctx), ...(await hookChecks(ctx))];
      if (ctx.runs.closing) checks.unshift({ name: 'server', ok: false, reason: 'shutting down' });
      const failing = checks.filter((c) => !c.ok);
      const ready = failing.length === 0;
      if (ready !== wasReady && (wasReady !== undefined || !ready)) {
        ctx.log(
          ready ? 'ready' : `not ready: ${failing.map((c) => `${c.name} (${c.reason ?? 'failing'})`).join(', ')}`,
        );
      }
      wasReady = ready;
      sendJson(res, ready ? 200 : 503, {
        status: ready ? 'ready' : 'not_ready',
        checks: checks.map((c) =>
          showReasons && c.reason !== undefined
            ? { name: c.name, ok: c.ok, reason: c.reason }
            : { name: c.name, ok: c.ok },
        ),
      });
    },
  };
}
