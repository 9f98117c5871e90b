/**
 * Crash-safe multi-document changes without transactions, safe under slow processes.
 *
 * FerretDB and stand-alone mongod have no transactions, yet one command may write a
 * tenant, its device limit, its admin user and audit entries. Every change runs as an
 * operation, a document in `tenantadm.tenantadm_journal` owned by one process:
 *   1. a command that holds locks (locks.ts) takes them all in one ordered insert, each naming
 *      the operation's id, the owner's token (random per process), host, pid and a lease; then
 *      it reads and checks what it decides on, writing nothing;
 *   2. the operation is written `pending`, with the owner's token and a lease, in one insert
 *      together with its plan (every step with the values before and after). A big plan (over
 *      INLINE_PLAN_MAX_BYTES) goes in `tenantadm_journal_plans` instead, followed by a
 *      compare-and-set on (owner, `pending`): FerretDB 1.x rewrites the whole document on each
 *      update, so a big journal document would make every renewal and check cost the plan;
 *   3. before every batch of steps after the first, and before the commit, the owner checks that
 *      it still owns the operation with a compare-and-set on (owner, `pending`) that also extends
 *      the lease (the first batch's check is the insert that wrote the operation just before);
 *      each step is itself a compare-and-set on the values the plan read;
 *   4. the operation is switched to `committed` (the commit point), the `finalize`
 *      roll-forward steps run (the audit entries first, written already committed) and the
 *      document is deleted.
 * While it runs, a timer renews the lease of the operation (once written) and of its locks
 * every lease/3, matching on the owner token. A process is dead exactly when its lease has
 * expired: then another process (a command taking one of its locks, or `repair`) claims the
 * operation with a compare-and-set on (old owner, lease expired) and rolls it back (pending) or
 * finishes it (committed). The old owner, should it wake up, fails its next compare-and-set and
 * stops without writing anything more (exit 4). Every undo is conditional on what its step
 * wrote, so undoing a step that never ran, or that lost a race, touches nobody else's data.
 *
 * A lock whose operation has no document yet belongs to a command still reading: it has
 * written nothing, so its lock is broken like any other once its lease expired (and only then,
 * `repair --all` included). Before writing its operation, the holder checks that it still holds
 * its locks without a round trip when it provably does: when its ownership was last confirmed
 * (a write of its own that matched its token: the lock insert, a renewal; the time is taken
 * before sending it) less than lease/3 ago. A rival breaks a lock only after the lease stored at
 * that confirmation expired, so within lease/3 of it at least 2/3 of the lease remains (20 s
 * with the default 30 s), which also covers clock skew between hosts up to that margin; a pause
 * between this check and the insert is the same risk as one between a compare-and-set and the
 * write after it. Otherwise it renews its locks first (one update) and stops if one was lost.
 * The steps themselves keep a compare-and-set per batch: `repair --all` may take an operation
 * over whatever its lease, so a local check there could let a step land after its undo.
 *
 * The clock, lease length, lock wait, renewal timer and fault hooks (crash points, pause) are
 * parameters: the entry point builds them from the environment's test hooks, tests inject
 * their own (test/e2e/journal.test.ts).
 *
 * One limit remains, as with any lease without server-side fencing: a write already sent
 * when its process stalls for longer than a whole lease can still land after a takeover.
 */
import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation, Collection, Db, Document, MongoClient } from 'mongodb';
import { ConflictError, TenantadmError, isDuplicateKeyError } from '../errors';
import { mongo, translateDriverError } from '../mongo';
import type { ServiceCall } from '../mender/services';
import type { DeliveryOutcome } from '../mender/workflows';
import type { CacheWork } from '../mender/limit-cache';
import { LockTable, newOwner, type LockDoc, type LockKey, type Owner } from './locks';

export interface Target {
  db: string;
  coll: string;
}

/** Values of the touched fields: present ones in `set`, absent ones in `unset`. */
export interface FieldState {
  set: Document;
  unset: string[];
}

/**
 * What an operation does, one document or call at a time. Kinds with an undo may be plan
 * steps; roll-forward kinds (never undone) belong in `finalize`: to add one, add it here,
 * to `applyOne` and to ROLL_FORWARD.
 */
export type Step =
  | { kind: 'insert'; target: Target; doc: Document }
  | { kind: 'update'; target: Target; id: unknown; before: FieldState; after: FieldState }
  | { kind: 'delete'; target: Target; doc: Document }
  /** A Mender service's internal API (mender/services.ts); its undo is the service's own inverse. */
  | { kind: 'service'; call: ServiceCall }
  /**
   * Roll-forward only (finalize): e.g. revoking a suspended tenant's tokens; never undone.
   * The filter is one field path and value, kept apart because the journal document may not
   * hold a dotted key (`mender.tenant`).
   */
  | { kind: 'deleteMany'; target: Target; field: string; value: unknown }
  /**
   * Roll-forward only: many documents in one round trip (a removal's audit entries, written
   * after its commit point); applying it again skips those already there.
   */
  | { kind: 'insertMany'; target: Target; docs: Document[] }
  /**
   * Roll-forward only: every document whose `field` is one of `values` (a removed tenant's
   * records, in one query however many tenants). `$in` is built when applied: the journal
   * document may not hold a `$` key.
   */
  | { kind: 'deleteIn'; target: Target; field: string; values: unknown[] }
  /** Roll-forward only: the documents with `_id` in `values` that still match `match` get `set` (batch suspension). */
  | { kind: 'updateIn'; target: Target; values: unknown[]; match: Document; set: Document }
  /** Roll-forward only: a per-tenant database (`<name>-<tenant id>`) dropped whole; dropping one that is gone is a no-op. */
  | { kind: 'dropDatabase'; db: string }
  /**
   * Roll-forward only: the documents of `target` with `_id` in `ids` handed to the deliverer
   * (Mender's audit log: mender/workflows.ts), each one it took recorded by an insert into
   * `record`, so a re-run delivers only the rest. A delivery that fails is a follow-up left
   * pending (`followUps`, then `tenantadm audit forward`): the change itself stands.
   */
  | { kind: 'deliver'; target: Target; ids: unknown[]; record: Target }
  /**
   * Roll-forward only: deviceauth's Redis told about the change (cached limits invalidated, the
   * tenants' cache version bumped), by whoever finishes the operation; where that cannot be
   * done it warns with the commands to run by hand (mender/limit-cache.ts).
   */
  | ({ kind: 'cache' } & CacheWork);

/** Step kinds that are never undone (they only run after the commit point). */
const ROLL_FORWARD: ReadonlySet<Step['kind']> = new Set(['deleteMany', 'insertMany', 'deleteIn', 'updateIn', 'dropDatabase', 'deliver', 'cache']);

export interface Operation {
  /** The command that asked for it, for people reading the journal. */
  command: string;
  actor: string;
  steps: Step[];
  /** Roll-forward steps run after the commit point (idempotent). */
  finalize: Step[];
  /** Exclusive keys held while the operation runs. */
  locks?: LockKey[];
}

export type OperationState = 'pending' | 'rolling_back' | 'committed';

export interface JournalDoc extends Document {
  _id: string;
  state: OperationState;
  /** Null only in operations of earlier releases, opened before their command decided what to write. */
  command: string | null;
  actor: string | null;
  /** The owning process's token (locks.ts); a claim replaces it. */
  owner: string;
  host: string;
  pid: number;
  created_at: Date;
  lease_until: Date;
  /** The first step of the batch the owner last started (for people reading the journal). */
  step: number;
  locks: string[];
  /** The plan, when it is small enough to live here; otherwise in `tenantadm_journal_plans`. */
  steps?: Step[];
  finalize?: Step[];
}

/**
 * A big operation's steps, in `tenantadm_journal_plans` under the operation's id: kept out of
 * the journal document, which every ownership check rewrites (a big plan would make each
 * check cost as much as the plan).
 */
export interface PlanDoc extends Document {
  _id: string;
  steps: Step[];
  finalize: Step[];
}

export interface InProgress {
  id: string;
  command: string | null;
  state: OperationState;
  host: string;
  pid: number;
  lease_until: Date;
}

export interface RepairReport {
  rolled_back: string[];
  finalized: string[];
  /** Operations whose owner is alive (its lease is current): left alone. */
  in_progress: InProgress[];
}

/** Where a fault hook may act: before the batch starting at step N, the commit, the roll-forward, and between a locked command's checks and its writes. */
export type FaultPoint = `step:${number}` | 'commit' | 'finalize' | `finalize:${number}` | 'decided';

export interface FaultHooks {
  /** Called at each point; a crash hook kills the process (or throws ProcessKilled), a pause hook waits. */
  at?: (point: FaultPoint) => void | Promise<void>;
  /** Steps that start a batch of their own, so that `step:N` runs with exactly steps 0..N-1 applied. */
  breakBefore?: readonly number[];
}

/** Thrown by an injected fault hook to stand for the process dying there: the core does nothing more (no undo, no unlock, no renewal). */
export class ProcessKilled extends Error {
  constructor(readonly point: FaultPoint) {
    super(`killed at ${point}`);
  }
}

/** Runs `renew` every `everyMs` until the returned function is called. */
export type RenewalTimer = (renew: () => Promise<void>, everyMs: number) => () => void;

export const intervalRenewal: RenewalTimer = (renew, everyMs) => {
  const timer = setInterval(() => void renew(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
};

export interface JournalOptions {
  /** The clock leases are written and compared in. */
  clock: () => Date;
  leaseMs: number;
  /** How long to wait for a lock held by a live process before giving up (exit 4). */
  lockWaitMs: number;
  hooks?: FaultHooks;
  owner?: Owner;
  renewal?: RenewalTimer;
  /** A line for people (stderr): e.g. that this process waits for a lock; the caller adds the prefix (main: `tenantadm: warning:`). */
  notice?: (line: string) => void;
  /** Most steps written by one batched call. */
  batchSize?: number;
}

export const DEFAULT_LEASE_MS = 30_000;

/**
 * Plans up to this size (BSON) are written inside their operation's document; bigger ones (a
 * reallocation plan of thousands of entries, a large removal) apart, see the top of this file.
 */
export const INLINE_PLAN_MAX_BYTES = 16 * 1024;

/** The journal's collections, in the tool's own database. */
export const JOURNAL = 'tenantadm_journal';
export const JOURNAL_PLANS = 'tenantadm_journal_plans';
export const LOCKS = 'tenantadm_locks';

/** An operation or lock whose lease has run out: its owner is gone (live owners renew). */
export function isStale(doc: { lease_until: Date }, now: Date): boolean {
  return doc.lease_until.getTime() < now.getTime();
}
const DEFAULT_BATCH = 1000;
/** FerretDB 1.24 stops answering an update command of 100 statements or more: updates go 50 at a time. */
const UPDATE_BATCH = 50;

/** The services a `service` step calls (mender/services.ts). */
export interface StepServices {
  apply(call: ServiceCall): Promise<void>;
  undo(call: ServiceCall): Promise<void>;
  /**
   * Deliver a `deliver` step's documents, in order, and record by inserts into the step's
   * `record` collection what was taken; never throws for the receiving service (its failure is
   * in the outcome).
   */
  deliver(docs: Document[]): Promise<DeliveryOutcome>;
  /** Runs a `cache` step; it reports what it could not do itself (a warning), never throws for Redis. */
  refreshCache?(work: CacheWork): Promise<void>;
}

/** A roll-forward that could not be completed and waits for the operator (e.g. `audit forward`). */
export interface FollowUp {
  /** How many documents wait. */
  waiting: number;
  failure: TenantadmError;
}

/** This process no longer owns its operation: someone settled it after its lease expired. */
export class LostOwnership extends ConflictError {
  constructor() {
    super(
      'another tenantadm took this operation over after its lease expired (this process was stalled for longer than the lease); it stopped without writing anything more',
      'what it had written was rolled back or finished by the other process; check the result and run the command again if needed',
    );
  }
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

function sameTarget(a: Target, b: Target): boolean {
  return a.db === b.db && a.coll === b.coll;
}

/** Consecutive steps written by one call: inserts or updates of one collection. */
interface Batch {
  start: number;
  steps: Step[];
}

function batchable(step: Step): step is Extract<Step, { kind: 'insert' | 'update' }> {
  return step.kind === 'insert' || step.kind === 'update';
}

/** Split steps into batches; a batch never spans a step in `breakBefore`. */
export function batchesOf(steps: readonly Step[], size: number, breakBefore: ReadonlySet<number> = new Set()): Batch[] {
  const out: Batch[] = [];
  steps.forEach((step, i) => {
    const last = out[out.length - 1];
    const prev = last?.steps[last.steps.length - 1];
    if (
      last &&
      prev &&
      batchable(step) &&
      batchable(prev) &&
      prev.kind === step.kind &&
      sameTarget(prev.target, step.target) &&
      last.steps.length < (step.kind === 'update' ? Math.min(size, UPDATE_BATCH) : size) &&
      !breakBefore.has(i)
    ) {
      last.steps.push(step);
    } else {
      out.push({ start: i, steps: [step] });
    }
  });
  return out;
}

/** An operation's lease, renewed on a timer while this process works on it. */
class Lease {
  lost = false;
  readonly keys: LockKey[] = [];
  /** The operation's document has been written (until then only the locks are renewed). */
  opened = false;
  /** The plan is in `tenantadm_journal_plans`, not in the operation's document. */
  planApart = false;
  /** Clock time (ms) taken before sending the last write of ours that matched all our locks: the lock insert, a renewal. */
  confirmedAt: number | undefined;
  private stopTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly core: Journal,
    readonly opId: string,
  ) {}

  start(): this {
    this.stopTimer = this.core.startRenewal(() => this.renew());
    return this;
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  /**
   * One write of this operation's documents at a time from this process. FerretDB 1.x applies
   * an update as read, modify, write: a renewal running alongside the owner's compare-and-set
   * could write back the state it read (`pending` over `committed`, seen in kill tests).
   */
  serial<T>(write: () => Promise<T>): Promise<T> {
    const next = this.queue.then(write, write);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Ownership confirmed by a write sent at `sentAt`; a later one replaces an earlier one. */
  confirm(sentAt: Date): void {
    if (this.confirmedAt === undefined || sentAt.getTime() > this.confirmedAt) this.confirmedAt = sentAt.getTime();
  }

  /** Our locks are provably still ours: confirmed less than lease/3 ago (see the top of this file). */
  fresh(now: Date, leaseMs: number): boolean {
    return this.confirmedAt !== undefined && now.getTime() - this.confirmedAt <= leaseMs / 3;
  }

  /** Extend the operation's and its locks' leases; a failed match means another process took over. */
  renew(): Promise<void> {
    if (this.lost) return Promise.resolve();
    this.running ??= this.serial(() => this.core.renewLease(this))
      .then((held) => {
        if (!held) this.lost = true;
      })
      // A blip is retried on the next tick; the next compare-and-set decides.
      .catch(() => undefined)
      .finally(() => (this.running = undefined));
    return this.running;
  }
}

export class Journal {
  readonly journal: Collection<JournalDoc>;
  readonly plans: Collection<PlanDoc>;
  readonly locks: LockTable;
  private readonly owner: Owner;
  private readonly hooks: FaultHooks;
  private readonly breakBefore: ReadonlySet<number>;
  /** Roll-forwards this process left pending (a delivery that failed): the command reports them (exit 8). */
  readonly followUps: FollowUp[] = [];

  constructor(
    private readonly client: MongoClient,
    home: Db,
    private readonly services: StepServices,
    private readonly options: JournalOptions,
  ) {
    this.owner = options.owner ?? newOwner();
    this.hooks = options.hooks ?? {};
    this.breakBefore = new Set(this.hooks.breakBefore ?? []);
    this.journal = home.collection<JournalDoc>(JOURNAL);
    this.plans = home.collection<PlanDoc>(JOURNAL_PLANS);
    this.locks = new LockTable(home.collection<LockDoc>(LOCKS), this.owner);
  }

  private coll(target: Target): Collection<Document> {
    return this.client.db(target.db).collection(target.coll);
  }

  private leaseUntil(): Date {
    return new Date(this.options.clock().getTime() + this.options.leaseMs);
  }

  private async fault(point: FaultPoint): Promise<void> {
    if (this.hooks.at) await this.hooks.at(point);
  }

  /** @internal for Lease */
  startRenewal(renew: () => Promise<void>): () => void {
    // At most every 10 ms: a test's 1 ms lease is meant to expire, not to flood the server.
    return (this.options.renewal ?? intervalRenewal)(renew, Math.max(10, Math.floor(this.options.leaseMs / 3)));
  }

  /** @internal for Lease: true while this process still owns the operation (once written) and all its locks. */
  async renewLease(lease: Lease): Promise<boolean> {
    const sent = this.options.clock();
    const until = new Date(sent.getTime() + this.options.leaseMs);
    if (lease.opened) {
      const res = await this.journal.updateOne({ _id: lease.opId, owner: this.owner.token }, { $set: { lease_until: until } });
      if (res.matchedCount !== 1) return false;
    }
    const held = await this.locks.renew(lease.keys, lease.opId, until);
    if (held) lease.confirm(sent);
    return held;
  }

  /**
   * Write the operation with its plan, once the locks are provably still ours (locally when
   * confirmed less than lease/3 ago, else by renewing them); whoever settles it from then on
   * undoes it. A big plan goes apart, then a compare-and-set makes it count.
   */
  private async open(lease: Lease, op: Operation): Promise<void> {
    if (lease.keys.length > 0 && !lease.fresh(this.options.clock(), this.options.leaseMs)) {
      await lease.serial(async () => {
        if (lease.lost) throw new LostOwnership();
        const sent = this.options.clock();
        if (!(await this.locks.renew(lease.keys, lease.opId, new Date(sent.getTime() + this.options.leaseMs)))) {
          lease.lost = true;
          throw new LostOwnership();
        }
        lease.confirm(sent);
      });
    }
    if (lease.lost) throw new LostOwnership();
    const apart = mongo().BSON.calculateObjectSize({ steps: op.steps, finalize: op.finalize }) > INLINE_PLAN_MAX_BYTES;
    const now = this.options.clock();
    const doc: JournalDoc = {
      _id: lease.opId,
      state: 'pending',
      command: op.command,
      actor: op.actor,
      owner: this.owner.token,
      host: this.owner.host,
      pid: this.owner.pid,
      created_at: now,
      lease_until: new Date(now.getTime() + this.options.leaseMs),
      step: 0,
      locks: [...lease.keys],
      ...(apart ? {} : { steps: op.steps, finalize: op.finalize }),
    };
    lease.planApart = apart;
    await lease.serial(async () => {
      // Marked before sending: should the answer be lost, renewals and clean-up still cover the document.
      lease.opened = true;
      await this.journal.insertOne(doc);
    });
    if (!apart) return;
    // Taken over before the plan counted, the one that took over may not have seen it: openOrDiscard() drops it.
    await this.plans.insertOne({ _id: lease.opId, steps: op.steps, finalize: op.finalize });
    await this.own(lease, 'pending', 0);
  }

  /** Forget a settled operation: its plan kept apart if any, then the operation (an operation without a plan settles as nothing). */
  private async forget(lease: Lease): Promise<void> {
    if (lease.planApart) await this.plans.deleteOne({ _id: lease.opId });
    await lease.serial(() => this.journal.deleteOne({ _id: lease.opId, owner: this.owner.token }));
  }

  /**
   * The ownership check: a compare-and-set on (owner, state) that also extends the lease.
   * Fails, for good, once another process has claimed the operation.
   */
  private async own(lease: Lease, state: OperationState, step: number, set: Document = {}): Promise<void> {
    await lease.serial(async () => {
      if (lease.lost) throw new LostOwnership();
      const res = await this.journal.updateOne({ _id: lease.opId, owner: this.owner.token, state }, { $set: { lease_until: this.leaseUntil(), step, ...set } });
      if (res.matchedCount !== 1) {
        lease.lost = true;
        throw new LostOwnership();
      }
    });
  }

  /** Run an operation to completion or leave no trace of it. */
  async run(op: Operation): Promise<void> {
    if (op.locks && op.locks.length > 0) {
      await this.exclusive(op.locks, async () => ({ op, result: undefined }));
      return;
    }
    if (op.steps.length === 0 && op.finalize.length === 0) return;
    const lease = new Lease(this, randomUUID()).start();
    try {
      await this.openOrDiscard(lease, op);
      await this.execute(lease, op);
    } finally {
      lease.stop();
    }
  }

  /** open(), and should it fail before the operation counts (a lost answer), drop what it may have written: no step ran yet. */
  private async openOrDiscard(lease: Lease, op: Operation): Promise<void> {
    try {
      await this.open(lease, op);
    } catch (err) {
      if (!(err instanceof ProcessKilled) && lease.opened) {
        lease.stop();
        if (lease.planApart) await this.plans.deleteOne({ _id: lease.opId }).catch(() => undefined);
        await lease.serial(() => this.journal.deleteOne({ _id: lease.opId, owner: this.owner.token, state: 'pending' })).catch(() => undefined);
      }
      throw err;
    }
  }

  /**
   * Hold the locks for `keys` while `body` runs; body reads, checks rules and returns
   * the operation to apply (or null for nothing to do). Checks and writes are then
   * atomic with respect to every other tenantadm process that takes the same keys.
   */
  async exclusive<T>(keys: readonly LockKey[], body: () => Promise<{ op: Operation | null; result: T }>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const lease = new Lease(this, randomUUID()).start();
    let killed = false;
    try {
      await this.acquire(lease, sorted);
      const { op, result } = await body();
      await this.fault('decided');
      if (op && (op.steps.length > 0 || op.finalize.length > 0)) {
        await this.openOrDiscard(lease, op);
        await this.execute(lease, op);
      }
      return result;
    } catch (err) {
      killed = err instanceof ProcessKilled;
      throw err;
    } finally {
      // A killed process does nothing more; its lease runs out. An operation written is
      // forgotten by its run (or left, lease expired, to whoever settles it); none was written
      // when there was nothing to do, a rule refused, or the locks were lost.
      lease.stop();
      if (!killed) await this.locks.release(lease.keys, lease.opId).catch(() => undefined);
    }
  }

  private async execute(lease: Lease, op: Operation): Promise<void> {
    /** Steps that may have taken effect (the undo of the others is a no-op anyway). */
    let reached = 0;
    // The write that just made the operation count (its insert, or the compare-and-set after a
    // plan kept apart) is the first batch's check, as a compare-and-set right before it would be;
    // a fault hook (a test's pause) may sit in between, so with one the check is sent.
    let checked = !this.hooks.at;
    try {
      for (const batch of batchesOf(op.steps, this.options.batchSize ?? DEFAULT_BATCH, this.breakBefore)) {
        await this.fault(`step:${batch.start}`);
        if (!checked) await this.own(lease, 'pending', batch.start);
        checked = false;
        reached = batch.start + batch.steps.length;
        try {
          await this.applyBatch(batch.steps);
        } catch (err) {
          if (!this.mayHaveApplied(batch.steps, err)) reached = batch.start;
          throw err;
        }
      }
      await this.fault('commit');
      await this.own(lease, 'pending', op.steps.length, { state: 'committed' });
    } catch (err) {
      if (err instanceof ProcessKilled || err instanceof LostOwnership) throw err;
      await this.rollBack(lease, op.steps.slice(0, reached));
      throw translateDriverError(err);
    }
    await this.fault('finalize');
    await this.finish(lease, op.finalize);
  }

  /** A failed single step that certainly did nothing: a refused service call, a duplicate insert. */
  private mayHaveApplied(steps: Step[], err: unknown): boolean {
    if (steps.length !== 1) return true;
    const step = steps[0]!;
    if (step.kind === 'service') {
      // A service that answered with a refusal did nothing; only a lost answer is in doubt.
      return !(err instanceof TenantadmError && (err.code !== 'db_unreachable' || err.details?.delivered === false));
    }
    if (step.kind === 'insert') return !isDuplicateKeyError(err);
    return true;
  }

  /** The owner undoes what it applied, still under its ownership; on a lost server the next command does it. */
  private async rollBack(lease: Lease, applied: Step[]): Promise<void> {
    try {
      await this.own(lease, 'pending', applied.length, { state: 'rolling_back' });
      await this.undo(applied, lease);
      await this.forget(lease);
    } catch (err) {
      if (err instanceof ProcessKilled) throw err;
      // Lost: the one that took over rolls back. Otherwise (a lost server) the next command
      // does; either way the operator needs the cause, which the caller throws.
      if (!(err instanceof LostOwnership)) await this.abandon(lease);
    }
  }

  /** Give up an operation this process cannot finish: expire its lease so the next command settles it now. */
  private async abandon(lease: Lease): Promise<void> {
    lease.stop();
    await lease.serial(() => this.journal.updateOne({ _id: lease.opId, owner: this.owner.token }, { $set: { lease_until: new Date(0) } })).catch(() => undefined);
  }

  /** After the commit point: roll forward, then forget the operation. */
  private async finish(lease: Lease, finalize: Step[]): Promise<void> {
    try {
      await this.rollForward(finalize, lease);
    } catch (err) {
      if (err instanceof ProcessKilled) throw err;
      await this.abandon(lease);
      throw translateDriverError(err);
    }
    // A repair that took a stalled owner's committed operation over finishes it itself.
    if (!lease.lost) await this.forget(lease);
  }

  private async rollForward(steps: Step[], lease: Lease): Promise<void> {
    for (const batch of batchesOf(steps, this.options.batchSize ?? DEFAULT_BATCH)) {
      // Committed: the change stands whoever finishes it; a stalled owner leaves it to the one that took over.
      if (lease.lost) return;
      await this.fault(`finalize:${batch.start}`);
      await this.applyBatch(batch.steps, true);
    }
  }

  /** Write a batch; `quiet` (roll-forward, which may run twice) ignores steps already done. */
  private async applyBatch(steps: Step[], quiet = false): Promise<void> {
    const first = steps[0]!;
    if (steps.length === 1 || !batchable(first)) {
      for (const step of steps) {
        try {
          await this.applyOne(step);
        } catch (err) {
          if (!quiet || (!(err instanceof ConflictError) && !isDuplicateKeyError(err))) throw err;
        }
      }
      return;
    }
    const coll = this.coll(first.target);
    if (first.kind === 'insert') {
      try {
        await coll.insertMany(
          steps.map((s) => (s as Extract<Step, { kind: 'insert' }>).doc),
          { ordered: !quiet },
        );
      } catch (err) {
        if (!quiet || !isDuplicateKeyError(err)) throw err;
      }
      return;
    }
    const ops: AnyBulkWriteOperation<Document>[] = steps.map((s) => {
      const u = s as Extract<Step, { kind: 'update' }>;
      return { updateOne: { filter: { _id: u.id, ...stateFilter(u.before) } as Document, update: stateUpdate(u.after) } };
    });
    const res = await coll.bulkWrite(ops, { ordered: true });
    if (!quiet && res.matchedCount !== steps.length) {
      throw new ConflictError(
        `${steps.length - res.matchedCount} record(s) in ${first.target.db}.${first.target.coll} changed while this command ran`,
        'nothing was changed; run the command again',
      );
    }
  }

  /** A `deliver` step: what is not yet recorded as delivered goes, in the step's order (the deliverer records what went). */
  private async deliver(step: Extract<Step, { kind: 'deliver' }>): Promise<void> {
    const key = (id: unknown) => String(id);
    const order = new Map(step.ids.map((id, i) => [key(id), i]));
    const done = new Set((await this.coll(step.record).find({ _id: { $in: step.ids } } as Document, { projection: { _id: 1 } }).toArray()).map((d) => key(d._id)));
    const docs = (await this.coll(step.target).find({ _id: { $in: step.ids.filter((id) => !done.has(key(id))) } } as Document).toArray()).sort(
      (a, b) => order.get(key(a._id))! - order.get(key(b._id))!,
    );
    if (docs.length === 0) return;
    const outcome = await this.services.deliver(docs);
    if (outcome.failure) this.followUps.push({ waiting: outcome.undelivered, failure: outcome.failure });
  }

  private async applyOne(step: Step): Promise<void> {
    switch (step.kind) {
      case 'service':
        return this.services.apply(step.call);
      case 'insert':
        await this.coll(step.target).insertOne(step.doc);
        return;
      case 'update': {
        const res = await this.coll(step.target).updateOne({ _id: step.id, ...stateFilter(step.before) } as Document, stateUpdate(step.after));
        if (res.matchedCount !== 1) {
          throw new ConflictError(
            `a record in ${step.target.db}.${step.target.coll} changed while this command ran`,
            'nothing was changed; run the command again',
          );
        }
        return;
      }
      case 'deleteMany':
        await this.coll(step.target).deleteMany({ [step.field]: step.value });
        return;
      case 'insertMany':
        try {
          await this.coll(step.target).insertMany(step.docs, { ordered: false });
        } catch (err) {
          // A re-run (repair) finds the documents of the first run: only duplicates are fine.
          const e = err as { code?: number; writeErrors?: { code?: number }[] | { code?: number } };
          const errors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
          if (!(errors.length > 0 ? errors.every((w) => isDuplicateKeyError(w)) : isDuplicateKeyError(e))) throw err;
        }
        return;
      case 'deleteIn':
        await this.coll(step.target).deleteMany({ [step.field]: { $in: step.values } });
        return;
      case 'updateIn':
        await this.coll(step.target).updateMany({ _id: { $in: step.values }, ...step.match } as Document, { $set: step.set });
        return;
      case 'dropDatabase':
        await this.client.db(step.db).dropDatabase();
        return;
      case 'deliver':
        return this.deliver(step);
      case 'cache': {
        const { kind: _kind, ...work } = step;
        await this.services.refreshCache?.(work);
        return;
      }
      case 'delete': {
        const res = await this.coll(step.target).deleteOne({ _id: step.doc._id });
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

  /**
   * Undo steps newest first, each matching only the state its step wrote: an insert's undo
   * deletes a document equal to the inserted one (every top-level field), an update's
   * restores the values before only where the values after are still there. Consecutive
   * undos of one collection go in one call, after an ownership check.
   */
  private async undo(steps: Step[], lease: Lease): Promise<void> {
    const reversed = [...steps].reverse().filter((s) => !ROLL_FORWARD.has(s.kind));
    for (const batch of batchesOf(reversed, this.options.batchSize ?? DEFAULT_BATCH)) {
      await this.own(lease, 'rolling_back', steps.length - batch.start - 1);
      const first = batch.steps[0]!;
      if (batch.steps.length > 1 && batchable(first)) {
        const ops = batch.steps.map((s): AnyBulkWriteOperation<Document> => {
          if (s.kind === 'insert') return { deleteOne: { filter: { ...s.doc } } };
          const u = s as Extract<Step, { kind: 'update' }>;
          return { updateOne: { filter: { _id: u.id, ...stateFilter(u.after) } as Document, update: stateUpdate(u.before) } };
        });
        await this.coll(first.target).bulkWrite(ops, { ordered: true });
        continue;
      }
      for (const step of batch.steps) await this.undoOne(step);
    }
  }

  private async undoOne(step: Step): Promise<void> {
    switch (step.kind) {
      case 'service':
        await this.services.undo(step.call);
        return;
      case 'insert':
        await this.coll(step.target).deleteOne({ ...step.doc });
        return;
      case 'update':
        await this.coll(step.target).updateOne({ _id: step.id, ...stateFilter(step.after) } as Document, stateUpdate(step.before));
        return;
      case 'delete':
        try {
          await this.coll(step.target).insertOne(step.doc);
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
        }
        return;
      case 'deleteMany':
        return;
    }
  }

  /** Take every key, waiting for live holders and settling dead ones. */
  /**
   * Take every key, waiting for live holders and settling dead ones. The keys not yet held go
   * in one ordered insert; on a busy key, those before it are kept and that one is waited for,
   * in the same (sorted, deadlock-free) order as one key at a time.
   */
  private async acquire(lease: Lease, keys: readonly LockKey[]): Promise<void> {
    const started = performance.now();
    let told: LockKey | undefined;
    for (let attempt = 0; lease.keys.length < keys.length; attempt++) {
      if (lease.lost) throw new LostOwnership();
      const wanted = keys.slice(lease.keys.length);
      const sent = this.options.clock();
      let taken: number;
      try {
        taken = await this.locks.takeInOrder(wanted, lease.opId, new Date(sent.getTime() + this.options.leaseMs));
      } catch (err) {
        // Which went in is unknown: count them all as ours so that they are released (only ours match).
        lease.keys.push(...wanted);
        throw err;
      }
      // The first keys taken set the confirmation; later ones are fresher than it.
      if (taken > 0 && lease.confirmedAt === undefined) lease.confirm(sent);
      lease.keys.push(...wanted.slice(0, taken));
      if (taken === wanted.length) break;
      const key = wanted[taken]!;
      const holder = await this.locks.holder(key);
      if (!holder || (await this.takeOver(holder))) continue;
      if (performance.now() - started >= this.options.lockWaitMs) {
        throw new ConflictError(
          `${key} is busy: another tenantadm (pid ${holder.pid} on ${holder.host}) is changing it`,
          'nothing was changed; run the command again in a moment',
        );
      }
      if (told !== key) {
        this.options.notice?.(`waiting for ${key}, held by pid ${holder.pid} on ${holder.host}`);
        told = key;
      }
      await new Promise((r) => setTimeout(r, 5 + Math.random() * Math.min(100, 10 * (attempt + 1))));
    }
  }

  /** Break a lock whose holder's lease expired, settling its operation first; false while the holder lives. */
  private async takeOver(holder: LockDoc): Promise<boolean> {
    const now = this.options.clock();
    if (!isStale(holder, now)) return false;
    const op = await this.journal.findOne({ _id: holder.op_id });
    if (op) {
      if (!isStale(op, now)) return false;
      await this.settle(op, false);
      if (await this.journal.findOne({ _id: holder.op_id }, { projection: { _id: 1 } })) return false;
    }
    await this.locks.breakExpired(holder, now);
    return true;
  }

  /**
   * Claim an operation whose owner's lease expired (or any, with `force`) and settle it:
   * roll back a pending one, finish a committed one. Null when someone else holds it.
   */
  private async settle(doc: JournalDoc, force: boolean): Promise<'rolled_back' | 'finalized' | null> {
    const now = this.options.clock();
    const claimed = await this.journal.updateOne(
      { _id: doc._id, owner: doc.owner ?? null, state: doc.state, ...(force ? {} : { lease_until: { $lt: now } }) },
      {
        $set: {
          owner: this.owner.token,
          host: this.owner.host,
          pid: this.owner.pid,
          lease_until: this.leaseUntil(),
          state: doc.state === 'committed' ? 'committed' : 'rolling_back',
        },
      },
    );
    if (claimed.matchedCount !== 1) return null;
    const lease = new Lease(this, doc._id);
    lease.opened = true;
    lease.planApart = !Array.isArray(doc.steps);
    lease.start();
    try {
      // A small plan is in the operation's document; a big one (and every one of earlier releases) apart.
      const plan: Partial<PlanDoc> | null = lease.planApart ? await this.plans.findOne({ _id: doc._id }) : doc;
      if (doc.state === 'committed') {
        await this.rollForward(plan?.finalize ?? [], lease);
        await this.forget(lease);
        return 'finalized';
      }
      await this.undo(plan?.steps ?? [], lease);
      await this.forget(lease);
      return 'rolled_back';
    } catch (err) {
      if (err instanceof LostOwnership) return null;
      await this.abandon(lease);
      throw err;
    } finally {
      lease.stop();
    }
  }

  /** Settle every operation whose owner is gone (lease expired). `all` also takes live ones: their owners then stop (exit 4). */
  async repair(options: { all?: boolean } = {}): Promise<RepairReport> {
    const report: RepairReport = { rolled_back: [], finalized: [], in_progress: [] };
    const now = this.options.clock();
    const settled = new Set<string>();
    for (const doc of await this.journal.find({}).toArray()) {
      if (!options.all && !isStale(doc, now)) {
        report.in_progress.push({ id: doc._id, command: doc.command ?? null, state: doc.state, host: doc.host, pid: doc.pid, lease_until: doc.lease_until });
        continue;
      }
      const outcome = await this.settle(doc, options.all === true);
      if (outcome) {
        report[outcome].push(doc._id);
        settled.add(doc._id);
      }
    }
    for (const lock of await this.locks.all()) {
      // `--all` breaks the current locks of the operations it settled; a current lock whose
      // operation was never written belongs to a command still reading (nothing to undo), which
      // checks its locks locally before writing: it is broken only once its lease expired.
      const force = options.all === true && settled.has(lock.op_id);
      if (!force && !isStale(lock, now)) continue;
      // A lock whose operation is still unsettled belongs to it; the operation's settling comes first.
      if (await this.journal.findOne({ _id: lock.op_id }, { projection: { _id: 1 } })) continue;
      await this.locks.breakExpired(lock, now, force);
    }
    return report;
  }

  /** Settle what dead processes left; one query when there is nothing (called before every change). */
  async repairStale(): Promise<RepairReport> {
    // Locks left without an operation are broken by whoever needs them (acquire).
    const any = await this.journal.findOne({}, { projection: { _id: 1 } });
    if (!any) return { rolled_back: [], finalized: [], in_progress: [] };
    return this.repair();
  }

  /** Create the journal's collections up front, so a failed command never leaves one behind. */
  async ensureCollections(): Promise<void> {
    for (const coll of [this.journal, this.plans, this.locks.coll].map((c) => c.db.collection(c.collectionName))) {
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
