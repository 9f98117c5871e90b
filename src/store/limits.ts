/**
 * deviceauth.limits: `{_id: ObjectId, name, value: int64, tenant_id}`, unique on
 * (tenant_id, name). What a stored value means depends on the Mender version (profile.ts);
 * this module is the one place that translates between the stored value and the tool's
 * own reading: -1 unlimited, N >= 0 at most N devices.
 */
import type { Collection, Db, Document } from 'mongodb';
import { RuleError } from '../errors';
import { UNLIMITED, type LimitKind } from '../domain/tenant';
import { mongo } from '../mongo';
import { fieldUpdateStep } from './tenants';
import type { SchemaProfile } from './profile';
import type { Step, Target } from '../journal/journal';

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
    for (const [key, rec] of await this.getKinds(tenantIds, [kind])) out.set(key.slice(0, key.lastIndexOf('/')), rec);
    return out;
  }

  /**
   * Limits of many tenants and kinds in one query, by `<tenantId>/<kind>`; a pair without a
   * document is unlimited. The profile is read only when a stored value needs it (0 or less).
   */
  async getKinds(tenantIds: string[], kinds: readonly LimitKind[]): Promise<Map<string, LimitRecord>> {
    const out = new Map<string, LimitRecord>();
    if (tenantIds.length === 0 || kinds.length === 0) return out;
    const filter = { tenant_id: tenantIds.length === 1 ? tenantIds[0] : { $in: tenantIds }, name: kinds.length === 1 ? kinds[0] : { $in: [...kinds] } };
    const found = await this.coll.find(filter).toArray();
    const wanted = new Set<string>(kinds);
    for (const raw of found) {
      const kind = String(raw.name);
      if (!wanted.has(kind)) continue;
      const tenantId = String(raw.tenant_id);
      const { value, invalid } = await this.read(raw.value);
      out.set(`${tenantId}/${kind}`, { tenantId, kind: kind as LimitKind, value, raw, ...(invalid ? { invalid } : {}) });
    }
    for (const id of tenantIds) {
      for (const kind of kinds) if (!out.has(`${id}/${kind}`)) out.set(`${id}/${kind}`, { tenantId: id, kind, value: UNLIMITED, raw: null });
    }
    return out;
  }

  /** A stored value as this tool reads it; a positive number means the same under every profile. */
  private async read(stored: unknown): Promise<{ value: number; invalid: boolean }> {
    const n = Number(stored);
    if (Number.isFinite(n) && n > 0) return { value: n, invalid: false };
    return readStored(stored, (await this.profile()).name);
  }

  /** Every tenant's limit of one kind, in one pass (for long listings; see views.ts). */
  async all(kind: LimitKind = 'max_devices'): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for await (const raw of this.coll.find({ name: kind }, { projection: { tenant_id: 1, value: 1 } })) {
      out.set(String(raw.tenant_id), (await this.read(raw.value)).value);
    }
    return out;
  }

  /**
   * Every limit of these kinds, in one pass, by `<tenantId>/<kind>` (-1 unlimited); a pair
   * without a document is not in the map (unlimited). For whole-server reads (the fleet file),
   * where `$in` over every tenant would cost a scan per element on some servers.
   */
  async allKinds(kinds: readonly LimitKind[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for await (const raw of this.coll.find({ name: { $in: [...kinds] } }, { projection: { tenant_id: 1, name: 1, value: 1 } }).batchSize(1000)) {
      out.set(`${String(raw.tenant_id)}/${String(raw.name)}`, (await this.read(raw.value)).value);
    }
    return out;
  }

  /**
   * Every limit document of these kinds, in one pass, by `<tenantId>/<kind>`, as records (for
   * compare-and-set writes); a pair without a document is not in the map (unlimited).
   */
  async allRecords(kinds: readonly LimitKind[]): Promise<Map<string, LimitRecord>> {
    const out = new Map<string, LimitRecord>();
    for await (const raw of this.coll.find({ name: { $in: [...kinds] } }).batchSize(1000)) {
      const tenantId = String(raw.tenant_id);
      const kind = String(raw.name) as LimitKind;
      const { value, invalid } = await this.read(raw.value);
      out.set(`${tenantId}/${kind}`, { tenantId, kind, value, raw, ...(invalid ? { invalid } : {}) });
    }
    return out;
  }

  /** How many stored values of any kind this deviceauth cannot read (for doctor). */
  async countInvalid(profile: SchemaProfile['name']): Promise<number> {
    return this.coll.countDocuments(profile === 'legacy' ? { value: { $lt: 0 } } : { value: { $lt: -1 } });
  }

  /** One tenant's limit: `findOne` stops at the document (a scanning server reads half the collection on average, not all). */
  async get(tenantId: string, kind: LimitKind = 'max_devices'): Promise<LimitRecord> {
    const raw = await this.coll.findOne({ tenant_id: tenantId, name: kind });
    if (!raw) return { tenantId, kind, value: UNLIMITED, raw: null };
    const { value, invalid } = await this.read(raw.value);
    return { tenantId, kind, value, raw, ...(invalid ? { invalid } : {}) };
  }

  /**
   * Write `value` (-1 unlimited), inserting the document when there is none (a compare-and-set
   * otherwise). `current` is the record as read; the profile decides the stored value, and is
   * read only when the value needs it (a positive number is stored as it is under every profile).
   */
  async setStep(current: LimitRecord, value: number): Promise<Step> {
    const stored = mongo().Long.fromNumber(await this.storedValue(value, current.kind));
    if (!current.raw) {
      return {
        kind: 'insert',
        target: this.target,
        doc: { _id: new (mongo().ObjectId)(), name: current.kind, value: stored, tenant_id: current.tenantId },
      };
    }
    return fieldUpdateStep(this.target, current.raw, { value: stored });
  }

  /** The number to store for `value` (-1 unlimited) on this server; what it cannot say is exit 5. */
  async storedValue(value: number, kind: LimitKind): Promise<number> {
    return value > 0 ? value : toStored(value, kind, await this.profile());
  }
}
