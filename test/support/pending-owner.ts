/**
 * A live owner elsewhere, simulated by its records (issue #18): an operation's journal document,
 * its ownership chain (another boot id, a live lease) and its tenant lock, as a process on
 * another host leaves them while it is still writing. Readers must say it is under way rather
 * than show its tenant as finished.
 */
import type { Document, ObjectId } from 'mongodb';
import { client, type Dbs } from './harness';

export interface PendingOwner {
  op: string;
  since: Date;
  leaseUntil: Date;
}

export async function fakeRemoteOwner(
  dbs: Dbs,
  tenantId: ObjectId | string,
  opts: { op?: string; command?: string; leaseMs?: number; since?: Date; steps?: Document[]; locks?: string[] } = {},
): Promise<PendingOwner> {
  const db = (await client()).db(dbs.tenantadm);
  const id = typeof tenantId === 'string' ? tenantId : tenantId.toHexString();
  const op = opts.op ?? 'remote-op';
  const now = Date.now();
  const since = opts.since ?? new Date(now - 5_000);
  const locks = opts.locks ?? [`tenant:${id}`];
  const leaseUntil = new Date(now + (opts.leaseMs ?? 60_000));
  await db.collection('tenantadm_journal').insertOne({
    _id: op as never,
    state: 'pending',
    format: 2,
    command: opts.command ?? 'create-tenant',
    actor: 'someone@elsewhere.example',
    owner: 'remote-token',
    host: 'elsewhere',
    pid: 4242,
    created_at: since,
    step: 0,
    locks,
    steps: opts.steps ?? [],
    finalize: [],
  });
  await db.collection('tenantadm_leases').insertOne({
    _id: `${op}:0` as never,
    op,
    n: 0,
    kind: 'take',
    owner: 'remote-token',
    host: 'elsewhere',
    pid: 4242,
    boot_id: 'another-boot',
    pid_ns: 'pid:[1]',
    pid_start: '1',
    lease_until: leaseUntil,
    at: since,
  });
  await db.collection('tenantadm_locks').insertMany(locks.map((key) => ({ _id: key as never, op_id: op, owner: 'remote-token', host: 'elsewhere', pid: 4242 })));
  return { op, since, leaseUntil };
}
