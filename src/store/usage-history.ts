/**
 * Usage history for billing, in collections of the tool's own (never a field on Mender's):
 * one snapshot per tenant per recorded day, and one document per day naming the run whose
 * snapshots count. Recording a day again writes a new run and then switches the day's document
 * to it (one single-document write), so a reader sees either the old run or the new one, never
 * half of each; the old run's snapshots are removed after the switch.
 */
import { randomUUID } from 'node:crypto';
import type { Collection, Db, Document } from 'mongodb';
import { translateDriverError } from '../mongo';
import { LIMIT_KINDS, type LimitKind } from '../domain/tenant';
import type { DaySnapshot, Tiers } from '../domain/usage-report';

export type { Tiers };

export const USAGE_DAYS = 'tenantadm_usage_days';
export const USAGE_SNAPSHOTS = 'tenantadm_usage_snapshots';

/** One tenant on one day: what a report reads, and the other device counts. */
export interface UsageSnapshot extends DaySnapshot {
  /** Devices by status and tier; `tiers: false` when the device records carry no tier (all counted as standard). */
  pending: Tiers;
  preauthorized: Tiers;
  tiers: boolean;
}

/** Which limit a device's tier counts against; records without one count as standard devices. */
export function tierOf(device: { tier?: unknown }): LimitKind | undefined {
  switch (device.tier) {
    case 'micro':
      return 'max_micro_devices';
    case 'system':
      return 'max_system_devices';
    case 'standard':
      return 'max_devices';
    default:
      return undefined;
  }
}

export const zeroTiers = (): Tiers => Object.fromEntries(LIMIT_KINDS.map((k) => [k, 0])) as Tiers;

export class UsageHistoryStore {
  private readonly days: Collection<Document>;
  private readonly snapshots: Collection<Document>;

  constructor(db: Db) {
    this.days = db.collection(USAGE_DAYS);
    this.snapshots = db.collection(USAGE_SNAPSHOTS);
  }

  /**
   * File `snapshots` under `day`, replacing what that day held: insert the new run in batches,
   * switch the day to it, then remove the previous run. Returns the number written.
   */
  async record(day: string, snapshots: AsyncIterable<UsageSnapshot[]>, recordedAt: Date): Promise<{ tenants: number; replaced: boolean }> {
    const run = randomUUID();
    let tenants = 0;
    try {
      for await (const batch of snapshots) {
        if (batch.length === 0) continue;
        await this.snapshots.insertMany(
          batch.map((s) => ({ _id: `${run}/${s.tenant_id}` as unknown as Document['_id'], run, ...s })),
          { ordered: false },
        );
        tenants += batch.length;
      }
      const before = await this.days.findOneAndReplace({ _id: day as never }, { run, recorded_at: recordedAt, tenants }, { upsert: true });
      const previous = before ? (before as Document).run : undefined;
      if (previous && previous !== run) await this.snapshots.deleteMany({ run: previous });
      return { tenants, replaced: Boolean(previous) };
    } catch (err) {
      // A run that did not switch its day is never read; remove what it wrote.
      await this.snapshots.deleteMany({ run }).catch(() => undefined);
      throw translateDriverError(err);
    }
  }

  /** The recorded days between `from` and `to` (inclusive, YYYY-MM-DD), with the run that counts for each. */
  async recordedDays(from: string, to: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const d of await this.days.find({ _id: { $gte: from, $lte: to } as never }).toArray()) out.set(String(d._id), String(d.run));
    return out;
  }

  /** Every snapshot of those runs (optionally of some tenants only, by id or by that day's parent), streamed. */
  async *snapshotsOf(runs: string[], tenants?: { ids?: string[]; parents?: string[] }): AsyncGenerator<UsageSnapshot> {
    if (runs.length === 0) return;
    const filter: Document = { run: { $in: runs } };
    if (tenants) {
      const or: Document[] = [];
      if (tenants.ids?.length) or.push({ tenant_id: { $in: tenants.ids } });
      if (tenants.parents?.length) or.push({ parent_tenant_id: { $in: tenants.parents } });
      filter.$or = or;
    }
    try {
      for await (const doc of this.snapshots.find(filter, { projection: { _id: 0, run: 0 } }).batchSize(5000)) yield doc as unknown as UsageSnapshot;
    } catch (err) {
      throw translateDriverError(err);
    }
  }
}
