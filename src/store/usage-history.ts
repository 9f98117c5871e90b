/**
 * Usage history for billing, in collections of the tool's own (never a field on Mender's):
 * each recorded run of a day in a collection of its own (one snapshot per tenant), and one
 * document per day naming the run whose snapshots count. Recording a day again writes a new run
 * and then switches the day's document to it (one single-document write), so a reader sees
 * either the old run or the new one, never half of each; the old run's collection is dropped
 * after the switch. A collection per run because removing a run is then one drop: on FerretDB's
 * SQLite backend a `deleteMany` of a run of 100,000 snapshots fails ("too many SQL variables"),
 * and each delete command scans the whole collection.
 */
import { randomUUID } from 'node:crypto';
import type { Collection, Db, Document } from 'mongodb';
import { translateDriverError } from '../mongo';
import { LIMIT_KINDS, type LimitKind } from '../domain/tenant';
import type { DaySnapshot, Tiers } from '../domain/usage-report';

export type { Tiers };

export const USAGE_DAYS = 'tenantadm_usage_days';
/** The snapshots of run R are in `tenantadm_usage_snapshots_R` (R a UUID without dashes). */
export const USAGE_SNAPSHOTS = 'tenantadm_usage_snapshots';
const runCollection = (run: string): string => `${USAGE_SNAPSHOTS}_${run}`;

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
  /** Where runs were written before each had a collection of its own (a `run` field on each snapshot): still read. */
  private readonly shared: Collection<Document>;

  constructor(private readonly db: Db) {
    this.days = db.collection(USAGE_DAYS);
    this.shared = db.collection(USAGE_SNAPSHOTS);
  }

  /**
   * File `snapshots` under `day`, replacing what that day held: insert the new run in batches
   * into a collection of its own, switch the day to it, then drop the previous run. Returns the
   * number written.
   */
  async record(day: string, snapshots: AsyncIterable<UsageSnapshot[]>, recordedAt: Date): Promise<{ tenants: number; replaced: boolean }> {
    const run = randomUUID().replace(/-/g, '');
    const coll = this.db.collection(runCollection(run));
    let tenants = 0;
    let before: Document | null;
    try {
      for await (const batch of snapshots) {
        if (batch.length === 0) continue;
        await coll.insertMany(
          batch.map((s) => ({ _id: s.tenant_id as unknown as Document['_id'], ...s })),
          { ordered: false },
        );
        tenants += batch.length;
      }
      before = await this.days.findOneAndReplace({ _id: day as never }, { run, collection: runCollection(run), recorded_at: recordedAt, tenants }, { upsert: true });
    } catch (err) {
      // A run that did not switch its day is never read; remove what it wrote.
      await coll.drop().catch(() => undefined);
      throw translateDriverError(err);
    }
    const previous = before ? (before as Document) : undefined;
    if (previous && previous.run !== run) {
      // After the switch nothing reads the previous run: a failure to remove it leaves it unreferenced, the day replaced.
      if (previous.collection) await this.db.collection(String(previous.collection)).drop().catch(() => undefined);
      else await this.shared.deleteMany({ run: previous.run }).catch(() => undefined);
    }
    return { tenants, replaced: Boolean(previous) };
  }

  /** The recorded days between `from` and `to` (inclusive, YYYY-MM-DD), with the run that counts for each. */
  async recordedDays(from: string, to: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const d of await this.days.find({ _id: { $gte: from, $lte: to } as never }).toArray()) {
      // A run in a collection of its own is named by that collection; an older one by its id in the shared collection.
      out.set(String(d._id), d.collection ? String(d.collection) : String(d.run));
    }
    return out;
  }

  /** Every snapshot of those runs (optionally of some tenants only, by id or by that day's parent), streamed: one query per run. */
  async *snapshotsOf(runs: string[], tenants?: { ids?: string[]; parents?: string[] }): AsyncGenerator<UsageSnapshot> {
    if (runs.length === 0) return;
    const filter: Document = {};
    if (tenants) {
      const or: Document[] = [];
      if (tenants.ids?.length) or.push({ tenant_id: { $in: tenants.ids } });
      if (tenants.parents?.length) or.push({ parent_tenant_id: { $in: tenants.parents } });
      filter.$or = or;
    }
    const own = runs.filter((r) => r.startsWith(`${USAGE_SNAPSHOTS}_`));
    const legacy = runs.filter((r) => !r.startsWith(`${USAGE_SNAPSHOTS}_`));
    const queries = [
      ...own.map((name) => this.db.collection(name).find(filter, { projection: { _id: 0 } })),
      ...(legacy.length ? [this.shared.find({ ...filter, run: { $in: legacy } }, { projection: { _id: 0, run: 0 } })] : []),
    ];
    try {
      for (const cursor of queries) for await (const doc of cursor.batchSize(5000)) yield doc as unknown as UsageSnapshot;
    } catch (err) {
      throw translateDriverError(err);
    }
  }
}
