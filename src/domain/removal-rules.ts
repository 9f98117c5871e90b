/**
 * Mender's rules for ending a tenant: only a suspended tenant can be removed; a Service
 * Provider removes its children (a child asked through another SP is refused); an SP with
 * children goes only with `--cascade`, every child suspended too, and the children first.
 */
import { RuleError } from '../errors';
import type { Tenant } from './tenant';

type Candidate = Pick<Tenant, 'id' | 'name' | 'status' | 'service_provider' | 'parent_tenant_id'>;

function label(t: Candidate): string {
  return `tenant ${t.id} ("${t.name}")`;
}

export function requireSuspended(t: Candidate): void {
  if (t.status !== 'suspended') {
    throw new RuleError(
      `${label(t)} is ${t.status}: only a suspended tenant can be removed`,
      `suspend it first: tenantadm update-tenant --tenant ${t.id} --status suspended`,
      { status: t.status },
    );
  }
}

/**
 * The order in which to remove `target` and its `children`: groups, children first.
 * `through` is the Service Provider the removal is asked through (`--parent`).
 */
export function removalOrder(target: Candidate, children: Candidate[], options: { cascade?: boolean; through?: string }): string[][] {
  if (options.through !== undefined && target.parent_tenant_id !== options.through) {
    throw new RuleError(
      `${label(target)} is not a child of Service Provider ${options.through}${target.parent_tenant_id ? ` (its Service Provider is ${target.parent_tenant_id})` : ''}`,
      'a Service Provider removes only its own children; nothing was changed',
    );
  }
  requireSuspended(target);
  if (children.length > 0) {
    if (!options.cascade) {
      throw new RuleError(
        `${label(target)} is a Service Provider with ${children.length} child tenant${children.length === 1 ? '' : 's'}`,
        `remove them first, or add --cascade to remove them with it (each must be suspended): tenantadm list-tenants --parent ${target.id}`,
        { children: children.length },
      );
    }
    const active = children.filter((c) => c.status !== 'suspended');
    if (active.length > 0) {
      throw new RuleError(
        `--cascade needs every child suspended; not suspended: ${active.map(label).join(', ')}`,
        'suspend them first: tenantadm update-tenant --tenant ID --status suspended',
        { active: active.map((c) => c.id) },
      );
    }
  }
  return [children.map((c) => c.id), [target.id]];
}

/**
 * For a batch (every tenant suspended long enough): a Service Provider goes with its
 * children only when all of them are in the batch; otherwise it is skipped, named with why.
 */
export function batchRemovalOrder(
  candidates: Candidate[],
  childrenOf: Map<string, Candidate[]>,
): { groups: string[][]; skipped: { id: string; name: string; reason: string }[] } {
  const inBatch = new Set(candidates.map((c) => c.id));
  const skipped: { id: string; name: string; reason: string }[] = [];
  const first: string[] = [];
  const last: string[] = [];
  for (const c of candidates) {
    const kids = childrenOf.get(c.id) ?? [];
    const staying = kids.filter((k) => !inBatch.has(k.id));
    if (staying.length > 0) {
      skipped.push({ id: c.id, name: c.name, reason: `Service Provider with ${staying.length} child tenant(s) that stay: ${staying.map((k) => k.id).join(', ')}` });
      continue;
    }
    (kids.length > 0 ? last : first).push(c.id);
  }
  return { groups: [first, last], skipped };
}
