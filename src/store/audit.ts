/**
 * Audit entries in Mender's format. An entry is written `pending` inside the same
 * journaled operation as the change it records and becomes `committed` only after the
 * change's commit point, so readers never see an entry for a change that did not happen.
 */
import type { Collection, Db, Document } from 'mongodb';
import { mongo } from './mongo';
import type { Step, Target } from './journal';

export interface AuditObject {
  id: string;
  type: 'tenant' | 'user' | 'limit' | 'sso' | 'storage';
  tenant?: { id: string; name: string; parent?: string };
  user?: { email: string };
}

export interface AuditEvent {
  action: 'create' | 'update' | 'delete' | 'password_change' | 'auth_method_change';
  object: AuditObject;
  /** Readable old -> new description; never a secret. */
  change: string;
  /** The tenant whose log the entry belongs to. */
  tenantId: string;
  /** A Service Provider that also sees the entry (its child's change). */
  parentId?: string;
  meta?: Record<string, string[]>;
}

export class AuditStore {
  readonly target: Target;
  readonly coll: Collection<Document>;

  constructor(db: Db, collection: string) {
    this.target = { db: db.databaseName, coll: collection };
    this.coll = db.collection(collection);
  }

  /** The insert step (pending) and the finalize step (committed) for one event. */
  steps(event: AuditEvent, actor: string, opTime: Date): { insert: Step; settle: Step } {
    const _id = new (mongo().ObjectId)();
    const logOwners = [event.tenantId];
    if (event.parentId && event.parentId !== event.tenantId) logOwners.push(event.parentId);
    const doc: Document = {
      _id,
      state: 'pending',
      tenant_id: event.tenantId,
      log_tenant_ids: logOwners,
      actor: { id: actor, type: 'system' },
      action: event.action,
      object: event.object,
      change: event.change,
      ...(event.meta ? { meta: event.meta } : {}),
      time: opTime,
    };
    return {
      insert: { kind: 'insert', target: this.target, doc },
      settle: {
        kind: 'update',
        target: this.target,
        id: _id,
        before: { set: { state: 'pending' }, unset: [] },
        after: { set: { state: 'committed' }, unset: [] },
      },
    };
  }
}
