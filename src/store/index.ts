/**
 * The store: the only module that knows database, collection and field names.
 * Commands get a Store through their deps and speak in tenants, users and limits.
 */
import type { Document, MongoClient, IndexDescription } from 'mongodb';
import { ENV, type Config } from '../config';
import { ConflictError, InternalError, RuleError, UnreachableError, isDuplicateKeyError } from '../errors';
import { connect, translateDriverError } from '../mongo';
import { DEFAULT_LEASE_MS, Journal, type FaultHooks, type Operation, type RepairReport, type Step, type StepServices } from '../journal/journal';
import { lockWaitMs, type LockKey } from '../journal/locks';
import { TenantStore, TENANTS, idString } from './tenants';
import { UserStore, USERS, type User } from './users';
import { LimitStore, LIMITS } from './limits';
import { DeviceStore, DEVICES } from './devices';
import { UsageHistoryStore } from './usage-history';
import { AuditStore, type AuditEvent } from './audit';
import { TenantSettingsStore, SSO_SETTINGS } from './settings';
import { StorageStore } from './storage';
import { RemovalStore } from './tenant-sweep';
import { FleetCreatedStore } from './fleet-created';
import { idValues } from './tenants';
import { MenderServices } from '../mender/services';
import { AuditDelivery, type StoredEntry } from '../mender/workflows';
import { LimitRefresh, type CacheWork } from '../mender/limit-cache';
import { IsolationCheck, type IsolationAudit } from './check';
import { chooseProfile, detectSchema, type DetectedSchema, type SchemaProfile } from './profile';
import type { SsoSettings } from '../domain/sso';
import type { LimitRecord } from './limits';

export type { TenantRecord, TenantQuery, TenantFields, StoredTokenFormats } from './tenants';
export type { LimitRecord } from './limits';
export type { User, UserRecord } from './users';
export { tenantObject, userObject, type AuditEvent, type AuditObject, type AuditEntry, type AuditQuery } from './audit';
export type { Step, RepairReport, PendingOperation } from '../journal/journal';
export { spLock, tenantLock, tenantNameLock, tenantTokenLock, ssoLock, storageLock, type LockKey } from '../journal/locks';
export type { SettingsRecord } from './settings';
export type { StorageRecord } from './storage';
export type { SchemaProfile } from './profile';
export type { CheckScan, Finding, FindingKind, RepairAction } from './check';
export type { RemovalPlan, RemovalRow, Remaining } from './tenant-sweep';
export type { FleetCreated } from './fleet-created';

/** How the store's journal behaves; the entry point fills it from the test hooks (journal/test-hooks.ts). */
export interface StoreOptions {
  now?: () => Date;
  /** Lease of an operation and its locks, renewed every third of it while held. */
  leaseMs?: number;
  /** How long to wait for a lock held by a live owner; lockWaitMs(--timeout) when absent. */
  lockWaitMs?: number;
  hooks?: FaultHooks;
  /** Lines for people (stderr), e.g. that a command waits for a lock. */
  notice?: (line: string) => void;
  /** `-q`: warnings about the run itself (the local-only audit log) are not said. */
  quiet?: boolean;
  /** Sees the name of every database command sent (TENANTADM_COUNT_COMMANDS). */
  onCommand?: (name: string) => void;
}

/** What a command wants written: opaque steps plus the audit events describing them. */
export class ChangeSet {
  readonly steps: Step[] = [];
  readonly events: AuditEvent[] = [];
  readonly locks: LockKey[] = [];
  /** Roll-forward work after the commit point (e.g. revoking tokens), retried by repair. */
  readonly finalize: Step[] = [];
  /**
   * Forward-only (removals, batch suspensions): nothing is written before the commit point, so
   * an empty `steps` still needs its audit events. (Every change's audit entries are written
   * after the commit point, already committed, in one insert, ahead of the roll-forward steps.)
   */
  forwardOnly = false;
  constructor(readonly command: string) {}
  afterCommit(...steps: Step[]): this {
    this.finalize.push(...steps);
    return this;
  }
  add(...steps: Step[]): this {
    this.steps.push(...steps);
    return this;
  }
  audit(event: AuditEvent): this {
    this.events.push(event);
    return this;
  }
  /** Nothing to write and nothing to roll forward. */
  get empty(): boolean {
    return this.steps.length === 0 && this.finalize.length === 0;
  }
}

interface IndexSpec {
  db: 'tenantadm' | 'useradm' | 'deviceauth' | 'audit';
  coll: string;
  index: IndexDescription;
  /** Writes rely on it: mutating commands refuse to run without it. */
  required?: boolean;
  /** Whose definition it is: the tool's own collection, or Mender's (same name, keys and options). */
  owner: 'tenantadm' | 'mender';
}

export interface MigrateResult {
  database: string;
  collection: string;
  index: string;
  keys: Document;
  unique: boolean;
  state: 'created' | 'existed' | 'dropped';
}

/**
 * Indexes earlier releases of this tool put on Mender's collections that Mender does not
 * define; migrate drops them (tenant names are not unique in Mender).
 */
const RETIRED_INDEXES: { db: IndexSpec['db']; coll: string; name: string }[] = [
  { db: 'tenantadm', coll: TENANTS, name: 'tenantadm_name_unique' },
  { db: 'tenantadm', coll: TENANTS, name: 'tenantadm_parent' },
  { db: 'useradm', coll: USERS, name: 'tenantadm_user_tenant' },
];

export interface DuplicateName {
  name: string;
  ids: string[];
}

export class Store {
  readonly tenants: TenantStore;
  readonly users: UserStore;
  readonly limits: LimitStore;
  readonly devices: DeviceStore;
  /** Daily usage snapshots for billing (the tool's own collections). */
  readonly usageHistory: UsageHistoryStore;
  /** What `apply` created from a fleet file (the tool's own collection): all `apply --prune` may remove. */
  readonly fleetCreated: FleetCreatedStore;
  readonly audit: AuditStore;
  readonly journal: Journal;
  /** Identity-provider settings (with secrets) per tenant. */
  readonly sso: TenantSettingsStore<SsoSettings>;
  /** A tenant's own artifact storage, where deployments reads it; none means the shared store. */
  readonly storage: StorageStore;
  readonly services: MenderServices;
  /** Mender's audit log, through its workflows service; undefined when its address is not set. */
  readonly delivery: AuditDelivery | undefined;
  /** Entries were (or are about to be) recorded with no address to deliver them to; said once, after the commit. */
  private recordedLocally = false;
  private toldLocalAudit = false;
  /** What removing tenants takes away, everywhere on the server (discovered). */
  readonly removal: RemovalStore;
  private cacheRefresh: LimitRefresh | undefined;
  private readonly notice: (line: string) => void;
  private profileCache: Promise<SchemaProfile> | undefined;
  private detectionCache: Promise<DetectedSchema> | undefined;

  private constructor(
    private readonly client: MongoClient,
    private readonly config: Config,
    private readonly now: () => Date,
    private readonly options: StoreOptions,
  ) {
    const db = (name: string) => client.db(name);
    this.services = new MenderServices(config.services, config.timeoutMs);
    this.tenants = new TenantStore(db(config.db.tenantadm));
    this.users = new UserStore(db(config.db.useradm));
    this.limits = new LimitStore(db(config.db.deviceauth), () => this.profile());
    this.devices = new DeviceStore(db(config.db.deviceauth));
    this.usageHistory = new UsageHistoryStore(db(config.db.tenantadm));
    this.fleetCreated = new FleetCreatedStore(db(config.db.tenantadm));
    this.audit = new AuditStore(db(config.db.audit), config.auditCollection);
    this.sso = new TenantSettingsStore<SsoSettings>(db(config.db.tenantadm), SSO_SETTINGS);
    this.storage = new StorageStore(client, this.services);
    this.removal = new RemovalStore(client, config, this.services);
    this.notice = options.notice ?? (() => undefined);
    const delivery = config.orchestrator !== undefined ? new AuditDelivery(config.orchestrator, config.timeoutMs) : undefined;
    this.delivery = delivery;
    const steps: StepServices = {
      apply: (call) => this.services.apply(call),
      undo: (call) => this.services.undo(call),
      refreshCache: async (work: CacheWork) => {
        await this.cache.run(work);
      },
      // A settler without the address cannot deliver: the entries wait for `audit forward`.
      deliver: async (docs) => {
        if (!delivery) {
          return {
            delivered: [],
            skipped: [],
            undelivered: docs.length,
            failure: new UnreachableError(`${ENV.orchestratorAddr} is not set`, `set it (or --orchestrator-addr) to reach Mender's workflows service`),
          };
        }
        const outcome = await delivery.deliver(docs as StoredEntry[]);
        await this.audit.recordDeliveries(outcome);
        return outcome;
      },
    };
    // Leases are measured on the database server's clock (journal/ownership.ts), not on `now`.
    this.journal = new Journal(client, db(config.db.tenantadm), steps, {
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      lockWaitMs: options.lockWaitMs ?? lockWaitMs(config.timeoutMs),
      hooks: options.hooks,
      notice: options.notice,
    });
  }

  /**
   * deviceauth's Redis cache: runs the `cache` roll-forward steps of the operations this process
   * finishes (its own, or a dead process's in `repair`), warning through `notice`. Made on first
   * use: a command that never touches the cache does not parse the Redis URL.
   */
  get cache(): LimitRefresh {
    this.cacheRefresh ??= new LimitRefresh(this.config, this.notice);
    return this.cacheRefresh;
  }

  static async open(config: Config, options: StoreOptions = {}): Promise<Store> {
    const client = await connect(config.mongoUrl, config.timeoutMs, config.mongoAuth, options.onCommand);
    return new Store(client, config, options.now ?? (() => new Date()), options);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** The limit semantics of this server's deviceauth (read once per process). */
  profile(): Promise<SchemaProfile> {
    this.profileCache ??= this.detectedSchema().then((detected) => chooseProfile(detected, this.config.menderSchema, this.config.db.deviceauth));
    return this.profileCache;
  }

  /** The database server's version, and whether it is FerretDB (which answers buildInfo with its own fields). */
  async serverInfo(): Promise<{ version: string; ferretdb?: string }> {
    return this.guard(async () => {
      const info = await this.client.db('admin').command({ buildInfo: 1 });
      const ferret = (info.ferretdb as { version?: string } | undefined)?.version ?? (info.ferretdbVersion as string | undefined);
      return { version: String(info.version ?? 'unknown'), ...(ferret ? { ferretdb: String(ferret) } : {}) };
    });
  }

  /** What deviceauth's migration_info says, whatever the override (for doctor). */
  detectedSchema(): Promise<DetectedSchema> {
    this.detectionCache ??= this.guard(() => detectSchema(this.client.db(this.config.db.deviceauth)));
    return this.detectionCache;
  }

  /**
   * The step that sets a limit (-1 unlimited): through deviceauth's internal API when its
   * address is set (it invalidates its own cache), else straight into deviceauth.limits.
   * The value is stored as this server's profile reads it; what it cannot say is exit 5.
   */
  async limitStep(current: LimitRecord, value: number): Promise<Step> {
    if (this.services.has('deviceauth')) {
      const stored = await this.limits.storedValue(value, current.kind);
      const previous = current.raw ? Number(current.raw.value) : null;
      return { kind: 'service', call: { op: 'limit.put', service: 'deviceauth', tenantId: current.tenantId, name: current.kind, value: stored, previous } };
    }
    return this.limits.setStep(current, value);
  }

  /** A new user: through useradm when its address is set (Enterprise registers it for login), else straight into useradm.users. */
  userCreateSteps(fields: { email: string; passwordHash: string; tenantId: string; roles: string[]; now: Date }): { user: User; steps: Step[]; direct: boolean } {
    const created = this.users.newUser(fields);
    if (!this.services.has('useradm')) return { user: created.user, steps: [created.step], direct: true };
    return {
      user: created.user,
      steps: [{ kind: 'service', call: { op: 'user.create', service: 'useradm', tenantId: fields.tenantId, email: fields.email, passwordHash: fields.passwordHash } }],
      direct: false,
    };
  }

  /**
   * Revoke every device and user token of a tenant after a change commits (suspension):
   * through the services' token APIs when their addresses are set (deviceauth also bumps
   * its cached tenant version), else by deleting the token documents as those APIs do.
   * `direct` names the services written to directly.
   */
  revokeTokensSteps(tenantId: string): { steps: Step[]; direct: ('deviceauth' | 'useradm')[] } {
    const steps: Step[] = [];
    const direct: ('deviceauth' | 'useradm')[] = [];
    for (const service of ['deviceauth', 'useradm'] as const) {
      if (this.services.has(service)) {
        steps.push({ kind: 'service', call: { op: 'tokens.revoke', service, tenantId } });
        continue;
      }
      direct.push(service);
      // deviceauth keeps the tenant claim under the literal key "mender.tenant" (its own filter); useradm under tenant_id.
      steps.push(
        service === 'deviceauth'
          ? { kind: 'deleteMany', target: { db: this.config.db.deviceauth, coll: 'tokens' }, field: 'mender.tenant', value: tenantId }
          : { kind: 'deleteMany', target: { db: this.config.db.useradm, coll: 'tokens' }, field: 'tenant_id', value: tenantId },
      );
    }
    return { steps, direct };
  }

  /** The isolation and consistency audit (`check`), and its repairs that need no person. */
  isolationCheck(): IsolationAudit {
    const check = new IsolationCheck(this.client, this.config, this.journal, () => this.profile(), this.now);
    return {
      scan: (options, progress, context) => this.guard(() => check.scan(options, progress, context)),
      repair: (dryRun) => this.guard(() => check.repair(dryRun)),
      childrenUnlikeSp: () => check.childrenUnlikeSp(),
    };
  }

  /**
   * The same for many tenants at once (batch suspension): one delete per token collection
   * whatever their number; through the services' token APIs (one call per tenant, as they
   * take one) when their addresses are set.
   */
  revokeTokensManySteps(tenantIds: string[]): { steps: Step[]; direct: ('deviceauth' | 'useradm')[] } {
    const steps: Step[] = [];
    const direct: ('deviceauth' | 'useradm')[] = [];
    const values = idValues(tenantIds).filter((v) => typeof v === 'string');
    for (const service of ['deviceauth', 'useradm'] as const) {
      if (this.services.has(service)) {
        for (const tenantId of tenantIds) steps.push({ kind: 'service', call: { op: 'tokens.revoke', service, tenantId } });
        continue;
      }
      direct.push(service);
      steps.push(
        service === 'deviceauth'
          ? { kind: 'deleteIn', target: { db: this.config.db.deviceauth, coll: 'tokens' }, field: 'mender.tenant', values }
          : { kind: 'deleteIn', target: { db: this.config.db.useradm, coll: 'tokens' }, field: 'tenant_id', values },
      );
    }
    return { steps, direct };
  }

  /** The roll-forward step that brings deviceauth's Redis in line with a change (none: nothing to do there). */
  cacheSteps(work: CacheWork | null): Step[] {
    return work && work.keys.length > 0 ? [{ kind: 'cache', ...work }] : [];
  }

  /** Run driver calls with errors translated (duplicates → conflict, lost server → unreachable). */
  async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateDriverError(err, this.config.mongoUrl, this.config.timeoutMs);
    }
  }

  private async operation(changes: ChangeSet): Promise<Operation> {
    await this.requireIndexesFor(changes.steps);
    // No change without its audit entry: a command that forgets one is a bug, caught before any write.
    if ((changes.steps.length > 0 || changes.forwardOnly) && changes.events.length === 0) {
      throw new InternalError(`${changes.command} tried to change data without recording an audit event`, 'this is a bug in tenantadm: nothing was changed');
    }
    const time = this.now();
    const finalize: Step[] = [];
    // Once committed the change always finishes (repair, or the next changing command, re-runs the
    // roll-forward of an operation whose owner died, duplicates tolerated), so its entries are
    // written already committed after the commit point, in one insert: no pending entry and no
    // settle. Readers see an entry once its change committed and the roll-forward reached it.
    const docs = changes.events.map((event) => this.audit.entry(event, this.config.actor, time));
    if (docs.length > 0) finalize.push({ kind: 'insertMany', target: this.audit.target, docs });
    // The entries come first: a roll-forward step that fails (a service down) leaves its operation committed for repair, entries written.
    finalize.push(...changes.finalize);
    // Delivery to Mender's audit log comes last: it never fails the change (a failure is a follow-up, exit 8).
    if (docs.length > 0 && this.delivery) {
      finalize.push({ kind: 'deliver', target: this.audit.target, ids: docs.map((d) => d._id), record: this.audit.deliveries });
    } else if (docs.length > 0) {
      this.recordedLocally = true;
    }
    return { command: changes.command, actor: this.config.actor, steps: [...changes.steps], finalize, locks: changes.locks };
  }

  /**
   * Settle what dead processes left (their operations are rolled back or finished). Every
   * changing command calls it before it reads anything it decides on, so it never builds on a
   * half-made change. The indexes writes rely on are checked when a change has a write that
   * relies on one (see requireIndexesFor).
   */
  async settleInterrupted(): Promise<void> {
    await this.guard(() => this.journal.repairStale());
  }

  /** Apply a change set all-or-nothing (see journal.ts). */
  async commit(changes: ChangeSet): Promise<void> {
    if (changes.empty) return;
    await this.guard(async () => this.journal.run(await this.operation(changes)));
    this.tellLocalAudit();
  }

  /** Once per run, after a change committed: its entries stay in the tool's log (no workflows address). */
  private tellLocalAudit(): void {
    if (!this.recordedLocally || this.toldLocalAudit || this.options.quiet) return;
    this.toldLocalAudit = true;
    this.options.notice?.(
      `${ENV.orchestratorAddr} is not set: audit entries go to the tool's own log only, not to Mender's (set it, then \`tenantadm audit forward\` sends what is missing)`,
    );
  }

  /**
   * Hold `keys` (e.g. `sp:<id>`) across read, check and write, so that concurrent
   * tenantadm processes cannot both pass a check that only one of them may pass.
   */
  async exclusive<T>(keys: LockKey[], body: () => Promise<{ changes: ChangeSet | null; result: T }>): Promise<T> {
    const result = await this.guard(() =>
      this.journal.exclusive(keys, async () => {
        const { changes, result } = await body();
        return { op: changes && !changes.empty ? await this.operation(changes) : null, result };
      }),
    );
    this.tellLocalAudit();
    return result;
  }

  /** The live operation holding `lock` with its plan written (journal.ts pendingOn): a reader says so rather than reading its records as finished. */
  pendingOn(lock: LockKey): ReturnType<Journal['pendingOn']> {
    return this.guard(() => this.journal.pendingOn(lock));
  }

  /** Operations in the journal and the tenants they hold (journal.ts pendingOperations): one query when there is none. */
  pendingOperations(): ReturnType<Journal['pendingOperations']> {
    return this.guard(() => this.journal.pendingOperations());
  }

  /** Operations in the journal: in progress, or left by a killed process until repaired. */
  async unsettledOperations(): Promise<number> {
    return this.guard(() => this.journal.pendingCount());
  }

  async repair(all = false): Promise<RepairReport> {
    return this.guard(() => this.journal.repair({ all, lateWrites: true }));
  }

  /**
   * The tool's own indexes (audit collection; the journal's collections need none but `_id`)
   * and, on Mender's collections, exactly the indexes Mender's own migrations define (same
   * name, keys and options), which writes rely on. Nothing else touches Mender's collections.
   */
  indexSpecs(): IndexSpec[] {
    const audit = this.config.auditCollection;
    return [
      // useradm migration 2.0.0: DbUniqueEmailIndexName.
      { db: 'useradm', coll: USERS, index: { key: { email: 1 }, name: 'email_1', unique: true }, required: true, owner: 'mender' },
      // deviceauth migration 2.0.0: DbLimitsCollectionIndices and DbDevicesCollectionIndices.
      { db: 'deviceauth', coll: LIMITS, index: { key: { tenant_id: 1, name: 1 }, name: 'tenant_id_name', unique: true }, required: true, owner: 'mender' },
      { db: 'deviceauth', coll: DEVICES, index: { key: { tenant_id: 1, status: 1, _id: 1 }, name: 'tenant_id_status__id' }, owner: 'mender' },
      // `audit` sorts by (time, _id) newest first; these serve it without an in-memory sort.
      { db: 'audit', coll: audit, index: { key: { log_tenant_ids: 1, time: -1, _id: -1 }, name: 'tenantadm_audit_log_time' }, owner: 'tenantadm' },
      { db: 'audit', coll: audit, index: { key: { time: -1, _id: -1 }, name: 'tenantadm_audit_time_id' }, owner: 'tenantadm' },
      { db: 'audit', coll: audit, index: { key: { 'object.id': 1, time: -1, _id: -1 }, name: 'tenantadm_audit_object_time' }, owner: 'tenantadm' },
    ];
  }

  /** Which of the indexes above exist (for doctor). */
  async indexStatus(): Promise<{ database: string; collection: string; index: string; owner: string; required: boolean; present: boolean }[]> {
    return this.guard(async () => {
      const out = [];
      for (const spec of this.indexSpecs()) {
        const present = await this.indexPresent(spec);
        out.push({ database: this.config.db[spec.db], collection: spec.coll, index: String(spec.index.name), owner: spec.owner, required: spec.required === true, present });
      }
      return out;
    });
  }

  /** Tenant names used more than once (Mender allows it; the tool's own creates do not). */
  async duplicateNames(): Promise<DuplicateName[]> {
    return this.guard(async () => {
      const seen = new Map<string, string[]>();
      for await (const t of this.tenants.names()) {
        const ids = seen.get(t.name) ?? [];
        ids.push(t.id);
        seen.set(t.name, ids);
      }
      return [...seen].filter(([, ids]) => ids.length > 1).map(([name, ids]) => ({ name, ids }));
    });
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

  /** Create the indexes above (an equivalent existing one is kept) and drop the retired ones. */
  async migrate(): Promise<MigrateResult[]> {
    return this.guard(async () => {
      const results: MigrateResult[] = [];
      await this.journal.ensureCollections();
      for (const retired of RETIRED_INDEXES) {
        const dbName = this.config.db[retired.db];
        const existing = await this.existingIndexes(dbName, retired.coll);
        const found = existing.find((ix) => ix.name === retired.name);
        if (!found) continue;
        await this.client.db(dbName).collection(retired.coll).dropIndex(retired.name);
        results.push({ database: dbName, collection: retired.coll, index: retired.name, keys: found.key as Document, unique: found.unique === true, state: 'dropped' });
      }
      for (const spec of this.indexSpecs()) {
        const dbName = this.config.db[spec.db];
        const existing = await this.existingIndexes(dbName, spec.coll);
        const unique = spec.index.unique === true;
        const match = existing.find((ix) => Store.sameKeys(ix.key, spec.index.key as Document));
        if (match && (match.unique === true) === unique) {
          results.push({ database: dbName, collection: spec.coll, index: String(match.name), keys: spec.index.key as Document, unique, state: 'existed' });
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
          if (isDuplicateKeyError(err)) {
            throw new ConflictError(
              `cannot make ${JSON.stringify(spec.index.key)} unique in ${dbName}.${spec.coll}: duplicates exist`,
              'find them with get-user / list-tenants and remove one, then re-run migrate',
              { duplicate: (err as { keyValue?: unknown }).keyValue },
            );
          }
          throw err;
        }
        results.push({ database: dbName, collection: spec.coll, index: String(spec.index.name), keys: spec.index.key as Document, unique, state: 'created' });
      }
      return results;
    });
  }

  /** An index with the spec's keys and uniqueness exists, under any name. */
  private async indexPresent(spec: IndexSpec): Promise<boolean> {
    const existing = await this.existingIndexes(this.config.db[spec.db], spec.coll);
    return existing.some((ix) => Store.sameKeys(ix.key, spec.index.key as Document) && (ix.unique === true) === (spec.index.unique === true));
  }

  /**
   * Inserts into Mender's collections depend on its unique indexes under concurrency (a second
   * user with one email, a second limit document of one tenant and kind); refuse such a change
   * without them. Each index is checked at most once per process, and only for a change that
   * inserts there: updates are compare-and-set by `_id`, and a tenant created in the same
   * change has no limit document to collide with.
   */
  private async requireIndexesFor(steps: Step[]): Promise<void> {
    const created = new Set<string>();
    for (const step of steps) {
      if (step.kind === 'insert' && step.target.coll === TENANTS && step.target.db === this.config.db.tenantadm) created.add(idString(step.doc._id));
    }
    const needed = new Set<IndexSpec>();
    for (const spec of this.indexSpecs().filter((s) => s.required)) {
      const db = this.config.db[spec.db];
      const relies = steps.some(
        (step) => step.kind === 'insert' && step.target.db === db && step.target.coll === spec.coll && !(spec.coll === LIMITS && created.has(String(step.doc.tenant_id))),
      );
      if (relies) needed.add(spec);
    }
    for (const spec of needed) await this.requireIndex(spec);
  }

  private readonly indexChecks = new Map<string, Promise<void>>();

  /**
   * Before a change that will insert users straight into useradm.users: refuse at once
   * (exit 5, nothing written, no lock taken) when the unique email index is missing.
   */
  async requireUserIndex(): Promise<void> {
    if (this.services.has('useradm')) return;
    const spec = this.indexSpecs().find((s) => s.db === 'useradm' && s.coll === USERS)!;
    await this.guard(() => this.requireIndex(spec));
  }

  private requireIndex(spec: IndexSpec): Promise<void> {
    const key = `${spec.db}.${spec.coll}.${String(spec.index.name)}`;
    let check = this.indexChecks.get(key);
    if (!check) {
      check = this.indexPresent(spec).then((present) => {
        if (present) return;
        const dbName = this.config.db[spec.db];
        throw new RuleError(
          `the unique index on ${dbName}.${spec.coll} ${JSON.stringify(spec.index.key)} is missing`,
          'run `tenantadm migrate` once against this database; it is safe to re-run',
        );
      });
      this.indexChecks.set(key, check);
    }
    return check;
  }
}
