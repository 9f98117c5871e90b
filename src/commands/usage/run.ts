/** usage: devices and limits per tenant, and a Service Provider's allocation, for billing. */
import type { OptionsOf } from '../../options';
import type { usageOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ExitCode } from '../../errors';
import { LIMIT_KINDS, UNLIMITED, parseTenantId } from '../../domain/tenant';
import { allocationOf, freeCapacity } from '../../domain/allocation';
import type { Store, TenantRecord } from '../../store';
import type { DeviceCounts, TierCounts } from '../../store/devices';
import { requireTenant } from '../../operations/tenants';
import { UsageError } from '../../errors';
import { counted } from '../../progress';
import { PendingTenants } from '../../operations/pending';
import { totalsRow, usageColumns, type PerKind, type UsageRow } from '../../views/usage';

export type UsageOptions = OptionsOf<typeof usageOptions>;

/** Where a batch of rows gets its figures: queries per batch, or maps read once. */
interface Figures {
  /** Devices by status, and per tier (`tiers` set where the device records carry one; none on open-source deviceauth). */
  devices(ids: string[]): Promise<{ counts: Map<string, DeviceCounts>; tiers: Map<string, TierCounts> }>;
  limits(ids: string[]): Promise<Map<string, PerKind>>;
  /** Children of each of the SPs, in one read. */
  children(spIds: string[]): Promise<Map<string, string[]>>;
}

const noDevices = (): DeviceCounts => ({ accepted: 0, pending: 0, rejected: 0, preauthorized: 0, noauth: 0 });

/** For a few tenants: `$in` queries on exactly those tenants (one per figure, whatever the batch size). */
function perBatch(store: Store): Figures {
  return {
    devices: (ids) => store.devices.countsWithTiers(ids),
    limits: async (ids) => {
      const out = new Map<string, PerKind>(ids.map((id) => [id, {} as PerKind]));
      for (const [, rec] of await store.limits.getKinds(ids, LIMIT_KINDS)) out.get(rec.tenantId)![rec.kind] = rec.value;
      return out;
    },
    children: async (spIds) => {
      const out = new Map<string, string[]>(spIds.map((id) => [id, []]));
      if (spIds.length === 0) return out;
      for (const child of await store.tenants.findLinked([], spIds, ['_id', 'parent_tenant_id'])) out.get(child.tenant.parent_tenant_id!)?.push(child.tenant.id);
      for (const kids of out.values()) kids.sort();
      return out;
    },
  };
}

/**
 * For long listings: every limit, device count and parent link read once. `$in` per batch
 * is a full scan on servers without index push-down (FerretDB), which made long listings
 * quadratic; these maps hold a few numbers per tenant.
 */
async function allAtOnce(store: Store): Promise<Figures> {
  const [devices, children, ...byKind] = await Promise.all([
    store.devices.countsWithTiers(),
    store.tenants.childIdsByParent(),
    ...LIMIT_KINDS.map((kind) => store.limits.all(kind)),
  ]);
  const limitsOf = (id: string): PerKind =>
    Object.fromEntries(LIMIT_KINDS.map((kind, i) => [kind, (byKind[i] as Map<string, number>).get(id) ?? UNLIMITED])) as PerKind;
  return {
    devices: async (ids) => ({ counts: new Map(ids.map((id) => [id, devices.counts.get(id) ?? noDevices()])), tiers: devices.tiers }),
    limits: async (ids) => new Map(ids.map((id) => [id, limitsOf(id)])),
    children: async (spIds) => new Map(spIds.map((id) => [id, children.get(id) ?? []])),
  };
}

/** Usage rows for one batch of tenants: the same few reads whatever the batch size and however many SPs it holds. */
async function usageRows(figures: Figures, records: TenantRecord[], asOf: string): Promise<UsageRow[]> {
  const ids = records.map((r) => r.tenant.id);
  const spIds = records.filter((r) => r.tenant.service_provider).map((r) => r.tenant.id);
  const [{ counts, tiers }, limits, children] = await Promise.all([figures.devices(ids), figures.limits(ids), figures.children(spIds)]);
  const childLimits = await figures.limits([...new Set([...children.values()].flat())]);
  const rows: UsageRow[] = [];
  for (const r of records) {
    const t = r.tenant;
    const row: UsageRow = {
      id: t.id,
      name: t.name,
      status: t.status,
      plan: t.plan,
      service_provider: t.service_provider,
      parent_tenant_id: t.parent_tenant_id ?? null,
      devices: counts.get(t.id)!,
      limits: limits.get(t.id)!,
      as_of: asOf,
    };
    const byTier = tiers.get(t.id);
    if (byTier?.tiers) row.by_tier = Object.fromEntries(LIMIT_KINDS.map((k) => [k, { accepted: byTier.accepted[k], pending: byTier.pending[k], preauthorized: byTier.preauthorized[k] }])) as UsageRow['by_tier'];
    if (t.service_provider) {
      const kids = children.get(t.id) ?? [];
      row.children = kids.length;
      row.allocated = {} as PerKind;
      row.free = {} as PerKind;
      for (const kind of LIMIT_KINDS) {
        const alloc = allocationOf(kids.map((k) => childLimits.get(k)![kind]));
        // An unlimited child takes everything: allocated is reported as unlimited (-1).
        row.allocated[kind] = alloc.unlimited > 0 ? UNLIMITED : alloc.sum;
        row.free[kind] = freeCapacity(row.limits![kind], alloc);
      }
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Stream rows in batches. Every tenant (`whole`): figures come from maps read once at the start,
 * like a raw drain. A selection: `$in` queries per batch, switching to the maps from the
 * second batch on (a long selection costs no more than everything).
 */
async function* stream(store: Store, records: AsyncIterable<TenantRecord>, whole: boolean, asOf: string, batch = 256): AsyncGenerator<UsageRow> {
  let figures = whole ? await allAtOnce(store) : perBatch(store);
  let batches = 0;
  let pending: TenantRecord[] = [];
  for await (const record of records) {
    pending.push(record);
    if (pending.length >= batch) {
      if (++batches === 2 && !whole) figures = await allAtOnce(store);
      yield* await usageRows(figures, pending, asOf);
      pending = [];
    }
  }
  if (pending.length > 0) yield* await usageRows(figures, pending, asOf);
}

/** A Service Provider, then its children, then a row adding them up: one listing for one bill. */
async function* tree(store: Store, sp: TenantRecord, asOf: string): AsyncGenerator<UsageRow> {
  const rows: UsageRow[] = [];
  for await (const row of stream(store, (async function* () {
    yield sp;
    yield* store.tenants.find({ parent: sp.tenant.id });
  })(), false, asOf)) {
    rows.push(row);
    yield row;
  }
  yield totalsRow(rows, asOf);
}

/** Devices and limits per tenant for billing: accepted/pending/rejected, each limit, and an SP's allocation. */
export async function usage(options: UsageOptions, deps: Deps): Promise<Result> {
  const id = options.tenant === undefined ? undefined : parseTenantId(options.tenant);
  const parent = options.parent === undefined ? undefined : parseTenantId(options.parent, 'parent id');
  const treeOf = options.tree === undefined ? undefined : parseTenantId(options.tree, 'Service Provider id');
  // One time for the whole listing: the figures are read as of the start of the run.
  const asOf = deps.now().toISOString();
  const store = await deps.store();
  // A named tenant or SP that does not exist is exit 3, not an empty list.
  if (id !== undefined) await requireTenant(store, id);
  if (parent !== undefined) await requireTenant(store, parent, 'Service Provider');
  const all =
    treeOf !== undefined
      ? await (async () => {
          const sp = await requireTenant(store, treeOf, 'Service Provider');
          if (!sp.tenant.service_provider) {
            throw new UsageError(`tenant ${treeOf} is not a Service Provider`, `for one tenant use --tenant ${treeOf}`);
          }
          return tree(store, sp, asOf);
        })()
      : stream(store, store.tenants.find({ id, parent }), id === undefined && parent === undefined, asOf);
  // Tenants an operation is still writing are said on stderr as they are listed: one read of the journal.
  const pending = await PendingTenants.read(store, deps);
  let over = 0;
  const line = options.warnAt;
  const rows =
    line === undefined
      ? all
      : (async function* () {
          for await (const r of all) {
            // A --tree TOTAL row is no tenant: it is never over the line itself.
            if (r.total || !atOrOver(r, line)) continue;
            over++;
            yield r;
          }
        })();
  return {
    type: 'list',
    rows: counted(
      pending.noting(rows, (r) => (r.total || r.id === null ? null : { id: r.id, name: r.name })),
      deps.progress('tenants'),
    ),
    columns: usageColumns,
    noun: 'tenants',
    ...(line !== undefined ? { exitCode: () => (over > 0 ? ExitCode.overTheLine : undefined) } : {}),
  };
}

/** Accepted devices at or above `percent` of a capped max_devices limit (a limit of 0 is over once it holds a device). */
export function atOrOver(row: UsageRow, percent: number): boolean {
  const limit = row.limits?.max_devices ?? -1;
  if (limit < 0) return false;
  if (limit === 0) return row.devices.accepted > 0;
  return row.devices.accepted * 100 >= limit * percent;
}
