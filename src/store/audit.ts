/**
 * Audit entries in Mender's format. An entry belongs to the journaled operation of the change
 * it records and is written, already `committed`, by that operation's roll-forward after its
 * commit point (repair finishes it for a killed process), so readers (which see committed
 * entries only) never show an entry for a change that did not happen. Entries `pending` in
 * the log were written by earlier releases before their change's commit; readers skip them and
 * `check` settles them.
 */
import type { Collection, Db, Document } from 'mongodb';
import { onlyDuplicateKeys } from '../errors';
import type { DeliveryOutcome } from '../mender/workflows';
import { mongo, translateDriverError } from '../mongo';
import { idString, plain } from './tenants';
import { looksLikeEmail } from '../domain/tenant';
import { literal } from '../domain/audit';
import type { Target } from '../journal/journal';

export interface AuditObject {
  id: string;
  /** Mender's object types for what this tool changes; limits, SSO and storage are updates of the tenant. */
  type: 'tenant' | 'user';
  tenant?: { id: string; name: string; parent?: string };
  user?: { email: string };
}

function tenantRef(id: string, name: string, parent?: string): NonNullable<AuditObject['tenant']> {
  return { id, name, ...(parent ? { parent } : {}) };
}

/** A tenant as the object of an entry (Mender's shape: its id, and its id, name and SP under `tenant`). */
export function tenantObject(id: string, name: string, parent?: string): AuditObject {
  return { id, type: 'tenant', tenant: tenantRef(id, name, parent) };
}

/** A user as the object of an entry, with the tenant it belongs to when the entry names it. */
export function userObject(id: string, email: string, tenant?: { id: string; name: string; parent?: string }): AuditObject {
  return { id, type: 'user', user: { email }, ...(tenant ? { tenant: tenantRef(tenant.id, tenant.name, tenant.parent) } : {}) };
}

export interface AuditEvent {
  action: 'create' | 'update' | 'delete' | 'password_change' | 'auth_method_change';
  object: AuditObject;
  /** Readable old -> new description; never a secret. */
  change: string;
  /** The tenant whose log the entry belongs to; '' for no tenant's (seen in the operator's view only). */
  tenantId: string;
  /** A Service Provider that also sees the entry (its child's change). */
  parentId?: string;
  meta?: Record<string, string[]>;
}

/** An entry as `tenantadm audit` prints it: the API shape, without bookkeeping fields. */
export interface AuditEntry {
  id: string;
  time: string;
  tenant_id: string;
  actor: { id: string; type: string; email?: string };
  action: string;
  object: AuditObject;
  change: string;
  meta?: Record<string, string[]>;
}

export interface AuditQuery {
  /** Entries in the log of any of these tenants (an SP's log includes its children's changes). */
  tenantIds?: string[];
  action?: string;
  objectType?: string;
  objectId?: string;
  /** An actor's id; an email matches in any case. */
  actor?: string;
  /** Entries whose change sets this field (`field: old -> new`). */
  field?: string;
  /** Entries whose change contains this text, in any case. */
  change?: string;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  limit?: number;
}

/** Mender's actor: a person named by email is a `user` with that email; anything else (a job, user@host) is `system`. */
export function auditActor(actor: string): { id: string; type: 'user' | 'system'; email?: string } {
  return looksLikeEmail(actor) ? { id: actor, type: 'user', email: actor.toLowerCase() } : { id: actor, type: 'system' };
}

export function toEntry(doc: Document): AuditEntry {
  const time = doc.time instanceof Date ? doc.time.toISOString() : String(doc.time ?? '');
  return {
    id: idString(doc._id),
    time,
    tenant_id: String(doc.tenant_id ?? ''),
    actor: plain(doc.actor) as AuditEntry['actor'],
    action: String(doc.action ?? ''),
    object: plain(doc.object) as AuditObject,
    change: typeof doc.change === 'string' ? doc.change : '',
    ...(doc.meta ? { meta: plain(doc.meta) as Record<string, string[]> } : {}),
  };
}

export class AuditStore {
  readonly target: Target;
  readonly coll: Collection<Document>;
  /**
   * Which entries reached Mender's audit log (or belong to no tenant's log there): one
   * document per entry, `_id` the entry's, only ever inserted (journal.ts, `deliver` steps).
   */
  readonly deliveries: Target;
  private readonly deliveryColl: Collection<Document>;

  constructor(db: Db, collection: string) {
    this.target = { db: db.databaseName, coll: collection };
    this.coll = db.collection(collection);
    this.deliveries = { db: db.databaseName, coll: `${collection}_delivery` };
    this.deliveryColl = db.collection(this.deliveries.coll);
  }

  /**
   * Record what a delivery took (and what belongs to no tenant's log in Mender), by inserts only
   * (an `updateMany` over many entries cost 18 s in our measurements). A record another process
   * wrote first is fine: delivery is at least once.
   */
  async recordDeliveries(outcome: Pick<DeliveryOutcome, 'delivered' | 'skipped'>, at = new Date()): Promise<void> {
    const records: Document[] = [
      ...outcome.delivered.map((d) => ({ _id: d.id, job: d.job, at })),
      ...outcome.skipped.map((id) => ({ _id: id, skipped: 'no tenant log in Mender', at })),
    ];
    if (records.length === 0) return;
    try {
      await this.deliveryColl.insertMany(records, { ordered: false });
    } catch (err) {
      if (!onlyDuplicateKeys(err)) throw translateDriverError(err);
    }
  }

  /**
   * Committed entries that did not reach Mender's audit log, oldest first, a batch at a time:
   * one query for a batch of entries and one for their delivery records, whatever the number.
   */
  async *undelivered(q: Pick<AuditQuery, 'tenantIds' | 'since' | 'until'>, batchSize = 500): AsyncGenerator<Document[]> {
    const cursor = this.coll.find(this.filter(q)).sort({ time: 1, _id: 1 }).batchSize(batchSize);
    try {
      let batch: Document[] = [];
      const flush = async (): Promise<Document[]> => {
        const ids = batch.map((d) => d._id);
        const done = new Set((await this.deliveryColl.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)));
        const out = batch.filter((d) => !done.has(String(d._id)));
        batch = [];
        return out;
      };
      for await (const doc of cursor) {
        batch.push(doc);
        if (batch.length >= batchSize) {
          const out = await flush();
          if (out.length) yield out;
        }
      }
      if (batch.length) {
        const out = await flush();
        if (out.length) yield out;
      }
    } catch (err) {
      throw translateDriverError(err);
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  /** The entry of one event, committed: written by its operation's roll-forward after the commit point (journal/journal.ts). */
  entry(event: AuditEvent, actor: string, opTime: Date): Document {
    const _id = new (mongo().ObjectId)();
    // An empty tenantId is the operator's log only (a removed tenant without a Service Provider).
    const logOwners = event.tenantId ? [event.tenantId] : [];
    if (event.parentId && event.parentId !== event.tenantId) logOwners.push(event.parentId);
    // A child tenant's object names its Service Provider, whichever command wrote it.
    const object: AuditObject =
      event.object.tenant && event.parentId && event.object.tenant.parent === undefined
        ? { ...event.object, tenant: { ...event.object.tenant, parent: event.parentId } }
        : event.object;
    const doc: Document = {
      _id,
      state: 'committed',
      tenant_id: event.tenantId,
      log_tenant_ids: logOwners,
      actor: auditActor(actor),
      action: event.action,
      object,
      change: event.change,
      ...(event.meta ? { meta: event.meta } : {}),
      time: opTime,
    };
    return doc;
  }

  private filter(q: AuditQuery): Document {
    // Pending entries belong to changes that have not (or not yet) happened.
    const f: Document = { state: 'committed' };
    if (q.tenantIds) f.log_tenant_ids = q.tenantIds.length === 1 ? q.tenantIds[0] : { $in: q.tenantIds };
    if (q.action !== undefined) f.action = q.action;
    if (q.objectType !== undefined) f['object.type'] = q.objectType;
    if (q.objectId !== undefined) f['object.id'] = q.objectId;
    // Emails are stored in lower case (auditActor), so one given in any case is found.
    if (q.actor !== undefined) Object.assign(f, looksLikeEmail(q.actor) ? { 'actor.email': q.actor.toLowerCase() } : { 'actor.id': q.actor });
    const change: Document[] = [];
    // A change reads `field: old -> new`, several joined by `; `.
    if (q.field !== undefined) change.push({ change: { $regex: `(^|; )${literal(q.field)}: ` } });
    if (q.change !== undefined) change.push({ change: { $regex: literal(q.change), $options: 'i' } });
    if (change.length === 1) Object.assign(f, change[0]);
    if (change.length === 2) f.$and = change;
    if (q.since || q.until) {
      f.time = {};
      if (q.since) f.time.$gte = q.since;
      if (q.until) f.time.$lt = q.until;
    }
    return f;
  }

  /** Stream committed entries newest first; memory is bounded by one cursor batch. */
  async *find(q: AuditQuery, batchSize = 1000): AsyncGenerator<AuditEntry> {
    const cursor = this.coll.find(this.filter(q)).sort({ time: -1, _id: -1 }).batchSize(batchSize);
    if (q.limit !== undefined) cursor.limit(q.limit);
    try {
      for await (const doc of cursor) yield toEntry(doc);
    } catch (err) {
      throw translateDriverError(err);
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }
}
