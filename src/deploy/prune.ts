/**
 * Re-deploys remove what the plan no longer declares: after `kubectl apply`, the objects an earlier deploy of this
 * service created and this one does not write (the PodDisruptionBudget after --replicas 2 → 1, say) are listed and
 * deleted. Not `kubectl apply --prune`: it has been alpha for years, its `--prune-allowlist` exists only since kubectl
 * 1.26 (older ones know only `--prune-whitelist`), it skips objects created without the last-applied annotation, and it
 * deletes without showing what first. `kubectl get -l … -o json` then `kubectl delete <kind>/<name>` works with every
 * kubectl, and the list is printed before anything is deleted (and by `--apply --dry-run` instead of deleting).
 *
 * Only objects of MANAGED_KINDS carrying both owner labels are candidates; the labels and kinds are checked again here,
 * so a selector the server ignored (or a proxy that dropped it) cannot widen what is deleted. Secrets are never listed.
 */
import { MANAGED_KINDS, listedKinds, manifests, ownerLabels, ownerSelector, type ManagedKind } from './kubernetes.js';
import type { ServiceSpec } from './spec.js';

/** An object in the cluster, as kubectl names it. */
export interface ClusterObject {
  kind: ManagedKind;
  name: string;
}

/** `kind/name` the way kubectl takes it unambiguously (`poddisruptionbudgets.policy/researcher`). */
export const objectRef = (o: ClusterObject): string => `${o.kind.resource}/${o.name}`;

/** The resources kubectl lists: exactly the kinds agentor writes. */
const resources = (kinds: readonly ManagedKind[]): string => kinds.map((k) => k.resource).join(',');

/** `kubectl get` arguments that list this service's agentor-managed objects (read-only). */
export function listArgs(spec: Pick<ServiceSpec, 'name' | 'serviceMonitor'>): string[] {
  return ['get', resources(listedKinds(spec)), '-l', ownerSelector(spec), '--output', 'json'];
}

/** `kubectl delete` arguments for exactly these objects, by name. */
export function deleteArgs(objects: readonly ClusterObject[]): string[] {
  return ['delete', ...objects.map(objectRef), '--ignore-not-found'];
}

/** Thrown when kubectl's listing is not the JSON List it should be. */
export class ListingError extends Error {}

const groupOf = (apiVersion: string): string =>
  apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';

/**
 * The objects of a `kubectl get … -o json` listing that an apply of `spec` leaves behind: agentor's kind, both owner
 * labels with this service's values, and not declared by the plan. Anything else in the listing is ignored.
 */
export function staleObjects(spec: ServiceSpec, listing: string): ClusterObject[] {
  let list: unknown;
  try {
    list = JSON.parse(listing);
  } catch {
    throw new ListingError('kubectl get did not print JSON');
  }
  const items = (list as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) throw new ListingError('kubectl get did not print a List');
  const planned = new Set(manifests(spec).map((m) => objectRef(m)));
  const owner = Object.entries(ownerLabels(spec));
  const stale = new Map<string, ClusterObject>();
  for (const item of items as {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { name?: unknown; labels?: unknown; deletionTimestamp?: unknown };
  }[]) {
    const name = item?.metadata?.name;
    if (typeof item?.apiVersion !== 'string' || typeof item.kind !== 'string' || typeof name !== 'string') continue;
    const kind = listedKinds(spec).find((k) => k.kind === item.kind && k.group === groupOf(item.apiVersion as string));
    if (!kind) continue;
    const labels = (item.metadata?.labels ?? {}) as Record<string, unknown>;
    if (!owner.every(([k, v]) => labels[k] === v)) continue;
    if (item.metadata?.deletionTimestamp) continue; // already going away
    const object = { kind, name };
    if (!planned.has(objectRef(object))) stale.set(objectRef(object), object);
  }
  return [...stale.values()].sort((a, b) => objectRef(a).localeCompare(objectRef(b)));
}

/**
 * The commands that do the same by hand, for the README: every kind agentor writes but this plan does not is deleted by
 * the owner labels (agentor names each object after the service, so kinds the plan keeps have nothing left over).
 */
export function manualPruneCommands(spec: ServiceSpec): string[] {
  const planned = new Set(manifests(spec).map((m) => m.kind.resource));
  // Not the bundled Redis (its StatefulSet holds the shared sessions and tasks, and its Service shares a kind with the
  // service's own): `--apply` removes it by name when a re-deploy drops --with-redis; by hand that stays a choice.
  const absent = MANAGED_KINDS.filter((k) => !planned.has(k.resource) && k.kind !== 'StatefulSet');
  if (absent.length === 0) return [];
  return [deleteByLabelCommand(absent, spec)];
}

/** `kubectl delete` of every object of `kinds` that belongs to the service `spec.name`, by agentor's owner labels. */
export function deleteByLabelCommand(kinds: readonly ManagedKind[], spec: Pick<ServiceSpec, 'name'>): string {
  return `kubectl delete ${resources(kinds)} -l ${ownerSelector(spec)}`;
}
