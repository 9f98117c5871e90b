/** maintenance suspend-tenants-expired-trial: suspend every active tenant whose trial has expired, re-checked under their locks. */
import type { OptionsOf } from '../../options';
import type { suspendExpiredTrialOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { confirmYes, consentNeeded } from '../../confirm';
import { ChangeSet, spLock, tenantLock, tenantObject, type TenantRecord } from '../../store';
import { LimitRefresh } from '../../mender/limit-cache';
import { warnDirectRevocation } from '../../notices';
import { BATCH_SIZE } from '../../operations/remove-tenants';
import { expiredTrialColumns, type ExpiredTrialRow } from '../../views/maintenance';

export type SuspendExpiredTrialOptions = OptionsOf<typeof suspendExpiredTrialOptions>;

/**
 * Mender's `maintenance suspend-tenants-expired-trial`: every active tenant whose trial
 * (`trial: true`) expired (`trial_expiration` in the past) is suspended, its tokens revoked:
 * one query finds them; under their locks, after the prompt, those still due (a trial extended
 * or ended meanwhile is not) are suspended by one update per batch, and only they are audited.
 */
export async function suspendTenantsExpiredTrial(options: SuspendExpiredTrialOptions, deps: Deps): Promise<Result> {
  const ask = !options.dryRun && consentNeeded(options.yes, 'maintenance suspend-tenants-expired-trial', deps);
  const store = await deps.store();
  if (!options.dryRun) await store.settleInterrupted();
  const now = deps.now();
  const found: TenantRecord[] = [];
  await store.guard(async () => {
    for await (const r of store.tenants.expiredTrials(now)) found.push(r);
  });
  const row = (r: TenantRecord, status: string): ExpiredTrialRow => ({ id: r.tenant.id, name: r.tenant.name, trial_expiration: r.tenant.trial_expiration ?? null, status });
  if (options.dryRun || found.length === 0) return { type: 'list', rows: found.map((r) => row(r, r.tenant.status)), columns: expiredTrialColumns, noun: 'tenants with an expired trial' };
  if (ask) await confirmYes(`Suspend ${found.length} tenant(s) whose trial expired (revoking their device and user tokens)?`, deps);

  // Parsed before the writes: a malformed Redis URL is exit 2 with nothing written.
  const refresh = new LimitRefresh(deps.config, deps.warn);
  const direct = new Set<'deviceauth' | 'useradm'>();
  const after = new Map<string, ExpiredTrialRow>();
  // One operation per batch of tenants (its journal document holds an audit entry per tenant),
  // under the locks update-tenant takes for a status or trial change: what was read before the
  // prompt is read again there, and only tenants still due are suspended, revoked and audited.
  for (let i = 0; i < found.length; i += BATCH_SIZE) {
    const batch = found.slice(i, i + BATCH_SIZE);
    const batchIds = batch.map((r) => r.tenant.id);
    const keys = batchIds.flatMap((id) => [tenantLock(id), spLock(id)]);
    const rows = await store.exclusive(keys, async () => {
      const fresh = new Map((await store.tenants.findMany(batchIds)).map((r) => [r.tenant.id, r]));
      const at = deps.now();
      const due = batch.map((r) => fresh.get(r.tenant.id)).filter((r): r is TenantRecord => r !== undefined && expiredTrial(r, at));
      const dueIds = due.map((r) => r.tenant.id);
      const going = new Set(dueIds);
      const out = batch.map((r) => {
        const now = fresh.get(r.tenant.id);
        return now ? row(now, going.has(r.tenant.id) ? 'suspended' : now.tenant.status) : row(r, 'removed');
      });
      for (const r of out) {
        if (!going.has(r.id)) deps.warn(`skipped tenant ${r.id} ("${r.name}"): ${skipReason(fresh.get(r.id))}`);
      }
      if (due.length === 0) return { changes: null, result: out };
      const revoked = store.revokeTokensManySteps(dueIds);
      for (const service of revoked.direct) direct.add(service);
      const changes = new ChangeSet('maintenance suspend-tenants-expired-trial').afterCommit(
        store.tenants.suspendManyStep(dueIds, at),
        ...revoked.steps,
        // What deviceauth's own token API does besides deleting: move the tenants' cache version.
        ...store.cacheSteps(refresh.tenants(dueIds)),
      );
      changes.forwardOnly = true;
      for (const r of due) {
        const t = r.tenant;
        changes.audit({
          action: 'update',
          tenantId: t.id,
          parentId: t.parent_tenant_id,
          object: tenantObject(t.id, t.name),
          change: `status: ${t.status} -> suspended (trial expired ${t.trial_expiration ?? ''})`,
        });
      }
      return { changes, result: out };
    });
    for (const r of rows) after.set(r.id, r);
  }
  if (direct.size > 0) warnDirectRevocation(deps, [...direct]);
  return { type: 'list', rows: found.map((r) => after.get(r.tenant.id)!), columns: expiredTrialColumns, noun: 'tenants with an expired trial' };
}

/** Still an active tenant on a trial that expired at or before `now` (the rule of `expiredTrials`). */
function expiredTrial(r: TenantRecord, now: Date): boolean {
  const t = r.tenant;
  return t.status === 'active' && t.trial === true && t.trial_expiration !== undefined && Date.parse(t.trial_expiration) <= now.getTime();
}

/** What changed since the tenant was read as due (a warning; nothing was done to it). */
function skipReason(r: TenantRecord | undefined): string {
  if (!r) return 'it was removed meanwhile';
  const t = r.tenant;
  if (t.status !== 'active') return `it is ${t.status} now`;
  if (t.trial !== true) return 'it is no longer on a trial';
  return t.trial_expiration ? `its trial now runs until ${t.trial_expiration}` : 'its trial has no expiration now';
}
