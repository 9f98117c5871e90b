/**
 * Crash-safe multi-document changes without transactions.
 *
 * FerretDB and stand-alone mongod have no transactions, yet one command may write a
 * tenant, its device limit, its admin user and audit entries. Every change therefore
 * runs as an operation:
 *   1. the whole plan (every step with the values before and after) is written to the
 *      journal as `pending`, with the owner's host, pid and a lease;
 *   2. each step is applied as a compare-and-set (an update only matches the values the
 *      plan read; an insert fails on a duplicate), so a concurrent change is detected;
 *   3. the journal entry is switched to `committed` (a compare-and-set on `pending`);
 *   4. the `finalize` steps run (audit entries go from pending to committed) and the
 *      journal entry is deleted.
 * A failure before 3 undoes the applied steps in reverse; every undo is idempotent and
 * conditional, so undoing a step that never ran is a no-op. `repair` finds operations
 * whose owner died (lease expired, or its pid is gone on this host): pending ones are
 * rolled back, committed ones are finalized. Every mutating command repairs first.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Collection, Db, Document, MongoClient } from 'mongodb';
import { ConflictError, TenantadmError } from '../errors';
import { translateDriverError } from './mongo';
import type { MenderServices, ServiceCall } from './services';

export interface Target {
  db: string;
  coll: string;
}

/** Values of the touched fields: present ones in `set`, absent ones in `unset`. */
export interface FieldState {
  set: Document;
  unset: string[];
}

export type Step =
  | { kind: 'insert'; target: Target; doc: Document }
  /**
   * Many documents in one round trip (a forward-only operation's audit entries, written after
   * its commit point); applying it again skips those already there; undone by their `_id`s.
   */
  | { kind: 'insertMany'; target: Target; docs: Document[] }
  | { kind: 'update'; target: Target; id: unknown; before: FieldState; after: FieldState }
  | { kind: 'delete'; target: Target; doc: Document }
  /** A Mender service's internal API (services.ts); its undo is the service's own inverse. */
  | { kind: 'service'; call: ServiceCall }
  /**
   * Roll-forward only (finalize): e.g. revoking a suspended tenant's tokens; never undone.
   * The filter is one field path and value, kept apart because the journal document may not
   * hold a dotted key (`mender.tenant`).
   */
  | { kind: 'deleteMany'; target: Target; field: string; value: unknown }
  /**
   * Roll-forward only: every document whose `field` is one of `values` (a removed tenant's
   * records, in one query however many tenants). `$in` is built when applied: the journal
   * document may not hold a `$` key.
   */
  | { kind: 'deleteIn'; target: Target; field: string; values: unknown[] }
  /** Roll-forward only: the documents with `_id` in `values` that still match `match` get `set` (batch suspension). */
  | { kind: 'updateIn'; target: Target; values: unknown[]; match: Document; set: Document }
  /** Roll-forward only: a per-tenant database (`<name>-<tenant id>`) dropped whole; dropping one that is gone is a no-op. */
  | { kind: 'dropDatabase'; db: string };

export interface Operation {
  /** The command that asked for it, for people reading the journal. */
  command: string;
  actor: string;
  steps: Step[];
  /** Roll-forward steps run after the commit point (idempotent). */
  finalize: Step[];
  /** Exclusive keys (e.g. `sp:<id>`) held while the operation runs. */
  locks?: string[];
}

export interface JournalDoc extends Document {
  _id: string;
  state: 'pending' | 'rolling_back' | 'committed';
  command: string;
  actor: string;
  host: string;
  pid: number;
  created_at: Date;
  lease_until: Date;
  steps: Step[];
  finalize: Step[];
}

export interface RepairReport {
  rolled_back: string[];
  finalized: string[];
}

export const LEASE_MS = 120_000;
const HOST = os.hostname();

/** Test hook: `TENANTADM_CRASH_AT=step:N|commit|finalize` kills the process at that point. */
function crashPoint(where: string): void {
  const at = process.env.TENANTADM_CRASH_AT;
  if (at && at === where) {
    process.kill(process.pid, 'SIGKILL');
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isStale(doc: Pick<JournalDoc, 'host' | 'pid' | 'lease_until'>, now: Date): boolean {
  if (doc.lease_until.getTime() < now.getTime()) return true;
  return doc.host === HOST && doc.pid !== process.pid && !pidAlive(doc.pid);
}

function stateFilter(state: FieldState): Document {
  const filter: Document = { ...state.set };
  for (const field of state.unset) filter[field] = { $exists: false };
  return filter;
}

function stateUpdate(state: FieldState): Document {
  const update: Document = {};
  if (Object.keys(state.set).length > 0) update.$set = state.set;
  if (state.unset.length > 0) update.$unset = Object.fromEntries(state.unset.map((f) => [f, '']));
  return update;
}

export class Journal {
  private readonly journal: Collection<JournalDoc>;
  private readonly locks: Collection<{ _id: string; op_id: string; host: string; pid: number; lease_until: Date }>;

  constructor(
    private readonly client: MongoClient,
    home: Db,
    private readonly now: () => Date,
    private readonly lockWaitMs: number,
    private readonly services: MenderServices,
  ) {
    this.journal = home.collection<JournalDoc>('tenantadm_journal');
    this.locks = home.collection('tenantadm_locks');
  }

  private coll(target: Target): Collection<Document> {
    return this.client.db(target.db).collection(target.coll);
  }

  /** Run an operation to completion or leave no trace of it. */
  async run(op: Operation): Promise<void> {
    const id = randomUUID();
    const held: string[] = [];
    try {
      for (const key of [...new Set(op.locks ?? [])].sort()) {
        await this.lock(key, id);
        held.push(key);
      }
      await this.execute(id, op);
    } finally {
      for (const key of held) await this.locks.deleteOne({ _id: key, op_id: id }).catch(() => undefined);
    }
  }

  /**
   * Hold the locks for `keys` while `body` runs; body reads, checks rules and returns
   * the operation to apply (or null for nothing to do). Checks and writes are then
   * atomic with respect to every other tenantadm process that takes the same keys.
   */
  async exclusive<T>(keys: string[], body: () => Promise<{ op: Operation | null; result: T }>): Promise<T> {
    const id = randomUUID();
    const held: string[] = [];
    try {
      for (const key of [...new Set(keys)].sort()) {
        await this.lock(key, id);
        held.push(key);
      }
      const { op, result } = await body();
      if (op) await this.execute(id, op);
      return result;
    } finally {
      for (const key of held) await this.locks.deleteOne({ _id: key, op_id: id }).catch(() => undefined);
    }
  }

  private async execute(id: string, op: Operation): Promise<void> {
    const created = this.now();
    await this.journal.insertOne({
      _id: id,
      state: 'pending',
      command: op.command,
      actor: op.actor,
      host: HOST,
      pid: process.pid,
      created_at: created,
      lease_until: new Date(created.getTime() + LEASE_MS),
      steps: op.steps,
      finalize: op.finalize,
    });
    let applied = 0;
    /** Whether the failing step may have taken effect (and so must be undone too). */
    let maybeApplied = true;
    try {
      for (const step of op.steps) {
        crashPoint(`step:${applied}`);
        try {
          await this.apply(step);
        } catch (err) {
          // A service that answered with a refusal did nothing; only a lost answer is in doubt.
          if (step.kind === 'service' && err instanceof TenantadmError && (err.code !== 'db_unreachable' || err.details?.delivered === false)) {
            maybeApplied = false;
          }
          throw err;
        }
        applied += 1;
      }
      crashPoint('commit');
      const committed = await this.journal.updateOne({ _id: id, state: 'pending' }, { $set: { state: 'committed' } });
      if (committed.matchedCount !== 1) {
        throw new ConflictError(
          'the operation was rolled back by a concurrent `tenantadm repair` before it could commit',
          'nothing was changed; run the command again',
        );
      }
    } catch (err) {
      await this.undo(op.steps.slice(0, applied + (maybeApplied ? 1 : 0)));
      await this.journal.deleteOne({ _id: id });
      throw translateDriverError(err);
    }
    crashPoint('finalize');
    for (const [i, step] of op.finalize.entries()) {
      crashPoint(`finalize:${i}`);
      await this.applyQuietly(step);
    }
    await this.journal.deleteOne({ _id: id, state: 'committed' });
  }

  private async apply(step: Step): Promise<void> {
    if (step.kind === 'service') return this.services.apply(step.call);
    if (step.kind === 'dropDatabase') {
      await this.client.db(step.db).dropDatabase();
      return;
    }
    const coll = this.coll(step.target);
    switch (step.kind) {
      case 'insert':
        await coll.insertOne(step.doc);
        return;
      case 'insertMany':
        try {
          await coll.insertMany(step.docs, { ordered: false });
        } catch (err) {
          // A re-run (repair) finds the documents of the first run: only duplicates are fine.
          const e = err as { code?: number; writeErrors?: { code?: number }[] | { code?: number } };
          const errors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
          if (!(errors.length > 0 ? errors.every((w) => w.code === 11000) : e.code === 11000)) throw err;
        }
        return;
      case 'update': {
        const res = await coll.updateOne({ _id: step.id, ...stateFilter(step.before) } as Document, stateUpdate(step.after));
        if (res.matchedCount !== 1) {
          throw new ConflictError(
            `a record in ${step.target.db}.${step.target.coll} changed while this command ran`,
            'nothing was changed; run the command again',
          );
        }
        return;
      }
      case 'deleteMany':
        await coll.deleteMany({ [step.field]: step.value });
        return;
      case 'deleteIn':
        await coll.deleteMany({ [step.field]: { $in: step.values } });
        return;
      case 'updateIn':
        await coll.updateMany({ _id: { $in: step.values }, ...step.match } as Document, { $set: step.set });
        return;
      case 'delete': {
        const res = await coll.deleteOne({ _id: step.doc._id });
        if (res.deletedCount !== 1) {
          throw new ConflictError(
            `a record in ${step.target.db}.${step.target.coll} was removed while this command ran`,
            'nothing was changed; run the command again',
          );
        }
        return;
      }
    }
  }

  /** Roll-forward steps may already have run (a repair races the owner): ignore that. */
  private async applyQuietly(step: Step): Promise<void> {
    try {
      await this.apply(step);
    } catch (err) {
      if (!(err instanceof ConflictError) && (err as { code?: number }).code !== 11000) throw err;
    }
  }

  /** Undo steps newest first; each undo matches only the state its step wrote. */
  private async undo(steps: Step[]): Promise<void> {
    for (const step of [...steps].reverse()) {
      if (step.kind === 'service') {
        await this.services.undo(step.call);
        continue;
      }
      // Roll-forward kinds run only after the commit point: nothing to undo.
      if (step.kind === 'dropDatabase' || step.kind === 'deleteIn' || step.kind === 'updateIn') continue;
      const coll = this.coll(step.target);
      switch (step.kind) {
        case 'deleteMany':
          break;
        case 'insert':
          await coll.deleteOne({ _id: step.doc._id });
          break;
        case 'insertMany':
          await coll.deleteMany({ _id: { $in: step.docs.map((d) => d._id) } });
          break;
        case 'update':
          await coll.updateOne({ _id: step.id, ...stateFilter(step.after) } as Document, stateUpdate(step.before));
          break;
        case 'delete':
          try {
            await coll.insertOne(step.doc);
          } catch (err) {
            if ((err as { code?: number }).code !== 11000) throw err;
          }
          break;
      }
    }
  }

  /** Take `key`, waiting for a live holder and repairing a dead one. */
  private async lock(key: string, opId: string): Promise<void> {
    const deadline = Date.now() + this.lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      try {
        await this.locks.insertOne({
          _id: key,
          op_id: opId,
          host: HOST,
          pid: process.pid,
          lease_until: new Date(now.getTime() + LEASE_MS),
        });
        return;
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      const holder = await this.locks.findOne({ _id: key });
      if (holder && isStale(holder, now)) {
        const stale = await this.journal.findOne({ _id: holder.op_id });
        if (stale) await this.repairOne(stale);
        await this.locks.deleteOne({ _id: key, op_id: holder.op_id });
        continue;
      }
      if (Date.now() > deadline) {
        throw new ConflictError(
          `${key} is busy: another tenantadm (pid ${holder?.pid ?? '?'} on ${holder?.host ?? '?'}) is changing it`,
          'nothing was changed; run the command again in a moment',
        );
      }
      await new Promise((r) => setTimeout(r, 5 + Math.random() * Math.min(100, 10 * (attempt + 1))));
    }
  }

  /** Settle every operation whose owner is gone. `all` also takes live leases (dangerous). */
  async repair(options: { all?: boolean } = {}): Promise<RepairReport> {
    const report: RepairReport = { rolled_back: [], finalized: [] };
    const now = this.now();
    for await (const doc of this.journal.find({})) {
      if (!options.all && doc.state !== 'committed' && !isStale(doc, now)) continue;
      const outcome = await this.repairOne(doc);
      if (outcome) report[outcome].push(doc._id);
    }
    const locks = await this.locks.find({}).toArray();
    for (const lock of locks) {
      if (options.all || isStale(lock, now)) await this.locks.deleteOne({ _id: lock._id, op_id: lock.op_id });
    }
    return report;
  }

  /** True when nothing is left to repair; cheap enough to call before every change. */
  async repairStale(): Promise<RepairReport> {
    const any = await this.journal.findOne({}, { projection: { _id: 1 } });
    if (!any) return { rolled_back: [], finalized: [] };
    return this.repair();
  }

  private async repairOne(doc: JournalDoc): Promise<'rolled_back' | 'finalized' | null> {
    if (doc.state === 'committed') {
      for (const step of doc.finalize) await this.applyQuietly(step);
      await this.journal.deleteOne({ _id: doc._id });
      return 'finalized';
    }
    if (doc.state === 'pending') {
      const claimed = await this.journal.updateOne({ _id: doc._id, state: 'pending' }, { $set: { state: 'rolling_back' } });
      if (claimed.matchedCount !== 1) {
        const fresh = await this.journal.findOne({ _id: doc._id });
        return fresh ? this.repairOne(fresh) : null;
      }
    }
    await this.undo(doc.steps);
    await this.journal.deleteOne({ _id: doc._id });
    return 'rolled_back';
  }

  /** Create the journal's collections up front, so a failed command never leaves one behind. */
  async ensureCollections(): Promise<void> {
    for (const coll of [this.journal, this.locks]) {
      const exists = await coll.db.listCollections({ name: coll.collectionName }, { nameOnly: true }).hasNext();
      if (exists) continue;
      try {
        await coll.db.createCollection(coll.collectionName);
      } catch (err) {
        if ((err as { code?: number }).code !== 48) throw err; // NamespaceExists: a concurrent migrate
      }
    }
  }

  async pendingCount(): Promise<number> {
    return this.journal.countDocuments({});
  }
}
