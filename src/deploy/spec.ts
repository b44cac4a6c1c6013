/**
 * The service being deployed, as every writer sees it. Writers are pure functions of this spec, so the same flags give
 * byte-identical files on every run.
 */

import { SECRET_NAME } from './secrets.js';

/** The official Node.js LTS slim image the service runs on. */
export const NODE_IMAGE = 'node:24-slim';
/** The port the service listens on inside the container. */
export const CONTAINER_PORT = 8000;
/** The non-root user of the official node images (`node`, uid/gid 1000); numeric so Kubernetes can verify it. */
export const RUN_AS_UID = 1000;
/** Where the bundle sits inside the context and the image (its `../package.json` holds the version). */
export const BUNDLE_PATH = 'dist/agentor.mjs';

/** Which deployment to write. */
export type DeployTarget = 'docker' | 'compose' | 'kubernetes';

/** A variable the service reads at run time. Only names are ever written, never values. */
export interface ServiceVariable {
  name: string;
  /** Comes from a Secret / is never logged. */
  secret: boolean;
  /** The service cannot start or answer without it. */
  required: boolean;
  description: string;
}

/** Everything the writers need. */
export interface ServiceSpec {
  /** DNS-label name of the service, container, Deployment, Service and compose project. */
  name: string;
  target: DeployTarget;
  /** Image reference to build and run. */
  image: string;
  /** The agent's own name (from its front matter). */
  agentName: string;
  /** The agent file's name inside /app/agents/. */
  agentFile: string;
  replicas: number;
  variables: ServiceVariable[];
  /** The Kubernetes Secret that holds the secret variables. */
  secretName: string;
  agentorVersion: string;
  /** Hash of the image contents: changes whenever the bundle or agent change, so a re-apply rolls the pods. */
  contentHash: string;
  /** Where replicas share sessions, A2A tasks and run control; absent: each replica keeps them in memory. */
  store?: SharedStore;
  /** Kubernetes: scraped through a Prometheus-operator ServiceMonitor instead of the pods' prometheus.io annotations. */
  serviceMonitor?: boolean;
}

/**
 * The Redis that replicas share: one deployed next to the service (`bundled`: a compose service, or a StatefulSet in
 * the cluster), or the user's own, whose URL the service reads from a Kubernetes Secret (never written here).
 */
export type SharedStore = { kind: 'bundled' } | { kind: 'secret'; secretName: string; key: string };

/** The official Redis image of the bundled store. */
export const REDIS_IMAGE = 'redis:7.4-alpine';
/** The port Redis listens on. */
export const REDIS_PORT = 6379;
/** The uid/gid of the `redis` user in the official image (numeric so Kubernetes can verify it). */
export const REDIS_UID = 999;

/** The host name of the bundled Redis inside the deployment (compose service or Kubernetes Service). */
export function bundledRedisHost(spec: Pick<ServiceSpec, 'name' | 'target'>): string {
  return spec.target === 'compose' ? 'redis' : `${spec.name}-redis`;
}

/** The store URL the service gets for the bundled Redis (no password: reachable only inside the deployment). */
export function bundledRedisUrl(spec: Pick<ServiceSpec, 'name' | 'target'>): string {
  return `redis://${bundledRedisHost(spec)}:${REDIS_PORT}/0`;
}

/** The container's command (exec form): `serve` on all interfaces, port from $PORT, the shipped agent file. */
export function serviceCommand(spec: Pick<ServiceSpec, 'agentFile'>): string[] {
  return ['node', BUNDLE_PATH, 'serve', '--host', '0.0.0.0', '--agent', `/app/agents/${spec.agentFile}`];
}

/** The liveness probe's path: the process answers (Kubernetes restarts the container when it stops answering). */
export const LIVENESS_PATH = '/livez';
/** The readiness probe's path: the service can do its job (model configured, every MCP server connected). */
export const READINESS_PATH = '/readyz';

/**
 * The container engine's health check (Dockerfile HEALTHCHECK, compose healthcheck): readiness, so `docker ps`
 * and compose's `service_healthy` say whether the service can answer. It needs only node (slim images have no curl
 * or wget): exit 0 when GET /readyz answers 2xx.
 */
export const HEALTHCHECK_SCRIPT =
  "fetch('http://127.0.0.1:'+(process.env.PORT||" +
  CONTAINER_PORT +
  ")+'" +
  READINESS_PATH +
  "',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))";

/** The health check as an exec-form command. */
export function healthcheckCommand(): string[] {
  return ['node', '-e', HEALTHCHECK_SCRIPT];
}

/** Where an agent file's MCP servers read a variable: `${VAR}` in a field of a server's config. */
export interface McpVariableUse {
  server: string;
  field: string;
  /** The default of `${VAR:-default}`; absent for a plain `${VAR}`, which the server cannot start without. */
  fallback?: string;
}

// Set by the image or the container runtime: an MCP server may read them, the service never asks for them.
const PROVIDED = new Set(['PORT', 'NODE_ENV', 'HOME', 'PATH', 'HOSTNAME', 'USER', 'SHELL', 'TERM']);

/**
 * The variables an agent's MCP servers reference (`${VAR}`, `${VAR:-default}`), declared like the model key: secret
 * when the name says so or it goes into a header, required unless every use has a default.
 */
export function mcpVariables(uses: ReadonlyMap<string, readonly McpVariableUse[]>): ServiceVariable[] {
  const out: ServiceVariable[] = [];
  for (const [name, list] of uses) {
    if (PROVIDED.has(name) || list.length === 0) continue;
    const where = list
      .map((u) => `${u.field}${u.fallback !== undefined ? ` (default ${JSON.stringify(u.fallback)})` : ''}`)
      .join(', ');
    const servers = [...new Set(list.map((u) => `"${u.server}"`))].join(', ');
    out.push({
      name,
      secret: SECRET_NAME.test(name) || list.some((u) => u.field.startsWith('headers.')),
      required: list.some((u) => u.fallback === undefined),
      description: `read by MCP server ${servers}: ${where}`,
    });
  }
  return out;
}

/** The variables a served agent reads: the model's, the token's, and those its MCP servers reference. */
export function serviceVariables(opts: {
  demo: boolean;
  mcp?: ReadonlyMap<string, readonly McpVariableUse[]>;
}): ServiceVariable[] {
  const base = baseVariables(opts);
  for (const v of mcpVariables(opts.mcp ?? new Map())) {
    const same = base.find((b) => b.name === v.name);
    if (same) same.required ||= v.required;
    else base.push(v);
  }
  return base;
}

function baseVariables(opts: { demo: boolean }): ServiceVariable[] {
  return [
    {
      name: 'OPENAI_API_KEY',
      secret: true,
      required: !opts.demo,
      description: 'API key of the model provider (OpenAI or any OpenAI-compatible server)',
    },
    {
      name: 'AGENTOR_TOKEN',
      secret: true,
      required: true,
      description: 'bearer token clients must send (Authorization: Bearer …); required when serving on 0.0.0.0',
    },
    {
      name: 'OPENAI_BASE_URL',
      secret: false,
      required: false,
      description: 'OpenAI-compatible API base URL (e.g. a local model server)',
    },
    {
      name: 'AGENTOR_MODEL',
      secret: false,
      required: false,
      description: 'model id used when the agent file names none',
    },
  ];
}
