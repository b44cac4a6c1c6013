/**
 * `agentor serve`: the composition root of the HTTP server. Validates flags (a non-loopback bind needs a token),
 * loads the agent, starts `serve()` from src/server, prints where it listens, and shuts down gracefully on SIGINT,
 * SIGTERM or SIGHUP (running streams end with run_end cancelled, MCP servers are stopped; exit 130, 143 or 129). A
 * signal while MCP servers are still starting stops them and exits the same way.
 */
import { accessSync, constants as fsConstants, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, parseDuration } from '../core/config.js';
import { interruptOnSignals, type SignalScope } from '../core/signals.js';
import { sanitize } from '../core/text/sanitize.js';
import type { RunningServer, ServerStore } from '../server/index.js';
import { parseAllowPattern, parseApprovalMode, type ApprovalMode } from '../core/tools/approval.js';
import {
  createLogger,
  parseLogFormat,
  parseLogLevel,
  stderrSink,
  type Logger,
  type LogFields,
  type LogFormat,
  type LogLevel,
} from '../observability/log.js';
import type { ErrorInfo } from '../core/events.js';
import type { MetricsServer } from '../observability/metrics-server.js';
import type { AgentMetrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import { loadAgentFromFlags, type LoadedAgents } from './load-agents.js';

/** Options of `agentor serve`, as Commander parses them. */
export interface ServeCommandOptions {
  agent?: string;
  host: string;
  port?: number;
  token?: string;
  cors?: string;
  publicUrl?: string;
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  demo?: boolean;
  mcpConfig?: string;
  maxBody?: string;
  headersTimeout?: string;
  requestTimeout?: string;
  maxConnections?: number;
  a2aTaskStoreMb?: number;
  store?: string;
  storeLease?: string;
  sessionsDir?: string;
  storePrefix?: string;
  approve?: string;
  allowTool?: string[];
  approvalTimeout?: string;
  /** `--no-metrics` sets it false. */
  metrics?: boolean;
  metricsPort?: number;
  logFormat?: string;
  logLevel?: string;
}

/** `--sessions-dir`: created private (0700) when missing; it must be a directory this process can write. */
function checkSessionsDir(dir: string): void {
  if (dir.trim() === '') throw new ConfigError('--sessions-dir needs a directory, e.g. --sessions-dir ./sessions');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!statSync(dir).isDirectory()) throw new ConfigError(`--sessions-dir: ${dir} is not a directory`);
    accessSync(dir, fsConstants.W_OK | fsConstants.R_OK | fsConstants.X_OK);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError(
      err.code === 'EEXIST' || err.code === 'ENOTDIR'
        ? `--sessions-dir: ${dir} is not a directory`
        : `--sessions-dir: cannot write to ${dir} (${err.code ?? err.message}); pick a directory this user can write`,
    );
  }
}

/** How long running streams get to end after SIGINT/SIGTERM/SIGHUP. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * A line of serve's own before it listens or when it cannot: one JSON record in JSON log mode (every line on stderr is
 * one then, for the collector reading it), else `agentor serve: [warning: ]text` written at once.
 */
function report(logger: Logger, level: 'info' | 'warn' | 'error', text: string, fields?: LogFields): void {
  if (logger.format === 'json') {
    logger[level](text, fields);
    stderrSink().flush();
  } else process.stderr.write(`agentor serve: ${level === 'warn' ? 'warning: ' : ''}${text}\n`);
}

/** Reports why serve cannot start; resolves to the exit code of a usage error. */
function fail(logger: Logger, message: string): number {
  report(logger, 'error', message);
  return 2;
}

/** MCP codes that say a server is (back) up: good news, logged as info; the rest (down, failed) are warnings. */
const MCP_UP = new Set(['mcp_server_started', 'mcp_server_restarted']);

/** An MCP server went down, failed a restart or came (back) up. */
function mcpNotice(logger: Logger, n: ErrorInfo): void {
  const text = `MCP: ${sanitize(n.message)}`;
  if (logger.format === 'json') report(logger, MCP_UP.has(n.code ?? '') ? 'info' : 'warn', text, { code: n.code });
  else process.stderr.write(`agentor serve: ${text}\n`);
}

function portFrom(opts: ServeCommandOptions, env: NodeJS.ProcessEnv): number {
  if (opts.port !== undefined) return opts.port;
  const raw = env['PORT'];
  if (raw === undefined || raw === '') return 8000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ConfigError(`PORT must be an integer between 0 and 65535 (got "${raw}")`);
  return n;
}

interface LogSettings {
  format?: LogFormat;
  level?: LogLevel;
}

function logSettings(opts: ServeCommandOptions): LogSettings {
  if (opts.logFormat === undefined && opts.logLevel === undefined) return {};
  const parse = <T>(flag: string, value: string | undefined, parser: (v: string) => T): T | undefined => {
    if (value === undefined) return undefined;
    try {
      return parser(value);
    } catch (e) {
      throw new ConfigError(`${flag}: ${(e as Error).message}`);
    }
  };
  const format = parse('--log-format', opts.logFormat, parseLogFormat);
  const level = parse('--log-level', opts.logLevel, parseLogLevel);
  return { ...(format ? { format } : {}), ...(level ? { level } : {}) };
}

/** What the server observes with: the logger, metrics unless --no-metrics, tracing when OTEL_* asks. */
async function startTelemetry(
  opts: ServeCommandOptions,
  logger: Logger,
): Promise<{ logger: Logger; metrics?: AgentMetrics; tracing?: Tracing }> {
  const [{ startTracing }, { agentorVersion }] = await Promise.all([
    import('../observability/tracing.js'),
    import('../core/package.js'),
  ]);
  const version = agentorVersion();
  const metrics =
    opts.metrics === false ? undefined : await (await import('../observability/metrics.js')).createMetrics({ version });
  const tracing = await startTracing({ version, warn: (message) => logger.warn(message) });
  return { logger, ...(metrics ? { metrics } : {}), ...(tracing ? { tracing } : {}) };
}

/** What the start-up banner says. */
interface Banner {
  url: string;
  agent: { name: string; model: string; tools: readonly unknown[]; isDemo?: boolean };
  store: string | undefined;
  /** `--sessions-dir`, absolute. */
  sessionsDir: string | undefined;
  allInterfaces: boolean;
  token: boolean;
  cors: string | undefined;
  /** Where the agent card's URLs point. */
  cardBase: string;
  /** Where /metrics is served; `ownPort` when on --metrics-port (no token there). */
  metrics: { url: string; ownPort: boolean } | undefined;
  tracing: boolean;
  /** MCP servers not connected yet: their tools join (the card's skills too) once they are up. */
  pendingMcp: readonly string[];
}

/** A store's line (lost, reachable again, a write that failed): as serve's other lines before it listens. */
function storeLog(logger: Logger, line: string): void {
  if (logger.format === 'json') report(logger, 'warn', line);
  else process.stderr.write(`agentor serve: ${line}\n`);
}

/** One line of serve's own (not a request's or a run's): a JSON record in JSON log mode, else `agentor serve: text`. */
function say(logger: Logger, text: string, fields?: Record<string, string | number | boolean | undefined>): void {
  if (logger.format === 'json') logger.always(text, fields);
  else stderrSink().write(`agentor serve: ${text}\n`);
}

/**
 * The start-up banner: for a person, where it listens and what to call; in JSON log mode one record a collector can
 * read (the same facts as fields). Its last text line ends with "Ctrl+C to stop", which readers wait for.
 */
function announce(logger: Logger, b: Banner): void {
  const name = sanitize(b.agent.name);
  const model = sanitize(b.agent.model);
  if (logger.format === 'json') {
    if (b.agent.isDemo) logger.warn('[DEMO] offline scripted model — no API calls are made');
    logger.always(`listening on ${b.url}`, {
      url: b.url,
      agent: name,
      model,
      tools: b.agent.tools.length,
      mcp_pending: b.pendingMcp.length > 0 ? b.pendingMcp.join(',') : undefined,
      demo: b.agent.isDemo || undefined,
      auth: b.token ? 'bearer token required' : 'none',
      cors: b.cors,
      store: b.store,
      sessions_dir: b.sessionsDir,
      all_interfaces: b.allInterfaces || undefined,
      metrics: b.metrics?.url,
      tracing: b.tracing || undefined,
      agent_card: `${b.cardBase}/.well-known/agent-card.json`,
    });
    return;
  }
  const lines: string[] = [];
  if (b.agent.isDemo) lines.push('agentor serve: [DEMO] offline scripted model — no API calls are made');
  const n = b.pendingMcp.length;
  const pending =
    n > 0
      ? ` + those of MCP ${n === 1 ? 'server' : 'servers'} ${b.pendingMcp.map((s) => `"${sanitize(s)}"`).join(', ')} once started`
      : '';
  lines.push(
    `agentor serve: agent "${name}" (model ${model}, ${b.agent.tools.length} tools${pending})${b.token ? ', bearer token required' : ''}${b.cors ? `, CORS for ${sanitize(b.cors)}` : ''}`,
    `agentor serve: listening on ${b.url}${b.store ? `, store ${sanitize(b.store)}` : ''}${b.sessionsDir !== undefined ? `, sessions in ${sanitize(b.sessionsDir)}` : ''}${b.allInterfaces ? ' (all interfaces)' : ''}`,
  );
  if (b.metrics) lines.push(`agentor serve: metrics on ${b.metrics.url}${b.metrics.ownPort ? ' (no token)' : ''}`);
  if (b.tracing) lines.push('agentor serve: exporting traces (OpenTelemetry, OTEL_* variables)');
  lines.push(
    `  POST ${b.url}/chat  ·  ws ${b.url.replace(/^http/, 'ws')}/ws  ·  POST ${b.url}/v1/chat/completions`,
    `  A2A card ${b.cardBase}/.well-known/agent-card.json  ·  Ctrl+C to stop`,
  );
  const sink = stderrSink();
  sink.write(`${lines.join('\n')}\n`);
  // Whoever waits for the banner (a person, a supervisor, a test) sees it now, not at the end of this turn.
  sink.flush();
}

/** Runs `agentor serve`; resolves with the exit code once the server has shut down. */
export async function runServe(opts: ServeCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // The log flags come first: every later line (errors, MCP notices, a signal before listening) follows --log-format.
  let logging: LogSettings;
  try {
    logging = logSettings(opts);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`agentor serve: ${e.message}\n`);
    return 2;
  }
  const logger = createLogger({ name: 'agentor serve', ...logging });
  let listening = false;
  const interrupt = interruptOnSignals({
    onSignal: (signal) => {
      say(
        logger,
        listening
          ? `${signal}: shutting down (running streams end with run_end cancelled; again to force)`
          : `${signal}: stopping`,
        { signal },
      );
      stderrSink().flush();
    },
  });
  try {
    return await serveUntilInterrupted(opts, env, interrupt, logger, () => (listening = true));
  } finally {
    interrupt.release();
  }
}

async function serveUntilInterrupted(
  opts: ServeCommandOptions,
  env: NodeJS.ProcessEnv,
  interrupt: SignalScope,
  logger: Logger,
  onListening: () => void,
): Promise<number> {
  const { checkToken, isLoopback, parseSize, serve, resolveStore, openStore } = await import('../server/index.js');
  const host = opts.host || '127.0.0.1';
  const token = opts.token || env['AGENTOR_TOKEN'] || undefined;
  let port: number;
  let maxBodyBytes: number | undefined;
  const durations: { headersTimeoutMs?: number; requestTimeoutMs?: number } = {};
  let storeConfig: ReturnType<typeof resolveStore>;
  let leaseMs: number | undefined;
  let approvalTimeoutMs: number | undefined;
  let approve: ApprovalMode | undefined;
  let allowTool: string[];
  try {
    checkToken(token);
    storeConfig = resolveStore(opts.store, env, opts.storePrefix);
    if (opts.sessionsDir !== undefined) {
      if (storeConfig.kind !== 'memory')
        throw new ConfigError(
          '--sessions-dir and --store redis both keep sessions: Redis already shares them between replicas and restarts; drop one',
        );
      checkSessionsDir(opts.sessionsDir);
    }
    if (opts.storeLease !== undefined) {
      try {
        leaseMs = parseDuration(opts.storeLease);
      } catch (e) {
        throw new ConfigError(`--store-lease: ${(e as Error).message}`);
      }
      if (leaseMs < 300) throw new ConfigError('--store-lease must be at least 300ms');
    }
    for (const [flag, value, key] of [
      ['--headers-timeout', opts.headersTimeout, 'headersTimeoutMs'],
      ['--request-timeout', opts.requestTimeout, 'requestTimeoutMs'],
    ] as const) {
      if (value === undefined) continue;
      try {
        durations[key] = parseDuration(value);
      } catch (e) {
        throw new ConfigError(`${flag}: ${(e as Error).message}`);
      }
    }
    if (opts.approvalTimeout !== undefined) {
      try {
        approvalTimeoutMs = parseDuration(opts.approvalTimeout);
      } catch (e) {
        throw new ConfigError(`--approval-timeout: ${(e as Error).message}`);
      }
    }
    try {
      approve = opts.approve !== undefined ? parseApprovalMode(opts.approve) : undefined;
      allowTool = (opts.allowTool ?? []).map((p) => parseAllowPattern(p));
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
    port = portFrom(opts, env);
    if (port > 65535) throw new ConfigError('--port must be at most 65535');
    if (opts.metricsPort !== undefined && opts.metricsPort > 65535)
      throw new ConfigError('--metrics-port must be at most 65535');
    if (opts.metricsPort !== undefined && opts.metrics === false)
      throw new ConfigError('--metrics-port and --no-metrics contradict each other; drop one');
    if (opts.maxBody !== undefined) {
      try {
        maxBodyBytes = parseSize(opts.maxBody);
      } catch (e) {
        throw new ConfigError(`--max-body: ${(e as Error).message}`);
      }
    }
    if (opts.publicUrl !== undefined) {
      let u: URL | undefined;
      try {
        u = new URL(opts.publicUrl);
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
        throw new ConfigError(
          `--public-url must be an http(s) URL such as https://agent.example.com (got "${opts.publicUrl}")`,
        );
    }
    if (!isLoopback(host) && !token) {
      throw new ConfigError(
        `refusing to bind ${host} without a token: anyone who can reach it could use your model credentials. Set --token <secret> or AGENTOR_TOKEN, or bind 127.0.0.1.`,
      );
    }
  } catch (e) {
    if (e instanceof ConfigError) return fail(logger, e.message);
    throw e;
  }

  let loaded: LoadedAgents;
  try {
    loaded = await loadAgentFromFlags(
      {
        agent: opts.agent,
        model: opts.model,
        baseUrl: opts.baseUrl,
        apiKeyEnv: opts.apiKeyEnv,
        demo: opts.demo,
        mcpConfig: opts.mcpConfig,
        approve,
        allowTool,
      },
      {
        env,
        signal: interrupt.signal,
        onMcpNotice: (n) => mcpNotice(logger, n),
      },
    );
  } catch (e) {
    if (e instanceof ConfigError) return fail(logger, e.message);
    throw e;
  }
  const agent = loaded.agents[0];
  if (!agent || interrupt.received) {
    await loaded.close();
    return interrupt.received ? interrupt.exitCode(0) : fail(logger, 'no agent to serve');
  }
  for (const n of loaded.notices) report(logger, 'warn', sanitize(n.message), { code: n.code });

  let store: ServerStore;
  try {
    store = await openStore(storeConfig, { leaseMs, log: (line) => storeLog(logger, line) });
    if (opts.sessionsDir !== undefined) {
      const { withSessionsDir } = await import('../server/session-files.js');
      store = withSessionsDir(store, resolve(opts.sessionsDir), {
        agent: { name: agent.name, model: agent.model, ...(opts.agent ? { ref: opts.agent } : {}) },
        log: (line) => storeLog(logger, sanitize(line)),
      });
    }
  } catch (e) {
    await loaded.close();
    // Unreachable: a runtime failure, not a usage error (the URL shown has its password masked).
    report(logger, 'error', `${(e as Error).message}; check the URL and that Redis is running`);
    return 1;
  }

  const telemetry = await startTelemetry(opts, logger);
  telemetry.metrics?.watchMcpServers(() => loaded.health().map((s) => ({ name: s.name, up: s.connected })));
  let server: RunningServer;
  let metricsServer: MetricsServer | undefined;
  try {
    server = await serve(agent, {
      store,
      host,
      port,
      token,
      cors: opts.cors,
      publicUrl: opts.publicUrl,
      maxBodyBytes,
      shutdownGraceMs: SHUTDOWN_GRACE_MS,
      ...durations,
      maxConnections: opts.maxConnections,
      a2aTaskStoreBytes: opts.a2aTaskStoreMb === undefined ? undefined : opts.a2aTaskStoreMb * 1024 * 1024,
      approvalTimeoutMs,
      // Each MCP server is a readiness check: a crashed one (being restarted) makes /readyz answer 503 until it is back.
      readiness: () =>
        loaded
          .health()
          .map((s) => ({ name: `mcp:${s.name}`, ok: s.connected, ...(s.error ? { reason: s.error } : {}) })),
      telemetry: { ...telemetry, metricsRoute: opts.metricsPort === undefined },
      // Through the logger's batched stderr in either format, so failures and request lines keep their order.
      log:
        telemetry.logger.format === 'json'
          ? (line: string) => telemetry.logger.warn(line)
          : (line: string) => void stderrSink().write(`agentor serve: ${line}\n`),
    });
    if (telemetry.metrics && opts.metricsPort !== undefined) {
      const { serveMetrics } = await import('../observability/metrics-server.js');
      try {
        metricsServer = await serveMetrics(telemetry.metrics, opts.metricsPort);
      } catch (e) {
        await server.close();
        throw e;
      }
    }
  } catch (e) {
    await loaded.close();
    await store.close();
    await telemetry.tracing?.shutdown(1000);
    if (e instanceof ConfigError) return fail(logger, e.message);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE')
      return fail(
        logger,
        `port ${port} on ${host} is already in use; pick another with --port (or PORT), or 0 for any free port`,
      );
    if (err.code === 'EACCES') return fail(logger, `not allowed to bind ${host}:${port}; use a port above 1023`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
      return fail(logger, `cannot bind ${host}: no such local address (--host)`);
    throw e;
  }

  announce(telemetry.logger, {
    url: server.url,
    agent,
    store: store.shown === 'memory' ? undefined : store.shown,
    sessionsDir: opts.sessionsDir !== undefined ? resolve(opts.sessionsDir) : undefined,
    allInterfaces: host === '0.0.0.0' || host === '::',
    token: Boolean(token),
    cors: opts.cors,
    cardBase: opts.publicUrl ? opts.publicUrl.replace(/\/+$/, '') : server.url,
    metrics: metricsServer
      ? { url: `${metricsServer.url}/metrics`, ownPort: true }
      : telemetry.metrics
        ? { url: `${server.url}/metrics`, ownPort: false }
        : undefined,
    tracing: Boolean(telemetry.tracing),
    pendingMcp: loaded
      .health()
      .filter((s) => !s.connected)
      .map((s) => s.name),
  });

  onListening();
  // Until the first signal; a second one exits at once (src/core/signals.ts).
  await new Promise((resolve) => {
    if (interrupt.signal.aborted) resolve(undefined);
    else interrupt.signal.addEventListener('abort', resolve, { once: true });
  });
  await server.close().catch(() => undefined);
  await metricsServer?.close().catch(() => undefined);
  await loaded.close().catch(() => undefined);
  await store.close().catch(() => undefined);
  // Spans still buffered go out now; a collector that is down costs at most two seconds.
  await telemetry.tracing?.shutdown(2000);
  say(telemetry.logger, 'stopped');
  stderrSink().flush();
  return interrupt.exitCode(0);
}
