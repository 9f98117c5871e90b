/** maintenance suspend-tenants-expired-trial: suspend every active tenant whose trial has expired, in one update. */
import type { OptionsOf } from '../../options';
import type { suspendExpiredTrialOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { confirmYes, consentNeeded } from '../../confirm';
import { ChangeSet, tenantObject, type TenantRecord } from '../../store';
import { LimitRefresh } from '../../mender/limit-cache';
import { warnDirectRevocation } from '../../notices';
import { BATCH_SIZE } from '../../operations/remove-tenants';
import { expiredTrialColumns, type ExpiredTrialRow } from '../../views/maintenance';

export type SuspendExpiredTrialOptions = OptionsOf<typeof suspendExpiredTrialOptions>;

/**
 * Mender's `maintenance suspend-tenants-expired-trial`: every active tenant whose trial
 * (`trial: true`) expired (`trial_expiration` in the past) is suspended, its tokens revoked,
 * in one operation: one query finds them, one update suspends them all.
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

  const ids = found.map((r) => r.tenant.id);
  // Parsed before the writes: a malformed Redis URL is exit 2 with nothing written.
  const refresh = new LimitRefresh(deps.config, deps.warn);
  let revoked: ReturnType<typeof store.revokeTokensManySteps> = { steps: [], direct: [] };
  // One operation per batch of tenants (its journal document holds an audit entry per tenant).
  for (let i = 0; i < found.length; i += BATCH_SIZE) {
    const batch = found.slice(i, i + BATCH_SIZE);
    const batchIds = batch.map((r) => r.tenant.id);
    revoked = store.revokeTokensManySteps(batchIds);
    const changes = new ChangeSet('maintenance suspend-tenants-expired-trial').afterCommit(store.tenants.suspendManyStep(batchIds, now), ...revoked.steps);
    changes.forwardOnly = true;
    for (const r of batch) {
      const t = r.tenant;
      changes.audit({
        action: 'update',
        tenantId: t.id,
        parentId: t.parent_tenant_id,
        object: tenantObject(t.id, t.name),
        change: `status: ${t.status} -> suspended (trial expired ${t.trial_expiration ?? ''})`,
      });
    }
    await store.commit(changes);
  }
  if (revoked.direct.length > 0) warnDirectRevocation(deps, revoked.direct);
  await refresh.tenants(ids);
  return { type: 'list', rows: found.map((r) => row(r, 'suspended')), columns: expiredTrialColumns, noun: 'tenants with an expired trial' };
}
