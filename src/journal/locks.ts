/**
 * Exclusive keys that tenantadm processes hold across read, check and write (there are no
 * transactions), and who holds them.
 *
 * A lock is a document `{_id: key, op_id, owner, host, pid, lease_until}` in
 * `tenantadm.tenantadm_locks`. Its owner is a random token made once per process (host and
 * pid are only for people reading it): the holder renews the lease while it runs (journal.ts),
 * so a holder is dead exactly when its lease has expired, never because of a pid this host
 * cannot see (containers share host names and pid numbers). Every write here is a
 * compare-and-set on the owner or on the expired lease.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { isDuplicateKeyError } from '../errors';

declare const lockKeyBrand: unique symbol;
/** A lock name; only the functions below make one, so every key in use is listed here. */
export type LockKey = string & { readonly [lockKeyBrand]: true };

/** How long a command waits for a lock held by a live owner before exit 4: max(2 x --timeout, 10 s). */
export function lockWaitMs(timeoutMs: number): number {
  return Math.max(timeoutMs * 2, 10_000);
}

function key(raw: string): LockKey {
  return raw as LockKey;
}

/** A tenant's allocation: its limits, its children, its role as Service Provider. */
export function spLock(tenantId: string): LockKey {
  return key(`sp:${tenantId}`);
}

/**
 * A tenant as a whole: held by its create until it commits, and by every command that writes
 * something belonging to it (users, limits, settings), so none builds on a half-made tenant.
 */
export function tenantLock(tenantId: string): LockKey {
  return key(`tenant:${tenantId}`);
}

/** Tenant names are unique among this tool's creates and renames (Mender has no such index). */
export function tenantNameLock(name: string): LockKey {
  return key(`tenant-name:${name}`);
}

/**
 * A tenant token's uniqueness, decided under this lock. Named by the token's hash (never the
 * token itself: lock documents are readable by anyone who can list the locks).
 */
export function tenantTokenLock(tokenHash: string): LockKey {
  return key(`tenant-token:${tokenHash}`);
}

/** A tenant's SSO settings and its inheriting them. */
export function ssoLock(tenantId: string): LockKey {
  return key(`sso:${tenantId}`);
}

/** A tenant's artifact storage settings. */
export function storageLock(tenantId: string): LockKey {
  return key(`storage:${tenantId}`);
}

/** Who runs an operation: a random token per process, with host and pid for people. */
export interface Owner {
  token: string;
  host: string;
  pid: number;
}

/**
 * A fresh identity, made once per opened store: one per process for the command line, and
 * still one per run when tests run several commands in one process.
 */
export function newOwner(): Owner {
  return { token: randomUUID(), host: os.hostname(), pid: process.pid };
}

export interface LockDoc {
  _id: string;
  /** The journal operation holding it (journal.ts), settled before a dead holder's lock is broken. */
  op_id: string;
  owner: string;
  host: string;
  pid: number;
  lease_until: Date;
}

export class LockTable {
  constructor(
    readonly coll: Collection<LockDoc>,
    private readonly owner: Owner,
  ) {}

  /**
   * Take `keys` (in the caller's canonical order) for `opId` in one ordered insert; returns how
   * many were taken: all of them, or those before the first one somebody else holds. On any
   * other error the caller cannot tell which went in: it releases them all (release() matches
   * only its own).
   */
  async takeInOrder(keys: readonly LockKey[], opId: string, leaseUntil: Date): Promise<number> {
    if (keys.length === 0) return 0;
    const docs = keys.map((k) => ({ _id: k, op_id: opId, owner: this.owner.token, host: this.owner.host, pid: this.owner.pid, lease_until: leaseUntil }));
    try {
      await this.coll.insertMany(docs, { ordered: true });
      return keys.length;
    } catch (err) {
      const e = err as { writeErrors?: { index?: number; code?: number }[] | { index?: number; code?: number } };
      const errors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
      const first = errors[0];
      // Ordered: the insert stopped at its first error, every key before it is ours.
      if (first && typeof first.index === 'number' && isDuplicateKeyError(first)) return first.index;
      if (!first && isDuplicateKeyError(err) && keys.length === 1) return 0;
      throw err;
    }
  }

  holder(lock: LockKey): Promise<LockDoc | null> {
    return this.coll.findOne({ _id: lock });
  }

  /** Extend the lease of every lock in `keys` still held by us for `opId`; false when one was lost. */
  async renew(keys: readonly LockKey[], opId: string, leaseUntil: Date): Promise<boolean> {
    // The holder may take more keys meanwhile: count the ones asked about.
    const asked = [...keys];
    if (asked.length === 0) return true;
    const res = await this.coll.updateMany({ _id: { $in: asked }, op_id: opId, owner: this.owner.token }, { $set: { lease_until: leaseUntil } });
    return res.matchedCount === asked.length;
  }

  async release(keys: readonly LockKey[], opId: string): Promise<void> {
    if (keys.length === 0) return;
    await this.coll.deleteMany({ _id: { $in: [...keys] }, op_id: opId, owner: this.owner.token });
  }

  /** Remove a holder's lock once its lease has expired (`force`: whatever the lease, for `repair --all`). */
  async breakExpired(holder: LockDoc, now: Date, force = false): Promise<boolean> {
    const res = await this.coll.deleteOne({ _id: holder._id, op_id: holder.op_id, ...(force ? {} : { lease_until: { $lt: now } }) });
    return res.deletedCount === 1;
  }

  all(): Promise<LockDoc[]> {
    return this.coll.find({}).toArray();
  }
}
