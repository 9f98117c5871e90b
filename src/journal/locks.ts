/**
 * Exclusive keys that tenantadm processes hold across read, check and write (there are no
 * transactions), and who holds them.
 *
 * A lock is a document `{_id: key, op_id, owner, host, pid}` in `tenantadm.tenantadm_locks`,
 * only ever inserted (taken) and deleted (released or broken), never updated: FerretDB applies
 * an update as read, modify, write, which is not atomic between processes. Whether its holder
 * lives is not in the lock but in its operation's ownership chain (ownership.ts): the holder
 * renews that, and a lock is broken only once its operation's owner is gone (lease run out in
 * server time, or the process provably dead on this machine) and the operation is settled.
 * Locks left by earlier releases carry a `lease_until` of their own; they are broken once it
 * has run out.
 */
import type { Collection } from 'mongodb';
import { isDuplicateKeyError, writeErrorsOf } from '../errors';
import type { Owner } from './ownership';

export { newOwner, type Owner } from './ownership';

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

export interface LockDoc {
  _id: string;
  /** The journal operation holding it (journal.ts), settled before a dead holder's lock is broken. */
  op_id: string;
  owner: string;
  host: string;
  pid: number;
  /** Only in locks of earlier releases, whose holders renewed the lock itself. */
  lease_until?: Date;
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
  async takeInOrder(keys: readonly LockKey[], opId: string): Promise<number> {
    if (keys.length === 0) return 0;
    const docs = keys.map((k) => ({ _id: k, op_id: opId, owner: this.owner.token, host: this.owner.host, pid: this.owner.pid }));
    try {
      await this.coll.insertMany(docs, { ordered: true });
      return keys.length;
    } catch (err) {
      const first = writeErrorsOf(err)[0];
      // Ordered: the insert stopped at its first error, every key before it is ours.
      if (first && typeof first.index === 'number' && isDuplicateKeyError(first)) return first.index;
      if (!first && isDuplicateKeyError(err) && keys.length === 1) return 0;
      throw err;
    }
  }

  holder(lock: LockKey): Promise<LockDoc | null> {
    return this.coll.findOne({ _id: lock });
  }

  /** The keys among `keys` still held for `opId` (a read: whether our chain was forgotten under us, see journal.ts). */
  async held(keys: readonly LockKey[], opId: string): Promise<number> {
    if (keys.length === 0) return 0;
    return this.coll.countDocuments({ _id: { $in: [...keys] }, op_id: opId });
  }

  async release(keys: readonly LockKey[], opId: string): Promise<void> {
    if (keys.length === 0) return;
    await this.coll.deleteMany({ _id: { $in: [...keys] }, op_id: opId, owner: this.owner.token });
  }

  /** Every lock of operation `opId`, whoever took it (its settling is done). */
  async releaseAll(opId: string): Promise<void> {
    await this.coll.deleteMany({ op_id: opId });
  }

  /** Remove a lock of an earlier release once its own lease has run out (`now`: server time). */
  async breakLegacy(holder: LockDoc, now: Date): Promise<boolean> {
    const res = await this.coll.deleteOne({ _id: holder._id, op_id: holder.op_id, lease_until: { $lt: now } });
    return res.deletedCount === 1;
  }

  all(): Promise<LockDoc[]> {
    return this.coll.find({}).toArray();
  }
}
