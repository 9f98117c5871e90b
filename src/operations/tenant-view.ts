/**
 * What a tenant's view needs besides the stored tenant: its device limit and accepted devices,
 * read per tenant, per batch or once for a whole listing. The columns are in views/tenant.ts.
 */
import type { Store, TenantRecord } from '../store';
import type { TenantView } from '../domain/tenant';

/** A tenant as shown: the stored tenant with its device limit (-1 unlimited) and accepted devices. */
function viewOf(record: TenantRecord, limit: number | undefined, count: number | undefined): TenantView {
  return { ...record.tenant, device_limit: limit ?? -1, device_count: count ?? 0 };
}

/** Add device figures to a batch of tenants with two queries, whatever the batch size. */
export async function withDeviceFigures(store: Store, records: TenantRecord[]): Promise<TenantView[]> {
  const ids = records.map((r) => r.tenant.id);
  const [limits, counts] = await Promise.all([store.limits.getMany(ids), store.devices.acceptedCounts(ids)]);
  return records.map((r) => viewOf(r, limits.get(r.tenant.id)?.value, counts.get(r.tenant.id)));
}

/**
 * The device figures of one tenant, to be read while the command does its other work (they
 * are not what it changes): call it early, await it for the result.
 */
export function deviceFiguresOf(store: Store, id: string): Promise<(record: TenantRecord) => TenantView> {
  const read = Promise.all([store.limits.get(id), store.devices.acceptedCounts([id])]).then(
    ([limit, counts]) =>
      (record: TenantRecord) =>
        viewOf(record, limit.value, counts.get(id)),
  );
  // A command that fails before it asks for them must not leave an unhandled rejection behind.
  read.catch(() => undefined);
  return read;
}

export async function viewOne(store: Store, record: TenantRecord): Promise<TenantView> {
  return (await withDeviceFigures(store, [record]))[0]!;
}

/**
 * Stream views in batches: output starts with the first batch and is never held whole.
 * `whole` (a listing not narrowed by id, name or parent) reads the figures once at the start.
 * A listing longer than one batch switches to one pass over all limits and device counts
 * (numbers per tenant), because `$in` per batch is a full scan on servers without index
 * push-down (FerretDB), which made long listings quadratic.
 */
export async function* streamViews(store: Store, records: AsyncIterable<TenantRecord>, options: { batch?: number; whole?: boolean } = {}): AsyncGenerator<TenantView> {
  const batch = options.batch ?? 256;
  let pending: TenantRecord[] = [];
  let figures: { limits: Map<string, number>; counts: Map<string, number> } | undefined;
  // A listing of (nearly) every tenant reads the figures once up front, as a raw drain would.
  if (options.whole) {
    const [limits, counts] = await Promise.all([store.limits.all(), store.devices.acceptedCountsAll()]);
    figures = { limits, counts };
  }
  const flush = async (): Promise<TenantView[]> => {
    const done = pending;
    pending = [];
    if (!figures) return withDeviceFigures(store, done);
    const { limits, counts } = figures;
    return done.map((r) => viewOf(r, limits.get(r.tenant.id), counts.get(r.tenant.id)));
  };
  let batches = 0;
  for await (const record of records) {
    pending.push(record);
    if (pending.length >= batch) {
      if (++batches === 2 && !figures) {
        const [limits, counts] = await Promise.all([store.limits.all(), store.devices.acceptedCountsAll()]);
        figures = { limits, counts };
      }
      yield* await flush();
    }
  }
  if (pending.length > 0) yield* await flush();
}
