/**
 * Concurrency and crash safety of SP allocations on a server without transactions:
 * many processes racing for more capacity than exists, plans killed midway, locks held
 * by live and dead owners.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { ObjectId } from 'mongodb';
import { client, run, runJson, runPaused, snapshot, type Dbs, type RunResult, waitedForLock, withFreshDatabases } from '../support/harness';
import { childLimits, expectFailsCleanly, storedLimit } from '../support/limits';
import { killedAt } from '../support/crash';

let dbs: Dbs;

withFreshDatabases((d) => (dbs = d));

/** An SP with `limit` and `n` children at limit 0, written directly (fast setup). */
async function seedSp(limit: number, n: number, extra: Record<string, unknown> = {}): Promise<{ sp: string; children: string[] }> {
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

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

// A lock wait of max(2 x --timeout, 10 s) = 60 s: every loser then waits its turn and
// fails on the rule (exit 5), never on the wait (exit 4), which keeps the outcome exact.
const PATIENT = ['--timeout', '30000'];

/**
 * Run the first job holding the SP's lock between its checks and its writes, the others once it
 * says it holds it; results in job order. The race happened when some of them waited for the lock.
 */
async function race(sp: string, jobs: string[][]): Promise<RunResult[]> {
  const [first, ...rest] = jobs;
  const holder = runPaused(dbs, [...first!, ...PATIENT], 1000);
  await holder.paused;
  const others = await Promise.all(rest.map((args) => run(dbs, [...args, ...PATIENT])));
  const results = [await holder.done, ...others];
  expect(others.filter((r) => waitedForLock(r, `sp:${sp}`)).length).toBeGreaterThan(0);
  return results;
}

describe('20 processes racing for one SP', () => {
  it('set-device-limit: exactly what fits succeeds, the rest exit 5, never over-allocated', async () => {
    const { sp, children } = await seedSp(100, 20);
    const started = Date.now();
    const results = await race(sp, children.map((id) => ['set-device-limit', '--id', id, '--limit', '10']));
    const wall = Date.now() - started;
    const codes = results.map((r) => r.code);
    process.stderr.write(`set-device-limit race: 20 processes, ${codes.filter((c) => c === 0).length} ok, ${codes.filter((c) => c === 5).length} exit 5, ${wall} ms\n`);
    expect(codes.filter((c) => c === 0)).toHaveLength(10);
    expect(codes.filter((c) => c === 5)).toHaveLength(10);
    for (const r of results.filter((x) => x.code === 5)) expect(r.stderr).toMatch(/has 0 free/);
    const limits = await childLimits(dbs, sp);
    expect(sum(limits)).toBe(100);
    expect(limits.filter((l) => l === 10)).toHaveLength(10);
    // Winners are exactly the children that got capacity; every change is audited once.
    const winners = children.filter((_, i) => results[i]!.code === 0).sort();
    const withTen = [];
    for (const id of children) if ((await storedLimit(dbs, id)) === 10) withTen.push(id);
    expect(withTen.sort()).toEqual(winners);
    const audit = await (await client()).db(dbs.audit).collection('tenantadm_audit').find({ log_tenant_ids: sp }).toArray();
    expect(audit.map((a) => a.tenant_id).sort()).toEqual(winners);
    const c = await client();
    expect(await c.db(dbs.tenantadm).collection('tenantadm_locks').countDocuments()).toBe(0);
    expect(await c.db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });

  it('create-tenant --parent: capacity and max_child_tenants hold under the race', async () => {
    const { sp } = await seedSp(95, 0, { max_child_tenants: 12 });
    const started = Date.now();
    const results = await race(sp, Array.from({ length: 20 }, (_, i) => ['create-tenant', '--name', `racer-${i}`, '--parent', sp, '--device-limit', '10', '--id-only']));
    const wall = Date.now() - started;
    const codes = results.map((r) => r.code);
    process.stderr.write(`create-tenant --parent race: 20 processes, ${codes.filter((c) => c === 0).length} ok, ${wall} ms\n`);
    expect(codes.filter((c) => c === 0)).toHaveLength(9); // 9 x 10 <= 95
    expect(codes.filter((c) => c === 5)).toHaveLength(11);
    const limits = await childLimits(dbs, sp);
    expect(limits).toHaveLength(9);
    expect(sum(limits)).toBe(90);

    // Unlimited capacity, 12 children at most: 3 more fit.
    await (await client()).db(dbs.deviceauth).collection('limits').updateOne({ tenant_id: sp }, { $set: { value: -1 } });
    const more = await race(sp, Array.from({ length: 20 }, (_, i) => ['create-tenant', '--name', `late-${i}`, '--parent', sp, '--device-limit', '1', '--id-only']));
    expect(more.filter((r) => r.code === 0)).toHaveLength(3);
    expect(more.filter((r) => r.code === 5).every((r) => /12 of its 12 child tenants/.test(r.stderr))).toBe(true);
    expect(await (await client()).db(dbs.tenantadm).collection('tenants').countDocuments({ parent_tenant_id: sp })).toBe(12);
  });

  it('mixed plans, attaches and raises against one SP never over-allocate it', async () => {
    const { sp, children } = await seedSp(50, 6);
    const c = await client();
    const loose = Array.from({ length: 4 }, () => new ObjectId());
    await c.db(dbs.tenantadm).collection('tenants').insertMany(loose.map((id, i) => ({ _id: id, name: `loose-${i}`, status: 'active', addons: [] })));
    await c.db(dbs.deviceauth).collection('limits').insertMany(loose.map((id) => ({ name: 'max_devices', value: 8, tenant_id: id.toHexString() })));
    const jobs = [
      ...children.map((id, i) => ['set-device-limit', '--id', id, '--limit', String(5 + i)]),
      ...loose.map((id) => ['update-tenant', '--id', id.toHexString(), '--parent', sp]),
      ['set-device-limit', '--set', `${children[0]}=20`, '--set', `${children[1]}=20`],
      ['set-device-limit', '--id', sp, '--limit', '40'],
      ['create-tenant', '--name', 'newcomer', '--parent', sp, '--device-limit', '9'],
    ];
    const results = await race(sp, jobs);
    expect(results.every((r) => r.code === 0 || r.code === 5)).toBe(true);
    const spLimit = (await storedLimit(dbs, sp))!;
    const limits = await childLimits(dbs, sp);
    expect(sum(limits)).toBeLessThanOrEqual(spLimit);
    expect(await c.db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });
});

describe('a reallocation plan killed midway', () => {
  /** SP 100 with a=60, b=40, c=0. */
  async function setup() {
    const { sp, children } = await seedSp(100, 3);
    const [a, b, c] = children as [string, string, string];
    const limits = (await client()).db(dbs.deviceauth).collection('limits');
    await limits.updateOne({ tenant_id: a }, { $set: { value: 60 } });
    await limits.updateOne({ tenant_id: b }, { $set: { value: 40 } });
    return { sp, a, b, c };
  }

  const nonEmpty = (s: Record<string, unknown[]>) => Object.fromEntries(Object.entries(s).filter(([, v]) => v.length > 0));

  async function assertNotOverAllocated(sp: string): Promise<void> {
    const spLimit = (await storedLimit(dbs, sp))!;
    expect(sum(await childLimits(dbs, sp))).toBeLessThanOrEqual(spLimit);
  }

  // 3 limit steps (a down, b down, c up): steps 0..2, then the commit (the audit entries are written after it).
  const points = ['step:0', 'step:1', 'step:2', 'commit'];
  it.each(points)('killed at %s: never over-allocated, rolled back by `tenantadm repair`', async (point) => {
    const { sp, a, b, c } = await setup();
    const before = await snapshot(dbs);
    const plan = ['set-device-limit', '--set', `${c}=70`, '--set', `${a}=20`, '--set', `${b}=10`];
    const r = await run(dbs, plan, { env: killedAt(point) });
    expect(r.signal).toBe('SIGKILL');
    await assertNotOverAllocated(sp);
    const rep = await runJson(dbs, ['repair']);
    expect(rep.rolled_back).toHaveLength(1);
    expect(nonEmpty(await snapshot(dbs))).toEqual(nonEmpty(before));
    // The same plan then goes through.
    await runJson(dbs, plan);
    expect([await storedLimit(dbs, a), await storedLimit(dbs, b), await storedLimit(dbs, c)]).toEqual([20, 10, 70]);
  });

  it.each(['step:1', 'step:2', 'commit'])('an SP lowered with its children, killed at %s, is never over-allocated', async (point) => {
    const { sp, a, b } = await setup();
    const before = await snapshot(dbs);
    const r = await run(dbs, ['set-device-limit', '--set', `${sp}=50`, '--set', `${a}=30`, '--set', `${b}=20`], { env: killedAt(point) });
    expect(r.signal).toBe('SIGKILL');
    await assertNotOverAllocated(sp);
    await runJson(dbs, ['repair']);
    expect(nonEmpty(await snapshot(dbs))).toEqual(nonEmpty(before));
  });

  it('killed midway, a re-run of the same plan rolls the remains back and completes it', async () => {
    const { a, b, c } = await setup();
    const plan = ['set-device-limit', '--set', `${c}=70`, '--set', `${a}=20`, '--set', `${b}=10`];
    expect((await run(dbs, plan, { env: killedAt('step:2') })).signal).toBe('SIGKILL');
    const rows = await runJson(dbs, plan);
    expect(rows.map((x: any) => [x.before, x.after])).toEqual([
      [60, 20],
      [40, 10],
      [0, 70],
    ]);
    const audit = await (await client()).db(dbs.audit).collection('tenantadm_audit').find({}).toArray();
    expect(audit.map((x) => x.state)).toEqual(['committed', 'committed', 'committed']);
  });

  it('killed after its commit point, it is finished by the next command', async () => {
    const { a, b, c } = await setup();
    const plan = ['set-device-limit', '--set', `${c}=70`, '--set', `${a}=20`, '--set', `${b}=10`];
    expect((await run(dbs, plan, { env: killedAt('finalize') })).signal).toBe('SIGKILL');
    const rep = await runJson(dbs, ['repair']);
    expect(rep.finalized).toHaveLength(1);
    expect([await storedLimit(dbs, a), await storedLimit(dbs, b), await storedLimit(dbs, c)]).toEqual([20, 10, 70]);
    expect(await (await client()).db(dbs.audit).collection('tenantadm_audit').countDocuments({ state: 'committed' })).toBe(3);
  });
});

describe('SP locks', () => {
  /** A lock as another process leaves it: no operation in the journal, a lease ending `leaseMs` from now. */
  async function holdLock(sp: string, pid: number, leaseMs: number): Promise<void> {
    await (await client()).db(dbs.tenantadm).collection<any>('tenantadm_locks').insertOne({
      _id: `sp:${sp}`,
      op_id: 'held-by-test',
      owner: 'another-process',
      host: os.hostname(),
      pid,
      lease_until: new Date(Date.now() + leaseMs),
    });
  }

  it('a lock with a current lease is never taken, even when its pid is not alive here: exit 4, nothing written', async () => {
    // Containers share host names and pid numbers: only the lease says whether a holder lives.
    const { sp, children } = await seedSp(100, 1);
    const dead = spawnSync('true').pid!;
    await holdLock(sp, dead, 120_000);
    const before = await snapshot(dbs);
    const started = Date.now();
    // A lock wait of 1 s instead of max(2 x --timeout, 10 s) (the formula has its unit test):
    // the command waits all of it for the holder, then gives up without taking the lock.
    const r = await run(dbs, ['set-device-limit', '--id', children[0]!, '--limit', '5', '--timeout', '100'], { env: { TENANTADM_TEST_LOCK_WAIT_MS: '1000' } });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 4, stdout: '' });
    expect(r.stderr).toMatch(new RegExp(`waiting for sp:${sp}, held by pid ${dead}`));
    expect(r.stderr).toMatch(/is busy/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await snapshot(dbs)).toEqual(before);
  });

  it('a lock whose lease has expired is taken over at once', async () => {
    const { sp, children } = await seedSp(100, 1);
    await holdLock(sp, process.pid, -1000);
    const started = Date.now();
    expect(await runJson(dbs, ['set-device-limit', '--id', children[0]!, '--limit', '5'])).toMatchObject({ after: 5 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await (await client()).db(dbs.tenantadm).collection('tenantadm_locks').countDocuments()).toBe(0);
  });
});
