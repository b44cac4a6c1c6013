/**
 * `--apply`: runs docker build/push, docker compose up or kubectl apply on the written output, streaming each tool's
 * output (sanitized: it is not ours to trust) under a progress line. Tools are checked before anything runs: a missing
 * or unusable one ends the command with exit 1 and says which and what to do. Re-deploys leave nothing behind: compose
 * removes orphaned services, and on Kubernetes the objects an earlier deploy created that the plan no longer has are
 * listed, printed and deleted after the apply (src/deploy/prune.ts).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { createStreamSanitizer, sanitize } from '../core/text/sanitize.js';
import { meaningfulStderr } from '../core/tools/mcp.js';
import { DeployError } from './errors.js';
import { MANIFEST_DIR, createSecretCommand, ownerSelector } from './kubernetes.js';
import type { DeployPlan } from './plan.js';
import { ListingError, deleteArgs, listArgs, objectRef, staleObjects, type ClusterObject } from './prune.js';
import { isPushable } from './readme.js';

/** An external tool deploy drives. */
export type DeployTool = 'docker' | 'kubectl';

/**
 * One step `--apply` runs: a command, or (`prune`) the listing whose stale objects are then deleted by name — `args`
 * is the read-only `kubectl get`.
 */
export interface ApplyStep {
  tool: DeployTool;
  args: string[];
  prune?: boolean;
}

/** Where apply writes and which environment the tools get. */
export interface ApplyIO {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The commands for the plan's target, in order. */
export function applySteps(plan: DeployPlan): ApplyStep[] {
  const { spec, outDir } = plan;
  if (spec.target === 'compose') {
    // --remove-orphans: a service renamed or dropped since the last `up` is stopped and removed, not left running.
    return [
      {
        tool: 'docker',
        args: ['compose', '-f', join(outDir, 'compose.yaml'), 'up', '--build', '--detach', '--remove-orphans'],
      },
    ];
  }
  const steps: ApplyStep[] = [{ tool: 'docker', args: ['build', '--tag', spec.image, outDir] }];
  if (isPushable(spec.image)) steps.push({ tool: 'docker', args: ['push', spec.image] });
  if (spec.target === 'kubernetes') {
    steps.push({ tool: 'kubectl', args: ['apply', '-f', join(outDir, MANIFEST_DIR)] });
    steps.push({ tool: 'kubectl', args: listArgs(spec), prune: true });
    steps.push({ tool: 'kubectl', args: ['rollout', 'status', `deployment/${spec.name}`, '--timeout=180s'] });
  }
  return steps;
}

/** The executable `name` resolves to on PATH, if any. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const exts = process.platform === 'win32' ? (env['PATHEXT'] ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      try {
        if (!statSync(candidate).isFile()) continue;
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const INSTALL_HINT: Record<DeployTool, string> = {
  docker: 'Install Docker (https://docs.docker.com/get-docker/) or put its client on PATH',
  kubectl: 'Install kubectl (https://kubernetes.io/docs/tasks/tools/) or put it on PATH',
};

/** Runs a command to completion, capturing its output (for the quick checks, not the streamed steps). */
function capture(
  path: string,
  args: string[],
  io: ApplyIO,
  timeoutMs = 20_000,
): Promise<{ code: number; output: string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path, args, {
      cwd: io.cwd,
      env: io.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let output = '';
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
      stderr += d;
    });
    child.on('error', (e) => resolve({ code: 127, output: e.message, stdout: '', stderr: e.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, output, stdout, stderr }));
  });
}

const firstLine = (text: string): string =>
  createStreamSanitizer()
    .write(
      text
        .trim()
        .split('\n')
        .find((l) => l.trim() !== '') ?? 'no output',
    )
    .trim();

/** The line of a failed check's output that says what is wrong (podman-docker prints a notice before its error). */
const problemLine = (text: string): string => meaningfulStderr(text, { max: 1 })[0] ?? 'no output';

/** Checks every tool the steps need is installed and usable; throws DeployError (exit 1) naming the first that is not. */
export async function preflight(
  plan: DeployPlan,
  steps: readonly ApplyStep[],
  io: ApplyIO,
): Promise<Map<DeployTool, string>> {
  const where = `The files are written to ${relative(io.cwd, plan.outDir) || '.'}; its README has the commands to run by hand.`;
  const paths = new Map<DeployTool, string>();
  for (const tool of new Set(steps.map((s) => s.tool))) {
    const path = findExecutable(tool, io.env);
    if (!path)
      throw new DeployError(
        `--apply needs ${tool}, which was not found on PATH. ${INSTALL_HINT[tool]}, then re-run. ${where}`,
        1,
      );
    paths.set(tool, path);
  }
  const docker = paths.get('docker');
  if (docker) {
    // `docker version` fails when the client cannot reach an engine, and Docker-compatible clients (podman-docker,
    // nerdctl) answer it too; a Go template field such as {{.ServerVersion}} exists only in Docker's own `info`.
    const version = await capture(docker, ['version'], io);
    if (version.code !== 0) {
      throw new DeployError(
        `--apply needs a running Docker engine, but docker cannot reach one (${problemLine(version.stderr || version.output)}). ` +
          `Start Docker (or Podman), or point DOCKER_HOST / \`docker context use\` at an engine, then re-run. ${where}`,
        1,
      );
    }
    if (plan.spec.target === 'compose') {
      const compose = await capture(docker, ['compose', 'version'], io);
      if (compose.code !== 0) {
        throw new DeployError(
          `--apply needs the Docker Compose plugin (\`docker compose\`), which is not usable (${firstLine(compose.output)}). ${where}`,
          1,
        );
      }
    }
  }
  const kubectl = paths.get('kubectl');
  if (kubectl) {
    const context = await capture(kubectl, ['config', 'current-context'], io);
    if (context.code !== 0) {
      throw new DeployError(
        `--apply needs kubectl connected to a cluster, but it has no current context (${firstLine(context.output)}). ` +
          `Select one with \`kubectl config use-context <name>\`, then re-run. ${where}`,
        1,
      );
    }
  }
  return paths;
}

/** Runs one step, streaming its output; resolves to its exit code (130 when interrupted). */
function runStreamed(path: string, step: ApplyStep, io: ApplyIO): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(path, step.args, { cwd: io.cwd, env: io.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let interrupted = false;
    const onSigint = (): void => {
      interrupted = true;
      child.kill('SIGINT');
    };
    process.once('SIGINT', onSigint);
    const pipe = (from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void => {
      const clean = createStreamSanitizer();
      from.setEncoding('utf8');
      from.on('data', (chunk: string) => to.write(clean.write(chunk)));
      from.on('end', () => to.write(clean.flush()));
    };
    pipe(child.stdout, io.stdout);
    pipe(child.stderr, io.stderr);
    child.on('error', (e) => {
      io.stderr.write(`agentor: cannot run ${step.tool}: ${e.message}\n`);
    });
    child.on('close', (code, signal) => {
      process.removeListener('SIGINT', onSigint);
      resolve(interrupted || signal === 'SIGINT' ? 130 : (code ?? 1));
    });
  });
}

/** A path as the user would type it from `cwd`: relative inside it, absolute outside. */
function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

const shownArgs = (step: ApplyStep, cwd: string): string =>
  [step.tool, ...step.args.map((a) => (a.startsWith('/') ? shownPath(a, cwd) : a))].join(' ');

/** A step as the plan and the progress line show it. */
export function display(step: ApplyStep, plan: DeployPlan, cwd: string): string {
  if (!step.prune) return shownArgs(step, cwd);
  const dir = shownPath(join(plan.outDir, MANIFEST_DIR), cwd);
  return `kubectl delete <agentor's objects not in ${dir}/>  (found by ${shownArgs(step, cwd)})`;
}

/** This service's agentor-managed objects that the plan no longer declares, from a read-only `kubectl get`. */
async function listStale(
  kubectl: string,
  plan: DeployPlan,
  io: ApplyIO,
): Promise<{ stale: ClusterObject[] } | { error: string; code: number }> {
  const listed = await capture(kubectl, listArgs(plan.spec), io, 60_000);
  if (listed.code !== 0) return { error: firstLine(listed.output), code: listed.code };
  try {
    return { stale: staleObjects(plan.spec, listed.stdout) };
  } catch (e) {
    // Not echoed: whatever it printed instead is not ours to show (it could be any object, a Secret's data included).
    if (e instanceof ListingError) return { error: `${e.message}; nothing was removed`, code: 1 };
    throw e;
  }
}

/** The prune step: list, print what goes, delete exactly that. Resolves to an exit code and what failed, if anything. */
async function runPrune(
  kubectl: string,
  step: ApplyStep,
  plan: DeployPlan,
  io: ApplyIO,
): Promise<{ code: number; failed?: string }> {
  const result = await listStale(kubectl, plan, io);
  if ('error' in result) {
    io.stderr.write(`${result.error}\n`);
    return { code: result.code, failed: 'kubectl get' };
  }
  if (result.stale.length === 0) {
    io.stderr.write(`    nothing to remove: every object labelled ${ownerSelector(plan.spec)} is in the plan\n`);
    return { code: 0 };
  }
  io.stderr.write(
    `    removing ${result.stale.length} object(s) an earlier deploy created and this plan no longer has:\n`,
  );
  for (const o of result.stale) io.stderr.write(`      ${sanitize(objectRef(o))}\n`);
  const code = await runStreamed(kubectl, { ...step, args: deleteArgs(result.stale) }, io);
  return code === 0 ? { code } : { code, failed: 'kubectl delete' };
}

/**
 * For `--apply --dry-run` on Kubernetes: what the prune step would delete, from a read-only query of the current
 * cluster, or why it cannot be known. Never changes anything.
 */
export async function previewPrune(plan: DeployPlan, io: ApplyIO): Promise<string[]> {
  const head = `  --apply would remove (labelled ${ownerSelector(plan.spec)}, not in this plan)`;
  const kubectl = findExecutable('kubectl', io.env);
  if (!kubectl) return [`${head}: unknown, kubectl is not on PATH to ask the cluster`];
  const context = await capture(kubectl, ['config', 'current-context'], io);
  if (context.code !== 0) return [`${head}: unknown, kubectl has no current context (${firstLine(context.output)})`];
  const result = await listStale(kubectl, plan, io);
  const where = `in context ${firstLine(context.stdout)}`;
  if ('error' in result) return [`${head}: unknown, kubectl get failed ${where} (${result.error})`];
  if (result.stale.length === 0) return [`${head}: nothing ${where}`];
  return [`${head}, ${where}:`, ...result.stale.map((o) => `    ${sanitize(objectRef(o))}`)];
}

/** Runs the steps in order, each under a `[i/n]` progress line; resolves to the exit code of the command. */
export async function runApply(plan: DeployPlan, io: ApplyIO): Promise<number> {
  const steps = applySteps(plan);
  const paths = await preflight(plan, steps, io);
  const kubectl = paths.get('kubectl');
  if (kubectl) {
    const secret = await capture(kubectl, ['get', 'secret', plan.spec.secretName, '--output', 'name'], io);
    if (secret.code !== 0) {
      io.stderr.write(
        `agentor: warning: the Secret ${plan.spec.secretName} does not exist in the current namespace; the pods will not start ` +
          `until it does. Create it with:\n  ${createSecretCommand(plan.spec, { includeOptional: false })}\n`,
      );
    }
  }
  const started = Date.now();
  for (const [i, step] of steps.entries()) {
    const label = `[${i + 1}/${steps.length}] ${display(step, plan, io.cwd)}`;
    io.stderr.write(`==> ${label}\n`);
    const t0 = Date.now();
    const { code, failed = `${step.tool} ${step.args[0]}` } = step.prune
      ? await runPrune(paths.get(step.tool)!, step, plan, io)
      : { code: await runStreamed(paths.get(step.tool)!, step, io) };
    const took = ((Date.now() - t0) / 1000).toFixed(1);
    if (code === 130) {
      io.stderr.write(`==> [${i + 1}/${steps.length}] interrupted after ${took}s\n`);
      return 130;
    }
    if (code !== 0) {
      io.stderr.write(`==> [${i + 1}/${steps.length}] failed (exit ${code}) after ${took}s\n`);
      const applied = step.prune
        ? ' The manifests are applied; only the removal of what the plan no longer has did not happen.'
        : '';
      io.stderr.write(
        `agentor: ${failed} failed (exit ${code}); its output is above.${applied} Fix the cause and re-run with --apply.\n`,
      );
      return 1;
    }
    io.stderr.write(`==> [${i + 1}/${steps.length}] done in ${took}s\n`);
  }
  io.stderr.write(
    `==> applied ${plan.spec.name} (${plan.spec.target}) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
  );
  return 0;
}
