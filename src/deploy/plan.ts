/**
 * Turns `agentor deploy` flags into a plan: the service spec, every file's exact bytes, the variables, warnings. The
 * plan is computed entirely in memory (the bundle too), so `--dry-run` prints it and writes nothing, and writing it is
 * a dumb, idempotent copy.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { findAgentFile, type AgentSource } from './agent-source.js';
import { bundleAgentor, type Bundle } from './bundle.js';
import { composeYaml } from './compose.js';
import { contextPackageJson, dockerfile, dockerignore, gitignore } from './dockerfile.js';
import { DeployError } from './errors.js';
import { MANAGED_KINDS, manifests } from './kubernetes.js';
import { deleteByLabelCommand } from './prune.js';
import { isPushable, readme } from './readme.js';
import { collectSecrets, findLeaks } from './secrets.js';
import {
  BUNDLE_PATH,
  serviceVariables,
  type DeployTarget,
  type McpVariableUse,
  type ServiceSpec,
  type SharedStore,
} from './spec.js';

/** The marker that says "agentor deploy owns this directory" and lists the files it wrote (for clean updates). */
export const MARKER_FILE = '.agentor-deploy.json';

/** What deploy was asked to do, after Commander parsed it. */
export interface DeployRequest {
  agent?: string;
  name?: string;
  target: DeployTarget;
  out?: string;
  replicas: number;
  image?: string;
  /** Kubernetes: the Secret (`name` or `name:key`, key default REDIS_URL) holding the URL of the Redis replicas share. */
  redisUrlSecret?: string;
  /** Deploy a Redis for the replicas to share next to the service. */
  withRedis?: boolean;
  /** Kubernetes: also write a ServiceMonitor (Prometheus operator) that scrapes /metrics. */
  serviceMonitor?: boolean;
}

/** One file of the output, relative to the output directory (POSIX separators). */
export interface PlannedFile {
  path: string;
  content: string;
}

/** What happens to each file when the plan is written. */
export type FileChange = 'create' | 'update' | 'unchanged' | 'remove';

/** The full plan. */
export interface DeployPlan {
  spec: ServiceSpec;
  /** Absolute output directory. */
  outDir: string;
  agent: AgentSource;
  files: PlannedFile[];
  /** Files a previous run wrote that this one no longer does. */
  stale: string[];
  /** Whether the output directory already holds a previous deployment. */
  existing: boolean;
  warnings: string[];
  bundleInputs: number;
}

/** Where the plan's inputs come from (injectable for tests). */
export interface PlanContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  agentorVersion: string;
  /** Defaults to bundling the installed agentor. */
  bundle?: () => Promise<Bundle>;
}

const TARGETS: readonly DeployTarget[] = ['docker', 'compose', 'kubernetes'];
const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
// name[:tag][@digest], lowercase repository path, optional registry host[:port]; what docker and Kubernetes accept.
const IMAGE_REF =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** A DNS-label service name derived from an agent name ("Research Bot" → "research-bot"). */
export function serviceNameFrom(agentName: string): string {
  let slug = agentName
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (/^[0-9]/.test(slug)) slug = `agent-${slug}`;
  return slug.slice(0, 63).replace(/-+$/, '');
}

/** Validates --name (a Kubernetes/compose-safe DNS label). */
export function checkName(name: string, fromFlag: boolean): string {
  if (DNS_LABEL.test(name)) return name;
  const suggestion = serviceNameFrom(name);
  const hint = suggestion && DNS_LABEL.test(suggestion) ? ` such as "${suggestion}"` : '';
  throw new DeployError(
    fromFlag
      ? `--name "${name}" is not a valid service name: use lowercase letters, digits and "-", starting with a letter, at most 63 characters${hint}.`
      : `cannot derive a service name from the agent name "${name}": pass one with --name (lowercase letters, digits and "-").`,
  );
}

/** Validates --image. */
export function checkImage(image: string): string {
  if (IMAGE_REF.test(image) && image.length <= 255) return image;
  throw new DeployError(
    `--image "${image}" is not a valid image reference: use e.g. registry.example.com/team/agent:1.0 (lowercase repository, optional :tag).`,
  );
}

/** The file name the agent gets inside /app/agents/: its own, unless that would need quoting. */
function imageAgentFile(agent: AgentSource, name: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*\.(md|markdown)$/.test(agent.fileName) ? agent.fileName : `${name}.md`;
}

/** What the marker of an earlier run says: the files it wrote, and (when valid) the service name and target. */
interface Marker {
  files: string[];
  name?: string;
  target?: DeployTarget;
}

function readMarker(outDir: string): Marker | undefined {
  const path = join(outDir, MARKER_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as { files?: unknown; name?: unknown; target?: unknown };
    const files = Array.isArray(value.files) ? value.files.filter((f): f is string => typeof f === 'string') : [];
    const name = typeof value.name === 'string' && DNS_LABEL.test(value.name) ? value.name : undefined;
    const target = TARGETS.find((t) => t === value.target);
    return { files, ...(name ? { name } : {}), ...(target ? { target } : {}) };
  } catch {
    throw new DeployError(
      `${path} is not valid JSON: it marks a directory written by agentor deploy. Delete ${path} (or the whole directory) and re-run.`,
    );
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep));
}

/**
 * Refuses output directories that are not ours: the project itself, an ancestor of it, or a non-empty foreign folder.
 * Returns the marker of a previous deployment there, if any.
 */
function checkOutDir(outDir: string, cwd: string, agentPath: string): Marker | undefined {
  if (isInside(cwd, outDir)) {
    throw new DeployError(
      `--out ${outDir} is the project directory (or contains it); deploy writes a separate folder, e.g. --out deploy/<name>.`,
    );
  }
  if (isInside(agentPath, outDir)) {
    throw new DeployError(`--out ${outDir} contains the agent file ${agentPath}; choose another output directory.`);
  }
  if (!existsSync(outDir)) return undefined;
  if (!statSync(outDir).isDirectory()) {
    throw new DeployError(`--out ${outDir} is a file, not a directory; choose another output directory.`);
  }
  const marker = readMarker(outDir);
  if (marker) return marker;
  if (readdirSync(outDir).length > 0) {
    throw new DeployError(
      `--out ${outDir} already exists and was not written by agentor deploy (no ${MARKER_FILE}); ` +
        'refusing to mix generated files with yours. Choose an empty or new directory with --out.',
    );
  }
  return undefined;
}

/**
 * When the output directory was last deployed under another name or target, what this deploy will not clean up (it
 * only removes what belongs to the service it deploys) and how to remove it by hand.
 */
function leftRunning(marker: Marker | undefined, name: string, target: DeployTarget): string | undefined {
  const prev = marker?.name;
  if (!prev || (prev === name && marker.target === target)) return undefined;
  const was = `${MARKER_FILE} says this directory was last deployed as "${prev}" (${marker.target})`;
  if (marker.target === 'kubernetes') {
    return (
      `${was}; deploying "${name}" (${target}) leaves that service's objects in the cluster. If they are no longer wanted: ` +
      deleteByLabelCommand(MANAGED_KINDS, { name: prev })
    );
  }
  if (marker.target === 'compose') {
    return `${was}; deploying "${name}" (${target}) leaves that compose project running. If it is no longer wanted: docker compose -p ${prev} down --remove-orphans`;
  }
  return undefined;
}

/** Variable name → where the agent's MCP servers read it, in the order the agent file names them. */
function mcpVariableUses(agent: AgentSource): Map<string, McpVariableUse[]> {
  const uses = new Map<string, McpVariableUse[]>();
  for (const server of agent.mcpServers) {
    for (const ref of server.variables) {
      const list = uses.get(ref.name) ?? [];
      list.push({
        server: server.name,
        field: ref.field,
        ...(ref.fallback !== undefined ? { fallback: ref.fallback } : {}),
      });
      uses.set(ref.name, list);
    }
  }
  return uses;
}

/**
 * In a directory an earlier deploy wrote, a file this plan adds (compose.yaml after a docker deploy, say) that is
 * already there is not agentor's: the marker does not list it. Replacing it silently would lose the user's work.
 */
function refuseForeignFiles(outDir: string, files: readonly PlannedFile[], marker: Marker): void {
  const ours = new Set([...marker.files, MARKER_FILE]);
  const foreign = files.map((f) => f.path).filter((p) => !ours.has(p) && existsSync(join(outDir, p)));
  if (foreign.length === 0) return;
  const list = foreign.map((p) => join(outDir, p)).join(', ');
  throw new DeployError(
    `${list} ${foreign.length === 1 ? 'is' : 'are'} not agentor's (not listed in ${MARKER_FILE}) and this deploy would ` +
      `replace ${foreign.length === 1 ? 'it' : 'them'}; move ${foreign.length === 1 ? 'it' : 'them'} elsewhere (or delete), then re-run.`,
  );
}

const SECRET_REF = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)(?::([-._a-zA-Z0-9]{1,253}))?$/;

/**
 * The store replicas share, from --replicas, --with-redis and --redis-url-secret: several replicas without one would
 * each keep their own sessions and tasks (a conversation's second request, on another replica, would lose its history),
 * so that is refused, saying what to add. Compose runs its own Redis service for them.
 */
function sharedStore(request: DeployRequest): SharedStore | undefined {
  const { target, replicas, withRedis, redisUrlSecret } = request;
  if (withRedis && redisUrlSecret !== undefined)
    throw new DeployError(
      '--with-redis and --redis-url-secret both name the store: use --with-redis to deploy a Redis with the service, or --redis-url-secret for your own.',
    );
  if (target === 'docker' && (withRedis || redisUrlSecret !== undefined))
    throw new DeployError(
      '--with-redis and --redis-url-secret apply to --target compose and kubernetes; one docker container needs no shared store.',
    );
  if (redisUrlSecret !== undefined) {
    if (target !== 'kubernetes')
      throw new DeployError(
        '--redis-url-secret applies to --target kubernetes; with compose, --with-redis (or --replicas 2 or more) adds a redis service.',
      );
    const m = SECRET_REF.exec(redisUrlSecret);
    if (!m)
      throw new DeployError(
        `--redis-url-secret "${redisUrlSecret}" is not a Secret reference: use the Secret's name (its key REDIS_URL holds the URL), or name:key.`,
      );
    return { kind: 'secret', secretName: m[1] as string, key: m[3] ?? 'REDIS_URL' };
  }
  if (withRedis || (target === 'compose' && replicas > 1)) return { kind: 'bundled' };
  if (target === 'kubernetes' && replicas > 1)
    throw new DeployError(
      `--replicas ${replicas} needs a store the replicas share (sessions, A2A tasks and cancels would otherwise stay in each pod): ` +
        'add --with-redis to deploy a Redis with the service, or --redis-url-secret NAME for your own (a Secret whose key REDIS_URL holds redis://… or rediss://…); or deploy --replicas 1.',
    );
  return undefined;
}

/** Builds the plan. Throws DeployError (exit 2) for anything the user must fix. */
export async function planDeploy(request: DeployRequest, ctx: PlanContext): Promise<DeployPlan> {
  if (!request.agent) {
    throw new DeployError(
      'deploy needs an agent: pass --agent <file|name> (run `agentor agents` to list the agents found here).',
    );
  }
  const agent = findAgentFile(request.agent, ctx.cwd, ctx.env);
  const name =
    request.name !== undefined
      ? checkName(request.name, true)
      : checkName(serviceNameFrom(agent.name) || agent.name, false);
  if (request.image !== undefined) checkImage(request.image);
  const outDir = resolve(ctx.cwd, request.out ?? join('deploy', name));
  const marker = checkOutDir(outDir, ctx.cwd, agent.path);

  const warnings: string[] = [];
  const left = leftRunning(marker, name, request.target);
  if (left) warnings.push(left);
  if (request.target === 'docker' && request.replicas !== 1) {
    warnings.push('--replicas applies to --target compose and kubernetes; ignored for docker (one container).');
  }
  const store = sharedStore(request);
  if (request.serviceMonitor && request.target !== 'kubernetes')
    throw new DeployError(
      `--service-monitor writes a Prometheus-operator ServiceMonitor: it applies to --target kubernetes (with ${request.target}, scrape /metrics on the service's port with its token).`,
    );
  if (existsSync(join(ctx.cwd, 'mcp.json'))) {
    warnings.push(
      "./mcp.json is not shipped (it may hold credentials): the service gets only the MCP servers declared in the agent file's " +
        '"mcpServers"; move the ones it needs there (never with credential values in them).',
    );
  }
  for (const server of agent.mcpServers) {
    if (server.command) {
      warnings.push(
        `MCP server "${server.name}" runs "${server.command}" inside the container, which has node but nothing else installed: ` +
          'make sure the command exists in the image (extend the Dockerfile) and needs no network install at start.',
      );
    } else if (server.url && /^https?:\/\/(localhost|127\.|\[::1\])/i.test(server.url)) {
      warnings.push(
        `MCP server "${server.name}" points at ${server.url}: inside a container that is the container itself, not this machine.`,
      );
    }
  }

  const bundle = await (ctx.bundle ?? bundleAgentor)();
  const agentFile = imageAgentFile(agent, name);
  const spec: ServiceSpec = {
    name,
    target: request.target,
    image: request.image ?? '',
    agentName: agent.name,
    agentFile,
    replicas: request.target === 'docker' ? 1 : request.replicas,
    variables: serviceVariables({ demo: agent.model === 'demo', mcp: mcpVariableUses(agent) }),
    secretName: `${name}-secrets`,
    agentorVersion: ctx.agentorVersion,
    contentHash: '',
    ...(store ? { store } : {}),
    ...(request.serviceMonitor ? { serviceMonitor: true } : {}),
  };
  // The image's contents; the default tag is derived from them, so a changed agent or agentor gets a new tag.
  const imageFiles: PlannedFile[] = [
    { path: 'Dockerfile', content: dockerfile(spec) },
    { path: '.dockerignore', content: dockerignore() },
    { path: 'package.json', content: contextPackageJson(spec) },
    { path: BUNDLE_PATH, content: bundle.code },
    { path: `agents/${agentFile}`, content: agent.content },
  ];
  const hash = createHash('sha256');
  for (const f of imageFiles) hash.update(`${f.path}\0${f.content}\0`);
  spec.contentHash = hash.digest('hex').slice(0, 12);
  spec.image = request.image ?? `${name}:${spec.contentHash}`;
  if (request.target === 'kubernetes' && !isPushable(spec.image)) {
    warnings.push(
      `the image ${spec.image} names no registry, so a cluster can only run it if the image is already on its nodes ` +
        '(kind load docker-image, minikube image load); for a real cluster pass --image <registry>/<name>:<tag>.',
    );
  }

  const files: PlannedFile[] = [
    ...imageFiles,
    { path: '.gitignore', content: gitignore() },
    { path: 'README.md', content: readme(spec) },
  ];
  if (request.target === 'compose') files.push({ path: 'compose.yaml', content: composeYaml(spec) });
  if (request.target === 'kubernetes') {
    for (const m of manifests(spec)) files.push({ path: m.path, content: m.content });
  }
  const owned = files
    .map((f) => f.path)
    .concat(MARKER_FILE)
    .sort();
  files.push({
    path: MARKER_FILE,
    content:
      JSON.stringify(
        {
          generator: 'agentor deploy',
          agentorVersion: ctx.agentorVersion,
          name,
          target: request.target,
          image: spec.image,
          files: owned,
        },
        null,
        2,
      ) + '\n',
  });

  const secrets = collectSecrets(ctx.env, [ctx.cwd, dirname(agent.path)]);
  const leak = findLeaks(files, secrets)[0];
  if (leak) {
    const source = leak.file.startsWith('agents/')
      ? ` Remove it from ${agent.path} and refer to the variable by name instead.`
      : leak.origin === 'environment'
        ? ` If ${leak.secret} is not a secret, unset it for this command (env -u ${leak.secret} agentor deploy …).`
        : ` If it is not a secret, remove it from ${leak.origin}.`;
    throw new DeployError(
      `refusing to write ${join(outDir, leak.file)}: it would contain the value of ${leak.secret} ` +
        `(from ${leak.origin}).${source} Secrets are passed to the service at run time, never written.`,
    );
  }

  if (marker) refuseForeignFiles(outDir, files, marker);
  const planned = new Set(files.map((f) => f.path));
  const stale = (marker?.files ?? []).filter((p) => !planned.has(p) && isInside(resolve(outDir, p), outDir)).sort();
  return { spec, outDir, agent, files, stale, existing: marker !== undefined, warnings, bundleInputs: bundle.inputs };
}

/** One planned file (or one a previous run wrote, to remove) and how it compares with what is on disk. */
export interface FileChangeRow {
  path: string;
  change: FileChange;
  bytes: number;
}

/** How each planned file compares with what is on disk. */
export function fileChanges(plan: DeployPlan): FileChangeRow[] {
  const out: FileChangeRow[] = plan.files.map((f) => {
    const target = join(plan.outDir, f.path);
    let change: FileChange = 'create';
    if (existsSync(target)) change = readFileSync(target, 'utf8') === f.content ? 'unchanged' : 'update';
    return { path: f.path, change, bytes: Buffer.byteLength(f.content) };
  });
  for (const path of plan.stale) out.push({ path, change: 'remove', bytes: 0 });
  return out;
}
