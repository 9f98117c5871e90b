/** maintenance delete-suspended-tenants: remove every tenant suspended for at least N days, in one operation. */
import type { OptionsOf } from '../../options';
import type { deleteSuspendedOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { batchRemovalOrder } from '../../domain/removal-rules';
import { confirmYes, consentNeeded } from '../../confirm';
import { batches, mergeResults, removeTenants, type RemovalResult, type Skipped } from '../../operations/remove-tenants';
import type { TenantRecord } from '../../store';
import { parseDatabaseNames } from '../../domain/databases';
import { suspendedCandidateColumns, type SuspendedCandidate } from '../../views/maintenance';

export type DeleteSuspendedOptions = OptionsOf<typeof deleteSuspendedOptions>;

const DAY_MS = 86_400_000;

function since(r: TenantRecord): string | null {
  const at = r.raw.suspended_at ?? r.raw.updated_at;
  return at instanceof Date ? at.toISOString() : null;
}

/**
 * Mender's `maintenance delete-suspended-tenants`: every tenant suspended for at least N days
 * goes, with all its records (as delete-tenant; a Service Provider only with all its children).
 * Found with one query; removed as one operation, one query per collection for all of them.
 */
export async function deleteSuspendedTenants(options: DeleteSuspendedOptions, deps: Deps): Promise<Result> {
  const days = options.thresholdDays;
  const databases = parseDatabaseNames(options.databases);
  const ask = !options.dryRun && consentNeeded(options.yes, 'maintenance delete-suspended-tenants', deps);
  const store = await deps.store();
  if (!options.dryRun) await store.settleInterrupted();
  const cutoff = new Date(deps.now().getTime() - days * DAY_MS);
  const found: TenantRecord[] = [];
  await store.guard(async () => {
    for await (const r of store.tenants.suspendedSince(cutoff, { onlyTrial: options.onlyTrial === true })) found.push(r);
  });
  const children = await store.guard(() => store.tenants.childrenOf(found.filter((r) => r.tenant.service_provider).map((r) => r.tenant.id)));
  const childrenOf = new Map<string, TenantRecord['tenant'][]>();
  for (const k of children) childrenOf.set(k.tenant.parent_tenant_id!, [...(childrenOf.get(k.tenant.parent_tenant_id!) ?? []), k.tenant]);
  const { groups, skipped } = batchRemovalOrder(
    found.map((r) => r.tenant),
    childrenOf,
  );
  const going = new Set(groups.flat());
  const rows: SuspendedCandidate[] = found.map((r) => ({
    id: r.tenant.id,
    name: r.tenant.name,
    suspended_since: since(r),
    action: going.has(r.tenant.id) ? 'remove' : `skip: ${skipped.find((s) => s.id === r.tenant.id)?.reason ?? ''}`,
  }));
  if (options.dryRun) return { type: 'list', rows, columns: suspendedCandidateColumns, noun: 'suspended tenants' };
  if (going.size === 0) {
    return { type: 'object', data: { removed: { tenants: [], documents: {}, databases: [] }, remaining: 0, skipped } };
  }
  if (ask) {
    await confirmYes(`Remove ${going.size} ${options.onlyTrial ? 'trial ' : ''}tenant(s) suspended for at least ${days} day(s), with all their records, everywhere? This cannot be undone.`, deps);
  }
  for (const s of skipped) deps.warn(`skipped tenant ${s.id} ("${s.name}"): ${s.reason}`);
  const records = new Map(found.filter((r) => going.has(r.tenant.id)).map((r) => [r.tenant.id, r]));
  // One operation per batch, children's batches before their Service Providers': each batch
  // is complete once done, and a killed one is finished by the next command or `repair`.
  const results: RemovalResult[] = [];
  const later: Skipped[] = [];
  for (const batch of batches(groups)) {
    const mine = new Map(batch.flat().map((id) => [id, records.get(id)!]));
    const { result, skipped: left } = await removeTenants(store, deps, 'maintenance delete-suspended-tenants', mine, batch, {
      databases,
      // Re-checked under the tenants' locks: one re-activated (or suspended anew) since it was read stays.
      skipIf: (fresh) => stillDue(fresh, cutoff, days),
    });
    for (const s of left) deps.warn(`skipped tenant ${s.id} ("${s.name}"): ${s.reason}`);
    later.push(...left);
    results.push(result);
  }
  return { type: 'object', data: { ...mergeResults(results), skipped: [...skipped, ...later] } };
}

/** Why a tenant read as due no longer is, under its lock (null: it still is); the rule of `suspendedSince`. */
function stillDue(r: TenantRecord, cutoff: Date, days: number): string | null {
  if (r.tenant.status !== 'suspended') return `it is ${r.tenant.status} now`;
  const at = r.raw.suspended_at instanceof Date ? r.raw.suspended_at : r.raw.suspended_at === undefined && r.raw.updated_at instanceof Date ? r.raw.updated_at : undefined;
  if (!at || at.getTime() > cutoff.getTime()) return `suspended ${at ? `since ${at.toISOString()}` : 'at an unknown time'}, less than ${days} day(s) ago`;
  return null;
}
