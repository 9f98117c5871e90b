/** tenantadm.tenants: Mender's tenant documents. */
import type { Collection, Db, Document, Filter } from 'mongodb';
import type { Addon, Tenant } from '../domain/tenant';
import { HEX_ID } from '../domain/tenant';
import { JWT_PATTERN, formatOf, type TokenFormat } from '../domain/token-format';
import { mongo } from '../mongo';
import type { FieldState, Step, Target } from '../journal/journal';

export const TENANTS = 'tenants';

/** A tenant and the stored document it came from (the raw `_id` may be an ObjectId or a string). */
export interface TenantRecord {
  tenant: Tenant;
  raw: Document;
}

export interface TenantQuery {
  id?: string;
  name?: string;
  parent?: string;
  serviceProvider?: boolean;
  status?: string;
  plan?: string;
  /** Only children that use their Service Provider's SSO settings. */
  ssoInherit?: boolean;
  /** The tenant holding this tenant token. */
  token?: string;
}

/** How many stored tenant tokens have each format, and the newest tenant's (by `_id`). */
export interface StoredTokenFormats {
  jwt: number;
  opaque: number;
  newest?: TokenFormat;
}

/** Fields this tool writes; the stored names match the API names. */
export interface TenantFields {
  name?: string;
  tenant_token?: string;
  status?: string;
  plan?: string;
  addons?: Addon[];
  service_provider?: boolean;
  parent_tenant_id?: string | null;
  max_child_tenants?: number | null;
  child_features?: string[] | null;
  sso_inherit?: boolean | null;
  /** Mender's trial fields. */
  trial?: boolean | null;
  trial_expiration?: Date | null;
  /** When the tenant was last suspended (set on every suspension; cleared when it is active again). */
  suspended_at?: Date | null;
  updated_at?: Date;
}

const INTERNAL = new Set(['_id']);

function iso(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string') return v;
  return undefined;
}

export function plain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (v && typeof v === 'object') {
    const bsontype = (v as { _bsontype?: string })._bsontype;
    if (bsontype === 'ObjectId') return (v as { toHexString(): string }).toHexString();
    if (bsontype === 'Long' || bsontype === 'Int32' || bsontype === 'Double') return Number(v);
    if (bsontype === 'Decimal128') return Number(String(v));
    if (bsontype) return String(v);
    if (Array.isArray(v)) return v.map(plain);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

export function idString(raw: unknown): string {
  const p = plain(raw);
  return typeof p === 'string' ? p : String(p);
}

export function toTenant(doc: Document): Tenant {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (!INTERNAL.has(k)) extra[k] = plain(v);
  }
  const addons = Array.isArray(doc.addons)
    ? (doc.addons as Document[]).map((a) => ({ ...(plain(a) as Addon), name: String(a.name), enabled: a.enabled === true }))
    : [];
  // API order: id and name first, then what Mender stores, then the normalized fields.
  const tenant: Tenant = {
    id: idString(doc._id),
    name: String(doc.name ?? ''),
    ...extra,
    status: typeof doc.status === 'string' && doc.status ? doc.status : 'active',
    plan: typeof doc.plan === 'string' && doc.plan ? doc.plan : 'enterprise',
    addons,
    service_provider: doc.service_provider === true,
  };
  if (doc.parent_tenant_id) tenant.parent_tenant_id = idString(doc.parent_tenant_id);
  else delete tenant.parent_tenant_id;
  for (const f of ['created_at', 'updated_at', 'trial_expiration'] as const) {
    const s = iso(doc[f]);
    if (s) tenant[f] = s;
  }
  return tenant;
}

/** Match a tenant id whether it is stored as an ObjectId or as a string. */
export function idFilter(id: string): Document {
  if (HEX_ID.test(id)) return { _id: { $in: [new (mongo().ObjectId)(id), id] } };
  return { _id: id };
}

/** The values a tenant id may be stored as, for `$in`: the string, and an ObjectId when it is one. */
export function idValues(tenantIds: Iterable<string>): unknown[] {
  const out: unknown[] = [];
  for (const id of tenantIds) {
    out.push(id);
    if (HEX_ID.test(id)) out.push(new (mongo().ObjectId)(id));
  }
  return out;
}

/** Match a reference to a tenant (e.g. parent_tenant_id) stored as a string or an ObjectId. */
export function refFilter(id: string): unknown {
  return HEX_ID.test(id) ? { $in: [id, new (mongo().ObjectId)(id)] } : id;
}

export class TenantStore {
  readonly target: Target;
  private readonly coll: Collection<Document>;

  constructor(db: Db) {
    this.target = { db: db.databaseName, coll: TENANTS };
    this.coll = db.collection(TENANTS);
  }

  private filter(q: TenantQuery): Filter<Document> {
    const f: Document = {};
    if (q.id) Object.assign(f, idFilter(q.id));
    if (q.name !== undefined) f.name = q.name;
    if (q.parent) f.parent_tenant_id = refFilter(q.parent);
    if (q.serviceProvider === true) f.service_provider = true;
    if (q.serviceProvider === false) f.service_provider = { $ne: true };
    if (q.status) f.status = q.status === 'active' ? { $in: ['active', null] } : q.status;
    if (q.plan) f.plan = q.plan;
    if (q.ssoInherit === true) f.sso_inherit = true;
    if (q.token !== undefined) f.tenant_token = q.token;
    return f;
  }

  /** Stream matching tenants in creation (`_id`) order. */
  async *find(q: TenantQuery, batchSize = 500): AsyncGenerator<TenantRecord> {
    const cursor = this.coll.find(this.filter(q)).sort({ _id: 1 }).batchSize(batchSize);
    try {
      for await (const raw of cursor) yield { tenant: toTenant(raw), raw };
    } finally {
      await cursor.close();
    }
  }

  /**
   * In one query: the tenants with these ids and the children of those in `childrenOf`
   * (references stored as ObjectId or string). `fields` limits what is read. Ids are asked
   * as ObjectIds (Mender's form), and only those not found are asked again as strings: on
   * servers that scan (FerretDB), the cost of `$in` grows with its length.
   */
  async findLinked(ids: string[], childrenOf: string[] = [], fields?: (keyof TenantFields | '_id')[]): Promise<TenantRecord[]> {
    const ObjectId = mongo().ObjectId;
    const asObjectIds = (list: string[]) => list.map((id) => (HEX_ID.test(id) ? new ObjectId(id) : id));
    const projection = fields ? { projection: Object.fromEntries(fields.map((f) => [f, 1])) } : {};
    const out: TenantRecord[] = [];
    const run = async (clauses: Document[]) => {
      if (clauses.length === 0) return;
      const filter = clauses.length === 1 ? clauses[0]! : { $or: clauses };
      for await (const raw of this.coll.find(filter, projection).batchSize(1000)) out.push({ tenant: toTenant(raw), raw });
    };
    const clauses: Document[] = [];
    if (ids.length > 0) clauses.push({ _id: ids.length === 1 ? asObjectIds(ids)[0] : { $in: asObjectIds(ids) } });
    if (childrenOf.length > 0) clauses.push({ parent_tenant_id: { $in: childrenOf.flatMap((id) => (HEX_ID.test(id) ? [id, new ObjectId(id)] : [id])) } });
    await run(clauses);
    const found = new Set(out.map((r) => r.tenant.id));
    const stringIds = ids.filter((id) => HEX_ID.test(id) && !found.has(id));
    if (stringIds.length > 0) await run([{ _id: stringIds.length === 1 ? stringIds[0] : { $in: stringIds } }]);
    return out;
  }

  async findOne(q: TenantQuery): Promise<TenantRecord | null> {
    let raw: Document | null;
    if (q.id && HEX_ID.test(q.id)) {
      // `_id` equality is what every server answers from its index (FerretDB too, unlike `$in`):
      // the ObjectId Mender writes first, the string form only when that finds nothing.
      const rest: Document = this.filter({ ...q, id: undefined });
      raw = (await this.coll.findOne({ ...rest, _id: new (mongo().ObjectId)(q.id) })) ?? (await this.coll.findOne({ ...rest, _id: q.id } as Document));
    } else {
      raw = await this.coll.findOne(this.filter(q));
    }
    return raw ? { tenant: toTenant(raw), raw } : null;
  }

  /** Many tenants by id, in one query, in `_id` order. */
  async findMany(ids: string[]): Promise<TenantRecord[]> {
    if (ids.length === 0) return [];
    const found = await this.coll.find({ _id: { $in: idValues(ids) } } as Filter<Document>).sort({ _id: 1 }).toArray();
    return found.map((raw) => ({ tenant: toTenant(raw), raw }));
  }

  /** The children of any of these Service Providers, in one query. */
  async childrenOf(spIds: string[]): Promise<TenantRecord[]> {
    if (spIds.length === 0) return [];
    const found = await this.coll.find({ parent_tenant_id: { $in: idValues(spIds) } }).sort({ _id: 1 }).toArray();
    return found.map((raw) => ({ tenant: toTenant(raw), raw }));
  }

  /**
   * Suspended tenants whose suspension began at or before `cutoff`, in one query: the time is
   * `suspended_at`, or for tenants suspended before it was recorded, `updated_at`. `onlyTrial`:
   * only those with Mender's trial flag.
   */
  async *suspendedSince(cutoff: Date, options: { onlyTrial?: boolean } = {}): AsyncGenerator<TenantRecord> {
    const filter = {
      status: 'suspended',
      ...(options.onlyTrial ? { trial: true } : {}),
      $or: [{ suspended_at: { $lte: cutoff } }, { suspended_at: { $exists: false }, updated_at: { $lte: cutoff } }],
    };
    for await (const raw of this.coll.find(filter).sort({ _id: 1 }).batchSize(500)) yield { tenant: toTenant(raw), raw };
  }

  /** Active tenants on a trial that expired at or before `now` (Mender's `trial`, `trial_expiration`), in one query. */
  async *expiredTrials(now: Date): AsyncGenerator<TenantRecord> {
    const filter = { trial: true, status: { $in: ['active', null] }, trial_expiration: { $lte: now } };
    for await (const raw of this.coll.find(filter).sort({ _id: 1 }).batchSize(500)) yield { tenant: toTenant(raw), raw };
  }

  /**
   * One step suspending many trial tenants (roll-forward, after the commit point), whatever
   * their number; it matches only tenants still on a trial, so one taken off the trial meanwhile
   * stays as it is.
   */
  suspendManyStep(ids: string[], now: Date): Step {
    return { kind: 'updateIn', target: this.target, values: idValues(ids), match: { trial: true }, set: { status: 'suspended', suspended_at: now, updated_at: now } };
  }

  /** The formats of the stored tenant tokens, in three queries whatever the number of tenants. */
  async tokenFormats(): Promise<StoredTokenFormats> {
    const withToken = { tenant_token: { $exists: true, $nin: [null, ''] } };
    const [all, jwt, newest] = await Promise.all([
      this.coll.countDocuments(withToken),
      this.coll.countDocuments({ tenant_token: { $regex: JWT_PATTERN } }),
      this.coll.find(withToken, { projection: { _id: 0, tenant_token: 1 } }).sort({ _id: -1 }).limit(1).next(),
    ]);
    return { jwt, opaque: all - jwt, ...(newest && typeof newest.tenant_token === 'string' ? { newest: formatOf(newest.tenant_token) } : {}) };
  }

  /**
   * The newest tenant's token format (by `_id`), and whether a token of the other format is
   * stored too: two short reads, for the choice of format on every create.
   */
  async newestTokenFormat(): Promise<{ newest?: TokenFormat; mixed: boolean }> {
    const withToken = { $exists: true, $nin: [null, ''] };
    const newest = await this.coll.find({ tenant_token: withToken }, { projection: { _id: 0, tenant_token: 1 } }).sort({ _id: -1 }).limit(1).next();
    if (!newest || typeof newest.tenant_token !== 'string') return { mixed: false };
    const format = formatOf(newest.tenant_token);
    const jwt = new RegExp(JWT_PATTERN);
    const other = format === 'jwt' ? { tenant_token: { ...withToken, $not: jwt } } : { tenant_token: jwt };
    return { newest: format, mixed: (await this.coll.findOne(other, { projection: { _id: 1 } })) !== null };
  }

  /** Tenants whose stored token is not of `format` (id and name only: the token is not returned). */
  async *tokensNotOf(format: TokenFormat): AsyncGenerator<{ id: string; name: string }> {
    // Classified here, not by `$not: {$regex}`, which not every MongoDB-compatible server takes.
    const filter = { tenant_token: { $exists: true, $nin: [null, ''] } };
    for await (const raw of this.coll.find(filter, { projection: { _id: 1, name: 1, tenant_token: 1 } }).sort({ _id: 1 }).batchSize(1000)) {
      if (typeof raw.tenant_token === 'string' && formatOf(raw.tenant_token) !== format) yield { id: idString(raw._id), name: String(raw.name ?? '') };
    }
  }

  async count(q: TenantQuery): Promise<number> {
    return this.coll.countDocuments(this.filter(q));
  }

  /** A new tenant document with a fresh ObjectId, as Mender creates them. */
  /** A fresh tenant id, known before the tenant is written (its create holds a lock on it). */
  newId(): string {
    return new (mongo().ObjectId)().toHexString();
  }

  newDocument(fields: Required<Pick<TenantFields, 'name' | 'status' | 'plan' | 'addons'>> & TenantFields & { created_at: Date }, id: string = this.newId()): {
    id: string;
    doc: Document;
    step: Step;
  } {
    const oid = new (mongo().ObjectId)(id);
    const doc: Document = { _id: oid };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) doc[k] = v;
    doc.updated_at ??= fields.created_at;
    return { id: oid.toHexString(), doc, step: { kind: 'insert', target: this.target, doc } };
  }

  /** The record of a document as written (no read-back needed). */
  recordOf(doc: Document): TenantRecord {
    return { tenant: toTenant(doc), raw: doc };
  }

  /** The record once `step` (this tenant's update step) is applied: the result of a write, without reading it back. */
  afterUpdate(record: TenantRecord, step: Step): TenantRecord {
    if (step.kind !== 'update' || step.target.coll !== this.target.coll || step.target.db !== this.target.db || step.id !== record.raw._id) return record;
    const raw: Document = { ...record.raw, ...step.after.set };
    for (const field of step.after.unset) delete raw[field];
    return this.recordOf(raw);
  }

  /** Every tenant's id and name, in one pass (for duplicate-name reports). */
  async *names(): AsyncGenerator<{ id: string; name: string }> {
    for await (const raw of this.coll.find({}, { projection: { _id: 1, name: 1 } })) yield { id: idString(raw._id), name: String(raw.name ?? '') };
  }

  /** The children of every Service Provider, in one pass (for long listings). */
  async childIdsByParent(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for await (const raw of this.coll.find({ parent_tenant_id: { $exists: true, $ne: null } }, { projection: { _id: 1, parent_tenant_id: 1 } }).sort({ _id: 1 })) {
      const parent = idString(raw.parent_tenant_id);
      const kids = out.get(parent) ?? [];
      kids.push(idString(raw._id));
      out.set(parent, kids);
    }
    return out;
  }

  /** An update step from the record as read to the given field values (null removes a field). */
  updateStep(record: TenantRecord, fields: TenantFields): Step {
    return fieldUpdateStep(this.target, record.raw, fields as Document);
  }

  /**
   * One update of many tenants whose stored `shared` fields are alike (the caller groups them),
   * to the same `fields` and `updated_at`: one `updateMany`, conditional on those fields; each
   * tenant's own `updated_at` is kept for the undo.
   */
  updateGroupStep(records: TenantRecord[], shared: readonly (keyof TenantFields)[], fields: TenantFields, updatedAt: Date): Step {
    const first = records[0]!.raw;
    const before: FieldState = { set: {}, unset: [] };
    for (const k of shared) {
      if (first[k] === undefined) before.unset.push(k);
      else before.set[k] = first[k];
    }
    const after: FieldState = { set: { ...(fields as Document), updated_at: updatedAt }, unset: [] };
    return {
      kind: 'updateGroup',
      target: this.target,
      ids: records.map((r) => r.raw._id),
      before,
      after,
      separate: { field: 'updated_at', values: records.map((r) => r.raw.updated_at ?? null) },
    };
  }
}

/** Build a compare-and-set update: `before` is what was read, `after` what is wanted. */
export function fieldUpdateStep(target: Target, raw: Document, fields: Document): Step {
  const before: FieldState = { set: {}, unset: [] };
  const after: FieldState = { set: {}, unset: [] };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (raw[k] === undefined) before.unset.push(k);
    else before.set[k] = raw[k];
    if (v === null) after.unset.push(k);
    else after.set[k] = v;
  }
  return { kind: 'update', target, id: raw._id, before, after };
}
