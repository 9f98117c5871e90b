/**
 * The isolation and consistency audit behind `tenantadm check`, and the repairs that need no
 * person. It scans by streaming: the tenants are read once into a set of ids, then every
 * collection is read once with a projection, counting; memory holds the tenant set, a few
 * per-tenant figures for Service Providers and their children, and ten samples per finding,
 * never the documents. No query is issued per tenant.
 */
import type { Document, MongoClient } from 'mongodb';
import type { Config } from '../config';
import { LIMIT_KINDS, UNLIMITED, type Addon, type LimitKind, type Tenant } from '../domain/tenant';
import { differencesFromSp } from '../domain/child-features';
import { formatOf, type TokenFormat } from '../domain/token-format';
import { DEVICES } from './devices';
import { allocationOf, fits } from '../domain/allocation';
import { databaseNames, parsePerTenantDatabase, refusal, tenantCollections, type DiscoveryOptions } from './discovery';
import { LATE_WRITES, lateWriteRef } from '../journal/late-writes';
import { DEFAULT_LEASE_MS as LEASE_MS, JOURNAL, JOURNAL_PLANS, LEASES, LOCKS, type Journal, type JournalDoc, type PlanDoc, type RepairReport, type Step } from '../journal/journal';
import { TENANTS, idString, plain } from './tenants';
import { USERS } from './users';
import { LIMITS, readStored } from './limits';
import { mongo } from '../mongo';
import type { Progress, StartProgress } from '../progress';
import type { SchemaProfile } from './profile';

export const SAMPLE_SIZE = 10;
/** Documents per round trip while scanning: large batches, few round trips, bounded memory. */
const SCAN_BATCH = 5000;
/** Ids per write or lookup during repair. */
const CHUNK = 1000;

export type FindingKind =
  | 'orphan_documents'
  | 'orphan_users'
  | 'orphan_limits'
  | 'orphan_audit_entries'
  | 'orphan_databases'
  | 'duplicate_emails'
  | 'sp_over_allocated'
  | 'child_parent_missing'
  | 'child_parent_not_sp'
  | 'sp_over_max_child_tenants'
  | 'invalid_limits'
  | 'duplicate_limits'
  | 'unsettled_journal'
  | 'pending_audit'
  | 'expired_locks'
  | 'stray_leases'
  | 'late_write'
  | 'sp_without_limit'
  | 'sp_holding_devices'
  | 'child_unlike_sp'
  | 'child_without_users'
  | 'token_format_mismatch';

export interface Finding {
  kind: FindingKind;
  database?: string;
  collection?: string;
  /** How many documents (or databases, tenants, emails) are affected. */
  count: number;
  /** Up to ten ids of affected documents (tenants, users, databases for orphan_databases). */
  sample_ids: string[];
  /** Up to ten tenant ids that documents name but no tenant has. */
  missing_tenant_ids?: string[];
  /** Up to ten email addresses used by more than one user. */
  emails?: string[];
  limit_kind?: LimitKind;
  detail: string;
  /** `safe`: `check --repair` fixes it; `manual`: a person decides. */
  repair: 'safe' | 'manual';
}

export interface ScanSummary {
  tenants: number;
  databases: number;
  collections: number;
  documents: number;
}

export interface CheckScan {
  profile: SchemaProfile['name'];
  scanned: ScanSummary;
  findings: Finding[];
}

export interface RepairAction {
  kind: FindingKind;
  /** What was (or, with --dry-run, would be) done. */
  action: string;
  count: number;
  sample_ids: string[];
}

/** Counts and the first ten ids (and values) of one finding. */
class Tally {
  count = 0;
  readonly samples: string[] = [];
  readonly values = new Set<string>();
  add(id: string, value?: string): void {
    this.count += 1;
    if (this.samples.length < SAMPLE_SIZE) this.samples.push(id);
    if (value !== undefined && this.values.size < SAMPLE_SIZE) this.values.add(value);
  }
}

/** A tenant reference as the tool compares ids: ObjectId or string, as a 24-hex string; none for empty. */
function tenantRef(raw: unknown): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  return typeof raw === 'string' ? raw : idString(raw);
}

interface TenantFacts {
  ids: Set<string>;
  serviceProviders: Map<string, { maxChildTenants?: number }>;
  parentOf: Map<string, string>;
  /** Plan, add-ons and policy of Service Providers and children (for the Enterprise 4.x rules). */
  features: Map<string, Pick<Tenant, 'plan' | 'addons' | 'child_features'>>;
  /** Tenants by the format of their stored token (the token itself is not kept). */
  tokens: Map<string, TokenFormat>;
}

/** What the scan compares beyond the data: the token format new tokens get (operations/token-format.ts). */
export interface ScanContext {
  tokenFormat?: { format: TokenFormat; source: string };
  /**
   * Tenants a live operation is still writing (operations/pending.ts): their half-made state (a
   * child whose users or an SP whose limit are not written yet, a plan half-followed, an
   * allocation mid-change) is no finding; the command says on stderr which operation holds them.
   */
  inProgress?: ReadonlySet<string>;
}

interface JournalFacts {
  stale: JournalDoc[];
  /** Audit entries written by operations still running: neither pending findings nor repairable. */
  liveAuditIds: Set<string>;
  /** Audit entries of operations `repair` settles with them. */
  staleAuditIds: Set<string>;
  /** `<db>.<coll>/<id>` of documents inserted by operations still running. */
  liveInserts: Set<string>;
}

function insertKey(db: string, coll: string, id: string): string {
  return `${db}.${coll}/${id}`;
}

/** What a command sees: scan first, then (optionally) repair what the scan found. */
export interface IsolationAudit {
  scan(options?: DiscoveryOptions, progress?: StartProgress, context?: ScanContext): Promise<CheckScan>;
  repair(dryRun: boolean): Promise<RepairAction[]>;
  /** Every child whose plan or add-ons differ from its SP's, as the last scan found them (for the repair the command journals). */
  childrenUnlikeSp(): string[];
}

export class IsolationCheck implements IsolationAudit {
  private tenants: TenantFacts | undefined;
  private unlikeSp: string[] = [];

  constructor(
    private readonly client: MongoClient,
    private readonly config: Config,
    private readonly journal: Journal,
    private readonly profile: () => Promise<SchemaProfile>,
    private readonly now: () => Date,
  ) {}

  private get auditTarget(): { db: string; coll: string } {
    return { db: this.config.db.audit, coll: this.config.auditCollection };
  }

  private async *stream(db: string, coll: string, projection: Document, filter: Document = {}): AsyncGenerator<Document> {
    const cursor = this.client.db(db).collection(coll).find(filter, { projection, batchSize: SCAN_BATCH });
    try {
      for await (const doc of cursor) yield doc;
    } catch (err) {
      throw refusal(err, 'find', `${db}.${coll}`);
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  /**
   * Visit every document of a collection. Documents are handed over a whole batch at a time
   * (one await per batch, not per document): the scan costs the client little beyond decoding.
   */
  private async each(db: string, coll: string, projection: Document, visit: (doc: Document) => void, filter: Document = {}): Promise<void> {
    const cursor = this.client.db(db).collection(coll).find(filter, { projection, batchSize: SCAN_BATCH });
    try {
      while (await cursor.hasNext()) {
        for (const doc of cursor.readBufferedDocuments()) visit(doc);
      }
    } catch (err) {
      throw refusal(err, 'find', `${db}.${coll}`);
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  /** One pass over the tenants: their ids, the Service Providers and who is whose child. */
  private async loadTenants(): Promise<TenantFacts> {
    const facts: TenantFacts = { ids: new Set(), serviceProviders: new Map(), parentOf: new Map(), features: new Map(), tokens: new Map() };
    const projection = { _id: 1, service_provider: 1, parent_tenant_id: 1, max_child_tenants: 1, plan: 1, addons: 1, child_features: 1, tenant_token: 1 };
    await this.each(this.config.db.tenantadm, TENANTS, projection, (doc) => {
      const id = idString(doc._id);
      facts.ids.add(id);
      if (doc.service_provider === true) {
        const max = plain(doc.max_child_tenants);
        facts.serviceProviders.set(id, typeof max === 'number' && Number.isFinite(max) ? { maxChildTenants: max } : {});
      }
      const parent = tenantRef(doc.parent_tenant_id);
      if (parent) facts.parentOf.set(id, parent);
      if (doc.service_provider === true || parent) {
        const addons: Addon[] = Array.isArray(doc.addons) ? doc.addons.map((a: Document) => ({ name: String(a.name), enabled: a.enabled === true })) : [];
        facts.features.set(id, {
          plan: typeof doc.plan === 'string' && doc.plan ? doc.plan : 'enterprise',
          addons,
          ...(Array.isArray(doc.child_features) ? { child_features: doc.child_features.map(String) } : {}),
        });
      }
      if (typeof doc.tenant_token === 'string' && doc.tenant_token !== '') facts.tokens.set(id, formatOf(doc.tenant_token));
    });
    return facts;
  }

  private async readJournal(): Promise<JournalFacts> {
    const facts: JournalFacts = { stale: [], liveAuditIds: new Set(), staleAuditIds: new Set(), liveInserts: new Set() };
    const audit = this.auditTarget;
    const entries: JournalDoc[] = [];
    for await (const doc of this.stream(this.config.db.tenantadm, JOURNAL, {})) entries.push(doc as JournalDoc);
    // A small plan is in its operation's document, a big one apart (journal/journal.ts); the journal is small: one read of the plans apart.
    const plans = new Map<string, PlanDoc>();
    const apart = entries.filter((e) => !Array.isArray(e.steps));
    if (apart.length > 0) {
      const ids = apart.map((e) => e._id);
      for await (const plan of this.stream(this.config.db.tenantadm, JOURNAL_PLANS, {}, { _id: { $in: ids } })) plans.set(String(plan._id), plan as PlanDoc);
    }
    // Whose owner is gone, and what state each is in, as the operations' ownership chains say.
    const standing = await this.journal.standing(entries);
    for (const entry of entries) {
      const { gone: stale, committed } = standing.get(entry._id) ?? { gone: false, committed: false };
      if (stale) facts.stale.push({ ...entry, state: committed ? 'committed' : 'pending' });
      for (const step of (Array.isArray(entry.steps) ? entry.steps : (plans.get(entry._id)?.steps ?? [])) as Step[]) {
        if (step.kind !== 'insert') continue;
        const id = idString(step.doc._id);
        const isAudit = step.target.db === audit.db && step.target.coll === audit.coll;
        if (isAudit) (stale ? facts.staleAuditIds : facts.liveAuditIds).add(id);
        if (!stale) facts.liveInserts.add(insertKey(step.target.db, step.target.coll, id));
      }
    }
    return facts;
  }

  /** Read everything once and report what is wrong. */
  /** `progress` starts a counter of the collections scanned (the tenants count as one). */
  async scan(options: DiscoveryOptions = {}, progress?: StartProgress, context: ScanContext = {}): Promise<CheckScan> {
    const profile = (await this.profile()).name;
    const dbNames = await databaseNames(this.client, options);
    const cfg = this.config.db;
    const users = { db: cfg.useradm, coll: USERS };
    const limits = { db: cfg.deviceauth, coll: LIMITS };
    const audit = this.auditTarget;
    const devices = { db: cfg.deviceauth, coll: DEVICES };
    // The tenants are read on their own; the journal and the locks are checked by their own rules.
    const own = new Set([`${cfg.tenantadm}.${TENANTS}`, `${cfg.tenantadm}.${JOURNAL}`, `${cfg.tenantadm}.${JOURNAL_PLANS}`, `${cfg.tenantadm}.${LOCKS}`, `${cfg.tenantadm}.${LEASES}`]);
    // Per-tenant databases are judged whole (below): opening each would be a query per tenant.
    const collections = (await tenantCollections(this.client, options)).filter((c) => !own.has(`${c.db}.${c.coll}`) && !parsePerTenantDatabase(c.db));
    // The checks of users, limits and the audit log run whatever --databases says.
    for (const special of [users, limits, audit, devices]) {
      if (!collections.some((c) => c.db === special.db && c.coll === special.coll)) collections.push(special);
    }

    const summary: ScanSummary = { tenants: 0, databases: new Set(collections.map((c) => c.db)).size, collections: collections.length + 1, documents: 0 };
    const scanned = progress?.('collections scanned', summary.collections);
    try {
      return await this.scanCollections(profile, dbNames, collections, summary, { users, limits, audit, devices }, scanned, context);
    } finally {
      scanned?.done();
    }
  }

  private async scanCollections(
    profile: SchemaProfile['name'],
    dbNames: Awaited<ReturnType<typeof databaseNames>>,
    collections: { db: string; coll: string }[],
    summary: ScanSummary,
    { users, limits, audit, devices }: Record<'users' | 'limits' | 'audit' | 'devices', { db: string; coll: string }>,
    scanned: Progress | undefined,
    context: ScanContext,
  ): Promise<CheckScan> {
    const cfg = this.config.db;
    const tenants = await this.loadTenants();
    scanned?.tick();
    this.tenants = tenants;
    summary.tenants = tenants.ids.size;
    summary.documents += tenants.ids.size;
    const journal = await this.readJournal();
    const findings: Finding[] = [];

    // Limits of Service Providers and their children, per kind, for the allocation rule.
    const involved = new Set<string>([...tenants.serviceProviders.keys(), ...tenants.parentOf.keys()]);
    const limitsOf = new Map<string, Partial<Record<LimitKind, number>>>();
    const invalid = new Tally();
    const duplicateLimits = new Tally();
    const limitKeys = new Set<string>();
    const duplicateEmails = new Tally();
    const emails = new Map<string, string>();
    const reportedEmails = new Set<string>();
    const pending = new Tally();
    let pendingOfOperations = 0;
    const cutoff = this.now().getTime() - LEASE_MS;
    // Enterprise 4.x: children with users, and the devices Service Providers hold.
    const withUsers = new Set<string>();
    const spDevices = new Map<string, number>();

    for (const { db, coll } of collections) {
      const isUsers = db === users.db && coll === users.coll;
      const isDevices = db === devices.db && coll === devices.coll;
      const isLimits = db === limits.db && coll === limits.coll;
      const isAudit = db === audit.db && coll === audit.coll;
      const projection: Document = { tenant_id: 1 };
      if (isUsers) projection.email = 1;
      if (isLimits) Object.assign(projection, { name: 1, value: 1 });
      if (isAudit) Object.assign(projection, { log_tenant_ids: 1, state: 1, time: 1, action: 1, object: 1 });
      const orphans = new Tally();
      await this.each(db, coll, projection, (doc) => {
        summary.documents += 1;
        if (isAudit) {
          const id = idString(doc._id);
          // An entry belongs to every log it is in; it is an orphan only when none of them exists.
          const owners: string[] = Array.isArray(doc.log_tenant_ids) ? doc.log_tenant_ids.map(tenantRef).filter((x: string | null): x is string => x !== null) : [];
          const ref = tenantRef(doc.tenant_id);
          if (owners.length === 0 && ref) owners.push(ref);
          // The record of a tenant's own removal outlives it on purpose.
          const tombstone = doc.action === 'delete' && doc.object?.type === 'tenant' && owners.includes(String(doc.object?.id));
          if (owners.length > 0 && !tombstone && !owners.some((o) => tenants.ids.has(o))) orphans.add(id, owners[0]);
          if (doc.state === 'pending' && !journal.liveAuditIds.has(id)) {
            if (journal.staleAuditIds.has(id)) {
              pending.add(id);
              pendingOfOperations += 1;
            } else if (doc.time instanceof Date && doc.time.getTime() < cutoff) {
              pending.add(id);
            }
          }
          return;
        }
        const ref = tenantRef(doc.tenant_id);
        if (ref && !tenants.ids.has(ref)) orphans.add(idString(doc._id), ref);
        if (isUsers && ref && tenants.parentOf.has(ref)) withUsers.add(ref);
        if (isDevices && ref && tenants.serviceProviders.has(ref)) spDevices.set(ref, (spDevices.get(ref) ?? 0) + 1);
        if (!isUsers && !isLimits) return;
        const id = idString(doc._id);
        if (isUsers && typeof doc.email === 'string') {
          const email = doc.email.trim().toLowerCase();
          const first = emails.get(email);
          if (first === undefined) emails.set(email, id);
          else {
            if (!reportedEmails.has(email)) {
              reportedEmails.add(email);
              duplicateEmails.add(first, email);
            }
            if (duplicateEmails.samples.length < SAMPLE_SIZE) duplicateEmails.samples.push(id);
          }
        }
        if (isLimits && ref) {
          const name = String(doc.name ?? '');
          const key = `${ref}\u0000${name}`;
          if (limitKeys.has(key)) duplicateLimits.add(id, ref);
          else limitKeys.add(key);
          const read = readStored(doc.value, profile);
          if (read.invalid) invalid.add(id, ref);
          if (involved.has(ref) && (LIMIT_KINDS as readonly string[]).includes(name)) {
            const kinds = limitsOf.get(ref) ?? {};
            kinds[name as LimitKind] = read.value;
            limitsOf.set(ref, kinds);
          }
        }
      });
      if (orphans.count > 0) {
        const kind: FindingKind = isUsers ? 'orphan_users' : isLimits ? 'orphan_limits' : isAudit ? 'orphan_audit_entries' : 'orphan_documents';
        findings.push({
          kind,
          database: db,
          collection: coll,
          count: orphans.count,
          sample_ids: orphans.samples,
          missing_tenant_ids: [...orphans.values],
          detail: isAudit
            ? `${orphans.count} audit entries are in the logs of tenants that do not exist`
            : `${orphans.count} documents name a tenant that does not exist`,
          repair: isLimits ? 'safe' : 'manual',
        });
      }
      scanned?.tick();
    }

    // Per-tenant databases of tenants that do not exist.
    const orphanDbs = new Tally();
    for (const db of dbNames) {
      const parsed = parsePerTenantDatabase(db);
      if (parsed && !tenants.ids.has(parsed.tenantId)) orphanDbs.add(db, parsed.tenantId);
    }
    if (orphanDbs.count > 0) {
      findings.push({
        kind: 'orphan_databases',
        count: orphanDbs.count,
        sample_ids: orphanDbs.samples,
        missing_tenant_ids: [...orphanDbs.values],
        detail: `${orphanDbs.count} per-tenant databases (<name>-<tenant id>) belong to tenants that do not exist`,
        repair: 'manual',
      });
    }
    if (duplicateEmails.count > 0) {
      findings.push({
        kind: 'duplicate_emails',
        database: users.db,
        collection: users.coll,
        count: duplicateEmails.count,
        sample_ids: duplicateEmails.samples,
        emails: [...duplicateEmails.values],
        detail: `${duplicateEmails.count} email addresses (compared in lower case) are used by more than one user`,
        repair: 'manual',
      });
    }
    findings.push(...this.serviceProviderFindings(tenants, limitsOf, context.inProgress ?? new Set()));
    findings.push(...this.enterpriseFindings(tenants, limitsOf, withUsers, spDevices, context));
    if (invalid.count > 0) {
      findings.push({
        kind: 'invalid_limits',
        database: limits.db,
        collection: limits.coll,
        count: invalid.count,
        sample_ids: invalid.samples,
        detail: `${invalid.count} limit documents hold a value deviceauth cannot read under the ${profile} profile; set them again with set-device-limit`,
        repair: 'manual',
      });
    }
    if (duplicateLimits.count > 0) {
      findings.push({
        kind: 'duplicate_limits',
        database: limits.db,
        collection: limits.coll,
        count: duplicateLimits.count,
        sample_ids: duplicateLimits.samples,
        detail: `${duplicateLimits.count} limit documents repeat a (tenant, name) pair another document already has`,
        repair: 'manual',
      });
    }
    if (journal.stale.length > 0) {
      const committed = journal.stale.filter((d) => d.state === 'committed').length;
      findings.push({
        kind: 'unsettled_journal',
        database: cfg.tenantadm,
        collection: JOURNAL,
        count: journal.stale.length,
        sample_ids: journal.stale.slice(0, SAMPLE_SIZE).map((d) => String(d._id)),
        detail: `${journal.stale.length} operations were left by processes that died: ${committed} committed (to finish), ${journal.stale.length - committed} not (to roll back)`,
        repair: 'safe',
      });
    }
    if (pending.count > 0) {
      findings.push({
        kind: 'pending_audit',
        database: audit.db,
        collection: audit.coll,
        count: pending.count,
        sample_ids: pending.samples,
        detail: `${pending.count} audit entries are still pending: ${pendingOfOperations} settle with their unsettled operation, ${pending.count - pendingOfOperations} belong to no operation (rolled back)`,
        repair: 'safe',
      });
    }
    const stray = await this.journal.strayChains();
    if (stray.length > 0) {
      findings.push({
        kind: 'stray_leases',
        database: cfg.tenantadm,
        collection: LEASES,
        count: stray.length,
        sample_ids: stray.slice(0, SAMPLE_SIZE),
        detail: `${stray.length} ownership chains are left of operations that no longer exist (no journal document, no lock, owner gone)`,
        repair: 'safe',
      });
    }
    const late = await this.journal.landedLateWrites();
    if (late.length > 0) {
      findings.push({
        kind: 'late_write',
        database: cfg.tenantadm,
        collection: LATE_WRITES,
        count: late.length,
        sample_ids: late.slice(0, SAMPLE_SIZE).map(lateWriteRef),
        detail: `${late.length} writes of operations that were rolled back landed afterwards (held on the network while their process died or lost its operation): \`repair\` undoes them`,
        repair: 'safe',
      });
    }
    const locks = await this.expiredLocks();
    if (locks.length > 0) {
      findings.push({
        kind: 'expired_locks',
        database: cfg.tenantadm,
        collection: LOCKS,
        count: locks.length,
        sample_ids: locks.slice(0, SAMPLE_SIZE),
        detail: `${locks.length} locks are held by processes that are gone`,
        repair: 'safe',
      });
    }
    return { profile, scanned: summary, findings };
  }

  private serviceProviderFindings(tenants: TenantFacts, limitsOf: Map<string, Partial<Record<LimitKind, number>>>, inProgress: ReadonlySet<string>): Finding[] {
    const findings: Finding[] = [];
    const childrenOf = new Map<string, string[]>();
    const missingParent = new Tally();
    const notSp = new Tally();
    for (const [child, parent] of tenants.parentOf) {
      if (!tenants.ids.has(parent)) missingParent.add(child, parent);
      else if (!tenants.serviceProviders.has(parent)) notSp.add(child, parent);
      else {
        const kids = childrenOf.get(parent) ?? [];
        kids.push(child);
        childrenOf.set(parent, kids);
      }
    }
    const where = { database: this.config.db.tenantadm, collection: TENANTS };
    if (missingParent.count > 0) {
      findings.push({
        kind: 'child_parent_missing',
        ...where,
        count: missingParent.count,
        sample_ids: missingParent.samples,
        missing_tenant_ids: [...missingParent.values],
        detail: `${missingParent.count} tenants name a parent tenant that does not exist`,
        repair: 'manual',
      });
    }
    if (notSp.count > 0) {
      findings.push({
        kind: 'child_parent_not_sp',
        ...where,
        count: notSp.count,
        sample_ids: notSp.samples,
        detail: `${notSp.count} tenants have a parent that is not a Service Provider`,
        repair: 'manual',
      });
    }
    const overMax = new Tally();
    for (const [sp, facts] of tenants.serviceProviders) {
      const kids = childrenOf.get(sp)?.length ?? 0;
      if (facts.maxChildTenants !== undefined && kids > facts.maxChildTenants) overMax.add(sp);
    }
    if (overMax.count > 0) {
      findings.push({
        kind: 'sp_over_max_child_tenants',
        ...where,
        count: overMax.count,
        sample_ids: overMax.samples,
        detail: `${overMax.count} Service Providers have more children than their max_child_tenants`,
        repair: 'manual',
      });
    }
    for (const kind of LIMIT_KINDS) {
      const over = new Tally();
      for (const [sp, kids] of childrenOf) {
        if (inProgress.has(sp)) continue;
        const spLimit = limitsOf.get(sp)?.[kind] ?? UNLIMITED;
        const alloc = allocationOf(kids.map((k) => limitsOf.get(k)?.[kind] ?? UNLIMITED));
        if (!fits(spLimit, alloc)) over.add(sp);
      }
      if (over.count > 0) {
        findings.push({
          kind: 'sp_over_allocated',
          database: this.config.db.deviceauth,
          collection: LIMITS,
          limit_kind: kind,
          count: over.count,
          sample_ids: over.samples,
          detail: `${over.count} Service Providers have handed out more ${kind} to their children than their own limit (an unlimited child counts as exceeding it)`,
          repair: 'manual',
        });
      }
    }
    return findings;
  }

  /**
   * What Mender Enterprise 4.x refuses: an SP without a device limit (MEN-7954) or holding
   * devices (MEN-7715), a child without users (MEN-8261) or whose plan or add-ons differ from
   * its SP's (MEN-7493, MEN-7511); and stored tokens of another format than new ones get.
   */
  private enterpriseFindings(
    tenants: TenantFacts,
    limitsOf: Map<string, Partial<Record<LimitKind, number>>>,
    withUsers: Set<string>,
    spDevices: Map<string, number>,
    context: ScanContext,
  ): Finding[] {
    const findings: Finding[] = [];
    const where = { database: this.config.db.tenantadm, collection: TENANTS };
    const unlimited = new Tally();
    const holding = new Tally();
    const inProgress = context.inProgress ?? new Set<string>();
    for (const sp of tenants.serviceProviders.keys()) {
      if ((limitsOf.get(sp)?.max_devices ?? UNLIMITED) === UNLIMITED && !inProgress.has(sp)) unlimited.add(sp);
      if ((spDevices.get(sp) ?? 0) > 0) holding.add(sp);
    }
    if (unlimited.count > 0) {
      findings.push({
        kind: 'sp_without_limit',
        database: this.config.db.deviceauth,
        collection: LIMITS,
        count: unlimited.count,
        sample_ids: unlimited.samples,
        detail: `${unlimited.count} Service Providers have no device limit (Mender Enterprise 4.x requires one, MEN-7954); set one with set-device-limit`,
        repair: 'manual',
      });
    }
    if (holding.count > 0) {
      const total = [...spDevices.values()].reduce((a, b) => a + b, 0);
      findings.push({
        kind: 'sp_holding_devices',
        database: this.config.db.deviceauth,
        collection: DEVICES,
        count: holding.count,
        sample_ids: holding.samples,
        detail: `${holding.count} Service Providers hold ${total} devices, which Mender Enterprise 4.x refuses to authenticate (MEN-7715); decommission them or move the fleet to a child`,
        repair: 'manual',
      });
    }
    const unlike = new Tally();
    const lonely = new Tally();
    this.unlikeSp = [];
    for (const [child, parent] of tenants.parentOf) {
      if (!tenants.serviceProviders.has(parent)) continue;
      if (inProgress.has(child) || inProgress.has(parent)) continue;
      if (!withUsers.has(child)) lonely.add(child, parent);
      const mine = tenants.features.get(child);
      const sp = tenants.features.get(parent);
      if (mine && sp && differencesFromSp({ ...sp, id: parent } as Tenant, mine.plan, mine.addons).length > 0) {
        unlike.add(child, parent);
        this.unlikeSp.push(child);
      }
    }
    if (unlike.count > 0) {
      findings.push({
        kind: 'child_unlike_sp',
        ...where,
        count: unlike.count,
        sample_ids: unlike.samples,
        detail: `${unlike.count} children have a plan or add-ons other than their Service Provider's (narrowed by its policy), which Mender Enterprise 4.x does not allow (MEN-7493, MEN-7511)`,
        repair: 'safe',
      });
    }
    if (lonely.count > 0) {
      findings.push({
        kind: 'child_without_users',
        ...where,
        count: lonely.count,
        sample_ids: lonely.samples,
        detail: `${lonely.count} children have no user (Mender Enterprise 4.x refuses to create one without, MEN-8261); add one with create-user`,
        repair: 'manual',
      });
    }
    const format = context.tokenFormat;
    if (format) {
      const other = new Tally();
      for (const [id, f] of tenants.tokens) if (f !== format.format) other.add(id);
      if (other.count > 0) {
        findings.push({
          kind: 'token_format_mismatch',
          ...where,
          count: other.count,
          sample_ids: other.samples,
          detail: `${other.count} stored tenant tokens are not ${format.format}, the format new tokens get (${format.source}); they keep working where the server accepts them: rotate one with update-tenant --rotate-token when its devices can be given the new one`,
          repair: 'manual',
        });
      }
    }
    return findings;
  }

  /** Every child whose plan or add-ons differ from its SP's, as the last scan found them. */
  childrenUnlikeSp(): string[] {
    return [...this.unlikeSp];
  }

  private async expiredLocks(): Promise<string[]> {
    return this.journal.deadLocks();
  }

  /**
   * Fix what needs no person, each step conditional and idempotent: settle dead operations
   * (the journal's own repair, which also drops their expired locks), roll back pending audit
   * entries that belong to no operation, and drop limit documents of tenants that do not
   * exist. With `dryRun`, only say what would be done. Runs after `scan`.
   */
  async repair(dryRun: boolean): Promise<RepairAction[]> {
    if (!this.tenants) throw new Error('repair runs after scan');
    const actions: RepairAction[] = [];
    const push = (kind: FindingKind, action: string, ids: string[], count = ids.length) => {
      if (count > 0) actions.push({ kind, action, count, sample_ids: ids.slice(0, SAMPLE_SIZE) });
    };

    const before = await this.readJournal();
    const locks = await this.expiredLocks();
    const stray = await this.journal.strayChains();
    if (dryRun) {
      push('late_write', 'would undo', (await this.journal.landedLateWrites()).map(lateWriteRef));
      push('stray_leases', 'would drop', stray);
      push('unsettled_journal', 'would roll back', before.stale.filter((d) => d.state !== 'committed').map((d) => String(d._id)));
      push('unsettled_journal', 'would finish', before.stale.filter((d) => d.state === 'committed').map((d) => String(d._id)));
      push('expired_locks', 'would drop', locks);
    } else {
      const report: RepairReport = await this.journal.repair({ all: false, lateWrites: true });
      push('unsettled_journal', 'rolled back', report.rolled_back);
      push('unsettled_journal', 'finished', report.finalized);
      push('late_write', 'undone', report.late_writes_undone.map(lateWriteRef));
      const left = new Set<string>();
      if (locks.length > 0) {
        for await (const l of this.stream(this.config.db.tenantadm, LOCKS, { _id: 1 }, { _id: { $in: locks } })) left.add(String(l._id));
      }
      push('expired_locks', 'dropped', locks.filter((l) => !left.has(l)));
      const stillStray = new Set(stray.length > 0 ? await this.journal.strayChains() : []);
      push('stray_leases', 'dropped', stray.filter((op) => !stillStray.has(op)));
    }

    // Pending audit entries no operation will settle: the change they describe cannot be shown to have happened.
    const journal = dryRun ? before : await this.readJournal();
    const referenced = new Set([...journal.liveAuditIds, ...journal.staleAuditIds]);
    const audit = this.auditTarget;
    const cutoff = new Date(this.now().getTime() - LEASE_MS);
    const strayIds: unknown[] = [];
    for await (const doc of this.stream(audit.db, audit.coll, { _id: 1 }, { state: 'pending', time: { $lt: cutoff } })) {
      if (!referenced.has(idString(doc._id))) strayIds.push(doc._id);
    }
    let rolledBack = strayIds.length;
    if (!dryRun) {
      rolledBack = 0;
      for (let i = 0; i < strayIds.length; i += CHUNK) {
        const res = await this.client.db(audit.db).collection(audit.coll).deleteMany({ _id: { $in: strayIds.slice(i, i + CHUNK) }, state: 'pending' } as Document);
        rolledBack += res.deletedCount;
      }
    }
    push('pending_audit', dryRun ? 'would roll back' : 'rolled back', strayIds.map(idString), rolledBack);

    push('orphan_limits', ...(await this.dropOrphanLimits(dryRun)));
    return actions;
  }

  /**
   * Limit documents whose tenant does not exist. Read in this order so that a tenant being
   * created meanwhile is never taken for missing: the documents, then the journal (a running
   * create still lists its insert), then the tenants named (one lookup per thousand).
   */
  private async dropOrphanLimits(dryRun: boolean): Promise<[string, string[], number]> {
    const tenants = this.tenants!;
    const { deviceauth, tenantadm } = this.config.db;
    const candidates: { _id: unknown; id: string; tenant: string }[] = [];
    await this.each(deviceauth, LIMITS, { tenant_id: 1 }, (doc) => {
      const ref = tenantRef(doc.tenant_id);
      if (ref && !tenants.ids.has(ref)) candidates.push({ _id: doc._id, id: idString(doc._id), tenant: ref });
    });
    if (candidates.length === 0) return ['', [], 0];
    const journal = await this.readJournal();
    const named = [...new Set(candidates.map((c) => c.tenant))];
    const existing = new Set<string>();
    const { ObjectId } = mongo();
    for (let i = 0; i < named.length; i += CHUNK) {
      const chunk = named.slice(i, i + CHUNK);
      const keys: unknown[] = [...chunk, ...chunk.filter((t) => ObjectId.isValid(t) && /^[0-9a-f]{24}$/.test(t)).map((t) => new ObjectId(t))];
      for await (const t of this.stream(tenantadm, TENANTS, { _id: 1 }, { _id: { $in: keys } })) existing.add(idString(t._id));
    }
    const orphans = candidates.filter((c) => !existing.has(c.tenant) && !journal.liveInserts.has(insertKey(deviceauth, LIMITS, c.id)));
    let dropped = orphans.length;
    if (!dryRun) {
      dropped = 0;
      for (let i = 0; i < orphans.length; i += CHUNK) {
        const res = await this.client.db(deviceauth).collection(LIMITS).deleteMany({ _id: { $in: orphans.slice(i, i + CHUNK).map((o) => o._id) } } as Document);
        dropped += res.deletedCount;
      }
    }
    return [dryRun ? 'would drop' : 'dropped', orphans.map((o) => o.id), dropped];
  }
}
