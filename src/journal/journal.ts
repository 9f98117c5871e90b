/**
 * Crash-safe multi-document changes without transactions, safe under slow and dead processes,
 * on MongoDB and on FerretDB alike. docs/safety.md tells the same for people.
 *
 * FerretDB and stand-alone mongod have no transactions, yet one command may write a tenant,
 * its device limit, its admin user and audit entries. Every change runs as an operation: a
 * plan (every step with the values before and after) in `tenantadm.tenantadm_journal`, and an
 * ownership chain in `tenantadm.tenantadm_leases` (ownership.ts) that alone decides who may
 * act on it. FerretDB 1.x applies an update as read, modify, write, not atomically between
 * connections (a renewal once wrote back a journal document it had read, undoing a rival's
 * claim), so nothing that decides ownership is an update: the chain and the locks (locks.ts)
 * only receive inserts against a unique `_id` and deletes (test/unit/ownership-writes.test.ts).
 *
 * The chain of operation X is the records `X:0`, `X:1`, ...; the one with the highest n (the
 * head) names the owner and its lease, in the database server's time (ServerClock: `hello`'s
 * `localTime`, then the local monotonic clock; host clocks never meet). Only one process can
 * insert `X:n+1`, so every decision is a race with exactly one winner:
 *   1. the owner inserts `X:0` (take), then its locks (one ordered insert; a lock names X and
 *      is alive exactly while X's chain says so); it reads and checks, writing nothing;
 *   2. it writes the plan (a big one in `tenantadm_journal_plans` first), after confirming its
 *      ownership unless it provably holds it: its lease was extended by a record it sent less
 *      than lease/3 ago, so 2/3 of the lease remains and nobody can have claimed X;
 *   3. before every batch of steps after the first it confirms by inserting `X:n+1` (renew);
 *      a duplicate key means another process claimed X or `repair --all` expired it: it stops
 *      (exit 4). The batch it sent since its last confirmation (so for an owner that, rolling
 *      back after a conflict, finds it lost at a confirmation) may land, or have landed, after
 *      whoever settles X rolled it back. The settler leaves a watch on each update of X's plan
 *      (late-writes.ts), and the owner looks at them under X's locks only (afterLoss: once the
 *      settler has freed them, within the lock wait; else the next command or `repair` does),
 *      as every command taking those locks does. Never by value without the locks: X may be
 *      settled and a rival may have committed the very values the batch wrote since (an ABA:
 *      test/explorer/lost-write-aba.test.ts, answered-late-aba.test.ts). A batch with no answer
 *      (a lost connection) is said on stderr. Inserts and updates of secrets get no watch: they
 *      are undone at once, conditionally, when the batch was answered (an insert's undo matches
 *      only the document it inserted, under its own id);
 *   4. the commit point is the insert of a `commit` record. A rival's claim and the owner's
 *      commit race for the same n+1, so either the commit stands (whoever settles X later rolls
 *      forward: a `commit` record exists) or the claim does (X is rolled back);
 *   5. the roll-forward steps run, then the plan, the journal document, the locks and last the
 *      chain are deleted. A timer inserts a renew record every lease/3 until then: it is
 *      stopped before the deletes start, and the chain's deletion waits for a renewal already
 *      on its way, so no record of the owner lands after its chain is gone. An owner that
 *      loses X after its commit stops rolling forward, yet returns only once X is finished:
 *      it waits for the settler, and settles X itself when the head's lease has run out.
 * A rival settles X (a command meeting one of X's locks, `repair`) only by inserting a `claim`
 * at n+1 when the head's lease has run out in server time, or when the head's process is
 * provably gone: same boot id and pid namespace as ours, and its pid free or started at another
 * time (a killed command on this machine is settled at once). A settler that rolls X back leaves
 * a watch on each write of its plan before it frees X's locks: a write still on its way that
 * lands later is undone under those locks, by the next command taking them or by `repair`
 * (late-writes.ts; a command writing a watched document drops the watch with its commit).
 * Each step is conditional on the
 * values its plan read, and each undo on what its step wrote, so undoing a step that never ran,
 * or that lost a race, touches nobody else's data. `repair --all` never takes over a live
 * owner: it inserts an `expire` record carrying the owner's lease, so the owner fails its next
 * confirmation and X can be settled when that lease ends (reported as in progress until then).
 * Should X have finished between repair's read and its insert, the journal document is gone
 * when repair reads it after the insert, and repair deletes its record again. A chain left
 * without journal document or lock (nothing should leave one) is settled like any other once
 * its head's owner is gone: `repair` (and `check --repair`) deletes it, `check` reports it.
 * An owner that gives up (the database fails during its rollback) keeps its locks and its
 * chain: the operation is settled by the next process once the owner is gone.
 * Readers take no lock and settle nothing: they read the journal once (pendingOperations) and
 * say which operation holds the tenants they show, rather than show its records as finished.
 *
 * Deleting a chain reopens its places, so an owner whose confirmation succeeds only after its
 * previous lease ran out (a stall, a slow answer) reads whether its journal document (or, before
 * it has one, its locks) still exists: whoever settled X deleted those before the chain.
 * Operations and locks of earlier releases (a `lease_until` of their own, no chain) are
 * settled once that lease has run out, by claiming `X:0`.
 *
 * The clock, lease length, lock wait, renewal timer and fault hooks (crash points, pause) are
 * parameters: the entry point builds them from the environment's test hooks, tests inject
 * their own (test/e2e/journal.test.ts).
 *
 * As with any lease without server-side fencing, a write already sent when its process stalls
 * for longer than its remaining lease can still land after a takeover: that is what the
 * settler's watches (late-writes.ts) are for.
 */
import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation, Collection, Db, Document, MongoClient } from 'mongodb';
import { ConflictError, TenantadmError, isDuplicateKeyError, onlyDuplicateKeys } from '../errors';
import { mongo, translateDriverError } from '../mongo';
import type { ServiceCall } from '../mender/services';
import type { DeliveryOutcome } from '../mender/workflows';
import type { CacheWork } from '../mender/limit-cache';
import { LockTable, type LockDoc, type LockKey } from './locks';
import { stateFilter, stateUpdate, type FieldState, type Target } from './field-state';
import { LATE_WRITES, LateWrites, documentKey, lateWrite, watchable, type LateWrite, type WatchDoc, type Watched } from './late-writes';
import { Chains, ServerClock, monotonicMs, newOwner, ownerGone, recordId, type LeaseRecord, type Owner, type RecordKind } from './ownership';

export type { Target, FieldState } from './field-state';

/**
 * What an operation does, one document or call at a time. Kinds with an undo may be plan
 * steps; roll-forward kinds (never undone) belong in `finalize`: to add one, add it here,
 * to `applyOne` and to ROLL_FORWARD.
 */
export type Step =
  | { kind: 'insert'; target: Target; doc: Document }
  | { kind: 'update'; target: Target; id: unknown; before: FieldState; after: FieldState }
  /**
   * Many documents that share their `before` values get the same `after` in one `updateMany`
   * (an SP's children following its plan): conditional on `before` for every one of them. The
   * field that differs between them (`separate`, e.g. updated_at) is kept per document, so the
   * undo restores each exactly (one conditional update per document: undo is the rare path).
   */
  | { kind: 'updateGroup'; target: Target; ids: unknown[]; before: FieldState; after: FieldState; separate: { field: string; values: unknown[] } }
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


export type OperationState = 'pending' | 'committed';

export interface JournalDoc extends Document {
  _id: string;
  /** `pending` as written; only earlier releases updated it (their `committed` still counts for them). Decisions come from the chain. */
  state: string;
  /** Null only in operations of earlier releases, opened before their command decided what to write. */
  command: string | null;
  actor: string | null;
  /** The token of the process that opened it (for people; the chain says who owns it now). */
  owner: string;
  host: string;
  pid: number;
  created_at: Date;
  /** Only in operations of earlier releases: their own lease (they have no chain). */
  lease_until?: Date;
  /** 2: owned through a chain in `tenantadm_leases`. */
  format?: number;
  step: number;
  locks: string[];
  /** The plan, when it is small enough to live here; otherwise in `tenantadm_journal_plans`. */
  steps?: Step[];
  finalize?: Step[];
}

/**
 * A big operation's steps, in `tenantadm_journal_plans` under the operation's id: kept out of
 * the journal document so that listing the journal stays cheap.
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
  /** Server time when its owner's lease ends: the operation can be settled then (sooner if its process dies on this machine). */
  lease_until: Date;
  /** `repair --all` ended its owner's lease: the owner stops at its next confirmation. */
  expired?: boolean;
}

/** An operation a reader meets (Journal.pendingOperations). */
export interface PendingOperation {
  id: string;
  command: string | null;
  host: string;
  pid: number;
  /** When it was opened. */
  since: Date;
  /** Server time when its owner's lease ends: it can be settled then should its owner be gone. */
  lease_until: Date;
  /** Its owner is gone already: `repair` (or the next change) settles it now. */
  gone: boolean;
  /** Ids of the tenants it holds locks on. */
  tenants: string[];
}

/** The tenant a lock key names, for the keys that name one (locks.ts). */
function heldTenant(key: string): string | null {
  const m = /^(?:tenant|sp|sso|storage):(.+)$/.exec(key);
  return m ? m[1]! : null;
}

export interface RepairReport {
  rolled_back: string[];
  finalized: string[];
  /** Writes of rolled-back operations that landed afterwards, undone (late-writes.ts). */
  late_writes_undone: LateWrite[];
  /** Operations whose owner is alive (its lease is current): left alone (`--all`: their owners stop, and they are settled once the lease ends). */
  in_progress: InProgress[];
}

/**
 * Where a fault hook may act: before the batch starting at step N (`step:N`, before its
 * ownership check; `sending:N`, after it, as a write on the wire), the commit, the
 * roll-forward, and between a locked command's checks and its writes.
 */
export type FaultPoint = `step:${number}` | `sending:${number}` | 'commit' | 'finalize' | `finalize:${number}` | 'decided';

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
  /** The local clock the server's time is followed on between readings (default: monotonic); tests inject theirs. */
  clock?: () => Date;
  /** The database server's time (default: `hello`'s `localTime`); tests inject theirs. */
  serverTime?: () => Promise<Date>;
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
  /** Start time of a pid as /proc shows it (tests inject theirs). */
  processStart?: (pid: number) => string | undefined;
}

export const DEFAULT_LEASE_MS = 30_000;

/**
 * Plans up to this size (BSON) are written inside their operation's document; bigger ones (a
 * reallocation plan of thousands of entries, a large removal) apart.
 */
export const INLINE_PLAN_MAX_BYTES = 16 * 1024;

/** The journal's collections, in the tool's own database. */
export const JOURNAL = 'tenantadm_journal';
export const JOURNAL_PLANS = 'tenantadm_journal_plans';
export const LOCKS = 'tenantadm_locks';
/** The ownership chains (ownership.ts). */
export const LEASES = 'tenantadm_leases';

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

/** This process no longer owns its operation: someone claimed it after its lease ran out, or `repair --all` expired it. */
export class LostOwnership extends ConflictError {
  constructor() {
    super(
      'this process no longer owns its operation: another tenantadm took it over after its lease ran out (this process was stalled for longer than the lease), or repair --all ended it; it stopped without going on',
      'what it had written is rolled back or finished by whoever settles the operation; check the result and run the command again if needed',
    );
  }
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

/** This process's hold on one operation: its place in the chain, its locks, and a renewal timer. */
class Lease {
  lost = false;
  readonly keys: LockKey[] = [];
  /** The operation's journal document may exist (set before it is sent). */
  opened = false;
  /** The plan is in `tenantadm_journal_plans`, not in the operation's document. */
  planApart = false;
  /** The operation stays for another process to settle (given up, or lost): its locks and chain are not ours to delete. */
  kept = false;
  /** Deleted with its plan, locks and chain. */
  forgotten = false;
  /** Our last record in the chain (-1: none yet). */
  n = -1;
  /** Server time (ms) our last record's lease runs to. */
  until = 0;
  /** Server time (ms) taken before sending our last record. */
  confirmedAt: number | undefined;
  /** Its chain is being deleted: no renewal may go in after that (it would be left alone in the collection). */
  closing = false;
  private stopTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly core: Journal,
    readonly opId: string,
  ) {}

  start(): this {
    this.stopTimer ??= this.core.startRenewal(() => this.renew());
    return this;
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  /**
   * Delete the chain once no record of ours can follow it: the timer is stopped and the
   * deletion queued behind any renewal already on its way. A renewal that landed after the
   * deletion would be a lone record of an operation that no longer exists.
   */
  forgetChain(): Promise<void> {
    this.close();
    return this.serial(() => this.core.chains.forget(this.opId));
  }

  /** No renewal from now on (the operation is being forgotten). */
  close(): void {
    this.closing = true;
    this.stop();
  }

  /** One record of this operation at a time from this process (the renewal timer and the owner's own checks share the chain). */
  serial<T>(write: () => Promise<T>): Promise<T> {
    const next = this.queue.then(write, write);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Our lease is provably ours: extended by a record sent less than lease/3 ago (see the top of this file). */
  fresh(now: Date, leaseMs: number): boolean {
    return this.confirmedAt !== undefined && now.getTime() - this.confirmedAt <= leaseMs / 3;
  }

  /** Extend the lease with a renew record; a taken place means another process took over. */
  renew(): Promise<void> {
    if (this.lost || this.closing || this.n < 0) return Promise.resolve();
    this.running ??= this.core
      .append(this, 'renew')
      // A blip is retried on the next tick; LostOwnership already marked the lease lost.
      .catch(() => undefined)
      .finally(() => (this.running = undefined));
    return this.running;
  }
}

type Outcome = 'rolled_back' | 'finalized' | 'released';

export class Journal {
  readonly journal: Collection<JournalDoc>;
  readonly plans: Collection<PlanDoc>;
  readonly locks: LockTable;
  readonly chains: Chains;
  /** Watches on writes of rolled-back operations that may still land (late-writes.ts). */
  readonly lateWrites: LateWrites;
  /** Late writes this process undid (repair reports them). */
  readonly lateUndone: LateWrite[] = [];
  /** Waiting for the locks of our own lost operation (afterLoss): not said on stderr. */
  private waitingSilently = false;
  private readonly owner: Owner;
  private readonly hooks: FaultHooks;
  private readonly breakBefore: ReadonlySet<number>;
  /** Roll-forwards this process left pending (a delivery that failed): the command reports them (exit 8). */
  readonly followUps: FollowUp[] = [];
  private readonly clock: ServerClock;

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
    this.chains = new Chains(home.collection<LeaseRecord>(LEASES));
    this.lateWrites = new LateWrites(home.collection<WatchDoc>(LATE_WRITES), (t) => this.coll(t));
    const local = options.clock;
    this.clock = new ServerClock(
      options.serverTime ?? (() => serverTime(client)),
      local ? () => local().getTime() : monotonicMs,
      Math.max(10, Math.floor(options.leaseMs / 3)),
    );
  }

  private coll(target: Target): Collection<Document> {
    return this.client.db(target.db).collection(target.coll);
  }

  /** The database server's time (estimated; see ServerClock). */
  now(): Promise<Date> {
    return this.clock.now();
  }

  private async fault(point: FaultPoint): Promise<void> {
    if (this.hooks.at) await this.hooks.at(point);
  }

  /** @internal for Lease */
  startRenewal(renew: () => Promise<void>): () => void {
    // At most every 10 ms: a test's 1 ms lease is meant to expire, not to flood the server.
    return (this.options.renewal ?? intervalRenewal)(renew, Math.max(10, Math.floor(this.options.leaseMs / 3)));
  }

  /** The head's owner is gone: its lease ran out (server time), or its process is provably dead on this machine. */
  private gone(head: LeaseRecord, now: Date): boolean {
    return head.lease_until.getTime() < now.getTime() || ownerGone(head, this.owner, this.options.processStart);
  }

  /**
   * @internal for Lease. Insert our next record (`take` first, then `renew` or `commit`): the
   * only way this process extends or uses its ownership. A taken place means another process
   * claimed the operation or `repair --all` expired it: lost for good (exit 4).
   */
  append(lease: Lease, kind: RecordKind): Promise<void> {
    return lease.serial(async () => {
      if (lease.lost) throw new LostOwnership();
      const sent = await this.now();
      const until = new Date(sent.getTime() + this.options.leaseMs);
      const record = {
        op: lease.opId,
        n: lease.n + 1,
        kind,
        owner: this.owner.token,
        host: this.owner.host,
        pid: this.owner.pid,
        ...(this.owner.boot_id ? { boot_id: this.owner.boot_id, pid_ns: this.owner.pid_ns, pid_start: this.owner.pid_start } : {}),
        lease_until: until,
        at: sent,
      };
      let placed = await this.chains.append(record);
      if (!placed) {
        // Our own earlier insert whose answer was lost holds the place: it counts, take the next one.
        const there = await this.chains.coll.findOne({ _id: `${lease.opId}:${record.n}` });
        if (there && there.owner === this.owner.token && there.kind === kind && there.by === undefined) {
          lease.n = record.n;
          record.n += 1;
          placed = await this.chains.append(record);
        }
      }
      if (!placed) {
        lease.lost = true;
        throw new LostOwnership();
      }
      const previousUntil = lease.until;
      lease.n = record.n;
      lease.until = until.getTime();
      lease.confirmedAt = sent.getTime();
      // The place was free; but a settled operation's chain is deleted, which frees places too.
      // Only after our previous lease ran out can anyone have settled it (see the top of this
      // file): when the answer came that late, what the settler deleted first tells.
      if (kind !== 'take' && kind !== 'claim' && (await this.now()).getTime() >= previousUntil - this.options.leaseMs / 3 && !(await this.stillThere(lease))) {
        lease.lost = true;
        // Our record went into a chain being forgotten: it is the last of it.
        await this.chains.coll.deleteOne({ _id: `${lease.opId}:${record.n}`, owner: this.owner.token }).catch(() => undefined);
        throw new LostOwnership();
      }
    });
  }

  /** Our journal document (once written) or else all our locks are still there: nobody settled the operation under us. */
  private async stillThere(lease: Lease): Promise<boolean> {
    if (lease.opened) return (await this.journal.findOne({ _id: lease.opId }, { projection: { _id: 1 } })) !== null;
    return (await this.locks.held(lease.keys, lease.opId)) === lease.keys.length;
  }

  /** Confirm ownership unless provably fresh (confirmed less than lease/3 ago). */
  private async confirmUnlessFresh(lease: Lease): Promise<void> {
    if (lease.lost) throw new LostOwnership();
    if (!lease.fresh(await this.now(), this.options.leaseMs)) await this.append(lease, 'renew');
  }

  /**
   * Write the operation with its plan, while this process provably owns it; whoever settles it
   * from then on undoes it. A big plan goes apart first: a journal document always finds its plan.
   */
  private async open(lease: Lease, op: Operation): Promise<void> {
    await this.confirmUnlessFresh(lease);
    const apart = mongo().BSON.calculateObjectSize({ steps: op.steps, finalize: op.finalize }) > INLINE_PLAN_MAX_BYTES;
    const now = await this.now();
    const doc: JournalDoc = {
      _id: lease.opId,
      state: 'pending',
      format: 2,
      command: op.command,
      actor: op.actor,
      owner: this.owner.token,
      host: this.owner.host,
      pid: this.owner.pid,
      created_at: now,
      step: 0,
      locks: [...lease.keys],
      ...(apart ? {} : { steps: op.steps, finalize: op.finalize }),
    };
    lease.planApart = apart;
    if (apart) await this.plans.insertOne({ _id: lease.opId, steps: op.steps, finalize: op.finalize });
    // In the chain's queue: a renewal's check of whether the document is there must not run while it is on its way.
    await lease.serial(async () => {
      // Marked before sending: should the answer be lost, clean-up still covers the document.
      lease.opened = true;
      await this.journal.insertOne(doc);
    });
  }

  /**
   * Forget a settled operation: its plan, its document, its locks, and last its chain (a lock
   * is never left without the chain that says whether it lives; see the top of this file).
   */
  private async forget(lease: Lease): Promise<void> {
    // A few deletes: well within the lease. No renewal from here on, so none can follow the chain's deletion.
    lease.close();
    if (lease.planApart) await this.plans.deleteOne({ _id: lease.opId });
    if (lease.opened) await this.journal.deleteOne({ _id: lease.opId });
    await this.locks.releaseAll(lease.opId);
    await lease.forgetChain();
    lease.forgotten = true;
  }

  /** Run an operation to completion or leave no trace of it. */
  async run(op: Operation): Promise<void> {
    if (op.locks && op.locks.length > 0) {
      await this.exclusive(op.locks, async () => ({ op, result: undefined }));
      return;
    }
    if (op.steps.length === 0 && op.finalize.length === 0) return;
    await this.exclusive([], async () => ({ op, result: undefined }));
  }

  /** open(), and should it fail before any step ran, drop what it may have written (or leave it all to a settler). */
  private async openOrDiscard(lease: Lease, op: Operation): Promise<void> {
    try {
      await this.open(lease, op);
    } catch (err) {
      if (!(err instanceof ProcessKilled) && lease.opened && !lease.lost) {
        try {
          if (lease.planApart) await this.plans.deleteOne({ _id: lease.opId });
          await this.journal.deleteOne({ _id: lease.opId });
          lease.opened = false;
        } catch {
          this.abandon(lease);
        }
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
    const lease = new Lease(this, randomUUID());
    let killed = false;
    try {
      // The chain comes before the locks: a lock is never seen without it.
      await this.append(lease, 'take');
      lease.start();
      await this.acquire(lease, sorted);
      // Under the locks, before anything is read: late writes of rolled-back operations on these tenants.
      const watched = await this.settleLateWrites(sorted);
      const { op, result } = await body();
      await this.fault('decided');
      if (op && (op.steps.length > 0 || op.finalize.length > 0)) {
        const done = this.retiring(op, watched);
        await this.openOrDiscard(lease, done);
        await this.execute(lease, done);
      }
      return result;
    } catch (err) {
      killed = err instanceof ProcessKilled;
      throw err;
    } finally {
      // A killed process does nothing more. An operation that stays (given up, or lost to a
      // settler) keeps its locks and chain for whoever settles it; otherwise nothing of it is
      // left: none was written, or it was forgotten.
      lease.stop();
      if (!killed && !lease.kept && !lease.lost && !lease.forgotten && !lease.opened) {
        await this.locks
          .release(lease.keys, lease.opId)
          .then(() => lease.forgetChain())
          .catch(() => undefined);
      }
    }
  }

  /**
   * Under our locks `keys`: undo the late writes that landed on what they cover, drop the
   * watches done with, and return those still waiting (one query when there are none).
   */
  private async settleLateWrites(keys: readonly LockKey[]): Promise<WatchDoc[]> {
    const watches = await this.lateWrites.on(keys);
    if (watches.length === 0) return [];
    const { undone, waiting } = await this.lateWrites.settle(watches, await this.now());
    if (undone.length > 0) {
      this.lateUndone.push(...undone);
      this.options.notice?.(
        `undid ${undone.length} write(s) of rolled-back operation(s) that landed after their rollback (${[...new Set(undone.map((u) => u.command ?? u.op))].join(', ')})`,
      );
    }
    return waiting;
  }

  /**
   * The operation, dropping in its roll-forward the watches on documents it writes: once it has
   * committed, those documents hold its values, which no late write may be taken for (and a
   * late write, conditional on the values before, can no longer match them).
   */
  private retiring(op: Operation, watched: readonly WatchDoc[]): Operation {
    if (watched.length === 0) return op;
    const written = new Set<string>();
    for (const step of op.steps) {
      if (step.kind === 'update') written.add(documentKey(step.target, step.id));
      else if (step.kind === 'updateGroup') for (const id of step.ids) written.add(documentKey(step.target, id));
      else if (step.kind === 'delete') written.add(documentKey(step.target, step.doc._id));
    }
    // Forward-only changes (a batch suspension) write in their roll-forward.
    for (const step of op.finalize) if (step.kind === 'updateIn') for (const id of step.values) written.add(documentKey(step.target, id));
    const retired = watched.filter((w) => written.has(documentKey(w.write.target, w.write.id))).map((w) => w._id);
    if (retired.length === 0) return op;
    const target = { db: this.lateWrites.coll.dbName, coll: LATE_WRITES };
    return { ...op, finalize: [...op.finalize, { kind: 'deleteIn', target, field: '_id', values: retired }] };
  }

  /**
   * `repair`: the late writes of every watch whose locks nobody alive holds, each lock set taken
   * as a command takes it (exclusive). Those held by a live operation wait for it or a later repair.
   */
  private async settleAllLateWrites(busy: ReadonlySet<string>): Promise<void> {
    const watches = await this.lateWrites.all();
    const sets = new Map<string, LockKey[]>();
    for (const w of watches) {
      if (w.locks.some((k) => busy.has(k))) continue;
      const keys = [...new Set(w.locks)].sort() as LockKey[];
      sets.set(keys.join('\u0000'), keys);
    }
    for (const keys of sets.values()) {
      if (keys.length === 0) {
        const { undone } = await this.lateWrites.settle(watches.filter((w) => w.locks.length === 0), await this.now());
        this.lateUndone.push(...undone);
        continue;
      }
      try {
        await this.exclusive(keys, async () => ({ op: null, result: undefined }));
      } catch (err) {
        // Taken meanwhile by a live command: it looks at these watches itself.
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }

  private async execute(lease: Lease, op: Operation): Promise<void> {
    /** Steps that may have taken effect (the undo of the others is a no-op anyway). */
    let reached = 0;
    /** Steps applied before our last confirmation: those after it were sent by an owner that may have lost meanwhile. */
    let confirmedBefore = 0;
    /** The batch that failed got no answer (a lost connection): whether any of it landed is unknown. */
    let unanswered = false;
    // open() left the lease fresh: the first batch needs no check of its own. A fault hook (a
    // test's pause) may sit in between, so with one the check is sent.
    let checked = !this.hooks.at;
    try {
      for (const batch of batchesOf(op.steps, this.options.batchSize ?? DEFAULT_BATCH, this.breakBefore)) {
        await this.fault(`step:${batch.start}`);
        if (!checked) await this.append(lease, 'renew');
        confirmedBefore = batch.start;
        checked = false;
        await this.fault(`sending:${batch.start}`);
        reached = batch.start + batch.steps.length;
        try {
          await this.applyBatch(batch.steps);
        } catch (err) {
          if (!this.mayHaveApplied(batch.steps, err)) reached = batch.start;
          else unanswered = noAnswer(err);
          throw err;
        }
      }
      await this.fault('commit');
      await this.append(lease, 'commit');
    } catch (err) {
      if (err instanceof ProcessKilled) throw err;
      if (err instanceof LostOwnership) {
        // What we sent since our last confirmation (answered: we went on to confirm) may have
        // landed after the one that took over undid the plan.
        this.abandon(lease);
        await this.afterLoss(lease, op.steps.slice(confirmedBefore, reached), true);
        throw err;
      }
      await this.rollBack(lease, op.steps.slice(0, reached), op.steps.slice(confirmedBefore, reached), unanswered);
      throw translateDriverError(err);
    }
    await this.fault('finalize');
    await this.finish(lease, op.finalize);
  }

  /** A failed batch that certainly did nothing: the server answered that none of its updates matched, a refused service call, a duplicate insert. */
  private mayHaveApplied(steps: Step[], err: unknown): boolean {
    if (err instanceof ConflictError && MATCHED.get(err) === 0) return false;
    if (steps.length !== 1) return true;
    const step = steps[0]!;
    if (step.kind === 'service') {
      // A service that answered with a refusal did nothing; only a lost answer is in doubt.
      return !(err instanceof TenantadmError && (err.code !== 'db_unreachable' || err.details?.delivered === false));
    }
    if (step.kind === 'insert') return !isDuplicateKeyError(err);
    return true;
  }

  /**
   * The owner undoes what it applied, still under its ownership; on a lost server the next
   * command does it. `unconfirmed` are the steps sent since its last confirmation: should the
   * ownership turn out lost, they may have landed after the one that took over undid the plan
   * (a write held on the wire that then met a conflict), so they go to afterLoss, as for an
   * owner that learns it lost after sending a batch (rule 3 at the top of this file). A batch
   * that got no answer (`unanswered`, a lost connection) is said on stderr.
   */
  private async rollBack(lease: Lease, applied: Step[], unconfirmed: Step[], unanswered = false): Promise<void> {
    try {
      await this.undo(applied, lease);
      await this.forget(lease);
    } catch (err) {
      if (err instanceof ProcessKilled) throw err;
      // Lost: the one that took over rolls back the plan, but may have done so before our last
      // batch landed. Otherwise (a lost server) whoever settles it once this process is gone
      // does; either way the operator needs the cause, which the caller throws.
      this.abandon(lease);
      if (!(err instanceof LostOwnership) || unconfirmed.length === 0) return;
      if (unanswered) {
        this.options.notice?.(
          `this command lost its operation to another tenantadm while its last write (${unconfirmed.length} step(s)) had no answer: ` +
            'it is not undone by value, as another command may have written the same values since; should it still land, the next command on these tenants (or `tenantadm repair`) undoes it',
        );
      }
      await this.afterLoss(lease, unconfirmed, !unanswered);
    }
  }

  /**
   * An owner that lost its operation after sending `unconfirmed` (the steps since its last
   * confirmation): they may land, or have landed, after whoever settles the operation rolled
   * it back. The updates the settler watches are looked at under the operation's locks, as
   * every command taking them does (late-writes.ts): taken once the settler has freed them (or
   * settling the operation itself once its lease has run out), within the lock wait; past it,
   * the next command on these tenants or `repair` does it. Never by value without the locks,
   * which could revert a rival's identical committed value. The steps without a watch (inserts,
   * whose undo matches only the document inserted, with its own id; updates of secrets) are
   * undone at once, conditionally, when the batch was answered (it landed, at least in part).
   */
  private async afterLoss(lease: Lease, unconfirmed: Step[], answered: boolean): Promise<void> {
    const unwatched = unconfirmed.filter((step) => !isWatched(step));
    if (answered && unwatched.length > 0) await this.undo(unwatched, null).catch(() => undefined);
    if (unwatched.length === unconfirmed.length || lease.keys.length === 0) return;
    // Its own lost operation holds them: no "waiting for ..., held by" (our own pid) to say.
    this.waitingSilently = true;
    try {
      await this.exclusive(lease.keys, async () => ({ op: null, result: undefined }));
    } catch (err) {
      if (err instanceof ProcessKilled) throw err;
    } finally {
      this.waitingSilently = false;
    }
  }

  /**
   * Give up an operation this process cannot finish. Its locks and chain stay: the operation
   * is half-applied, and only its settling may free them (the next command once this process
   * has exited on this machine, or once its lease has run out).
   */
  private abandon(lease: Lease): void {
    lease.stop();
    lease.kept = true;
  }

  /**
   * After the commit point: roll forward, then forget the operation. An owner that loses its
   * ownership meanwhile (`repair --all` expired it, or it stalled past its lease and another
   * process claimed it) stops rolling forward, but does not return before the operation is
   * finished: its caller reads the result (a removal proves nothing is left), so it waits for
   * whoever settles it, and settles it itself once the head's lease has run out.
   */
  private async finish(lease: Lease, finalize: Step[]): Promise<void> {
    try {
      await this.rollForward(finalize, lease);
      // A process that took a stalled owner's committed operation over finishes it itself.
      if (!lease.lost) {
        await this.forget(lease);
        return;
      }
    } catch (err) {
      if (err instanceof ProcessKilled) throw err;
      this.abandon(lease);
      throw translateDriverError(err);
    }
    try {
      await this.finishedBySettler(lease);
    } catch (err) {
      if (err instanceof ProcessKilled || err instanceof TenantadmError) throw err;
      throw translateDriverError(err);
    }
  }

  /**
   * Wait until a committed operation this process lost is finished (its journal document is
   * deleted only after the roll-forward), settling it like any rival once the head's owner is
   * gone: after an `expire`, that is this process's own lease running out. Gives up (exit 4,
   * the change standing) when another settler is still at it well past a lease and a lock wait.
   */
  private async finishedBySettler(lease: Lease): Promise<void> {
    const started = performance.now();
    const patience = 2 * this.options.leaseMs + this.options.lockWaitMs;
    for (;;) {
      if ((await this.journal.findOne({ _id: lease.opId }, { projection: { _id: 1 } })) === null) return;
      const head = await this.chains.head(lease.opId);
      const now = await this.now();
      if (head && this.gone(head, now)) {
        const outcome = await this.settle(lease.opId, head);
        if (outcome === 'finalized' || outcome === 'released') return;
        // null: another process claimed it first (it finishes it), or ours was expired in turn.
        continue;
      }
      if (performance.now() - started >= patience) {
        throw new ConflictError(
          'this command passed its commit point, but then lost its operation to another tenantadm (repair --all, or a takeover after a stall), which has not finished it yet',
          'the change stands and is finished by whoever settles it (`tenantadm repair`); check the result before running the command again',
        );
      }
      const left = head ? head.lease_until.getTime() - now.getTime() + 1 : 0;
      await new Promise((r) => setTimeout(r, Math.max(10, Math.min(left, Math.floor(this.options.leaseMs / 3)))));
    }
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
      throw matched(
        new ConflictError(
          `${steps.length - res.matchedCount} record(s) in ${first.target.db}.${first.target.coll} changed while this command ran`,
          'nothing was changed; run the command again',
        ),
        res.matchedCount,
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
      case 'updateGroup': {
        const res = await this.coll(step.target).updateMany({ _id: { $in: step.ids }, ...stateFilter(step.before) } as Document, stateUpdate(step.after));
        if (res.matchedCount !== step.ids.length) {
          throw matched(
            new ConflictError(
              `${step.ids.length - res.matchedCount} record(s) in ${step.target.db}.${step.target.coll} changed while this command ran`,
              'nothing was changed; run the command again',
            ),
            res.matchedCount,
          );
        }
        return;
      }
      case 'update': {
        const res = await this.coll(step.target).updateOne({ _id: step.id, ...stateFilter(step.before) } as Document, stateUpdate(step.after));
        if (res.matchedCount !== 1) {
          throw matched(
            new ConflictError(`a record in ${step.target.db}.${step.target.coll} changed while this command ran`, 'nothing was changed; run the command again'),
            res.matchedCount,
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
          if (!onlyDuplicateKeys(err)) throw err;
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
   * undos of one collection go in one call, after an ownership check (none with no lease: an
   * owner that lost undoing what it sent last).
   */
  private async undo(steps: Step[], lease: Lease | null, justClaimed = false): Promise<void> {
    const reversed = [...steps].reverse().filter((s) => !ROLL_FORWARD.has(s.kind));
    let first = true;
    for (const batch of batchesOf(reversed, this.options.batchSize ?? DEFAULT_BATCH)) {
      // A claim just inserted is the first batch's check. An owner rolling back always checks
      // first: its commit record may have gone in with its answer lost, and then the change stands.
      if (lease && !(first && justClaimed && lease.fresh(await this.now(), this.options.leaseMs))) await this.append(lease, 'renew');
      first = false;
      const head = batch.steps[0]!;
      if (batch.steps.length > 1 && batchable(head)) {
        const ops = batch.steps.map((s): AnyBulkWriteOperation<Document> => {
          if (s.kind === 'insert') return { deleteOne: { filter: { ...s.doc } } };
          const u = s as Extract<Step, { kind: 'update' }>;
          return { updateOne: { filter: { _id: u.id, ...stateFilter(u.after) } as Document, update: stateUpdate(u.before) } };
        });
        await this.coll(head.target).bulkWrite(ops, { ordered: true });
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
      case 'updateGroup': {
        const ops: AnyBulkWriteOperation<Document>[] = step.ids.map((id, i) => {
          const value = step.separate.values[i];
          const back = stateUpdate(step.before) as { $set?: Document; $unset?: Document };
          const update: Document = { ...back };
          if (value === undefined || value === null) update.$unset = { ...(back.$unset ?? {}), [step.separate.field]: '' };
          else update.$set = { ...(back.$set ?? {}), [step.separate.field]: value };
          return { updateOne: { filter: { _id: id, ...stateFilter(step.after) } as Document, update } };
        });
        for (let i = 0; i < ops.length; i += UPDATE_BATCH) await this.coll(step.target).bulkWrite(ops.slice(i, i + UPDATE_BATCH), { ordered: false });
        return;
      }
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
      let taken: number;
      try {
        taken = await this.locks.takeInOrder(wanted, lease.opId);
      } catch (err) {
        // Which went in is unknown: count them all as ours so that they are released (only ours match).
        lease.keys.push(...wanted);
        throw err;
      }
      lease.keys.push(...wanted.slice(0, taken));
      if (taken === wanted.length) break;
      const key = wanted[taken]!;
      const holder = await this.locks.holder(key);
      if (!holder || (await this.breakIfGone(holder))) continue;
      if (performance.now() - started >= this.options.lockWaitMs) {
        throw new ConflictError(
          `${key} is busy: another tenantadm (pid ${holder.pid} on ${holder.host}) is changing it`,
          'nothing was changed; run the command again in a moment',
        );
      }
      if (told !== key && !this.waitingSilently) {
        this.options.notice?.(`waiting for ${key}, held by pid ${holder.pid} on ${holder.host}`);
        told = key;
      }
      await new Promise((r) => setTimeout(r, 5 + Math.random() * Math.min(100, 10 * (attempt + 1))));
    }
  }

  /** Settle a lock holder's operation if its owner is gone, and break the lock; false while the holder lives. */
  private async breakIfGone(holder: LockDoc): Promise<boolean> {
    const now = await this.now();
    const head = await this.chains.head(holder.op_id);
    if (head) {
      if (!this.gone(head, now)) return false;
      // Settled, its locks released with it; null: another process got there first and settles it (wait for it like for any holder).
      return (await this.settle(holder.op_id, head)) !== null;
    }
    const doc = await this.journal.findOne({ _id: holder.op_id });
    if (doc) {
      if (isLegacy(doc) && doc.lease_until!.getTime() >= now.getTime()) return false;
      return (await this.settle(holder.op_id, null)) !== null;
    }
    // A lock of an earlier release lives by its own lease; one of ours without a chain belongs
    // to an operation settled and forgotten (its holder finds it gone at its next confirmation).
    if (holder.lease_until) return this.locks.breakLegacy(holder, now);
    await this.locks.coll.deleteOne({ _id: holder._id, op_id: holder.op_id });
    return true;
  }

  /**
   * Claim an operation whose owner is gone by inserting the place after `head` (the first
   * place for an operation without a chain: of an earlier release) and settle it: roll it back,
   * or finish it when its chain has a commit record. Null when another process got there first.
   */
  private async settle(opId: string, head: LeaseRecord | null): Promise<Outcome | null> {
    const lease = new Lease(this, opId);
    lease.n = head ? head.n : -1;
    try {
      await this.append(lease, 'claim');
    } catch (err) {
      if (err instanceof LostOwnership) return null;
      throw err;
    }
    lease.start();
    try {
      // Read again after the claim, never taken from before it: an owner that finished meanwhile
      // deleted its document before its chain, and deleting the chain freed the place our claim
      // took. Without this, a settler holding an earlier read would undo a finished change.
      const doc = await this.journal.findOne({ _id: opId });
      lease.opened = doc !== null;
      lease.planApart = doc !== null && !Array.isArray(doc.steps);
      // After our claim no commit can land: the owner's would take the place we hold.
      const committed = head ? await this.chains.committed(opId) : doc?.state === 'committed';
      if (!doc) {
        await this.forget(lease);
        return 'released';
      }
      // A small plan is in the operation's document; a big one (and every one of earlier releases) apart.
      const plan: Partial<PlanDoc> | null = lease.planApart ? await this.plans.findOne({ _id: opId }) : doc;
      if (committed) {
        await this.rollForward(plan?.finalize ?? [], lease);
        if (lease.lost) return null;
        await this.forget(lease);
        return 'finalized';
      }
      await this.undo(plan?.steps ?? [], lease, true);
      // A write of the plan still on its way lands after this rollback: watched until undone (late-writes.ts).
      await this.lateWrites.record(opId, doc.command ?? null, await this.now(), Array.isArray(doc.locks) ? doc.locks : [], watchedOf(plan?.steps ?? []));
      await this.forget(lease);
      return 'rolled_back';
    } catch (err) {
      if (err instanceof LostOwnership) return null;
      this.abandon(lease);
      throw err;
    } finally {
      lease.stop();
    }
  }

  /**
   * `repair --all` on a live owner: a record after its head that keeps its lease but ends its
   * ownership, so it stops at its next confirmation. Returns the head it leaves, or null when
   * the operation no longer exists (its owner finished meanwhile).
   */
  private async expire(head: LeaseRecord, now: Date): Promise<LeaseRecord | null> {
    let current: LeaseRecord | null = head;
    for (let i = 0; i < 5 && current && current.kind !== 'expire'; i++) {
      const record = { ...current, n: current.n + 1, kind: 'expire' as const, by: this.owner.token, at: now };
      delete (record as Partial<LeaseRecord>)._id;
      if (await this.chains.append(record)) {
        // The owner may have finished between our read of its head and our insert: it deletes
        // its journal document before its chain, so a document gone now means our record went
        // into a chain being deleted, or into the place a deleted chain freed. Taken back, it
        // is never left alone (whichever of us deletes it first, the other's delete is a no-op).
        if ((await this.journal.findOne({ _id: head.op }, { projection: { _id: 1 } })) === null) {
          await this.chains.coll.deleteOne({ _id: recordId(record.op, record.n), kind: 'expire', by: this.owner.token });
          return null;
        }
        return { ...record, _id: recordId(record.op, record.n) };
      }
      current = await this.chains.head(head.op);
    }
    return current ?? head;
  }

  /**
   * Settle every operation whose owner is gone (lease run out in server time, or its process
   * dead on this machine), and drop what settled operations left (locks, chains). `all` also
   * ends the ownership of live owners: they stop at their next confirmation, and their
   * operations are settled once their lease runs out (reported as in progress until then).
   */
  async repair(options: { all?: boolean; lateWrites?: boolean } = {}): Promise<RepairReport> {
    const report: RepairReport = { rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] };
    const undoneBefore = this.lateUndone.length;
    /** Operations whose locks this repair freed (settled, released, or locks of no operation). */
    const freed = new Set<string>();
    const docs = new Map((await this.journal.find({}).toArray()).map((d) => [d._id, d]));
    const locks = await this.locks.all();
    const ops = [...new Set([...docs.keys(), ...locks.map((l) => l.op_id), ...(await this.chains.ops())])];
    const heads = await this.chains.heads(ops);
    const now = await this.now();
    for (const op of ops) {
      const doc = docs.get(op) ?? null;
      let head = heads.get(op) ?? null;
      if (!head && !doc) {
        // Locks of no operation: of earlier releases (their own lease), or left by a settling.
        for (const lock of locks.filter((l) => l.op_id === op)) {
          if (lock.lease_until) await this.locks.breakLegacy(lock, now);
          else await this.locks.coll.deleteOne({ _id: lock._id, op_id: op });
        }
        freed.add(op);
        continue;
      }
      const live = head ? !this.gone(head, now) : isLegacy(doc!) && doc!.lease_until!.getTime() >= now.getTime();
      if (live) {
        // A command still reading (no operation written) is left alone: it has written nothing.
        if (!doc) continue;
        if (options.all && head) {
          const left = await this.expire(head, now);
          // Finished meanwhile: nothing is in progress.
          if (!left) continue;
          head = left;
        }
        const committed = head ? await this.chains.committed(op) : doc.state === 'committed';
        report.in_progress.push({
          id: op,
          command: doc.command ?? null,
          state: committed ? 'committed' : 'pending',
          host: head?.host ?? doc.host,
          pid: head?.pid ?? doc.pid,
          lease_until: head?.lease_until ?? doc.lease_until!,
          ...(head?.kind === 'expire' ? { expired: true } : {}),
        });
        continue;
      }
      const outcome = await this.settle(op, head);
      if (outcome === 'rolled_back' || outcome === 'finalized') report[outcome].push(op);
      if (outcome) freed.add(op);
    }
    if (options.lateWrites) {
      // Locks this repair did not free are held by a live command (one still reading has no
      // operation yet): its lock set's watches are its own to look at, not ours to wait for.
      await this.settleAllLateWrites(new Set(locks.filter((l) => !freed.has(l.op_id)).map((l) => l._id)));
      report.late_writes_undone = this.lateUndone.slice(undoneBefore);
    }
    return report;
  }

  /**
   * For `check`: writes of rolled-back operations that landed afterwards and are not undone
   * yet, leaving out those whose locks a live command holds (it looks at them itself).
   */
  async landedLateWrites(): Promise<LateWrite[]> {
    const watches = await this.lateWrites.all();
    if (watches.length === 0) return [];
    // Locks of a dead holder do not count: repair settles it, then undoes the write.
    const locks = await this.locks.all();
    const dead = new Set(await this.deadAmong(locks));
    const held = new Set(locks.map((l) => l._id).filter((k) => !dead.has(k)));
    const free = watches.filter((w) => !w.locks.some((k) => held.has(k)));
    const verdicts = await this.lateWrites.verdicts(free, await this.now());
    return free.filter((w) => verdicts.get(w) === 'landed').map(lateWrite);
  }

  /** Settle what dead processes left; one query when there is nothing (called before every change). */
  async repairStale(): Promise<RepairReport> {
    // Locks left without an operation are broken by whoever needs them (acquire).
    // A chain left without any operation (none should be) costs no round trip here: it is
    // deleted by the next repair, this one's when there is an operation to settle.
    const any = await this.journal.findOne({}, { projection: { _id: 1 } });
    if (!any) return { rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] };
    return this.repair();
  }

  /**
   * For `check`: chains of operations that have neither a journal document nor a lock and
   * whose owner is gone (lease run out, or its process dead on this machine): records left
   * behind, which `repair` deletes.
   */
  async strayChains(): Promise<string[]> {
    const ops = await this.chains.ops();
    if (ops.length === 0) return [];
    const docs = new Set((await this.journal.find({ _id: { $in: ops } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id));
    const locked = new Set((await this.locks.all()).map((l) => l.op_id));
    const heads = await this.chains.heads(ops);
    const now = await this.now();
    return ops.filter((op) => !docs.has(op) && !locked.has(op) && heads.has(op) && this.gone(heads.get(op)!, now));
  }

  /**
   * For `check`: of these operations, those whose owner is gone (to be settled by `repair`),
   * and whether each passed its commit point, as the chain says.
   */
  async standing(docs: readonly JournalDoc[]): Promise<Map<string, { gone: boolean; committed: boolean }>> {
    const out = new Map<string, { gone: boolean; committed: boolean }>();
    const heads = await this.chains.heads(docs.map((d) => d._id));
    const now = await this.now();
    for (const doc of docs) {
      const head = heads.get(doc._id);
      if (head) out.set(doc._id, { gone: this.gone(head, now), committed: await this.chains.committed(doc._id) });
      else out.set(doc._id, { gone: !isLegacy(doc) || doc.lease_until!.getTime() < now.getTime(), committed: isLegacy(doc) && doc.state === 'committed' });
    }
    return out;
  }

  /**
   * The operation holding `lock` when it has written its plan and its owner lives (a rival on
   * another host, or within its lease): what a reader meeting its records must say instead of
   * taking them for finished data. Null when the lock is free, its holder has written nothing
   * yet, or its owner is gone (the next change settles that one).
   */
  async pendingOn(lock: LockKey): Promise<(InProgress & { since: Date }) | null> {
    const holder = await this.locks.holder(lock);
    if (!holder) return null;
    const doc = await this.journal.findOne({ _id: holder.op_id });
    if (!doc) return null;
    const head = await this.chains.head(holder.op_id);
    const now = await this.now();
    if (head ? this.gone(head, now) : !isLegacy(doc) || doc.lease_until!.getTime() < now.getTime()) return null;
    return {
      id: doc._id,
      command: doc.command ?? null,
      state: (head ? await this.chains.committed(doc._id) : doc.state === 'committed') ? 'committed' : 'pending',
      host: head?.host ?? doc.host,
      pid: head?.pid ?? doc.pid,
      lease_until: head?.lease_until ?? doc.lease_until!,
      ...(head?.kind === 'expire' ? { expired: true } : {}),
      since: doc.created_at,
    };
  }

  /**
   * For readers: every operation in the journal with the tenants it holds (its `tenant:`,
   * `sp:`, `sso:` and `storage:` locks), whose records a reader must not show as finished. One
   * read of the journal, which is empty almost always; the chains and the server's time are
   * read only when it is not. `gone`: its owner is gone (settled by `repair` or the next change
   * now); otherwise it can be settled from `lease_until` should its owner die. An operation
   * whose chain is already deleted is finishing (its records are final): left out.
   */
  async pendingOperations(): Promise<PendingOperation[]> {
    const docs = await this.journal
      .find({}, { projection: { _id: 1, command: 1, host: 1, pid: 1, created_at: 1, locks: 1, format: 1, lease_until: 1, state: 1 } })
      .toArray();
    if (docs.length === 0) return [];
    const heads = await this.chains.heads(docs.map((d) => d._id));
    const now = await this.now();
    const out: PendingOperation[] = [];
    for (const doc of docs) {
      const head = heads.get(doc._id);
      if (!head && !isLegacy(doc)) continue;
      const tenants = [...new Set((Array.isArray(doc.locks) ? doc.locks : []).map(heldTenant).filter((t): t is string => t !== null))];
      if (tenants.length === 0) continue;
      const leaseUntil = head?.lease_until ?? doc.lease_until!;
      out.push({
        id: doc._id,
        command: doc.command ?? null,
        host: head?.host ?? doc.host,
        pid: head?.pid ?? doc.pid,
        since: doc.created_at,
        lease_until: leaseUntil,
        gone: head ? this.gone(head, now) : leaseUntil.getTime() < now.getTime(),
        tenants,
      });
    }
    return out;
  }

  /** For `check`: the locks whose holder is gone (its operation's owner gone, or no operation at all). */
  async deadLocks(): Promise<string[]> {
    return this.deadAmong(await this.locks.all());
  }

  /** Of these locks, those whose holder is gone. */
  private async deadAmong(locks: readonly LockDoc[]): Promise<string[]> {
    const heads = await this.chains.heads(locks.map((l) => l.op_id));
    const now = await this.now();
    const out: string[] = [];
    for (const lock of locks) {
      const head = heads.get(lock.op_id);
      const dead = head ? this.gone(head, now) : lock.lease_until ? lock.lease_until.getTime() < now.getTime() : true;
      if (dead) out.push(lock._id);
    }
    return out;
  }

  /** Create the journal's collections up front, so a failed command never leaves one behind. */
  async ensureCollections(): Promise<void> {
    for (const coll of [this.journal, this.plans, this.locks.coll, this.chains.coll, this.lateWrites.coll].map((c) => c.db.collection(c.collectionName))) {
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

/**
 * The database server's time: `hello`'s `localTime` (MongoDB and FerretDB 1.24 have it; FerretDB
 * has no `$$NOW`). A server without it leaves only this host's clock, as earlier releases used.
 */
async function serverTime(client: MongoClient): Promise<Date> {
  const reply = await client.db('admin').command({ hello: 1 });
  return reply.localTime instanceof Date ? reply.localTime : new Date();
}

/** How many updates of a failed batch the server said matched (a conflict it answered). */
const MATCHED = new WeakMap<ConflictError, number>();

function matched(err: ConflictError, count: number): ConflictError {
  MATCHED.set(err, count);
  return err;
}

/**
 * The failed write got no answer (a lost connection, a server going away): it may have landed
 * or not, and the server never said. A refusal the server answered is not one.
 */
function noAnswer(err: unknown): boolean {
  if (err instanceof ConflictError) return false;
  const t = translateDriverError(err);
  return t instanceof TenantadmError && t.code === 'db_unreachable' && t.details?.delivered !== false;
}

/** An operation of an earlier release: owned through its own `lease_until`, without a chain. */
function isLegacy(doc: JournalDoc): boolean {
  return doc.format === undefined && doc.lease_until instanceof Date;
}

/** A step a rollback leaves a watch on: an update (of one document or a group) without secrets (late-writes.ts). */
function isWatched(step: Step): step is Extract<Step, { kind: 'update' | 'updateGroup' }> {
  return (step.kind === 'update' || step.kind === 'updateGroup') && watchable(step.before, step.after);
}

/** The writes of a plan that could land late and are watched, one per document. */
function watchedOf(steps: readonly Step[]): Watched[] {
  const out: Watched[] = [];
  for (const step of steps) {
    if (!isWatched(step)) continue;
    if (step.kind === 'update') {
      out.push({ kind: 'update', target: step.target, id: step.id, before: step.before, after: step.after });
    } else {
      step.ids.forEach((id, i) => {
        const value = step.separate.values[i];
        const before: FieldState =
          value === undefined || value === null
            ? { set: step.before.set, unset: [...step.before.unset, step.separate.field] }
            : { set: { ...step.before.set, [step.separate.field]: value }, unset: step.before.unset };
        out.push({ kind: 'update', target: step.target, id, before, after: step.after });
      });
    }
  }
  return out;
}
