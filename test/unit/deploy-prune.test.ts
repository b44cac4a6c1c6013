/** What a Kubernetes re-deploy lists and removes when a ServiceMonitor is (or is not) part of the plan. */
import { describe, expect, it } from 'vitest';
import { manifests, ownerLabels } from '../../src/deploy/kubernetes.js';
import { listArgs, staleObjects } from '../../src/deploy/prune.js';
import type { ServiceSpec } from '../../src/deploy/spec.js';

const spec: ServiceSpec = {
  name: 'researcher',
  target: 'kubernetes',
  image: 'registry.example.com/researcher:1',
  agentName: 'researcher',
  agentFile: 'researcher.md',
  replicas: 1,
  variables: [{ name: 'AGENTOR_TOKEN', secret: true, required: true, description: 'bearer token' }],
  secretName: 'researcher-secrets',
  agentorVersion: '0.0.0',
  contentHash: 'abc',
};
const monitored: ServiceSpec = { ...spec, serviceMonitor: true };

/** An object as `kubectl get -o json` lists it, with agentor's owner labels. */
const item = (apiVersion: string, kind: string, name = 'researcher') => ({
  apiVersion,
  kind,
  metadata: { name, labels: ownerLabels(spec) },
});
const listing = (...items: unknown[]): string => JSON.stringify({ kind: 'List', items });

describe('re-deploys and the ServiceMonitor', () => {
  it('lists ServiceMonitors only when the plan writes one (a cluster without the operator has no such kind)', () => {
    expect(listArgs(spec)[1]!.split(',')).not.toContain('servicemonitors.monitoring.coreos.com');
    expect(listArgs(monitored)[1]!.split(',')).toContain('servicemonitors.monitoring.coreos.com');
    expect(manifests(monitored).map((m) => m.path)).toContain('k8s/servicemonitor.yaml');
    expect(manifests(spec).map((m) => m.path)).not.toContain('k8s/servicemonitor.yaml');
  });

  it('keeps the planned ServiceMonitor, removes what the plan dropped, and never one it did not list', () => {
    const cluster = listing(
      item('apps/v1', 'Deployment'),
      item('v1', 'Service'),
      item('policy/v1', 'PodDisruptionBudget'),
      item('monitoring.coreos.com/v1', 'ServiceMonitor'),
    );
    expect(staleObjects(monitored, cluster).map((o) => `${o.kind.resource}/${o.name}`)).toEqual([
      'poddisruptionbudgets.policy/researcher',
    ]);
    // Not asked for (and so not listed): whatever a listing says about ServiceMonitors is left alone.
    expect(staleObjects(spec, cluster).map((o) => o.kind.kind)).toEqual(['PodDisruptionBudget']);
    // Another service's ServiceMonitor, or one under another name, is never this plan's to keep but is stale only
    // when it carries this service's owner labels.
    const other = {
      ...item('monitoring.coreos.com/v1', 'ServiceMonitor', 'old'),
      metadata: { name: 'old', labels: {} },
    };
    expect(staleObjects(monitored, listing(other))).toEqual([]);
    expect(staleObjects(monitored, listing(item('monitoring.coreos.com/v1', 'ServiceMonitor', 'old')))).toEqual([
      { kind: expect.objectContaining({ kind: 'ServiceMonitor' }), name: 'old' },
    ]);
  });
});
