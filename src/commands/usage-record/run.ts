/** usage record: one snapshot per tenant, filed under a day. */
import type { OptionsOf } from '../../options';
import type { usageRecordOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { UsageError } from '../../errors';
import { LIMIT_KINDS, UNLIMITED } from '../../domain/tenant';
import type { Store, TenantRecord } from '../../store';
import { emptyTierCounts } from '../../store/devices';
import type { Tiers, UsageSnapshot } from '../../store/usage-history';

export type UsageRecordOptions = OptionsOf<typeof usageRecordOptions>;

/** YYYY-MM-DD that is a real date. */
export function parseDay(raw: string): string {
  const text = raw.trim();
  const d = new Date(`${text}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text) {
    throw new UsageError(`invalid --day "${raw}"`, 'a date as YYYY-MM-DD, e.g. 2026-11-30');
  }
  return text;
}

/** Every tenant's snapshot, in batches: devices and limits read once for all (a constant number of reads). */
async function* snapshots(store: Store, day: string, batch = 1000): AsyncGenerator<UsageSnapshot[]> {
  const [{ tiers: counts }, limits] = await Promise.all([store.devices.countsWithTiers(), store.limits.allKinds(LIMIT_KINDS)]);
  const limitsOf = (id: string): Tiers => Object.fromEntries(LIMIT_KINDS.map((k) => [k, limits.get(`${id}/${k}`) ?? UNLIMITED])) as Tiers;
  const toSnapshot = (r: TenantRecord): UsageSnapshot => {
    const t = r.tenant;
    const c = counts.get(t.id) ?? emptyTierCounts();
    return { day, tenant_id: t.id, name: t.name, status: t.status, plan: t.plan, parent_tenant_id: t.parent_tenant_id ?? null, ...c, limits: limitsOf(t.id) };
  };
  let pending: UsageSnapshot[] = [];
  for await (const r of store.tenants.find({})) {
    pending.push(toSnapshot(r));
    if (pending.length >= batch) {
      yield pending;
      pending = [];
    }
  }
  if (pending.length) yield pending;
}

export async function usageRecord(options: UsageRecordOptions, deps: Deps): Promise<Result> {
  const now = deps.now();
  const day = options.day === undefined ? now.toISOString().slice(0, 10) : parseDay(options.day);
  const store = await deps.store();
  const written = await store.usageHistory.record(day, snapshots(store, day), now);
  return { type: 'object', data: { day, ...written } };
}
