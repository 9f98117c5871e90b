/**
 * Found by the explorer (long run, seed 30284965, path 651: "audit of child-0 ends at 20, its
 * limit is 60 (entries: none)"). A reallocation plan (child-0 20 -> 60, child-1 -> 0) had its
 * limit writes held on the wire while `repair --all` expired its operation and a removal of
 * child-1 waited for the SP's lock, settled the operation once its lease had run out (nothing
 * of it had landed, so nothing to undo) and removed child-1 with its limit. Then the held
 * write landed: child-1's update matched nothing (its record was gone), child-0's matched and
 * went in. The plan took the mismatch for a conflict and rolled back under its ownership; its
 * first confirmation failed (the operation had been settled), and it gave up the undo to "the
 * one that took over", who had already finished: it exited 4 saying nothing was changed, with
 * child-0 at 60 and no audit entry for it. Now an owner that finds it lost ownership while
 * rolling back has what it sent since its last confirmation undone, as when the lost ownership
 * shows at its next confirmation (journal.ts `afterLoss`): under the locks, through the watch the
 * settler left on that write (late-writes.ts), never by value without them.
 * Ordered by the TCP proxy (the plan's write held, then its undo) and by each command's end,
 * never by sleeps.
 */
import { client, run } from '../support/harness';
import { commandOn } from '../support/tcp-proxy';
import { caught, proxiedTest, stepper } from './proxied';
import { argsOf, seedWorld, settle, violations, type Cmd, type Ran, type Schedule } from './schedule';

describe('a reallocation plan held on the wire while its operation is settled and one of its tenants removed', () => {
  const place = proxiedTest();

  it('the plan exits 4 with nothing of it standing (child-0 stayed at 60 without an audit entry before)', async () => {
    const { proxy, dbs } = place;
    const s: Schedule = { seeded: [20, 30], procs: [], together: [] };
    const w = await seedWorld(dbs, s.seeded);
    const [c0, c1] = w.children as [string, string];
    const limitsOf = async () => {
      const docs = await (await client()).db(dbs.deviceauth).collection('limits').find({ name: 'max_devices' }).toArray();
      return Object.fromEntries(docs.map((d) => [d.tenant_id === w.sp ? 'sp' : d.tenant_id === c0 ? 'c0' : d.tenant_id === c1 ? 'c1' : String(d.tenant_id), d.value]));
    };
    const suspend: Cmd = { kind: 'suspend', child: 1, fault: { kind: 'none' } };
    const plan: Cmd = { kind: 'plan', child: 0, value: 60, child2: 1, value2: 0, fault: { kind: 'held' } };
    const repairCmd: Cmd = { kind: 'repair', fault: { kind: 'none' } };
    const remove: Cmd = { kind: 'remove', child: 1, fault: { kind: 'none' } };
    s.procs = [[suspend, remove], [plan], [repairCmd]];
    const log: Ran[] = [];
    const t0 = Date.now();
    const step = stepper(dbs, w, log, t0);

    // child-1 is suspended first, so that it may be removed.
    expect((await step(0, suspend, 'explore-p0-c0')).code).toBe(0);

    // The plan: its limit writes (one bulk update: child-1 to 0, then child-0 to 60) are held.
    const write = proxy.holdNext(commandOn('update', 'limits'));
    const startPlan = Date.now() - t0;
    const planning = run(dbs, argsOf(plan, w), { env: { TENANTADM_MONGO: proxy.uri, TENANTADM_TEST_LEASE_MS: '1500', TENANTADM_ACTOR: 'explore-p1-c0' } });
    await caught(planning, write.seen, 'the plan');
    expect(await limitsOf()).toEqual({ sp: 100, c0: 20, c1: 30 });

    // repair --all meets the plan alive: it expires its operation and reports it in progress.
    const repair = await step(2, repairCmd, 'explore-p2-c0');
    expect(repair.code).toBe(0);
    expect(JSON.parse(repair.stdout).in_progress).toEqual([expect.objectContaining({ state: 'pending', expired: true })]);

    // The removal waits for the SP's lock; once the plan's lease has run out it settles the plan
    // (nothing of it landed) and removes child-1 with its limit.
    const removed = await step(0, remove, 'explore-p0-c1', { TENANTADM_TEST_LOCK_WAIT_MS: '15000' });
    expect({ code: removed.code, stderr: removed.code === 0 ? '' : removed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await limitsOf()).toEqual({ sp: 100, c0: 20 });

    // The held write lands now: child-1's update matches nothing, child-0's goes in. The plan's
    // next write on the limits (its undo) is held in turn, to show the change standing until then.
    const undo = proxy.holdNext(commandOn('update', 'limits'));
    write.release();
    const undoneFirst = await Promise.race([undo.seen.then(() => true), planning.then(() => false)]);
    if (undoneFirst) {
      expect(await limitsOf()).toEqual({ sp: 100, c0: 60 });
      undo.release();
    }
    const r = await planning;
    undo.cancel();
    log.push({ proc: 1, cmd: plan, actor: 'explore-p1-c0', args: argsOf(plan, w), start: startPlan, end: Date.now() - t0, result: r });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/record\(s\) in \S+limits changed while this command ran/);
    // Nothing of the plan stands, as it says.
    expect(await limitsOf()).toEqual({ sp: 100, c0: 20 });
    expect(undoneFirst).toBe(true);

    const settled = await settle(dbs);
    expect(JSON.parse(settled.stdout)).toEqual({ rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] });
    expect(await violations(dbs, w, s, log)).toEqual([]);
  });
});
