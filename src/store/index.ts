/**
 * The store: the only module that knows database, collection and field names.
 * Commands get a Store through their deps and speak in tenants, users and limits.
 */
import type { Document, MongoClient, IndexDescription } from 'mongodb';
import type { Config } from '../config';
import { ConflictError, InternalError, RuleError } from '../errors';
import { connect, translateDriverError } from './mongo';
import { Journal, type Operation, type RepairReport, type Step } from './journal';
import { TenantStore, TENANTS } from './tenants';
import { UserStore, USERS } from './users';
import { LimitStore, LIMITS } from './limits';
import { DeviceStore, DEVICES } from './devices';
import { AuditStore, type AuditEvent } from './audit';
import { TenantSettingsStore, SSO_SETTINGS, STORAGE_SETTINGS } from './settings';
import type { SsoSettings } from '../domain/sso';
import type { StorageSettings } from '../domain/storage';

export type { TenantRecord, TenantQuery, TenantFields } from './tenants';
export type { LimitRecord } from './limits';
export type { User, UserRecord } from './users';
export type { AuditEvent, AuditObject, AuditEntry, AuditQuery } from './audit';
export type { Step, RepairReport } from './journal';
export type { SettingsRecord } from './settings';

/** Test hook: `TENANTADM_TEST_PAUSE_MS=N` widens the window between a check and its write, so races are reproducible. */
async function pauseAfterCheck(): Promise<void> {
  const ms = Number(process.env.TENANTADM_TEST_PAUSE_MS ?? 0);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** What a command wants written: opaque steps plus the audit events describing them. */
export class ChangeSet {
  readonly steps: Step[] = [];
  readonly events: AuditEvent[] = [];
  readonly locks: string[] = [];
  constructor(readonly command: string) {}
  add(...steps: Step[]): this {
    this.steps.push(...steps);
    return this;
  }
  audit(event: AuditEvent): this {
    this.events.push(event);
    return this;
  }
  get empty(): boolean {
    return this.steps.length === 0;
  }
}

interface IndexSpec {
  db: 'tenantadm' | 'useradm' | 'deviceauth' | 'audit';
  coll: string;
  index: IndexDescription;
  /** Writes rely on it: mutating commands refuse to run without it. */
  required?: boolean;
}

export interface MigrateResult {
  database: string;
  collection: string;
  index: string;
  keys: Document;
  unique: boolean;
  created: boolean;
}

export class Store {
  readonly tenants: TenantStore;
  readonly users: UserStore;
  readonly limits: LimitStore;
  readonly devices: DeviceStore;
  readonly audit: AuditStore;
  readonly journal: Journal;
  /** Identity-provider settings (with secrets) per tenant. */
  readonly sso: TenantSettingsStore<SsoSettings>;
  /** A tenant's own object store (with secrets); none means the shared store. */
  readonly storage: TenantSettingsStore<StorageSettings>;

  private constructor(
    private readonly client: MongoClient,
    private readonly config: Config,
    private readonly now: () => Date,
  ) {
    const db = (name: string) => client.db(name);
    this.tenants = new TenantStore(db(config.db.tenantadm));
    this.users = new UserStore(db(config.db.useradm));
    this.limits = new LimitStore(db(config.db.deviceauth));
    this.devices = new DeviceStore(db(config.db.deviceauth));
    this.audit = new AuditStore(db(config.db.audit), config.auditCollection);
    this.sso = new TenantSettingsStore<SsoSettings>(db(config.db.tenantadm), SSO_SETTINGS);
    this.storage = new TenantSettingsStore<StorageSettings>(db(config.db.tenantadm), STORAGE_SETTINGS);
    this.journal = new Journal(client, db(config.db.tenantadm), now, Math.max(config.timeoutMs * 2, 10_000));
  }

  static async open(config: Config, now: () => Date = () => new Date()): Promise<Store> {
    const client = await connect(config.mongoUrl, config.timeoutMs);
    return new Store(client, config, now);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Run driver calls with errors translated (duplicates → conflict, lost server → unreachable). */
  async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateDriverError(err, this.config.mongoUrl, this.config.timeoutMs);
    }
  }

  private operation(changes: ChangeSet): Operation {
    // No change without its audit entry: a command that forgets one is a bug, caught before any write.
    if (changes.steps.length > 0 && changes.events.length === 0) {
      throw new InternalError(`${changes.command} tried to change data without recording an audit event`, 'this is a bug in tenantadm: nothing was changed');
    }
    const time = this.now();
    const steps = [...changes.steps];
    const finalize: Step[] = [];
    for (const event of changes.events) {
      const { insert, settle } = this.audit.steps(event, this.config.actor, time);
      steps.push(insert);
      finalize.push(settle);
    }
    return { command: changes.command, actor: this.config.actor, steps, finalize, locks: changes.locks };
  }

  /** Prepare for a change: settle what dead processes left, and check the indexes writes rely on. */
  async beforeWrite(): Promise<void> {
    await this.guard(async () => {
      await this.journal.repairStale();
      await this.requireIndexes();
    });
  }

  /** Apply a change set all-or-nothing (see journal.ts). */
  async commit(changes: ChangeSet): Promise<void> {
    if (changes.empty) return;
    await this.guard(() => this.journal.run(this.operation(changes)));
  }

  /**
   * Hold `keys` (e.g. `sp:<id>`) across read, check and write, so that concurrent
   * tenantadm processes cannot both pass a check that only one of them may pass.
   */
  async exclusive<T>(keys: string[], body: () => Promise<{ changes: ChangeSet | null; result: T }>): Promise<T> {
    return this.guard(() =>
      this.journal.exclusive(keys, async () => {
        const { changes, result } = await body();
        await pauseAfterCheck();
        return { op: changes && !changes.empty ? this.operation(changes) : null, result };
      }),
    );
  }

  /** Operations in the journal: in progress, or left by a killed process until repaired. */
  async unsettledOperations(): Promise<number> {
    return this.guard(() => this.journal.pendingCount());
  }

  async repair(all = false): Promise<RepairReport> {
    return this.guard(() => this.journal.repair({ all }));
  }

  private indexSpecs(): IndexSpec[] {
    const audit = this.config.auditCollection;
    return [
      { db: 'tenantadm', coll: TENANTS, index: { key: { name: 1 }, name: 'tenantadm_name_unique', unique: true }, required: true },
      { db: 'tenantadm', coll: TENANTS, index: { key: { parent_tenant_id: 1 }, name: 'tenantadm_parent' } },
      { db: 'useradm', coll: USERS, index: { key: { email: 1 }, name: 'tenantadm_email_unique', unique: true }, required: true },
      { db: 'useradm', coll: USERS, index: { key: { tenant_id: 1 }, name: 'tenantadm_user_tenant' } },
      {
        db: 'deviceauth',
        coll: LIMITS,
        index: { key: { tenant_id: 1, name: 1 }, name: 'tenantadm_limit_unique', unique: true },
        required: true,
      },
      { db: 'deviceauth', coll: DEVICES, index: { key: { tenant_id: 1, status: 1 }, name: 'tenantadm_device_tenant_status' } },
      // `audit` sorts by (time, _id) newest first; these serve it without an in-memory sort.
      { db: 'audit', coll: audit, index: { key: { log_tenant_ids: 1, time: -1, _id: -1 }, name: 'tenantadm_audit_log_time' } },
      { db: 'audit', coll: audit, index: { key: { time: -1, _id: -1 }, name: 'tenantadm_audit_time_id' } },
      { db: 'audit', coll: audit, index: { key: { 'object.id': 1, time: -1, _id: -1 }, name: 'tenantadm_audit_object_time' } },
    ];
  }

  private async existingIndexes(db: string, coll: string): Promise<Document[]> {
    try {
      return await this.client.db(db).collection(coll).listIndexes().toArray();
    } catch (err) {
      // A collection that does not exist yet has no indexes (code 26: NamespaceNotFound).
      if ((err as { code?: number }).code === 26) return [];
      throw err;
    }
  }

  private static sameKeys(a: Document, b: Document): boolean {
    const ea = Object.entries(a);
    const eb = Object.entries(b);
    return ea.length === eb.length && ea.every(([k, v], i) => eb[i]?.[0] === k && Number(eb[i]?.[1]) === Number(v));
  }

  /** Create the indexes every command relies on; existing equivalent ones are kept. */
  async migrate(): Promise<MigrateResult[]> {
    return this.guard(async () => {
      const results: MigrateResult[] = [];
      await this.journal.ensureCollections();
      for (const spec of this.indexSpecs()) {
        const dbName = this.config.db[spec.db];
        const existing = await this.existingIndexes(dbName, spec.coll);
        const unique = spec.index.unique === true;
        const match = existing.find((ix) => Store.sameKeys(ix.key, spec.index.key as Document));
        if (match && (match.unique === true) === unique) {
          results.push({ database: dbName, collection: spec.coll, index: String(match.name), keys: spec.index.key as Document, unique, created: false });
          continue;
        }
        if (match && unique) {
          throw new RuleError(
            `${dbName}.${spec.coll} has a non-unique index "${match.name}" on ${JSON.stringify(spec.index.key)}`,
            'drop that index, then run `tenantadm migrate` again so uniqueness is enforced',
          );
        }
        try {
          await this.client.db(dbName).collection(spec.coll).createIndexes([spec.index]);
        } catch (err) {
          if ((err as { code?: number }).code === 11000) {
            throw new ConflictError(
              `cannot make ${JSON.stringify(spec.index.key)} unique in ${dbName}.${spec.coll}: duplicates exist`,
              'find them with list-tenants / get-user and rename or remove one, then re-run migrate',
              { duplicate: (err as { keyValue?: unknown }).keyValue },
            );
          }
          throw err;
        }
        results.push({ database: dbName, collection: spec.coll, index: String(spec.index.name), keys: spec.index.key as Document, unique, created: true });
      }
      return results;
    });
  }

  /** Writes depend on unique indexes for correctness under concurrency; refuse without them. */
  private async requireIndexes(): Promise<void> {
    for (const spec of this.indexSpecs().filter((s) => s.required)) {
      const dbName = this.config.db[spec.db];
      const existing = await this.existingIndexes(dbName, spec.coll);
      if (!existing.some((ix) => ix.unique === true && Store.sameKeys(ix.key, spec.index.key as Document))) {
        throw new RuleError(
          `the unique index on ${dbName}.${spec.coll} ${JSON.stringify(spec.index.key)} is missing`,
          'run `tenantadm migrate` once against this database; it is safe to re-run',
        );
      }
    }
  }
}
