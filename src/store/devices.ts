/** deviceauth.devices: read only; accepted devices count against the limit. */
import type { Collection, Db, Document } from 'mongodb';

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

  /** Accepted devices of every tenant, in one aggregation (for long listings). */
  async acceptedCountsAll(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const rows = this.coll.aggregate<{ _id: string; n: number }>([
      { $match: { status: 'accepted' } },
      { $group: { _id: '$tenant_id', n: { $sum: 1 } } },
    ]);
    for await (const row of rows) out.set(String(row._id), Number(row.n));
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
}
