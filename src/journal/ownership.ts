/**
 * Who owns an operation, decided by inserts only (the protocol is described at the top of
 * journal.ts and in docs/safety.md).
 *
 * Each operation has a chain of records in `tenantadm.tenantadm_leases`, `_id: "<op>:<n>"`,
 * n = 0, 1, 2, ... The record with the highest n (the head) says who owns the operation and
 * until when (`lease_until`, in the database server's time). Whoever wants to act next inserts
 * n + 1: the owner to renew or to commit, a rival to claim once the head's lease has run out or
 * its process is provably dead, `repair --all` to expire a live owner. A unique `_id` lets
 * exactly one of them in, on MongoDB and on FerretDB alike (FerretDB applies an update as
 * read, modify, write, not atomically between connections; an insert against a unique key is
 * atomic on both). Nothing here updates a record: the collection only receives inserts and
 * deletes (test/unit/ownership-writes.test.ts reads the source to hold that).
 */
import fs from 'node:fs';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { isDuplicateKeyError } from '../errors';

/**
 * A process as ownership records name it. The token is random per run; host and pid are for
 * people. Boot id, pid namespace and process start time (Linux /proc) let a process on the
 * same machine and in the same pid namespace tell that the owner is gone; containers share
 * host names and pid numbers, so nothing less says "the same process".
 */
export interface Owner {
  token: string;
  host: string;
  pid: number;
  boot_id?: string;
  pid_ns?: string;
  /** Field 22 of /proc/<pid>/stat: clock ticks since boot when the process started. */
  pid_start?: string;
}

function readTrimmed(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The start time of process `pid` as /proc shows it, undefined when there is no such process (or no /proc). */
export function processStart(pid: number): string | undefined {
  const stat = readTrimmed(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces or parentheses: count after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Field 3 (state) is fields[0]; field 22 (starttime) is fields[19].
  return fields[19];
}

function pidNamespace(): string | undefined {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** A fresh identity for this process (one per opened store); without /proc, only the lease tells that it is gone. */
export function newOwner(): Owner {
  const owner: Owner = { token: randomUUID(), host: os.hostname(), pid: process.pid };
  const bootId = readTrimmed('/proc/sys/kernel/random/boot_id');
  const pidNs = pidNamespace();
  const start = processStart(process.pid);
  if (bootId && pidNs && start) Object.assign(owner, { boot_id: bootId, pid_ns: pidNs, pid_start: start });
  return owner;
}

/**
 * The process that wrote `record` is provably gone: it ran on this boot of this machine, in
 * our pid namespace, and its pid is now free or belongs to a process started at another time.
 * False whenever that cannot be told (another machine or container, no /proc): then only its
 * lease says so.
 */
export function ownerGone(record: Partial<Owner>, me: Owner, startOf: (pid: number) => string | undefined = processStart): boolean {
  if (!record.boot_id || !record.pid_ns || !record.pid_start || typeof record.pid !== 'number') return false;
  if (!me.boot_id || record.boot_id !== me.boot_id || record.pid_ns !== me.pid_ns) return false;
  return startOf(record.pid) !== record.pid_start;
}

/**
 * What a record says: `take` (the owner starts, n = 0), `renew` (the owner extends its lease),
 * `commit` (the owner's commit point), `claim` (another process took it over to settle it),
 * `expire` (`repair --all`: the owner's lease ends as written and it may not renew).
 */
export type RecordKind = 'take' | 'renew' | 'commit' | 'claim' | 'expire';

export interface LeaseRecord {
  _id: string;
  op: string;
  n: number;
  kind: RecordKind;
  /** The owner's token from this record on (for `expire`: the owner it ends). */
  owner: string;
  host: string;
  pid: number;
  boot_id?: string;
  pid_ns?: string;
  pid_start?: string;
  /** Server time until which no other process may claim the operation (unless its owner is provably gone). */
  lease_until: Date;
  /** Server time when the record was written (for people). */
  at: Date;
  /** For `expire`: who expired it. */
  by?: string;
}

export function recordId(op: string, n: number): string {
  return `${op}:${n}`;
}

/** The chains of every operation: inserts and deletes only. */
export class Chains {
  constructor(readonly coll: Collection<LeaseRecord>) {}

  /**
   * Insert record `n` of `op`; false when that place is taken (another process got there
   * first). Any other failure is thrown: whether it went in is then unknown.
   */
  async append(record: Omit<LeaseRecord, '_id'>): Promise<boolean> {
    try {
      await this.coll.insertOne({ _id: recordId(record.op, record.n), ...record });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /** The record with the highest n, null when the operation has no chain (settled and forgotten, or of an earlier release). */
  async head(op: string): Promise<LeaseRecord | null> {
    const [head] = await this.coll.find({ op }).sort({ n: -1 }).limit(1).toArray();
    return head ?? null;
  }

  /** The heads of many operations in one read. */
  async heads(ops: readonly string[]): Promise<Map<string, LeaseRecord>> {
    const out = new Map<string, LeaseRecord>();
    if (ops.length === 0) return out;
    for (const r of await this.coll.find({ op: { $in: [...ops] } }).toArray()) {
      const seen = out.get(r.op);
      if (!seen || r.n > seen.n) out.set(r.op, r);
    }
    return out;
  }

  /** Whether the operation passed its commit point: a `commit` record, once inserted, is never deleted before the operation is forgotten. */
  async committed(op: string): Promise<boolean> {
    return (await this.coll.findOne({ op, kind: 'commit' }, { projection: { _id: 1 } })) !== null;
  }

  /** Operations that have a chain (to find chains left without a journal document or lock). */
  async ops(): Promise<string[]> {
    return [...new Set((await this.coll.find({}, { projection: { op: 1 } }).toArray()).map((r) => r.op))];
  }

  async forget(op: string): Promise<void> {
    await this.coll.deleteMany({ op });
  }
}

/**
 * The database server's clock, as seen from here: read once (`hello`'s `localTime`) with the
 * round trip's midpoint as its local time, then followed on the local monotonic clock, and read
 * again every `resyncMs`. Every lease is written and compared in it, so the clocks of two hosts
 * never meet; the error is at most half a round trip plus the drift since the last reading.
 */
export class ServerClock {
  private offset: number | undefined;
  private syncedAt = 0;

  constructor(
    private readonly readServer: () => Promise<Date>,
    /** Local milliseconds, monotonic in production (tests inject theirs). */
    private readonly local: () => number,
    private readonly resyncMs: number,
  ) {}

  async now(): Promise<Date> {
    const t = this.local();
    if (this.offset === undefined || t - this.syncedAt >= this.resyncMs || t < this.syncedAt) await this.sync();
    return new Date(this.local() + this.offset!);
  }

  /** The last estimate without a round trip (for a check that must not wait). */
  estimate(): Date | undefined {
    return this.offset === undefined ? undefined : new Date(this.local() + this.offset);
  }

  private async sync(): Promise<void> {
    const before = this.local();
    const server = await this.readServer();
    const after = this.local();
    this.offset = server.getTime() - (before + after) / 2;
    this.syncedAt = after;
  }
}

/** Local monotonic milliseconds on the wall-clock scale (never steps back with the system clock). */
export function monotonicMs(): number {
  return performance.timeOrigin + performance.now();
}
