/** deviceauth.devices: read only; accepted devices count against the limit. */
import type { Collection, Db, Document } from 'mongodb';
import { tierOf, zeroTiers, type Tiers } from './usage-history';

export const DEVICES = 'devices';

export interface DeviceCounts {
  accepted: number;
  pending: number;
  rejected: number;
  preauthorized: number;
  noauth: number;
}

export class DeviceStore {
  private readonly coll: Collection<Document>;

  constructor(db: Db) {
    this.coll = db.collection(DEVICES);
  }

  /** Every device of a tenant, whatever its status (one count). */
  async countOf(tenantId: string): Promise<number> {
    return this.coll.countDocuments({ tenant_id: tenantId });
  }

  /** Accepted devices per tenant, for many tenants in one aggregation. */
  async acceptedCounts(tenantIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>(tenantIds.map((id) => [id, 0]));
    if (tenantIds.length === 0) return out;
    const rows = this.coll.aggregate<{ _id: string; n: number }>([
      { $match: { tenant_id: { $in: tenantIds }, status: 'accepted' } },
      { $group: { _id: '$tenant_id', n: { $sum: 1 } } },
    ]);
    for await (const row of rows) out.set(String(row._id), Number(row.n));
    return out;
  }

  /**
   * Accepted devices of every tenant, in one pass (for long listings): read as a stream of
   * tenant ids and counted here, because FerretDB's `$group` over 100,000 devices took
   * several times as long as reading them.
   */
  async acceptedCountsAll(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const cursor = this.coll.find({ status: 'accepted' }, { projection: { _id: 0, tenant_id: 1 } }).batchSize(5000);
    for await (const doc of cursor) {
      const tenant = String(doc.tenant_id);
      out.set(tenant, (out.get(tenant) ?? 0) + 1);
    }
    return out;
  }

  /** Devices of several tenants by status. */
  async countsByStatus(tenantIds: string[]): Promise<Map<string, DeviceCounts>> {
    const zero = (): DeviceCounts => ({ accepted: 0, pending: 0, rejected: 0, preauthorized: 0, noauth: 0 });
    const out = new Map<string, DeviceCounts>(tenantIds.map((id) => [id, zero()]));
    if (tenantIds.length === 0) return out;
    const rows = this.coll.aggregate<{ _id: { t: string; s: string }; n: number }>([
      { $match: { tenant_id: { $in: tenantIds } } },
      { $group: { _id: { t: '$tenant_id', s: '$status' }, n: { $sum: 1 } } },
    ]);
    for await (const row of rows) {
      const counts = out.get(String(row._id.t));
      const status = row._id.s as keyof DeviceCounts;
      if (counts && status in counts) counts[status] = Number(row.n);
    }
    return out;
  }

  /**
   * Devices by status, and by tier, of some tenants (`ids`) or of every tenant, in one pass over
   * the devices (usage, usage record). A record without a tier counts as a standard device;
   * `tiers` in a tenant's entry says whether any of its records carried one (open-source
   * deviceauth stores none).
   */
  async countsWithTiers(ids?: string[]): Promise<{ counts: Map<string, DeviceCounts>; tiers: Map<string, TierCounts> }> {
    const counts = new Map<string, DeviceCounts>((ids ?? []).map((id) => [id, { accepted: 0, pending: 0, rejected: 0, preauthorized: 0, noauth: 0 }]));
    const tiers = new Map<string, TierCounts>();
    if (ids && ids.length === 0) return { counts, tiers };
    const filter = ids ? { tenant_id: { $in: ids } } : {};
    const cursor = this.coll.find(filter, { projection: { _id: 0, tenant_id: 1, status: 1, tier: 1 } }).batchSize(5000);
    for await (const doc of cursor) {
      const tenant = String(doc.tenant_id);
      let c = counts.get(tenant);
      if (!c) counts.set(tenant, (c = { accepted: 0, pending: 0, rejected: 0, preauthorized: 0, noauth: 0 }));
      const status = doc.status as keyof DeviceCounts;
      if (status in c) c[status] += 1;
      if (!(status === 'accepted' || status === 'pending' || status === 'preauthorized')) continue;
      // A record without a tier is a standard device, as usage record counts it.
      const tier = tierOf(doc as { tier?: unknown });
      let t = tiers.get(tenant);
      if (!t) tiers.set(tenant, (t = emptyTierCounts()));
      if (tier) t.tiers = true;
      t[status][tier ?? 'max_devices'] += 1;
    }
    return { counts, tiers };
  }
}

/** A tenant's devices by status and tier (usage history). */
export interface TierCounts {
  accepted: Tiers;
  pending: Tiers;
  preauthorized: Tiers;
  tiers: boolean;
}

export const emptyTierCounts = (): TierCounts => ({ accepted: zeroTiers(), pending: zeroTiers(), preauthorized: zeroTiers(), tiers: false });

