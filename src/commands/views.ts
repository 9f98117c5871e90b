/** Tenants as printed: the stored tenant plus its device limit and accepted devices. */
import type { Store, TenantRecord } from '../store';
import type { Column } from '../output';
import { formatLimit, type TenantView } from '../domain/tenant';

/** Add device figures to a batch of tenants with two queries, whatever the batch size. */
export async function withDeviceFigures(store: Store, records: TenantRecord[]): Promise<TenantView[]> {
  const ids = records.map((r) => r.tenant.id);
  const [limits, counts] = await Promise.all([store.limits.getMany(ids), store.devices.acceptedCounts(ids)]);
  return records.map((r) => ({
    ...r.tenant,
    device_limit: limits.get(r.tenant.id)?.value ?? -1,
    device_count: counts.get(r.tenant.id) ?? 0,
  }));
}

export async function viewOne(store: Store, record: TenantRecord): Promise<TenantView> {
  return (await withDeviceFigures(store, [record]))[0]!;
}

/** Stream views in batches: memory is bounded by the batch, not the number of tenants. */
export async function* streamViews(store: Store, records: AsyncIterable<TenantRecord>, batch = 256): AsyncGenerator<TenantView> {
  let pending: TenantRecord[] = [];
  for await (const record of records) {
    pending.push(record);
    if (pending.length >= batch) {
      yield* await withDeviceFigures(store, pending);
      pending = [];
    }
  }
  if (pending.length > 0) yield* await withDeviceFigures(store, pending);
}

export const tenantColumns: Column<TenantView>[] = [
  { header: 'ID', get: (t) => t.id },
  { header: 'NAME', get: (t) => t.name },
  { header: 'STATUS', get: (t) => t.status },
  { header: 'PLAN', get: (t) => t.plan },
  { header: 'SP', get: (t) => (t.service_provider ? 'yes' : '') },
  { header: 'PARENT', get: (t) => t.parent_tenant_id ?? '' },
  { header: 'DEVICES', get: (t) => `${t.device_count}/${formatLimit(t.device_limit)}` },
  { header: 'ADD-ONS', get: (t) => t.addons.filter((a) => a.enabled).map((a) => a.name).join(',') },
  { header: 'CREATED', get: (t) => t.created_at ?? '' },
];
