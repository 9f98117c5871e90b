/**
 * What removing tenants takes away, found on the server (discovery.ts): the documents of
 * every collection that names them in `tenant_id`, deviceauth's tokens (which name the tenant
 * in their `mender.tenant` claim), their per-tenant databases and the tenant documents (the
 * tool's locks are not records of a tenant: the removal releases its own, and locks a dead
 * process left are broken by `repair` or whoever needs them). It plans with one query per collection for all tenants together,
 * builds the roll-forward steps that remove it all, and proves afterwards that nothing is left.
 */
import type { Document, MongoClient } from 'mongodb';
import type { Config } from '../config';
import type { LimitKind } from '../domain/tenant';
import { databaseNames, perTenantDatabases, tenantCollections } from './discovery';
import type { MenderServices, ServiceName } from '../mender/services';
import type { Step } from '../journal/journal';
import { TENANTS, idValues } from './tenants';
import { DEPLOYMENTS_DB, STORAGE_COLLECTION, STORAGE_ID } from './storage';
import type { Progress, StartProgress } from '../progress';

/** deviceauth keeps a token's tenant in its claims, under the literal key `mender.tenant`. */
const DEVICE_TOKENS = 'tokens';
const DEVICE_TOKEN_TENANT_FIELD = 'mender.tenant';
const LIMITS = 'limits';
/** The field Mender's services store a record's tenant in (the seed's promise: every record includes it). */
const TENANT_FIELD = 'tenant_id';

interface CollectionRef {
  db: string;
  coll: string;
}

/**
 * Up to this many tenants a collection is counted by the server (`$in`, which an index on
 * `tenant_id` serves); beyond it, by streaming the field of every document once and matching
 * here: servers without index push-down (FerretDB) test `$in` value by value, which made
 * large batches quadratic.
 */
const SERVER_COUNT_MAX_TENANTS = 50;

/** Where a collection holds the tenants' documents: how many, and as which id types. */
interface Found extends CollectionRef {
  field: string;
  documents: number;
  /** The representations seen, so the sweep's `$in` holds only those. */
  types: ('string' | 'objectId')[];
}

function valueAt(doc: Document, path: string): unknown {
  let v: unknown = doc;
  for (const key of path.split('.')) v = v && typeof v === 'object' ? (v as Document)[key] : undefined;
  return v;
}

/**
 * How many documents of the tenants each collection holds under `field`: one query per
 * collection, whatever the number of tenants (a count, or one streamed pass in constant
 * memory). Collections holding none are left out.
 */
async function countTenantDocuments(client: MongoClient, collections: CollectionRef[], tenantIds: string[], field = TENANT_FIELD, progress?: Progress): Promise<Found[]> {
  const out: Found[] = [];
  if (tenantIds.length === 0) return out;
  const ids = new Set(tenantIds);
  for (const c of collections) {
    const coll = client.db(c.db).collection(c.coll);
    if (tenantIds.length <= SERVER_COUNT_MAX_TENANTS) {
      const documents = await coll.countDocuments({ [field]: { $in: idValues(tenantIds) } });
      if (documents > 0) out.push({ ...c, field, documents, types: ['string', 'objectId'] });
      progress?.tick();
      continue;
    }
    let documents = 0;
    const types = new Set<'string' | 'objectId'>();
    const cursor = coll.find({}, { projection: { _id: 0, [field]: 1 } }).batchSize(5000);
    try {
      for await (const doc of cursor) {
        const v = valueAt(doc, field);
        const type = typeof v === 'string' ? 'string' : (v as { _bsontype?: string } | undefined)?._bsontype === 'ObjectId' ? 'objectId' : undefined;
        if (type === undefined) continue;
        if (ids.has(type === 'string' ? (v as string) : (v as { toHexString(): string }).toHexString())) {
          documents++;
          types.add(type);
        }
      }
    } finally {
      await cursor.close();
    }
    if (documents > 0) out.push({ ...c, field, documents, types: [...types] });
    progress?.tick();
  }
  return out;
}

/** One line of the plan: documents to delete from a collection, or a per-tenant database to drop. */
export interface RemovalRow {
  database: string;
  collection: string;
  documents: number;
  action: 'delete' | 'drop database';
}

export interface RemovalPlan {
  /** In removal order: children before their Service Provider. */
  tenantIds: string[];
  rows: RemovalRow[];
  /** Per-tenant databases to drop whole. */
  databases: string[];
  /** Limit documents found (their cached copies must go too). */
  limits: { tenantId: string; kind: LimitKind }[];
  /** Tenants whose storage settings name a bucket of their own. */
  buckets: Record<string, string>;
  /** Where the rows came from, for the steps: collection and the field that names the tenant. */
  sweeps: (CollectionRef & { field: string; types: ('string' | 'objectId')[] })[];
}

export interface Remaining {
  database: string;
  collection: string;
  documents: number;
}

export class RemovalStore {
  constructor(
    private readonly client: MongoClient,
    private readonly config: Config,
    private readonly services: MenderServices,
  ) {}

  /**
   * Where to look: every database, or the given ones plus the tool's own configured databases
   * (the tenant document, its limits, users, audit log, journal and locks are always in scope).
   */
  private scope(options: { databases?: string[] }): { databases?: string[] } {
    if (!options.databases) return {};
    return { databases: [...new Set([...options.databases, ...Object.values(this.config.db)])] };
  }

  /** Discovery alone: fails with exit 6 naming the privilege when the server refuses to list (before any lock or write). */
  async probe(options: { databases?: string[] } = {}): Promise<void> {
    await tenantCollections(this.client, this.scope(options));
  }

  /** Discovery plus one count per collection; `databases` restricts where to look. */
  async plan(orderedIds: string[], requested: { databases?: string[] } = {}, progress?: StartProgress, label = 'collections counted'): Promise<RemovalPlan> {
    const options = this.scope(requested);
    const ids = new Set(orderedIds);
    // Per-tenant databases are judged by name (dropped whole); the other collections are counted.
    const perTenant = perTenantDatabases(await databaseNames(this.client, options), ids);
    const collections = await tenantCollections(this.client, options);
    const counted = progress?.(label, collections.length);
    let found: Found[];
    try {
      found = await countTenantDocuments(this.client, collections, orderedIds, TENANT_FIELD, counted);
    } finally {
      counted?.done();
    }
    const tokens = collections.filter((c) => c.db === this.config.db.deviceauth && c.coll === DEVICE_TOKENS);
    found.push(...(await countTenantDocuments(this.client, tokens, orderedIds, DEVICE_TOKEN_TENANT_FIELD)));

    const rows: RemovalRow[] = [];
    // The tenant documents themselves (their _id is the id; they have no tenant_id).
    const tenants = this.client.db(this.config.db.tenantadm).collection(TENANTS);
    const tenantDocs = await tenants.countDocuments({ _id: { $in: idValues(orderedIds) } } as Document);
    if (tenantDocs > 0) rows.push({ database: this.config.db.tenantadm, collection: TENANTS, documents: tenantDocs, action: 'delete' });
    const merged = new Map<string, RemovalRow>();
    for (const f of found) {
      const key = `${f.db}\u0000${f.coll}`;
      const row = merged.get(key) ?? { database: f.db, collection: f.coll, documents: 0, action: 'delete' as const };
      row.documents += f.documents;
      merged.set(key, row);
    }
    rows.push(...merged.values());

    const buckets: Record<string, string> = {};
    for (const p of perTenant) {
      let documents = 0;
      for (const c of await this.client.db(p.db).listCollections({}, { nameOnly: true }).toArray()) {
        if (c.name.startsWith('system.')) continue;
        documents += await this.client.db(p.db).collection(c.name).countDocuments({});
      }
      rows.push({ database: p.db, collection: '*', documents, action: 'drop database' });
      if (p.db === `${DEPLOYMENTS_DB}-${p.tenantId}`) {
        const settings = await this.client.db(p.db).collection(STORAGE_COLLECTION).findOne({ _id: STORAGE_ID as unknown as Document['_id'] });
        if (typeof settings?.bucket === 'string' && settings.bucket !== '') buckets[p.tenantId] = settings.bucket;
      }
    }

    const limitDocs = await this.client
      .db(this.config.db.deviceauth)
      .collection(LIMITS)
      .find({ [TENANT_FIELD]: { $in: idValues(orderedIds) } }, { projection: { tenant_id: 1, name: 1 } })
      .toArray();
    return {
      tenantIds: orderedIds,
      rows,
      databases: perTenant.map((p) => p.db),
      limits: limitDocs.map((d) => ({ tenantId: String(d.tenant_id), kind: String(d.name) as LimitKind })),
      buckets,
      sweeps: found.map((f) => ({ db: f.db, coll: f.coll, field: f.field, types: f.types })),
    };
  }

  /**
   * The roll-forward steps, run after the commit point: the tenant documents first (children
   * before their SP), so that no other command can add to a tenant being removed; then each
   * service's own removal where it has one; then the sweep of every collection found, the
   * per-tenant databases. Never the locks: those on these tenants are held by the removal
   * itself (released by the journal) or by processes that wait or are dead. Each step is idempotent.
   */
  steps(plan: RemovalPlan, groups: string[][]): Step[] {
    const steps: Step[] = [];
    const home = this.config.db.tenantadm;
    for (const group of groups) {
      if (group.length > 0) steps.push({ kind: 'deleteIn', target: { db: home, coll: TENANTS }, field: '_id', values: idValues(group) });
    }
    for (const tenantId of plan.tenantIds) {
      for (const service of ['deviceauth', 'useradm', 'deployments'] as ServiceName[]) {
        if (!this.services.has(service)) continue;
        steps.push({ kind: 'service', call: { op: 'tenant.remove', service, tenantId } });
      }
      if (this.services.has('deviceauth')) {
        for (const l of plan.limits.filter((x) => x.tenantId === tenantId)) {
          steps.push({ kind: 'service', call: { op: 'limit.remove', service: 'deviceauth', tenantId, name: l.kind } });
        }
        steps.push({ kind: 'service', call: { op: 'tokens.revoke', service: 'deviceauth', tenantId } });
      }
      if (this.services.has('useradm')) steps.push({ kind: 'service', call: { op: 'tokens.revoke', service: 'useradm', tenantId } });
    }
    const values = idValues(plan.tenantIds);
    const strings = values.filter((v) => typeof v === 'string');
    const objectIds = values.filter((v) => typeof v !== 'string');
    for (const s of plan.sweeps) {
      // Only the id types the plan found there: a shorter `$in` (what is left is caught by the proof).
      const these = [...(s.types.includes('string') ? strings : []), ...(s.types.includes('objectId') ? objectIds : [])];
      steps.push({ kind: 'deleteIn', target: { db: s.db, coll: s.coll }, field: s.field, values: these });
    }
    for (const db of plan.databases) steps.push({ kind: 'dropDatabase', db });
    return steps;
  }

  /** The postcondition: what still names the tenants anywhere (empty when the removal is complete). */
  async remaining(tenantIds: string[], options: { databases?: string[] } = {}, progress?: StartProgress): Promise<Remaining[]> {
    const again = await this.plan(tenantIds, options, progress, 'collections checked after removal');
    return again.rows.map((r) => ({ database: r.database, collection: r.collection, documents: r.documents }));
  }
}
