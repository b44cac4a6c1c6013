/**
 * `agentor deploy` end to end: the built CLI in a temporary project with secrets lying around (environment, .env,
 * .git, node_modules). Manifests are parsed as YAML and checked field by field; the whole output is scanned for every
 * secret value; --dry-run writes nothing; re-runs are byte-identical; --apply drives fake docker/kubectl placed first on
 * PATH (streamed output, progress lines) and fails with exit 1 naming a missing or unusable tool.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { cleanEnv, runCli, startCli } from '../support/cli.js';
import { tempDir } from '../support/cleanup.js';

const ENV_SECRETS = {
  OPENAI_API_KEY: 'sk-env-secret-0123456789abcdef',
  AGENTOR_TOKEN: 'tok-env-secret-fedcba9876543210',
  MY_SERVICE_PASSWORD: 'pw-env-secret-correct-horse',
};
const DOTENV_SECRETS = [
  'sk-dotenv-secret-aaaabbbbcccc',
  'hunter2-db-password',
  'rk_live_51Habc123def456ghi789jkl',
  'local-override-secret-99',
];
const AGENT = `---
name: researcher
description: Finds and summarises sources
model: gpt-4.1-mini
tools: [calculator, get_time]
---
You are a careful researcher. Cite your sources.
`;

/** A project with an agent and the things deploy must never ship: .env files, .git, node_modules. */
function makeProject(): string {
  const dir = tempDir('agentor-deploy-');
  mkdirSync(join(dir, 'agents'));
  writeFileSync(join(dir, 'agents', 'researcher.md'), AGENT);
  writeFileSync(
    join(dir, '.env'),
    `OPENAI_API_KEY=${DOTENV_SECRETS[0]}\nDATABASE_URL=postgres://app:${DOTENV_SECRETS[1]}@db.internal/app\nexport BILLING="${DOTENV_SECRETS[2]}"\n`,
  );
  writeFileSync(join(dir, '.env.local'), `AGENTOR_TOKEN='${DOTENV_SECRETS[3]}'\n`);
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.git', 'config'), '[core]\n');
  mkdirSync(join(dir, 'node_modules', 'left-pad'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'left-pad', 'index.js'), 'module.exports = 1;\n');
  return dir;
}

/** Tests that deploy several times: each deploy bundles agentor (seconds each on a busy two-core machine). */
const DEPLOYS_TIMEOUT_MS = 120_000;

const deployEnv = (extra: Record<string, string | undefined> = {}) => cleanEnv({ ...ENV_SECRETS, ...extra });

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(listFiles(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** Every secret value from the environment and the .env files, searched for in every output file. */
function expectNoSecrets(outDir: string | undefined, ...texts: string[]): void {
  const values = [...Object.values(ENV_SECRETS), ...DOTENV_SECRETS];
  for (const [file, content] of Object.entries(outDir ? snapshot(outDir) : {})) {
    for (const v of values) expect(content.includes(v), `${file} contains a secret value`).toBe(false);
  }
  for (const text of texts) for (const v of values) expect(text).not.toContain(v);
}

/**
 * Runs `agentor deploy ARGS` in `project`, expecting success with nothing on stderr, and reads back what it wrote to
 * `out` (relative to the project): `yaml(file)` parses one of its files.
 */
async function deployed(
  project: string,
  args: string[],
  { out = 'deploy/researcher', env = deployEnv() }: { out?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const r = await runCli(['deploy', ...args], { cwd: project, env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const dir = join(project, out);
  return { r, out: dir, yaml: (file: string) => parseYaml(readFileSync(join(dir, file), 'utf8')) };
}

describe('agentor deploy --target kubernetes', () => {
  it('writes a context, a Dockerfile and manifests that parse and hold what a cluster needs, with no secret anywhere', async () => {
    const project = makeProject();
    const { r, out, yaml } = await deployed(project, [
      '--agent',
      'researcher',
      '--target',
      'kubernetes',
      '--replicas',
      '3',
      '--redis-url-secret',
      'researcher-redis',
      '--image',
      'registry.example.com/team/researcher:1.2.0',
    ]);
    expect(listFiles(out)).toEqual(
      [
        '.agentor-deploy.json',
        '.dockerignore',
        '.gitignore',
        'Dockerfile',
        'README.md',
        'agents/researcher.md',
        'dist/agentor.mjs',
        'k8s/deployment.yaml',
        'k8s/pdb.yaml',
        'k8s/service.yaml',
        'package.json',
      ].sort(),
    );
    expect(readFileSync(join(out, 'agents', 'researcher.md'), 'utf8')).toBe(AGENT);

    const docs = parseAllDocuments(readFileSync(join(out, 'k8s', 'deployment.yaml'), 'utf8'));
    expect(docs).toHaveLength(1);
    const dep = docs[0]!.toJS();
    expect(dep.apiVersion).toBe('apps/v1');
    expect(dep.kind).toBe('Deployment');
    expect(dep.metadata.name).toBe('researcher');
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'researcher' });
    expect(dep.spec.template.metadata.labels).toMatchObject(dep.spec.selector.matchLabels);
    expect(dep.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8000',
      'prometheus.io/path': '/metrics',
    });
    const pod = dep.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.image).toBe('registry.example.com/team/researcher:1.2.0');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    for (const probe of [c.readinessProbe, c.livenessProbe]) expect(probe.periodSeconds).toBeGreaterThan(0);
    expect(c.resources.requests).toEqual({ cpu: '100m', memory: '128Mi' });
    expect(c.resources.limits).toEqual({ cpu: '1', memory: '512Mi' });
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const env = Object.fromEntries((c.env as any[]).map((e) => [e.name, e]));
    expect(env['PORT']).toEqual({ name: 'PORT', value: '8000' });
    expect(env['OPENAI_API_KEY'].valueFrom.secretKeyRef).toEqual({ name: 'researcher-secrets', key: 'OPENAI_API_KEY' });
    expect(env['AGENTOR_TOKEN'].valueFrom.secretKeyRef).toEqual({ name: 'researcher-secrets', key: 'AGENTOR_TOKEN' });
    expect(env['OPENAI_BASE_URL'].valueFrom.secretKeyRef).toEqual({
      name: 'researcher-secrets',
      key: 'OPENAI_BASE_URL',
      optional: true,
    });
    // The replicas share the Redis whose URL is in the user's own Secret (never in the manifest).
    expect(env['AGENTOR_STORE'].valueFrom.secretKeyRef).toEqual({ name: 'researcher-redis', key: 'REDIS_URL' });
    for (const e of c.env as any[]) if (e.name !== 'PORT') expect(e.value).toBeUndefined();

    const svc = yaml('k8s/service.yaml');
    expect(svc).toMatchObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'researcher' } });
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(svc.spec.sessionAffinity).toBeUndefined(); // any pod serves any request
    const pdb = yaml('k8s/pdb.yaml');
    expect(pdb).toMatchObject({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'researcher' },
    });
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: dep.spec.selector.matchLabels } });

    const dockerfile = readFileSync(join(out, 'Dockerfile'), 'utf8');
    const lines = dockerfile.split('\n');
    expect(lines.find((l) => l.startsWith('FROM '))).toMatch(/^FROM node:\d+-slim$/);
    expect(lines).toContain('WORKDIR /app');
    const user = lines.find((l) => l.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/);
    const cmd = lines.find((l) => l.startsWith('CMD '))!;
    expect(JSON.parse(cmd.slice(4))).toEqual([
      'node',
      'dist/agentor.mjs',
      'serve',
      '--host',
      '0.0.0.0',
      '--agent',
      '/app/agents/researcher.md',
    ]);
    expect(dockerfile).toMatch(/ENV NODE_ENV=production \\\n\s+PORT=8000/);
    const health = /HEALTHCHECK [^\n]*\\\n\s+CMD (\[.*\])/.exec(dockerfile);
    expect(health).not.toBeNull();
    const healthCmd = JSON.parse(health![1]!) as string[];
    expect(healthCmd.slice(0, 2)).toEqual(['node', '-e']);
    expect(healthCmd[2]).toContain("'/readyz'");
    for (const copied of dockerfile.matchAll(/^COPY (\S+)/gm))
      expect(['package.json', 'dist/agentor.mjs', 'agents/']).toContain(copied[1]);
    const ignore = readFileSync(join(out, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toContain('*');
    expect(ignore).toContain('**/.env');

    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('kubectl create secret generic researcher-secrets');
    expect(readme).toContain('--from-literal=OPENAI_API_KEY="$OPENAI_API_KEY"');
    expect(r.stdout).toContain('kubectl create secret generic researcher-secrets');
    for (const name of ['OPENAI_API_KEY', 'AGENTOR_TOKEN', 'OPENAI_BASE_URL']) expect(r.stdout).toContain(name);

    expectNoSecrets(out, r.stdout, r.stderr);
    // Nothing in the output depends on (or reveals) where agentor is installed or where deploy ran.
    const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
    for (const [file, content] of Object.entries(snapshot(out))) {
      expect(content.includes(repoRoot), `${file} contains ${repoRoot}`).toBe(false);
      expect(content.includes(project), `${file} contains ${project}`).toBe(false);
    }
  });
});

/**
 * The fields of a monitoring.coreos.com/v1 ServiceMonitor that deploy writes, as the Prometheus operator's CRD types
 * them (strict: a misspelt or misplaced field fails, as the API server's schema validation would reject it).
 */
const Duration = z
  .string()
  .regex(/^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/);
const ServiceMonitor = z.strictObject({
  apiVersion: z.literal('monitoring.coreos.com/v1'),
  kind: z.literal('ServiceMonitor'),
  metadata: z.strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
    labels: z.record(z.string(), z.string()),
  }),
  spec: z.strictObject({
    selector: z.strictObject({ matchLabels: z.record(z.string(), z.string()) }),
    endpoints: z
      .array(
        z.strictObject({
          port: z.string(),
          path: z.string().startsWith('/'),
          scheme: z.enum(['http', 'https']),
          interval: Duration,
          scrapeTimeout: Duration,
          authorization: z.strictObject({
            type: z.literal('Bearer'),
            credentials: z.strictObject({ name: z.string(), key: z.string() }),
          }),
        }),
      )
      .min(1),
  }),
});
const seconds = (d: string): number => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);

describe('agentor deploy --service-monitor', { timeout: DEPLOYS_TIMEOUT_MS }, () => {
  it('writes a ServiceMonitor that selects the agent Service, scrapes its named port with the token, and no annotations', async () => {
    const project = makeProject();
    const { r, out, yaml } = await deployed(project, [
      '--agent',
      'researcher',
      '--target',
      'kubernetes',
      '--replicas',
      '2',
      '--with-redis',
      '--service-monitor',
    ]);
    expect(r.stdout).toMatch(/k8s\/servicemonitor\.yaml/);
    const k8s = (file: string) => yaml(`k8s/${file}`);
    const monitor = ServiceMonitor.parse(k8s('servicemonitor.yaml'));
    expect(monitor.metadata.name).toBe('researcher');
    // agentor's owner labels, so a re-deploy that writes one again recognises it as its own.
    expect(monitor.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'researcher',
      'app.kubernetes.io/managed-by': 'agentor',
    });

    // It selects the agent's Service and not the bundled Redis' one, on a port that Service names.
    const svc = k8s('service.yaml');
    const redisSvc = k8s('redis-service.yaml');
    const selects = (s: { metadata: { labels: Record<string, string> } }) =>
      Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels[k] === v);
    expect(selects(svc)).toBe(true);
    expect(selects(redisSvc)).toBe(false);
    const [endpoint] = monitor.spec.endpoints;
    expect(svc.spec.ports.map((p: { name: string }) => p.name)).toContain(endpoint!.port);
    expect(endpoint).toMatchObject({ path: '/metrics', scheme: 'http', interval: '30s' });
    expect(seconds(endpoint!.scrapeTimeout)).toBeLessThan(seconds(endpoint!.interval));

    // The token comes from where the pods read theirs; the pods drop the annotations (no double scrape).
    const dep = k8s('deployment.yaml');
    const token = dep.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'AGENTOR_TOKEN');
    expect(endpoint!.authorization.credentials).toEqual(token.valueFrom.secretKeyRef);
    expect(Object.keys(dep.spec.template.metadata.annotations)).toEqual(['agentor.dev/content-hash']);

    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('`k8s/servicemonitor.yaml` — a ServiceMonitor');
    // How to send traces to a collector, for this target.
    expect(readme).toContain('## Metrics and traces');
    expect(readme).toContain(
      'kubectl set env deployment/researcher OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318',
    );
    expectNoSecrets(out, r.stdout, r.stderr);
  });

  it('is refused for docker and compose, saying what it is for', async () => {
    const project = makeProject();
    const r = await runCli(['deploy', '--agent', 'researcher', '--target', 'compose', '--service-monitor'], {
      cwd: project,
      env: deployEnv(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--service-monitor .* applies to --target kubernetes/);
    expect(existsSync(join(project, 'deploy'))).toBe(false);
  });
});

describe('agentor deploy --target compose', () => {
  it('writes a compose service with the port, a health check and environment given only by reference', async () => {
    const project = makeProject();
    writeFileSync(
      join(project, 'mcp.json'),
      JSON.stringify({ mcpServers: { fs: { command: 'npx', args: ['-y', 'server-filesystem'] } } }),
    );
    const { r, out, yaml } = await deployed(
      project,
      ['--agent', 'agents/researcher.md', '--name', 'docs-bot', '--target', 'compose', '--out', 'out/compose'],
      { out: 'out/compose' },
    );
    const doc = yaml('compose.yaml');
    expect(doc.name).toBe('docs-bot');
    expect(Object.keys(doc.services)).toEqual(['docs-bot']);
    const svc = doc.services['docs-bot'];
    expect(svc.build).toEqual({ context: '.' });
    expect(svc.image).toMatch(/^docs-bot:[0-9a-f]{12}$/);
    expect(svc.ports).toEqual(['${DOCS_BOT_PORT:-8000}:8000']);
    expect(svc.healthcheck.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(svc.healthcheck.test[3]).toContain("'/readyz'");
    expect(svc.environment).toEqual([
      expect.stringMatching(/^OPENAI_API_KEY=\$\{OPENAI_API_KEY:\?[^}]+\}$/),
      expect.stringMatching(/^AGENTOR_TOKEN=\$\{AGENTOR_TOKEN:\?[^}]+\}$/),
      'OPENAI_BASE_URL',
      'AGENTOR_MODEL',
    ]);
    expect(svc.read_only).toBe(true);
    expect(svc.init).toBe(true);
    expect(listFiles(out)).not.toContain('k8s/deployment.yaml');
    expect(listFiles(out)).not.toContain('mcp.json');
    expect(r.stdout).toMatch(/! \.\/mcp\.json is not shipped/);
    expectNoSecrets(out, r.stdout, r.stderr);
  });
});

describe('agentor deploy safety', { timeout: DEPLOYS_TIMEOUT_MS }, () => {
  it('--dry-run prints the plan (files, image, variables) and writes nothing', async () => {
    const project = makeProject();
    const before = listFiles(project);
    const r = await runCli(['deploy', '--agent', 'researcher', '--target', 'kubernetes', '--dry-run'], {
      cwd: project,
      env: deployEnv(),
    });
    expect(r.code).toBe(0);
    expect(listFiles(project)).toEqual(before);
    expect(existsSync(join(project, 'deploy'))).toBe(false);
    expect(r.stdout).toContain('dry run: nothing is written');
    expect(r.stdout).toMatch(/image\s+researcher:[0-9a-f]{12}/);
    for (const file of [
      'Dockerfile',
      '.dockerignore',
      'dist/agentor.mjs',
      'agents/researcher.md',
      'k8s/deployment.yaml',
      'k8s/service.yaml',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`create\\s+${file.replace(/[.*/]/g, '\\$&')}\\s`));
    }
    expect(r.stdout).toMatch(/OPENAI_API_KEY\s+secret\s+required/);
    expect(r.stdout).toMatch(/AGENTOR_TOKEN\s+secret\s+required/);
    expectNoSecrets(undefined, r.stdout, r.stderr);
  });

  it('re-running with the same --name updates in place: byte-identical output, stale files removed', async () => {
    const project = makeProject();
    const args = ['deploy', '--agent', 'researcher', '--target', 'kubernetes'];
    const first = await runCli(args, { cwd: project, env: deployEnv() });
    expect(first.code).toBe(0);
    const out = join(project, 'deploy', 'researcher');
    const a = snapshot(out);
    const mtime = statSync(join(out, 'Dockerfile')).mtimeMs;
    const second = await runCli(args, { cwd: project, env: deployEnv() });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('up to date');
    expect(snapshot(out)).toEqual(a);
    expect(statSync(join(out, 'Dockerfile')).mtimeMs).toBe(mtime);

    // A changed agent changes the content-hash tag; switching target removes what only kubernetes needed.
    writeFileSync(join(project, 'agents', 'researcher.md'), AGENT.replace('Cite your sources.', 'Be brief.'));
    const third = await runCli(['deploy', '--agent', 'researcher', '--target', 'docker'], {
      cwd: project,
      env: deployEnv(),
    });
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/remove\s+k8s\/deployment\.yaml/);
    // The cluster objects of the kubernetes deploy are not this deploy's to remove: the plan says how.
    expect(third.stdout).toContain(
      '! .agentor-deploy.json says this directory was last deployed as "researcher" (kubernetes); deploying "researcher" (docker) leaves ' +
        "that service's objects in the cluster. If they are no longer wanted: kubectl delete deployments.apps,services,poddisruptionbudgets.policy,statefulsets.apps " +
        '-l app.kubernetes.io/name=researcher,app.kubernetes.io/managed-by=agentor',
    );
    expect(second.stdout).not.toContain('last deployed as');
    expect(existsSync(join(out, 'k8s'))).toBe(false);
    const image = (s: Record<string, string>) => JSON.parse(s['.agentor-deploy.json']!).image as string;
    expect(image(snapshot(out))).not.toBe(image(a));
  });

  it('refuses an existing directory it did not write, and bad names, naming the fix', async () => {
    const project = makeProject();
    mkdirSync(join(project, 'mine'));
    writeFileSync(join(project, 'mine', 'notes.txt'), 'keep me\n');
    const foreign = await runCli(['deploy', '--agent', 'researcher', '--out', 'mine'], {
      cwd: project,
      env: deployEnv(),
    });
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain(join(project, 'mine'));
    expect(foreign.stderr).toMatch(/--out/);
    expect(listFiles(join(project, 'mine'))).toEqual(['notes.txt']);

    const self = await runCli(['deploy', '--agent', 'researcher', '--out', '.'], { cwd: project, env: deployEnv() });
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/project directory/);

    const badName = await runCli(['deploy', '--agent', 'researcher', '--name', 'My_Bot'], {
      cwd: project,
      env: deployEnv(),
    });
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/--name "My_Bot".*such as "my-bot"/);

    const missing = await runCli(['deploy', '--agent', 'nobody'], { cwd: project, env: deployEnv() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(join(project, 'agents', 'nobody.md'));

    const none = await runCli(['deploy'], { cwd: project, env: deployEnv() });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--agent/);
    expect(existsSync(join(project, 'deploy'))).toBe(false);
  });

  it('refuses to ship an agent file that contains a secret value, naming the file and the variable', async () => {
    const project = makeProject();
    const leaky = AGENT.replace(
      'tools: [calculator, get_time]',
      `mcpServers:\n  search:\n    url: https://search.example.com/mcp\n    headers: { Authorization: "Bearer ${ENV_SECRETS.MY_SERVICE_PASSWORD}" }`,
    );
    writeFileSync(join(project, 'agents', 'researcher.md'), leaky);
    const r = await runCli(['deploy', '--agent', 'researcher'], { cwd: project, env: deployEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('MY_SERVICE_PASSWORD');
    expect(r.stderr).toContain(join(project, 'agents', 'researcher.md'));
    expect(r.stderr).not.toContain(ENV_SECRETS.MY_SERVICE_PASSWORD);
    expect(existsSync(join(project, 'deploy'))).toBe(false);
  });
});

/** A directory of fake tools to put first on PATH; each logs its arguments. */
function fakeTools(scripts: Record<string, string>): { bin: string; log: string } {
  const bin = tempDir('agentor-fake-bin-');
  const log = join(bin, 'calls.log');
  for (const [name, body] of Object.entries(scripts)) {
    const path = join(bin, name);
    writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(path, 0o755);
  }
  return { bin, log };
}

/** The kinds agentor writes, as the prune step lists them, and the labels that mark an object as agentor's for "researcher". */
const MANAGED_RESOURCES = 'deployments.apps,services,poddisruptionbudgets.policy,statefulsets.apps';
const OWNER_LABELS = { 'app.kubernetes.io/name': 'researcher', 'app.kubernetes.io/managed-by': 'agentor' };
const OWNER_SELECTOR = 'app.kubernetes.io/name=researcher,app.kubernetes.io/managed-by=agentor';

const calls = (log: string): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
/** A PATH on which docker/kubectl are found only where the test puts them (the fakes use shell built-ins only). */
const minimalPath = (...dirs: string[]) => [...dirs, tempDir('agentor-empty-path-')].join(':');

describe('agentor deploy --apply', { timeout: DEPLOYS_TIMEOUT_MS }, () => {
  it('exits 1 naming docker when it is not on PATH (after writing the files)', async () => {
    const project = makeProject();
    const r = await runCli(['deploy', '--agent', 'researcher', '--apply'], {
      cwd: project,
      env: deployEnv({ PATH: minimalPath() }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--apply needs docker, which was not found on PATH/);
    expect(existsSync(join(project, 'deploy', 'researcher', 'Dockerfile'))).toBe(true);
  });

  it('exits 1 naming kubectl before running anything when only docker is there', async () => {
    const project = makeProject();
    const { bin, log } = fakeTools({ docker: 'exit 0' });
    const r = await runCli(['deploy', '--agent', 'researcher', '--target', 'kubernetes', '--apply'], {
      cwd: project,
      env: deployEnv({ PATH: minimalPath(bin) }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--apply needs kubectl, which was not found on PATH/);
    expect(calls(log)).toEqual([]);
  });

  it('exits 1 naming the Docker engine when the docker client cannot reach one', async () => {
    const project = makeProject();
    const { bin, log } = fakeTools({
      docker:
        'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1',
    });
    const r = await runCli(['deploy', '--agent', 'researcher', '--apply'], {
      cwd: project,
      env: deployEnv({ PATH: minimalPath(bin) }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs a running Docker engine.*Cannot connect to the Docker daemon/);
    expect(calls(log)).toEqual(['docker version']);
  });

  it('streams docker build/push and kubectl apply output under progress lines, sanitized', async () => {
    const project = makeProject();
    const gate = join(tempDir('agentor-gate-'), 'gate');
    execFileSync('mkfifo', [gate]);
    const { bin, log } = fakeTools({
      docker: [
        'case "$1" in',
        '  version) echo "Server: Docker Engine - Community" ;;',
        `  build) echo "#1 [internal] load build definition"; read line < "${gate}"; printf '\\033]0;pwned\\007#2 DONE\\n' ;;`,
        '  push) echo "1.2.0: digest: sha256:abc size: 1234" ;;',
        'esac',
      ].join('\n'),
      kubectl: [
        'case "$1" in',
        '  config) echo kind-dev ;;',
        '  get) if [ "$2" = secret ]; then echo "Error from server (NotFound): secrets not found" >&2; exit 1; fi',
        '       echo \'{"apiVersion":"v1","kind":"List","items":[]}\' ;;',
        '  apply) echo "deployment.apps/researcher created"; echo "service/researcher created" ;;',
        '  rollout) echo "deployment \\"researcher\\" successfully rolled out" ;;',
        'esac',
      ].join('\n'),
    });
    const image = 'registry.example.com/team/researcher:1.2.0';
    const run = startCli(['deploy', '--agent', 'researcher', '--target', 'kubernetes', '--image', image, '--apply'], {
      cwd: project,
      env: deployEnv({ PATH: minimalPath(bin) }),
    });
    // The build is blocked on the gate: its first line must already be on our stdout.
    await run.waitFor('#1 [internal] load build definition');
    expect(run.stderr()).toContain(
      '==> [1/5] docker build --tag registry.example.com/team/researcher:1.2.0 deploy/researcher',
    );
    expect(run.stdout()).not.toContain('#2 DONE');
    await writeFile(gate, 'go\n');
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('#2 DONE');
    expect(r.stdout).not.toContain('pwned');
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toContain('deployment.apps/researcher created');
    expect(r.stderr).toMatch(/==> \[1\/5\] done in \d+\.\ds/);
    expect(r.stderr).toContain('==> [2/5] docker push registry.example.com/team/researcher:1.2.0');
    expect(r.stderr).toContain('==> [3/5] kubectl apply -f deploy/researcher/k8s');
    expect(r.stderr).toContain("==> [4/5] kubectl delete <agentor's objects not in deploy/researcher/k8s/>");
    expect(r.stderr).toContain('nothing to remove');
    expect(r.stderr).toContain('==> [5/5] kubectl rollout status deployment/researcher --timeout=180s');
    expect(r.stderr).toMatch(
      /Secret researcher-secrets does not exist[\s\S]*kubectl create secret generic researcher-secrets/,
    );
    const out = join(project, 'deploy', 'researcher');
    expect(calls(log)).toEqual([
      'docker version',
      'kubectl config current-context',
      'kubectl get secret researcher-secrets --output name',
      `docker build --tag ${image} ${out}`,
      `docker push ${image}`,
      `kubectl apply -f ${join(out, 'k8s')}`,
      `kubectl get ${MANAGED_RESOURCES} -l ${OWNER_SELECTOR} --output json`,
      'kubectl rollout status deployment/researcher --timeout=180s',
    ]);
    expectNoSecrets(out, r.stdout, r.stderr);
  });

  it('compose: checks the engine and the compose plugin, then runs docker compose up; --dry-run runs nothing', async () => {
    const project = makeProject();
    const { bin, log } = fakeTools({ docker: 'case "$1" in version) echo 28 ;; compose) echo "compose $2" ;; esac' });
    const env = deployEnv({ PATH: minimalPath(bin) });
    const dry = await runCli(['deploy', '--agent', 'researcher', '--target', 'compose', '--apply', '--dry-run'], {
      cwd: project,
      env,
    });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('--apply would run');
    expect(dry.stdout).toContain(
      'docker compose -f deploy/researcher/compose.yaml up --build --detach --remove-orphans',
    );
    expect(calls(log)).toEqual([]);
    expect(existsSync(join(project, 'deploy'))).toBe(false);

    const r = await runCli(['deploy', '--agent', 'researcher', '--target', 'compose', '--apply'], {
      cwd: project,
      env,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      '==> [1/1] docker compose -f deploy/researcher/compose.yaml up --build --detach --remove-orphans',
    );
    expect(calls(log)).toEqual([
      'docker version',
      'docker compose version',
      `docker compose -f ${join(project, 'deploy', 'researcher', 'compose.yaml')} up --build --detach --remove-orphans`,
    ]);
    // The manual instructions do the same.
    expect(readFileSync(join(project, 'deploy', 'researcher', 'README.md'), 'utf8')).toContain(
      'docker compose -f compose.yaml up --build -d --remove-orphans',
    );
    // Another --name is another compose project: --remove-orphans cannot reach the old one, so the plan says how.
    const renamed = await runCli(
      [
        'deploy',
        '--agent',
        'researcher',
        '--name',
        'scholar',
        '--out',
        'deploy/researcher',
        '--target',
        'compose',
        '--dry-run',
      ],
      { cwd: project, env },
    );
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toContain(
      'leaves that compose project running. If it is no longer wanted: docker compose -p researcher down --remove-orphans',
    );
  });

  it('exits 1 when a step fails, naming it', async () => {
    const project = makeProject();
    const { bin } = fakeTools({
      docker: 'case "$1" in version) echo 28 ;; build) echo "ERROR: failed to solve" >&2; exit 17 ;; esac',
    });
    const r = await runCli(['deploy', '--agent', 'researcher', '--apply'], {
      cwd: project,
      env: deployEnv({ PATH: minimalPath(bin) }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERROR: failed to solve');
    expect(r.stderr).toMatch(/docker build failed \(exit 17\)/);
  });
});

/** What `kubectl get -o json` returns for objects: enough of each for agentor to decide. */
interface ListedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
}

/** The objects the written k8s/ manifests declare, as the cluster would list them after `kubectl apply -f k8s`. */
function appliedObjects(out: string): ListedObject[] {
  return readdirSync(join(out, 'k8s')).map((f) => {
    const m = parseYaml(readFileSync(join(out, 'k8s', f), 'utf8')) as ListedObject;
    return { apiVersion: m.apiVersion, kind: m.kind, metadata: { name: m.metadata.name, labels: m.metadata.labels } };
  });
}

/**
 * Objects that are not agentor's for "researcher". A real API server would never return them for the selector agentor
 * sends; the fake returns the whole namespace regardless, so these also prove agentor re-checks kind and labels itself.
 */
const FOREIGN: ListedObject[] = [
  // The user's Secret, created with `kubectl create secret` (no labels): referenced by the Deployment, never touched.
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'researcher-secrets' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'researcher' } },
  // Someone else's Service that happens to share the app name.
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'researcher-db',
      labels: { 'app.kubernetes.io/name': 'researcher', 'app.kubernetes.io/managed-by': 'Helm' },
    },
  },
  // An unlabelled PodDisruptionBudget.
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'researcher-manual' } },
  // Another agentor service's PodDisruptionBudget.
  {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: 'writer',
      labels: { 'app.kubernetes.io/name': 'writer', 'app.kubernetes.io/managed-by': 'agentor' },
    },
  },
  // The Deployment's ReplicaSet carries the pod labels (agentor's owner labels among them), but is not a kind agentor writes.
  {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'researcher-5d9f8c7b6', labels: { ...OWNER_LABELS, 'app.kubernetes.io/component': 'agent' } },
  },
  // A PodDisruptionBudget of the v1beta1 API group would be another kind: same name and labels, other group.
  {
    apiVersion: 'example.com/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'researcher-x', labels: OWNER_LABELS },
  },
];

describe('agentor deploy --apply re-deploys', { timeout: DEPLOYS_TIMEOUT_MS }, () => {
  /** A fake cluster: `kubectl get` prints the namespace from a state file the test rewrites between runs. */
  function fakeCluster() {
    const state = join(tempDir('agentor-cluster-'), 'state.json');
    const failGet = `${state}.fail`;
    const setState = (objects: ListedObject[]): void =>
      writeFileSync(
        state,
        `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects, metadata: { resourceVersion: '' } })}\n`,
      );
    setState(FOREIGN);
    const tools = fakeTools({
      docker: 'case "$1" in version) echo 28 ;; esac',
      kubectl: [
        'case "$1" in',
        '  config) echo kind-dev ;;',
        '  get) if [ "$2" = secret ]; then echo secret/researcher-secrets; exit 0; fi',
        `       if [ -f "${failGet}" ]; then echo 'Error from server (Forbidden): poddisruptionbudgets.policy is forbidden' >&2; exit 1; fi`,
        `       while IFS= read -r line; do printf '%s\\n' "$line"; done < "${state}" ;;`,
        '  apply) echo "deployment.apps/researcher configured" ;;',
        '  delete) for a in "$@"; do case "$a" in delete|--*) ;; *) echo "$a deleted" ;; esac; done ;;',
        '  rollout) echo "deployment \\"researcher\\" successfully rolled out" ;;',
        'esac',
      ].join('\n'),
    });
    return { ...tools, setState, failGet, setRaw: (text: string) => writeFileSync(state, text) };
  }

  const k8sArgs = (replicas: number, ...extra: string[]) => [
    'deploy',
    '--agent',
    'researcher',
    '--target',
    'kubernetes',
    '--replicas',
    String(replicas),
    ...(replicas > 1 ? ['--redis-url-secret', 'researcher-redis'] : []),
    '--image',
    'registry.example.com/team/researcher:1.2.0',
    '--apply',
    ...extra,
  ];

  it("replicas 2 → 1 removes the PodDisruptionBudget of the earlier deploy, and nothing that is not agentor's for this service", async () => {
    const project = makeProject();
    const { bin, log, setState } = fakeCluster();
    const env = deployEnv({ PATH: minimalPath(bin) });
    const out = join(project, 'deploy', 'researcher');

    const first = await runCli(k8sArgs(2), { cwd: project, env });
    expect(first.stderr).toContain('nothing to remove');
    expect(first.code).toBe(0);
    expect(calls(log).filter((c) => c.startsWith('kubectl delete'))).toEqual([]);
    // Every object agentor writes carries exactly the labels the prune step selects on (pods too: same template labels).
    const applied = appliedObjects(out);
    expect(applied.map((o) => o.kind).sort()).toEqual(['Deployment', 'PodDisruptionBudget', 'Service']);
    for (const o of applied) expect(o.metadata.labels).toMatchObject(OWNER_LABELS);
    const dep = parseYaml(readFileSync(join(out, 'k8s', 'deployment.yaml'), 'utf8'));
    expect(dep.spec.template.metadata.labels).toMatchObject(OWNER_LABELS);
    const get = calls(log)
      .find((c) => c.startsWith('kubectl get deployments'))!
      .split(' ');
    expect(get.slice(0, 3)).toEqual(['kubectl', 'get', MANAGED_RESOURCES]);
    const selector = get[get.indexOf('-l') + 1]!;
    expect(Object.fromEntries(selector.split(',').map((kv) => kv.split('=') as [string, string]))).toEqual(
      OWNER_LABELS,
    );
    expect(get[2]!.split(',')).not.toContain('secrets');
    expect(readFileSync(join(out, 'README.md'), 'utf8')).not.toMatch(/kubectl delete/);
    const afterFirst = snapshot(out);

    // The cluster now holds what the first deploy applied.
    setState([...FOREIGN, ...applied]);
    writeFileSync(log, '');

    // A dry run shows what the re-deploy would remove, from a read-only query, and changes nothing.
    const dry = await runCli(k8sArgs(1, '--dry-run'), { cwd: project, env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      `--apply would remove (labelled ${OWNER_SELECTOR}, not in this plan), in context kind-dev:\n    poddisruptionbudgets.policy/researcher\n`,
    );
    expect(calls(log)).toEqual([
      'kubectl config current-context',
      `kubectl get ${MANAGED_RESOURCES} -l ${OWNER_SELECTOR} --output json`,
    ]);
    expect(snapshot(out)).toEqual(afterFirst);
    writeFileSync(log, '');

    const second = await runCli(k8sArgs(1), { cwd: project, env });
    expect(second.code).toBe(0);
    expect(existsSync(join(out, 'k8s', 'pdb.yaml'))).toBe(false);
    // Printed before it is deleted.
    const listed = second.stderr.indexOf('      poddisruptionbudgets.policy/researcher\n');
    expect(listed).toBeGreaterThan(
      second.stderr.indexOf('removing 1 object(s) an earlier deploy created and this plan no longer has'),
    );
    expect(second.stdout).toContain('poddisruptionbudgets.policy/researcher deleted');
    expect(calls(log)).toEqual([
      'docker version',
      'kubectl config current-context',
      'kubectl get secret researcher-secrets --output name',
      `docker build --tag registry.example.com/team/researcher:1.2.0 ${out}`,
      'docker push registry.example.com/team/researcher:1.2.0',
      `kubectl apply -f ${join(out, 'k8s')}`,
      `kubectl get ${MANAGED_RESOURCES} -l ${OWNER_SELECTOR} --output json`,
      'kubectl delete poddisruptionbudgets.policy/researcher --ignore-not-found',
      'kubectl rollout status deployment/researcher --timeout=180s',
    ]);
    // The manual instructions have the same step, limited by the same labels and to the kind that went away.
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    const apply = readme.indexOf('kubectl apply -f k8s');
    const prune = readme.indexOf(`kubectl delete poddisruptionbudgets.policy -l ${OWNER_SELECTOR}\n`);
    expect(apply).toBeGreaterThan(0);
    expect(prune).toBeGreaterThan(apply);

    // Once the cluster matches the plan, a re-deploy removes nothing.
    setState([...FOREIGN, ...appliedObjects(out)]);
    writeFileSync(log, '');
    const third = await runCli(k8sArgs(1), { cwd: project, env });
    expect(third.code).toBe(0);
    expect(third.stderr).toContain(`nothing to remove: every object labelled ${OWNER_SELECTOR} is in the plan`);
    expect(calls(log).filter((c) => c.startsWith('kubectl delete'))).toEqual([]);
  });

  it('exits 1 when listing what to remove fails, saying the manifests are applied, and deletes nothing', async () => {
    const project = makeProject();
    const { bin, log, failGet } = fakeCluster();
    writeFileSync(failGet, '');
    const r = await runCli(k8sArgs(1), { cwd: project, env: deployEnv({ PATH: minimalPath(bin) }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('poddisruptionbudgets.policy is forbidden');
    expect(r.stderr).toMatch(/kubectl get failed \(exit 1\).*The manifests are applied/);
    const kubectl = calls(log).filter((c) => c.startsWith('kubectl '));
    expect(kubectl.some((c) => c.startsWith('kubectl delete') || c.startsWith('kubectl rollout'))).toBe(false);
  });

  it('exits 1 on a listing that is not JSON, without echoing it, and deletes nothing', async () => {
    const project = makeProject();
    const { bin, log, setRaw } = fakeCluster();
    setRaw('apiVersion: v1\nkind: Secret\ndata:\n  token: c2VjcmV0LWRhdGE=\n');
    const r = await runCli(k8sArgs(1), { cwd: project, env: deployEnv({ PATH: minimalPath(bin) }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kubectl get did not print JSON; nothing was removed');
    expect(r.stderr + r.stdout).not.toContain('c2VjcmV0LWRhdGE=');
    expect(calls(log).some((c) => c.startsWith('kubectl delete'))).toBe(false);
  });

  it('a dry run says when it cannot know what would be removed, and runs nothing', async () => {
    const project = makeProject();
    const r = await runCli(k8sArgs(1, '--dry-run'), { cwd: project, env: deployEnv({ PATH: minimalPath() }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `--apply would remove (labelled ${OWNER_SELECTOR}, not in this plan): unknown, kubectl is not on PATH`,
    );
    expect(existsSync(join(project, 'deploy'))).toBe(false);
  });
});

describe('agentor deploy: what the MCP servers of the agent need', { timeout: DEPLOYS_TIMEOUT_MS }, () => {
  const MCP_AGENT = `---
name: searcher
model: gpt-4.1-mini
mcpServers:
  search: { url: "https://mcp.example.com/mcp", headers: { Authorization: "Bearer \${SEARCH_TOKEN}" } }
  files:
    command: npx
    args: [-y, "@modelcontextprotocol/server-filesystem", "\${DATA_DIR:-/tmp}"]
    env: { DEBUG: "\${DEBUG:-}", REGION: "\${REGION}", LISTEN: "\${PORT}" }
---
Search, then read.
`;
  function mcpProject(): string {
    const dir = tempDir('agentor-deploy-mcp-');
    mkdirSync(join(dir, 'agents'));
    writeFileSync(join(dir, 'agents', 'searcher.md'), MCP_AGENT);
    return dir;
  }
  const SEARCH_TOKEN = 'search-secret-0123456789abcdef';

  it('declares ${VAR} and ${VAR:-default} like the model key: compose, secretKeyRefs, the kubectl create secret line', async () => {
    const project = mcpProject();
    const env = deployEnv({ SEARCH_TOKEN });
    const {
      r: k8s,
      out,
      yaml,
    } = await deployed(project, ['--agent', 'searcher', '--target', 'kubernetes', '--out', 'out/k8s'], {
      out: 'out/k8s',
      env,
    });
    // The plan lists them, by name only, with where they are read.
    expect(k8s.stdout).toMatch(
      /SEARCH_TOKEN\s+secret\s+required\s+read by MCP server "search": headers\.Authorization/,
    );
    expect(k8s.stdout).toMatch(/REGION\s+config\s+required\s+read by MCP server "files": env\.REGION/);
    expect(k8s.stdout).toMatch(
      /DATA_DIR\s+config\s+optional\s+read by MCP server "files": args\[2\] \(default "\/tmp"\)/,
    );
    expect(k8s.stdout).toMatch(/DEBUG\s+config\s+optional\s+read by MCP server "files": env\.DEBUG \(default ""\)/);
    // PORT is the image's own: never asked for.
    expect(k8s.stdout).not.toMatch(/^\s+PORT\s/m);
    const c = yaml('k8s/deployment.yaml').spec.template.spec.containers[0];
    const refs = Object.fromEntries(
      (c.env as Array<{ name: string; valueFrom?: { secretKeyRef: unknown } }>).map((e) => [e.name, e.valueFrom]),
    );
    expect(refs['SEARCH_TOKEN']).toEqual({ secretKeyRef: { name: 'searcher-secrets', key: 'SEARCH_TOKEN' } });
    expect(refs['REGION']).toEqual({ secretKeyRef: { name: 'searcher-secrets', key: 'REGION' } });
    expect(refs['DATA_DIR']).toEqual({
      secretKeyRef: { name: 'searcher-secrets', key: 'DATA_DIR', optional: true },
    });
    expect(refs['DEBUG']).toEqual({ secretKeyRef: { name: 'searcher-secrets', key: 'DEBUG', optional: true } });
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    const create = /```sh\n(kubectl create secret generic searcher-secrets[^`]*?)\n```/.exec(readme)?.[1] ?? '';
    expect(create).toContain('--from-literal=SEARCH_TOKEN="$SEARCH_TOKEN"');
    expect(create).toContain('--from-literal=REGION="$REGION"');
    expect(create).not.toContain('DEBUG');
    expect(readme).toContain('export REGION=…');
    expect(readme).toMatch(/\| `SEARCH_TOKEN` \| secret \| required \|/);

    const compose = await deployed(project, ['--agent', 'searcher', '--target', 'compose', '--out', 'out/compose'], {
      out: 'out/compose',
      env,
    });
    const svc = compose.yaml('compose.yaml').services.searcher;
    expect(svc.environment).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SEARCH_TOKEN=\$\{SEARCH_TOKEN:\?[^}]+\}$/),
        expect.stringMatching(/^REGION=\$\{REGION:\?[^}]+\}$/),
        'DATA_DIR',
        'DEBUG',
      ]),
    );
    for (const dir of ['out/k8s', 'out/compose']) {
      for (const [file, content] of Object.entries(snapshot(join(project, dir))))
        expect(content.includes(SEARCH_TOKEN), `${file} contains the token`).toBe(false);
    }
  });

  it('--apply works with a Docker-compatible client (podman-docker), probed with `docker version`', async () => {
    const project = makeProject();
    // podman-docker: a notice on every call; `version` works without a daemon; `info` has no ServerVersion field.
    const { bin, log } = fakeTools({
      docker: [
        'echo "Emulate Docker CLI using podman. Create /etc/containers/nodocker to quiet msg." >&2',
        'case "$1" in',
        '  version) printf "Client:       Podman Engine\\nVersion:      4.9.3\\n" ;;',
        '  info) echo "Error: template: info:1:2: executing \\"info\\" at <.ServerVersion>: can\'t evaluate field ServerVersion in type *define.Info" >&2; exit 125 ;;',
        '  build) echo "STEP 1/9: FROM node:24-slim"; echo "COMMIT researcher" ;;',
        'esac',
      ].join('\n'),
    });
    const r = await runCli(['deploy', '--agent', 'researcher', '--apply'], {
      cwd: project,
      env: deployEnv({ PATH: minimalPath(bin) }),
    });
    expect(r.stderr).not.toMatch(/needs a running Docker engine/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('COMMIT researcher');
    const out = join(project, 'deploy', 'researcher');
    expect(calls(log)).toEqual([
      'docker version',
      expect.stringMatching(`^docker build --tag researcher:[0-9a-f]{12} ${out}$`),
    ]);
  });

  it('an engine that is down is named by its error line, not the notice podman-docker prints first', async () => {
    const project = makeProject();
    const { bin } = fakeTools({
      docker: [
        'echo "Emulate Docker CLI using podman. Create /etc/containers/nodocker to quiet msg." >&2',
        'echo "Error: unable to connect to Podman socket: dial unix /run/podman/podman.sock: connect: no such file or directory" >&2',
        'exit 125',
      ].join('\n'),
    });
    const r = await runCli(['deploy', '--agent', 'researcher', '--apply'], {
      cwd: project,
      env: deployEnv({ PATH: minimalPath(bin) }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /cannot reach one \(Error: unable to connect to Podman socket: .*\)\. Start Docker \(or Podman\)/,
    );
  });

  it(
    "refuses to replace the user's own file at a path a new target plans, and leaves it untouched",
    { timeout: 90_000 },
    async () => {
      const project = makeProject();
      const env = deployEnv();
      expect((await runCli(['deploy', '--agent', 'researcher'], { cwd: project, env })).code).toBe(0);
      const own = join(project, 'deploy', 'researcher', 'compose.yaml');
      writeFileSync(own, '# my own compose file\nservices: {}\n');
      const r = await runCli(['deploy', '--agent', 'researcher', '--target', 'compose'], { cwd: project, env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `${own} is not agentor's (not listed in .agentor-deploy.json) and this deploy would replace it; move it elsewhere`,
      );
      expect(readFileSync(own, 'utf8')).toBe('# my own compose file\nservices: {}\n');
      // Moved away, the deploy goes ahead.
      rmSync(own);
      const moved = await runCli(['deploy', '--agent', 'researcher', '--target', 'compose'], { cwd: project, env });
      expect(moved.code).toBe(0);
      expect(readFileSync(own, 'utf8')).toMatch(/^# researcher: generated by `agentor deploy --target compose`/);
    },
  );
});
