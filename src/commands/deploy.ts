/**
 * `agentor deploy`: the composition root of a deployment. Plans everything in memory (src/deploy/plan.ts), prints the
 * plan, writes it unless `--dry-run`, and with `--apply` drives docker/kubectl. Secrets never enter the output: only
 * the names of the variables the service needs are written and printed.
 */
import { relative, sep } from 'node:path';
import { applySteps, display, previewPrune, runApply } from '../deploy/apply.js';
import { BundleError, bundledAgentorVersion } from '../deploy/bundle.js';
import { DeployError } from '../deploy/errors.js';
import { fileChanges, planDeploy, type DeployPlan, type FileChangeRow } from '../deploy/plan.js';
import { nextSteps } from '../deploy/readme.js';
import { BUNDLE_PATH, bundledRedisUrl, CONTAINER_PORT, NODE_IMAGE, REDIS_IMAGE, RUN_AS_UID } from '../deploy/spec.js';
import { writePlan } from '../deploy/write.js';
import { sanitize } from '../core/text/sanitize.js';

/** Options of `agentor deploy`, as Commander parses them. */
export interface DeployCommandOptions {
  agent?: string;
  name?: string;
  target: 'docker' | 'compose' | 'kubernetes';
  out?: string;
  replicas: number;
  image?: string;
  redisUrlSecret?: string;
  withRedis?: boolean;
  serviceMonitor?: boolean;
  dryRun?: boolean;
  apply?: boolean;
}

/** Where deploy reads and writes (injectable for tests). */
export interface DeployIO {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const size = (bytes: number): string =>
  bytes < 1000
    ? `${bytes} B`
    : bytes < 1_000_000
      ? `${(bytes / 1000).toFixed(1)} kB`
      : `${(bytes / 1_000_000).toFixed(2)} MB`;

/** A path as the user would type it from the working directory. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  if (rel === '') return '.';
  return rel.startsWith('..') ? path : rel.split(sep).join('/');
}

/** The human-readable plan. */
export function formatPlan(
  plan: DeployPlan,
  opts: { cwd: string; dryRun: boolean; apply: boolean },
  changes: readonly FileChangeRow[] = fileChanges(plan),
): string {
  const { spec } = plan;
  const out: string[] = [];
  const mode = opts.dryRun ? ' (dry run: nothing is written)' : '';
  out.push(`agentor deploy: ${spec.name} → ${spec.target}${mode}`);
  out.push(
    `  agent      ${shown(plan.agent.path, opts.cwd)} ("${sanitize(spec.agentName)}") → /app/agents/${spec.agentFile}`,
  );
  out.push(`  image      ${spec.image} on ${NODE_IMAGE}, non-root (uid ${RUN_AS_UID}), port ${CONTAINER_PORT}`);
  if (spec.target !== 'docker') out.push(`  replicas   ${spec.replicas}`);
  if (spec.store)
    out.push(
      `  store      ${spec.store.kind === 'bundled' ? `Redis (${REDIS_IMAGE}) deployed with the service, at ${bundledRedisUrl(spec)}` : `your Redis, URL from the Secret "${spec.store.secretName}" key ${spec.store.key}`} (AGENTOR_STORE)`,
    );
  out.push(`  output     ${shown(plan.outDir, opts.cwd)}/ (${plan.existing ? 'update in place' : 'new'})`);
  const bundle = plan.files.find((f) => f.path === BUNDLE_PATH);
  out.push(
    `  bundle     agentor ${spec.agentorVersion}, ${plan.bundleInputs} modules → ${BUNDLE_PATH} (${size(Buffer.byteLength(bundle?.content ?? ''))})`,
  );
  out.push('  files');
  const width = Math.max(...changes.map((c) => c.path.length));
  for (const c of changes) {
    out.push(`    ${c.change.padEnd(10)} ${c.path.padEnd(width)}${c.change === 'remove' ? '' : `  ${size(c.bytes)}`}`);
  }
  out.push('  variables  (names only: values are never written; set them where the service runs)');
  const nameWidth = Math.max(...spec.variables.map((v) => v.name.length));
  for (const v of spec.variables) {
    out.push(
      `    ${v.name.padEnd(nameWidth)}  ${(v.secret ? 'secret' : 'config').padEnd(6)}  ${(v.required ? 'required' : 'optional').padEnd(8)}  ${v.description}`,
    );
  }
  if (spec.target === 'kubernetes') out.push(`    (from the Secret "${spec.secretName}" via secretKeyRef)`);
  if (plan.warnings.length > 0) {
    out.push('  warnings');
    for (const w of plan.warnings) out.push(`    ! ${sanitize(w)}`);
  }
  if (opts.apply) {
    out.push(`  --apply ${opts.dryRun ? 'would run' : 'runs'}`);
    for (const step of applySteps(plan)) {
      out.push(`    ${display(step, plan, opts.cwd)}`);
    }
  }
  return out.join('\n') + '\n';
}

/** Runs `agentor deploy`; resolves to the exit code. */
export async function runDeploy(
  opts: DeployCommandOptions,
  io: DeployIO = { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  try {
    const version = bundledAgentorVersion();
    const plan = await planDeploy(
      { ...opts, target: opts.target ?? 'docker', replicas: opts.replicas ?? 1 },
      { cwd: io.cwd, env: io.env, agentorVersion: version },
    );
    const dryRun = opts.dryRun === true;
    const apply = opts.apply === true;
    // Read once: the plan shows what changes, and the write changes exactly that.
    const changes = fileChanges(plan);
    io.stdout.write(formatPlan(plan, { cwd: io.cwd, dryRun, apply }, changes));
    if (dryRun) {
      if (apply && plan.spec.target === 'kubernetes') io.stdout.write(`${(await previewPrune(plan, io)).join('\n')}\n`);
      return 0;
    }
    const changed = writePlan(plan, changes);
    const dir = shown(plan.outDir, io.cwd);
    io.stdout.write(
      changed === 0
        ? `\nup to date: ${dir}/ already matches (${plan.files.length} files)\n`
        : `\nwrote ${dir}/ (${changed} file${changed === 1 ? '' : 's'} changed of ${plan.files.length})\n`,
    );
    if (apply) return await runApply(plan, { cwd: io.cwd, env: io.env, stdout: io.stdout, stderr: io.stderr });
    io.stdout.write(
      `\nnext steps (also in ${dir}/README.md):\n${nextSteps(plan.spec, dir)
        .map((l) => `  ${l}`)
        .join('\n')}\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof DeployError) {
      io.stderr.write(`agentor: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof BundleError) {
      io.stderr.write(`agentor: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
