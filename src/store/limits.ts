/**
 * deviceauth.limits: `{_id: ObjectId, name, value: int64, tenant_id}`, unique on
 * (tenant_id, name). What a stored value means depends on the Mender version (profile.ts);
 * this module is the one place that translates between the stored value and the tool's
 * own reading: -1 unlimited, N >= 0 at most N devices.
 */
import type { Collection, Db, Document } from 'mongodb';
import { RuleError } from '../errors';
import { UNLIMITED, type LimitKind } from '../domain/tenant';
import { mongo } from './mongo';
import { fieldUpdateStep } from './tenants';
import type { SchemaProfile } from './profile';
import type { Step, Target } from './journal';

export const LIMITS = 'limits';

export interface LimitRecord {
  tenantId: string;
  kind: LimitKind;
  /** -1 when unlimited (including no document), else the number of devices. */
  value: number;
  raw: Document | null;
  /** The stored value cannot be read by this deviceauth (a negative value on a legacy server). */
  invalid?: boolean;
}

/** The stored value as this tool reads it, under a profile. */
export function readStored(stored: unknown, profile: SchemaProfile['name']): { value: number; invalid: boolean } {
  const n = Number(stored);
  if (!Number.isFinite(n)) return { value: UNLIMITED, invalid: true };
  if (profile === 'legacy') {
    if (n < 0) return { value: UNLIMITED, invalid: true };
    return { value: n === 0 ? UNLIMITED : n, invalid: false };
  }
  return { value: n < 0 ? UNLIMITED : n, invalid: n < -1 };
}

/** The value to store for `value` (-1 unlimited) under a profile; what it cannot say is exit 5. */
export function toStored(value: number, kind: LimitKind, profile: SchemaProfile): number {
  if (profile.name === 'v2') return value;
  if (value === UNLIMITED) return 0;
  if (value === 0) {
    const version = profile.deviceauthVersion ? `deviceauth ${profile.deviceauthVersion}` : 'this Mender version (legacy schema)';
    throw new RuleError(
      `${kind} 0 ("accept no device") cannot be stored for ${version}: it reads 0 as unlimited`,
      'give at least 1, or "unlimited"; Mender releases after 4.1 (deviceauth migration 2.0.2) can say "none"',
      { kind, profile: profile.name },
    );
  }
  return value;
}

export class LimitStore {
  readonly target: Target;
  private readonly coll: Collection<Document>;

  constructor(
    db: Db,
    /** Resolved only when a stored value must be read or written. */
    readonly profile: () => Promise<SchemaProfile>,
  ) {
    this.target = { db: db.databaseName, coll: LIMITS };
    this.coll = db.collection(LIMITS);
  }

  /** Limits of many tenants in one round trip; tenants without a document are unlimited. */
  async getMany(tenantIds: string[], kind: LimitKind = 'max_devices'): Promise<Map<string, LimitRecord>> {
    const out = new Map<string, LimitRecord>();
    if (tenantIds.length === 0) return out;
    const found = await this.coll.find({ tenant_id: { $in: tenantIds }, name: kind }).toArray();
    const profile = found.length > 0 ? (await this.profile()).name : undefined;
    for (const raw of found) {
      const tenantId = String(raw.tenant_id);
      const { value, invalid } = readStored(raw.value, profile!);
      out.set(tenantId, { tenantId, kind, value, raw, ...(invalid ? { invalid } : {}) });
    }
    for (const id of tenantIds) if (!out.has(id)) out.set(id, { tenantId: id, kind, value: UNLIMITED, raw: null });
    return out;
  }

  /** Every tenant's limit of one kind, in one pass (for long listings; see views.ts). */
  async all(kind: LimitKind = 'max_devices'): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    let profile: SchemaProfile['name'] | undefined;
    for await (const raw of this.coll.find({ name: kind }, { projection: { tenant_id: 1, value: 1 } })) {
      profile ??= (await this.profile()).name;
      out.set(String(raw.tenant_id), readStored(raw.value, profile).value);
    }
    return out;
  }

  /** How many stored values of any kind this deviceauth cannot read (for doctor). */
  async countInvalid(profile: SchemaProfile['name']): Promise<number> {
    return this.coll.countDocuments(profile === 'legacy' ? { value: { $lt: 0 } } : { value: { $lt: -1 } });
  }

  async get(tenantId: string, kind: LimitKind = 'max_devices'): Promise<LimitRecord> {
    return (await this.getMany([tenantId], kind)).get(tenantId)!;
  }

  /**
   * Write `value` (-1 unlimited), inserting the document when there is none (a compare-and-set
   * otherwise). `previous` is the record as read; `profile` decides the stored value.
   */
  setStep(current: LimitRecord, value: number, profile: SchemaProfile): Step {
    const stored = mongo().Long.fromNumber(toStored(value, current.kind, profile));
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
