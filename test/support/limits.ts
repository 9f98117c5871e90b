/**
 * Helpers for the Service Provider and device-limit tests: failing cleanly, seeding
 * devices, reading limits straight from the database, and talking to the test Redis
 * with Debian's redis-cli (an implementation independent of ours).
 */
import { spawnSync } from 'node:child_process';
import { ObjectId } from 'mongodb';
import { client, state, type Dbs } from './harness';

export { expectFailsCleanly } from './harness';

/** The stored limit value, or undefined when there is no document (unlimited). */
export async function storedLimit(dbs: Dbs, tenantId: string, kind = 'max_devices'): Promise<number | undefined> {
  const doc = await (await client()).db(dbs.deviceauth).collection('limits').findOne({ tenant_id: tenantId, name: kind });
  return doc ? Number(doc.value) : undefined;
}

export async function childLimits(dbs: Dbs, spId: string): Promise<number[]> {
  const c = await client();
  const kids = await c.db(dbs.tenantadm).collection('tenants').find({ parent_tenant_id: spId }).toArray();
  const out: number[] = [];
  for (const k of kids) out.push((await storedLimit(dbs, k._id.toHexString())) ?? -1);
  return out;
}

/** Insert device-auth device documents: `counts` per status for one tenant. */
export async function seedDevices(dbs: Dbs, tenantId: string, counts: Partial<Record<string, number>>): Promise<void> {
  const docs = [];
  for (const [status, n] of Object.entries(counts)) {
    for (let i = 0; i < (n ?? 0); i++) {
      docs.push({ _id: new ObjectId().toHexString(), tenant_id: tenantId, status, id_data: JSON.stringify({ mac: `${tenantId}-${status}-${i}` }), created_ts: new Date() });
    }
  }
  if (docs.length) await (await client()).db(dbs.deviceauth).collection<{ _id: string }>('devices').insertMany(docs);
}

export function redis(): NonNullable<ReturnType<typeof state>['redis']> {
  const r = state().redis;
  if (!r) throw new Error('the test harness has no Redis: install redis-server (scripts/setup.sh does)');
  return r;
}

/** Run redis-cli against the test Redis, in database `db`; returns its trimmed output. */
export function redisCli(db: number, ...args: string[]): string {
  const r = redis();
  const out = spawnSync('redis-cli', ['-h', r.host, '-p', String(r.port), '-n', String(db), '--no-auth-warning', '-a', r.password, ...args], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${out.stderr}`);
  return out.stdout.trim();
}
