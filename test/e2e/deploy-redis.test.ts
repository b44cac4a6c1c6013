/**
 * `agentor deploy --replicas N` with a shared Redis store: Kubernetes takes --with-redis (a Redis StatefulSet and
 * Service next to the service) or --redis-url-secret (the user's Redis, its URL only referenced through a Secret);
 * Compose adds a `redis` service. Several Kubernetes replicas without a store are refused with exit 2, saying what to
 * add. The written files are parsed as YAML and checked field by field (no cluster or docker needed).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { cleanEnv, runCli } from '../support/cli.js';
import { tempDir } from '../support/cleanup.js';

const AGENT = `---
name: researcher
description: Finds and summarises sources
model: gpt-4.1-mini
---
You are a careful researcher.
`;
const REDIS_URL_VALUE = 'redis://:redis-pw-never-written@redis.internal:6379/0';

function project(): string {
  const dir = tempDir('agentor-deploy-redis-');
  mkdirSync(join(dir, 'agents'));
  writeFileSync(join(dir, 'agents', 'researcher.md'), AGENT);
  return dir;
}

const deploy = (dir: string, ...args: string[]) =>
  runCli(['deploy', '--agent', 'researcher', ...args], {
    cwd: dir,
    env: cleanEnv({ OPENAI_API_KEY: 'sk-deploy-redis-secret', REDIS_URL: REDIS_URL_VALUE }),
  });

const yamlOf = (dir: string, file: string) => parseYaml(readFileSync(join(dir, 'deploy', 'researcher', file), 'utf8'));

describe('agentor deploy --replicas with a shared store', () => {
  it('refuses several Kubernetes replicas without a shared store (exit 2, what to add), and contradictory flags', async () => {
    const dir = project();
    const none = await deploy(dir, '--target', 'kubernetes', '--replicas', '3');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--replicas 3 needs a store the replicas share');
    expect(none.stderr).toContain('add --with-redis');
    expect(none.stderr).toContain('--redis-url-secret NAME');
    expect(existsSync(join(dir, 'deploy'))).toBe(false);
    const both = await deploy(
      dir,
      '--target',
      'kubernetes',
      '--replicas',
      '2',
      '--with-redis',
      '--redis-url-secret',
      'r',
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--with-redis and --redis-url-secret both name the store');
    const compose = await deploy(dir, '--target', 'compose', '--redis-url-secret', 'r');
    expect(compose.code).toBe(2);
    expect(compose.stderr).toContain('--redis-url-secret applies to --target kubernetes');
    const bad = await deploy(dir, '--target', 'kubernetes', '--replicas', '2', '--redis-url-secret', 'Not A Name');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a Secret reference');
    expect(existsSync(join(dir, 'deploy'))).toBe(false);
  });

  it('kubernetes --with-redis: a Redis StatefulSet (PVC, probes) and Service the replicas reach through AGENTOR_STORE', async () => {
    const dir = project();
    const r = await deploy(dir, '--target', 'kubernetes', '--replicas', '3', '--with-redis');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('store      Redis (redis:7.4-alpine) deployed with the service');
    const dep = yamlOf(dir, 'k8s/deployment.yaml');
    expect(dep.spec.replicas).toBe(3);
    const env = Object.fromEntries(
      (dep.spec.template.spec.containers[0].env as Array<{ name: string }>).map((e) => [e.name, e]),
    );
    expect(env['AGENTOR_STORE']).toEqual({ name: 'AGENTOR_STORE', value: 'redis://researcher-redis:6379/0' });
    expect(yamlOf(dir, 'k8s/service.yaml').spec.sessionAffinity).toBeUndefined();

    const sts = yamlOf(dir, 'k8s/redis.yaml');
    expect(sts).toMatchObject({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'researcher-redis' } });
    expect(sts.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'researcher',
      'app.kubernetes.io/managed-by': 'agentor',
    });
    expect(sts.spec.replicas).toBe(1);
    const podLabels = sts.spec.template.metadata.labels;
    expect(sts.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'researcher-redis' });
    expect(podLabels).toMatchObject(sts.spec.selector.matchLabels);
    // The agent's Service and PodDisruptionBudget select the agent's pods only, never Redis'.
    const agentSelector = yamlOf(dir, 'k8s/service.yaml').spec.selector as Record<string, string>;
    expect(Object.entries(agentSelector).every(([k, v]) => podLabels[k] === v)).toBe(false);
    const redis = sts.spec.template.spec.containers[0];
    expect(redis.image).toBe('redis:7.4-alpine');
    expect(redis.args).toEqual(['--appendonly', 'yes', '--save', '']);
    expect(redis.readinessProbe.exec.command).toEqual(['redis-cli', 'ping']);
    expect(redis.livenessProbe.exec.command).toEqual(['redis-cli', 'ping']);
    expect(redis.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect(sts.spec.volumeClaimTemplates[0]).toMatchObject({
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    expect(sts.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999 });
    const svc = yamlOf(dir, 'k8s/redis-service.yaml');
    expect(svc).toMatchObject({ kind: 'Service', metadata: { name: 'researcher-redis' } });
    expect(svc.spec.selector).toEqual(sts.spec.selector.matchLabels);
    expect(svc.spec.ports).toEqual([{ name: 'redis', port: 6379, targetPort: 'redis', protocol: 'TCP' }]);
    expect(readFileSync(join(dir, 'deploy', 'researcher', 'README.md'), 'utf8')).toContain('k8s/redis.yaml');
  });

  it('kubernetes --redis-url-secret name:key: the URL comes from that Secret, and is never written', async () => {
    const dir = project();
    const r = await deploy(dir, '--target', 'kubernetes', '--replicas', '2', '--redis-url-secret', 'shared-redis:url');
    expect(r.code).toBe(0);
    const env = yamlOf(dir, 'k8s/deployment.yaml').spec.template.spec.containers[0].env as Array<{
      name: string;
      valueFrom?: unknown;
    }>;
    expect(env.find((e) => e.name === 'AGENTOR_STORE')).toEqual({
      name: 'AGENTOR_STORE',
      valueFrom: { secretKeyRef: { name: 'shared-redis', key: 'url' } },
    });
    expect(existsSync(join(dir, 'deploy', 'researcher', 'k8s', 'redis.yaml'))).toBe(false);
    const readme = readFileSync(join(dir, 'deploy', 'researcher', 'README.md'), 'utf8');
    expect(readme).toContain('kubectl create secret generic shared-redis --from-literal=url="$REDIS_URL"');
    for (const text of [
      readme,
      r.stdout,
      readFileSync(join(dir, 'deploy', 'researcher', 'k8s', 'deployment.yaml'), 'utf8'),
    ])
      expect(text).not.toContain('redis-pw-never-written');
  });

  it('compose --replicas 3: a redis service (volume, health check, no port) the replicas wait for and share', async () => {
    const dir = project();
    const r = await deploy(dir, '--target', 'compose', '--replicas', '3');
    expect(r.code).toBe(0);
    const doc = yamlOf(dir, 'compose.yaml');
    const agent = doc.services.researcher;
    expect(agent.deploy).toEqual({ replicas: 3 });
    expect(agent.ports).toEqual(['${RESEARCHER_PORT:-8000-8002}:8000']);
    expect(agent.environment).toContain('AGENTOR_STORE=redis://redis:6379/0');
    expect(agent.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    const redis = doc.services.redis;
    expect(redis.image).toBe('redis:7.4-alpine');
    expect(redis.ports).toBeUndefined();
    expect(redis.volumes).toEqual(['redis-data:/data']);
    expect(redis.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(doc.volumes).toEqual({ 'redis-data': {} });
  });
});
