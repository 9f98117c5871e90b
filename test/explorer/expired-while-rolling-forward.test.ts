/**
 * Found by the explorer (long run, seed 20284965, path 250: "unexpected exit: p0 maintenance
 * delete-suspended-tenants ... -> 1 ... the removal finished, but documents of the removed
 * tenant(s) are left: audit.tenantadm_audit (1), deviceauth.limits (1), useradm.users (1)").
 * The sweep had passed its commit point; its first roll-forward write (the deletion of the
 * tenant documents) was held on the wire for longer than a lease while `repair --all` expired
 * its operation. Its renewal timer's next record then met the expire record's place: the lease
 * was lost. When the held write was answered, the owner stopped rolling forward (the rest is the
 * settler's) and yet returned as if the operation had finished, so the removal's proof found
 * the child's limit, user and audit entry, which no one had deleted yet: exit 1, and the model
 * saw a tenant gone without a removal. Now an owner that loses a committed operation waits for
 * it to be finished, and settles it itself once its lease has run out (journal.ts `finish`).
 * Ordered by the TCP proxy (the tenants' deletion held, then the refused renewal and the
 * look-up that follows it), not by sleeps.
 */
import { client, run } from '../support/harness';
import { both, commandOn, contains } from '../support/tcp-proxy';
import { proxiedTest } from './proxied';
import { argsOf, seedWorld, settle, violations, type Cmd, type Ran, type Schedule } from './schedule';

describe('repair --all expiring a sweep that is rolling forward', () => {
  const place = proxiedTest();

  it('the sweep finishes its removal and exits 0 (it exited 1 with the records left before)', async () => {
    const { proxy, dbs } = place;
    const s: Schedule = { seeded: [10, 0], procs: [], together: [] };
    const w = await seedWorld(dbs, s.seeded);
    const c = await client();
    const suspend: Cmd = { kind: 'suspend', child: 1, fault: { kind: 'none' } };
    const sweep: Cmd = { kind: 'sweep', fault: { kind: 'held' } };
    const repairCmd: Cmd = { kind: 'repair', fault: { kind: 'none' } };
    s.procs = [[suspend], [sweep], [repairCmd]];
    const log: Ran[] = [];
    const t0 = Date.now();
    const first = await run(dbs, argsOf(suspend, w), { env: { TENANTADM_ACTOR: 'explore-p0-c0' } });
    expect(first.code).toBe(0);
    log.push({ proc: 0, cmd: suspend, actor: 'explore-p0-c0', args: argsOf(suspend, w), start: 0, end: Date.now() - t0, result: first });

    // The sweep has committed; its first roll-forward write, the tenant documents' deletion, is held.
    const removal = proxy.holdNext(commandOn('delete', 'tenants'));
    const start = Date.now() - t0;
    const sweeping = run(dbs, argsOf(sweep, w), { env: { TENANTADM_MONGO: proxy.uri, TENANTADM_ACTOR: 'explore-p1-c0', TENANTADM_TEST_LEASE_MS: '2000' } });
    const endedFirst = sweeping.then((r) => Promise.reject(new Error(`the sweep ended first: ${r.code} ${r.stdout}${r.stderr}`)));
    endedFirst.catch(() => undefined);
    await Promise.race([removal.seen, endedFirst]);

    // repair --all meets the sweep alive: it expires its operation, committed, and reports it in progress.
    const rStart = Date.now() - t0;
    const repair = await run(dbs, ['repair', '--all', '--yes'], { env: { TENANTADM_ACTOR: 'explore-p2-c0', TENANTADM_TEST_LEASE_MS: '2000' } });
    log.push({ proc: 2, cmd: repairCmd, actor: 'explore-p2-c0', args: ['repair', '--all', '--yes'], start: rStart, end: Date.now() - t0, result: repair });
    expect(repair.code).toBe(0);
    expect(JSON.parse(repair.stdout).in_progress).toEqual([expect.objectContaining({ state: 'committed', expired: true })]);

    // The sweep's renewal timer sends its next record: the expire record holds that place, so it
    // is refused, and the look-up of who holds it (whether it is the sweep's own) tells the
    // sweep it lost. Only once that answer is back is the held deletion sent on.
    const renewal = proxy.holdNext(both(commandOn('insert', 'tenantadm_leases'), contains('renew')));
    await Promise.race([renewal.seen, endedFirst]);
    const lookup = proxy.holdNext(commandOn('find', 'tenantadm_leases'));
    renewal.release();
    await Promise.race([lookup.seen, endedFirst]);
    lookup.release();
    await lookup.answered;
    removal.release();

    const r = await sweeping;
    log.push({ proc: 1, cmd: sweep, actor: 'explore-p1-c0', args: argsOf(sweep, w), start, end: Date.now() - t0, result: r });
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout).removed.tenants.map((t: { id: string }) => t.id)).toEqual([w.children[1]]);

    // All of it is gone, nothing is left to settle, and every invariant holds.
    expect(await c.db(dbs.tenantadm).collection('tenants').findOne({ _id: w.children[1] } as never)).toBeNull();
    for (const [db, coll] of [
      [dbs.deviceauth, 'limits'],
      [dbs.useradm, 'users'],
      [dbs.audit, 'tenantadm_audit'],
    ] as const) {
      expect({ coll, n: await c.db(db).collection(coll).countDocuments({ tenant_id: w.children[1] }) }).toEqual({ coll, n: 0 });
    }
    const settled = JSON.parse((await settle(dbs)).stdout);
    expect(settled).toEqual({ rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] });
    expect(await violations(dbs, w, s, log)).toEqual([]);
  });
});
