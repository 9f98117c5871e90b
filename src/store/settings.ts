/**
 * Per-tenant settings that hold secrets, kept out of the tenant document so that no
 * tenant listing can ever print them: `tenantadm.sso_settings` (identity provider).
 * One document per tenant: `{_id: "<tenant id>", tenant_id, settings: {...}, updated_at}`.
 */
import type { Collection, Db, Document } from 'mongodb';
import type { Step, Target } from '../journal/journal';
import { fieldUpdateStep } from './tenants';

export const SSO_SETTINGS = 'sso_settings';

export interface SettingsRecord<T> {
  tenantId: string;
  settings: T;
  updatedAt?: string;
  raw: Document;
}

export class TenantSettingsStore<T extends object> {
  readonly target: Target;
  private readonly coll: Collection<Document>;

  constructor(db: Db, collection: string) {
    this.target = { db: db.databaseName, coll: collection };
    this.coll = db.collection(collection);
  }

  async get(tenantId: string): Promise<SettingsRecord<T> | null> {
    const raw = await this.coll.findOne({ _id: tenantId as unknown as Document['_id'] });
    if (!raw) return null;
    return {
      tenantId,
      settings: raw.settings as T,
      ...(raw.updated_at instanceof Date ? { updatedAt: raw.updated_at.toISOString() } : {}),
      raw,
    };
  }

  /** The stored documents of these tenants, in one query (`$in`), by tenant id: for compare-and-set writes. */
  async getMany(tenantIds: readonly string[]): Promise<Map<string, SettingsRecord<T>>> {
    const out = new Map<string, SettingsRecord<T>>();
    if (tenantIds.length === 0) return out;
    const ids = [...new Set(tenantIds)];
    const filter: Document = { _id: ids.length === 1 ? ids[0] : { $in: ids } };
    for await (const raw of this.coll.find(filter).batchSize(1000)) {
      const tenantId = String(raw._id);
      out.set(tenantId, {
        tenantId,
        settings: raw.settings as T,
        ...(raw.updated_at instanceof Date ? { updatedAt: raw.updated_at.toISOString() } : {}),
        raw,
      });
    }
    return out;
  }

  /** The settings of these tenants (every tenant's when undefined), in one query, by tenant id. */
  async many(tenantIds?: string[]): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    if (tenantIds !== undefined && tenantIds.length === 0) return out;
    const filter: Document = tenantIds === undefined ? {} : { _id: tenantIds.length === 1 ? tenantIds[0] : { $in: tenantIds } };
    for await (const raw of this.coll.find(filter).batchSize(1000)) out.set(String(raw._id), raw.settings as T);
    return out;
  }

  /** Insert the settings, or replace them as a compare-and-set on what was read. */
  setStep(current: SettingsRecord<T> | null, tenantId: string, settings: T, now: Date): Step {
    if (!current) {
      return { kind: 'insert', target: this.target, doc: { _id: tenantId, tenant_id: tenantId, settings, updated_at: now } };
    }
    return fieldUpdateStep(this.target, current.raw, { settings, updated_at: now });
  }

  deleteStep(current: SettingsRecord<T>): Step {
    return { kind: 'delete', target: this.target, doc: current.raw };
  }
}
