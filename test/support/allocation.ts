/**
 * Helpers for the concurrency and crash-safety tests of Service Provider allocations: an SP
 * with children written directly (fast setup), and a race of CLI processes on its lock.
 */
import { ObjectId } from 'mongodb';
import { client, run, runPaused, type Dbs, type RunResult, waitedForLock } from './harness';
import type { TestPlace } from './command-test';

/** An SP with `limit` and `n` children at limit 0, written directly (fast setup). */
export async function seedSp(dbs: Dbs, limit: number, n: number, extra: Record<string, unknown> = {}): Promise<{ sp: string; children: string[] }> {
  const c = await client();
  const sp = new ObjectId();
  const kids = Array.from({ length: n }, () => new ObjectId());
  await c.db(dbs.tenantadm).collection('tenants').insertMany([
    { _id: sp, name: 'sp', status: 'active', plan: 'enterprise', addons: [], service_provider: true, ...extra },
    ...kids.map((k, i) => ({ _id: k, name: `child-${i}`, status: 'active', plan: 'enterprise', addons: [], parent_tenant_id: sp.toHexString() })),
  ]);
  await c.db(dbs.deviceauth).collection('limits').insertMany([
    { name: 'max_devices', value: limit, tenant_id: sp.toHexString() },
    ...kids.map((k) => ({ name: 'max_devices', value: 0, tenant_id: k.toHexString() })),
  ]);
  return { sp: sp.toHexString(), children: kids.map((k) => k.toHexString()) };
}

export function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

// A lock wait of max(2 x --timeout, 10 s) = 60 s: every loser then waits its turn and
// fails on the rule (exit 5), never on the wait (exit 4), which keeps the outcome exact.
const PATIENT = ['--timeout', '30000'];

/**
 * Run the first job holding the SP's lock between its checks and its writes, the others once it
 * says it holds it; results in job order. The race happened when some of them waited for the lock.
 */
export async function race(dbs: Dbs, sp: string, jobs: string[][]): Promise<RunResult[]> {
  const [first, ...rest] = jobs;
  const holder = runPaused(dbs, [...first!, ...PATIENT], 1000);
  await holder.paused;
  const others = await Promise.all(rest.map((args) => run(dbs, [...args, ...PATIENT])));
  const results = [await holder.done, ...others];
  expect(others.filter((r) => waitedForLock(r, `sp:${sp}`)).length).toBeGreaterThan(0);
  return results;
}

/** seedSp and race bound to the current test's databases. */
export function allocationHelpers(t: Pick<TestPlace, 'dbs'>) {
  return {
    seedSp: (limit: number, n: number, extra: Record<string, unknown> = {}) => seedSp(t.dbs, limit, n, extra),
    race: (sp: string, jobs: string[][]) => race(t.dbs, sp, jobs),
  };
}
