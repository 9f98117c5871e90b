/** deviceauth.limits: `{_id, tenant_id, name, value}`; -1 unlimited, 0 none, missing unlimited. */
import type { Collection, Db, Document } from 'mongodb';
import { UNLIMITED, type LimitKind } from '../domain/tenant';
import { mongo } from './mongo';
import { fieldUpdateStep } from './tenants';
import type { Step, Target } from './journal';

export const LIMITS = 'limits';

export interface LimitRecord {
  tenantId: string;
  kind: LimitKind;
  /** -1 when unlimited or when no document exists. */
  value: number;
  raw: Document | null;
}

export class LimitStore {
  readonly target: Target;
  private readonly coll: Collection<Document>;

  constructor(db: Db) {
    this.target = { db: db.databaseName, coll: LIMITS };
    this.coll = db.collection(LIMITS);
  }

  /** Limits of many tenants in one round trip; tenants without a document are unlimited. */
  async getMany(tenantIds: string[], kind: LimitKind = 'max_devices'): Promise<Map<string, LimitRecord>> {
    const out = new Map<string, LimitRecord>();
    if (tenantIds.length === 0) return out;
    for await (const raw of this.coll.find({ tenant_id: { $in: tenantIds }, name: kind })) {
      const tenantId = String(raw.tenant_id);
      out.set(tenantId, { tenantId, kind, value: Number(raw.value), raw });
    }
    for (const id of tenantIds) if (!out.has(id)) out.set(id, { tenantId: id, kind, value: UNLIMITED, raw: null });
    return out;
  }

  /** Every tenant's limit of one kind, in one pass (for long listings; see views.ts). */
  async all(kind: LimitKind = 'max_devices'): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for await (const raw of this.coll.find({ name: kind }, { projection: { tenant_id: 1, value: 1 } })) {
      out.set(String(raw.tenant_id), Number(raw.value));
    }
    return out;
  }

  async get(tenantId: string, kind: LimitKind = 'max_devices'): Promise<LimitRecord> {
    return (await this.getMany([tenantId], kind)).get(tenantId)!;
  }

  /** Write `value`, inserting the document when there is none (a compare-and-set otherwise). */
  setStep(current: LimitRecord, value: number): Step {
    const stored = mongo().Long.fromNumber(value);
    if (!current.raw) {
      return {
        kind: 'insert',
        target: this.target,
        doc: { _id: new (mongo().ObjectId)(), name: current.kind, value: stored, tenant_id: current.tenantId },
      };
    }
    return fieldUpdateStep(this.target, current.raw, { value: stored });
  }
}
