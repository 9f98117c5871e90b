/**
 * A tenant's own artifact storage, where Mender's deployments service reads it: database
 * `deployment_service-<tenant id>`, collection `settings`, document `_id: "settings"`, in
 * deployments' field names (`type` 0 = S3, 1 = Azure; Azure keeps the account name in
 * `key`, the account key in `secret` and the container in `bucket`). No document means
 * the shared store under the prefix `<tenant id>/`.
 */
import type { Document, MongoClient } from 'mongodb';
import type { StorageSettings } from '../domain/storage';
import type { MenderServices, MenderStorageSettings } from '../mender/services';
import type { Step, Target } from '../journal/journal';
import { fieldUpdateStep } from './tenants';
import { databaseNames, perTenantDatabases } from './discovery';

export const DEPLOYMENTS_DB = 'deployment_service';
export const STORAGE_COLLECTION = 'settings';
export const STORAGE_ID = 'settings';
const STORED_TYPE = { s3: 0, azure: 1 } as const;

export interface StorageRecord {
  tenantId: string;
  settings: StorageSettings;
  raw: Document;
}

/** Our settings in deployments' API form. */
export function toMender(s: StorageSettings): MenderStorageSettings {
  if (s.type === 's3') {
    return {
      type: 's3',
      region: s.region,
      bucket: s.bucket,
      ...(s.endpoint ? { uri: s.endpoint } : {}),
      key: s.access_key_id,
      secret: s.secret_access_key,
      ...(s.session_token ? { token: s.session_token } : {}),
      force_path_style: s.path_style === true,
      use_accelerate: s.use_accelerate === true,
    };
  }
  return {
    type: 'azure',
    bucket: s.container,
    ...(s.endpoint ? { uri: s.endpoint } : {}),
    ...(s.account_name ? { key: s.account_name } : {}),
    ...(s.account_key ? { secret: s.account_key } : {}),
    ...(s.connection_string ? { connection_string: s.connection_string } : {}),
  };
}

/** The stored document deployments writes for these settings (its ReplaceOne of the struct). */
function toStoredDoc(m: MenderStorageSettings): Document {
  return {
    _id: STORAGE_ID,
    type: STORED_TYPE[m.type],
    region: m.region ?? '',
    bucket: m.bucket ?? '',
    uri: m.uri ?? '',
    external_uri: m.external_uri ?? '',
    ...(m.key ? { key: m.key } : {}),
    ...(m.secret ? { secret: m.secret } : {}),
    ...(m.token ? { token: m.token } : {}),
    ...(m.connection_string ? { connection_string: m.connection_string } : {}),
    force_path_style: m.force_path_style === true,
    use_accelerate: m.use_accelerate === true,
  };
}

/** A stored document as this tool shows it. */
export function fromStored(doc: Document): StorageSettings {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  if (Number(doc.type) === STORED_TYPE.azure) {
    const azure: StorageSettings = { type: 'azure', container: String(doc.bucket ?? '') };
    if (str(doc.key)) azure.account_name = str(doc.key);
    if (str(doc.secret)) azure.account_key = str(doc.secret);
    if (str(doc.connection_string)) azure.connection_string = str(doc.connection_string);
    if (str(doc.uri)) azure.endpoint = str(doc.uri);
    return azure;
  }
  const s3: StorageSettings = {
    type: 's3',
    bucket: String(doc.bucket ?? ''),
    region: String(doc.region ?? ''),
    access_key_id: String(doc.key ?? ''),
    secret_access_key: String(doc.secret ?? ''),
  };
  if (str(doc.uri)) s3.endpoint = str(doc.uri);
  if (str(doc.token)) s3.session_token = str(doc.token);
  if (doc.force_path_style === true) s3.path_style = true;
  if (doc.use_accelerate === true) s3.use_accelerate = true;
  return s3;
}

/** Equal as deployments stores them (field order and defaults aside). */
export function sameStorage(a: StorageSettings, b: StorageSettings): boolean {
  return JSON.stringify(toStoredDoc(toMender(a))) === JSON.stringify(toStoredDoc(toMender(b)));
}

export class StorageStore {
  constructor(
    private readonly client: MongoClient,
    private readonly services: MenderServices,
  ) {}

  target(tenantId: string): Target {
    return { db: `${DEPLOYMENTS_DB}-${tenantId}`, coll: STORAGE_COLLECTION };
  }

  async get(tenantId: string): Promise<StorageRecord | null> {
    const t = this.target(tenantId);
    const raw = await this.client.db(t.db).collection(t.coll).findOne({ _id: STORAGE_ID as unknown as Document['_id'] });
    return raw ? { tenantId, settings: fromStored(raw), raw } : null;
  }

  /** The own storage of these tenants, by tenant id (see records). */
  async many(tenantIds: Iterable<string>, concurrency = 8): Promise<Map<string, StorageSettings>> {
    const out = new Map<string, StorageSettings>();
    for (const [id, rec] of await this.records(tenantIds, concurrency)) out.set(id, rec.settings);
    return out;
  }

  /**
   * The stored settings documents of these tenants, by tenant id. Each tenant's settings live in
   * a database of its own (Mender's deployments service), so no single query reads them all: this
   * is one listDatabases, then one read per tenant that has a deployments database, `concurrency`
   * at a time; tenants without one use the shared store and cost nothing.
   */
  async records(tenantIds: Iterable<string>, concurrency = 8): Promise<Map<string, StorageRecord>> {
    const wanted = new Set(tenantIds);
    const out = new Map<string, StorageRecord>();
    if (wanted.size === 0) return out;
    const names = await databaseNames(this.client, { databases: [DEPLOYMENTS_DB] });
    const found = perTenantDatabases(names, wanted).filter((d) => d.db === `${DEPLOYMENTS_DB}-${d.tenantId}`);
    let next = 0;
    const worker = async () => {
      while (next < found.length) {
        const { db, tenantId } = found[next++]!;
        const raw = await this.client.db(db).collection(STORAGE_COLLECTION).findOne({ _id: STORAGE_ID as unknown as Document['_id'] });
        if (raw) out.set(tenantId, { tenantId, settings: fromStored(raw), raw });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, found.length) }, worker));
    return out;
  }

  /** Set (or with null clear) the settings: through deployments when it is reachable, which checks the bucket. */
  setStep(current: StorageRecord | null, tenantId: string, settings: StorageSettings | null): Step {
    const next = settings ? toMender(settings) : null;
    if (this.services.has('deployments')) {
      return {
        kind: 'service',
        call: { op: 'storage.put', service: 'deployments', tenantId, settings: next, previous: current ? toMender(current.settings) : null },
      };
    }
    const target = this.target(tenantId);
    if (!next) return { kind: 'delete', target, doc: current!.raw };
    const doc = toStoredDoc(next);
    if (!current) return { kind: 'insert', target, doc };
    // Fields deployments would not write for these settings are removed (null), as its replace does.
    const fields: Document = {};
    for (const k of Object.keys(current.raw)) if (k !== '_id') fields[k] = null;
    for (const [k, v] of Object.entries(doc)) if (k !== '_id') fields[k] = v;
    return fieldUpdateStep(target, current.raw, fields);
  }
}
