/**
 * Found by the explorer (long run, seed 40284965, path 352: "audit of child-0 ends at 20, its
 * limit is 30 (entries: 30 -> 20)"). A reallocation plan (child-0 30 -> 20, child-1 -> 30) had
 * its limit write held on the wire while `repair --all` expired its operation; a rival setting
 * child-0 to 20 waited for the SP's lock, settled the plan once its lease had run out (nothing
 * of it had landed) and committed 30 -> 20 with its audit entry. Then the plan's connection was
 * dropped with its write still held (it never arrived): the plan rolled back, found its
 * ownership lost at its first confirmation and "undid" the unanswered batch without a lease,
 * conditionally on the values it would have written: child-0's undo (where 20, set 30) matched
 * the rival's committed 20 and reverted it, leaving the limit at 30 under an audit entry saying
 * 20. An undo conditional on values cannot tell our write from a rival's identical one; a batch
 * that got no answer is now not undone without ownership (journal.ts, rule 3).
 * Ordered by the TCP proxy (the plan's write held, then its connection dropped) and by each
 * command's end, never by sleeps.
 */
import { client, run } from '../support/harness';
import { commandOn } from '../support/tcp-proxy';
import { caught, proxiedTest, stepper } from './proxied';
import { argsOf, seedWorld, settle, violations, type Cmd, type Ran, type Schedule } from './schedule';

describe('a plan whose held write is lost after its operation was settled and a rival committed the same value', () => {
  const place = proxiedTest();

  it("keeps the rival's committed change (the plan's undo reverted it to 30 before)", async () => {
    const { proxy, dbs } = place;
    const s: Schedule = { seeded: [30, 0], procs: [], together: [] };
    const w = await seedWorld(dbs, s.seeded);
    const [c0, c1] = w.children as [string, string];
    const limitsOf = async () => {
      const docs = await (await client()).db(dbs.deviceauth).collection('limits').find({ name: 'max_devices' }).toArray();
      return Object.fromEntries(docs.map((d) => [d.tenant_id === w.sp ? 'sp' : d.tenant_id === c0 ? 'c0' : d.tenant_id === c1 ? 'c1' : String(d.tenant_id), d.value]));
    };
    const plan: Cmd = { kind: 'plan', child: 0, value: 20, child2: 1, value2: 30, fault: { kind: 'lost' } };
    const repairCmd: Cmd = { kind: 'repair', fault: { kind: 'none' } };
    const rival: Cmd = { kind: 'alloc', child: 0, value: 20, fault: { kind: 'none' } };
    s.procs = [[plan], [repairCmd], [rival]];
    const log: Ran[] = [];
    const t0 = Date.now();
    const step = stepper(dbs, w, log, t0);

    // The plan: its limit writes (one bulk update) are held.
    const write = proxy.holdNext(commandOn('update', 'limits'));
    const startPlan = Date.now() - t0;
    const planning = run(dbs, argsOf(plan, w), {
      env: { TENANTADM_MONGO: proxy.uri, TENANTADM_TEST_LEASE_MS: '1500', TENANTADM_TIMEOUT_MS: '1000', TENANTADM_ACTOR: 'explore-p0-c0' },
    });
    await caught(planning, write.seen, 'the plan');
    expect(await limitsOf()).toEqual({ sp: 100, c0: 30, c1: 0 });

    // repair --all meets the plan alive: it expires its operation and reports it in progress.
    const repair = await step(1, repairCmd, 'explore-p1-c0');
    expect(repair.code).toBe(0);
    expect(JSON.parse(repair.stdout).in_progress).toEqual([expect.objectContaining({ state: 'pending', expired: true })]);

    // The rival waits for the lock; once the plan's lease has run out it settles the plan
    // (nothing of it landed) and commits child-0 30 -> 20 with its audit entry.
    const committed = await step(2, rival, 'explore-p2-c0', { TENANTADM_TEST_LOCK_WAIT_MS: '15000' });
    expect({ code: committed.code, stderr: committed.code === 0 ? '' : committed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await limitsOf()).toEqual({ sp: 100, c0: 20, c1: 0 });

    // The plan's connection is dropped with its write still held: the write never arrives.
    proxy.dropAll();
    write.cancel();
    const r = await planning;
    log.push({ proc: 0, cmd: plan, actor: 'explore-p0-c0', args: argsOf(plan, w), start: startPlan, end: Date.now() - t0, result: r });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/lost the connection to MongoDB/);
    // The rival's change stands, with its one audit entry; the plan says what it left.
    expect(await limitsOf()).toEqual({ sp: 100, c0: 20, c1: 0 });
    expect(r.stderr).toMatch(/had no answer: it is not undone/);

    const settled = await settle(dbs);
    expect(JSON.parse(settled.stdout)).toEqual({ rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] });
    expect(await violations(dbs, w, s, log)).toEqual([]);
  });
});
