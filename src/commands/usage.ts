/** usage: devices and limits per tenant, and a Service Provider's allocation, for billing. */
import type { OptionsOf } from '../options';
import type { usageOptions } from '../command-table';
import type { Deps } from '../deps';
import type { Column, Result } from '../output';
import { LIMIT_KINDS, UNLIMITED, formatLimit, parseTenantId, type LimitKind } from '../domain/tenant';
import { allocationOf, freeCapacity } from '../domain/allocation';
import type { Store, TenantRecord } from '../store';
import type { DeviceCounts } from '../store/devices';
import { requireTenant } from '../operations/allocation';
import { counted } from '../progress';

export type UsageOptions = OptionsOf<typeof usageOptions>;

type PerKind = Record<LimitKind, number>;

export interface UsageRow {
  tenant_id: string;
  name: string;
  status: string;
  service_provider: boolean;
  parent_tenant_id: string | null;
  devices: DeviceCounts;
  /** Each limit kind: -1 unlimited (also when no limit document exists). */
  limits: PerKind;
  /** Service Providers only: how many children, what they were given and what is left (-1: no cap). */
  children?: number;
  allocated?: PerKind;
  free?: PerKind;
}

const KIND_SUFFIX: Record<LimitKind, string> = { max_devices: '', max_micro_devices: '_MICRO', max_system_devices: '_SYSTEM' };
const kindColumns = (label: string, pick: (r: UsageRow) => PerKind | undefined): Column<UsageRow>[] =>
  LIMIT_KINDS.map((k) => ({
    header: `${label}${KIND_SUFFIX[k]}`,
    get: (r) => (pick(r) ? formatLimit(pick(r)![k]) : ''),
    // Micro and system device limits are rare: a narrow table shows max_devices only.
    ...(k === 'max_devices' ? {} : { optional: true }),
  }));

export const usageColumns: Column<UsageRow>[] = [
  { header: 'ID', get: (r) => r.tenant_id, keep: true },
  { header: 'NAME', get: (r) => r.name },
  { header: 'SP', get: (r) => (r.service_provider ? 'yes' : '') },
  { header: 'PARENT', get: (r) => r.parent_tenant_id ?? '', keep: true, optional: true },
  { header: 'ACCEPTED', get: (r) => r.devices.accepted },
  { header: 'PENDING', get: (r) => r.devices.pending, optional: true },
  { header: 'REJECTED', get: (r) => r.devices.rejected, optional: true },
  ...kindColumns('LIMIT', (r) => r.limits),
  { header: 'CHILDREN', get: (r) => r.children ?? '', optional: true },
  ...kindColumns('ALLOCATED', (r) => r.allocated),
  ...kindColumns('FREE', (r) => r.free),
];

/** Where a batch of rows gets its figures: queries per batch, or maps read once. */
interface Figures {
  counts(ids: string[]): Promise<Map<string, DeviceCounts>>;
  limits(ids: string[]): Promise<Map<string, PerKind>>;
  children(spId: string): Promise<string[]>;
}

const noDevices = (): DeviceCounts => ({ accepted: 0, pending: 0, rejected: 0, preauthorized: 0, noauth: 0 });

/** For a few tenants: `$in` queries on exactly those tenants. */
function perBatch(store: Store): Figures {
  return {
    counts: (ids) => store.devices.countsByStatus(ids),
    limits: async (ids) => {
      const out = new Map<string, PerKind>(ids.map((id) => [id, {} as PerKind]));
      for (const kind of LIMIT_KINDS) {
        for (const [id, rec] of await store.limits.getMany(ids, kind)) out.get(id)![kind] = rec.value;
      }
      return out;
    },
    children: async (spId) => {
      const kids: string[] = [];
      for await (const child of store.tenants.find({ parent: spId })) kids.push(child.tenant.id);
      return kids;
    },
  };
}

/**
 * For long listings: every limit, device count and parent link read once. `$in` per batch
 * is a full scan on servers without index push-down (FerretDB), which made long listings
 * quadratic; these maps hold a few numbers per tenant.
 */
async function allAtOnce(store: Store): Promise<Figures> {
  const [counts, children, ...byKind] = await Promise.all([
    store.devices.countsByStatusAll(),
    store.tenants.childIdsByParent(),
    ...LIMIT_KINDS.map((kind) => store.limits.all(kind)),
  ]);
  const limitsOf = (id: string): PerKind =>
    Object.fromEntries(LIMIT_KINDS.map((kind, i) => [kind, (byKind[i] as Map<string, number>).get(id) ?? UNLIMITED])) as PerKind;
  return {
    counts: async (ids) => new Map(ids.map((id) => [id, counts.get(id) ?? noDevices()])),
    limits: async (ids) => new Map(ids.map((id) => [id, limitsOf(id)])),
    children: async (spId) => children.get(spId) ?? [],
  };
}

/** Usage rows for one batch of tenants. */
async function usageRows(figures: Figures, records: TenantRecord[]): Promise<UsageRow[]> {
  const ids = records.map((r) => r.tenant.id);
  const [counts, limits] = await Promise.all([figures.counts(ids), figures.limits(ids)]);
  const rows: UsageRow[] = [];
  for (const r of records) {
    const t = r.tenant;
    const row: UsageRow = {
      tenant_id: t.id,
      name: t.name,
      status: t.status,
      service_provider: t.service_provider,
      parent_tenant_id: t.parent_tenant_id ?? null,
      devices: counts.get(t.id)!,
      limits: limits.get(t.id)!,
    };
    if (t.service_provider) {
      const kids = await figures.children(t.id);
      const childLimits = await figures.limits(kids);
      row.children = kids.length;
      row.allocated = {} as PerKind;
      row.free = {} as PerKind;
      for (const kind of LIMIT_KINDS) {
        const alloc = allocationOf(kids.map((k) => childLimits.get(k)![kind]));
        // An unlimited child takes everything: allocated is reported as unlimited (-1).
        row.allocated[kind] = alloc.unlimited > 0 ? UNLIMITED : alloc.sum;
        row.free[kind] = freeCapacity(row.limits[kind], alloc);
      }
    }
    rows.push(row);
  }
  return rows;
}

/** Stream rows in batches; from the second batch on, figures come from maps read once. */
async function* stream(store: Store, records: AsyncIterable<TenantRecord>, batch = 256): AsyncGenerator<UsageRow> {
  let figures = perBatch(store);
  let batches = 0;
  let pending: TenantRecord[] = [];
  for await (const record of records) {
    pending.push(record);
    if (pending.length >= batch) {
      if (++batches === 2) figures = await allAtOnce(store);
      yield* await usageRows(figures, pending);
      pending = [];
    }
  }
  if (pending.length > 0) yield* await usageRows(figures, pending);
}

/** Devices and limits per tenant for billing: accepted/pending/rejected, each limit, and an SP's allocation. */
export async function usage(options: UsageOptions, deps: Deps): Promise<Result> {
  const id = options.id === undefined ? undefined : parseTenantId(options.id);
  const parent = options.parent === undefined ? undefined : parseTenantId(options.parent, 'parent id');
  const store = await deps.store();
  // A named tenant or SP that does not exist is exit 3, not an empty list.
  if (id !== undefined) await requireTenant(store, id);
  if (parent !== undefined) await requireTenant(store, parent, 'Service Provider');
  return { type: 'list', rows: counted(stream(store, store.tenants.find({ id, parent })), deps.progress('tenants')), columns: usageColumns };
}
