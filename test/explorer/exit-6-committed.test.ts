/**
 * The explorer's model and a command that exits 6 after its commit point: a sweep whose
 * connection drops once its commit record is in exits 6 ("the database failed"), yet its
 * removal stands (the next repair rolls it forward). The model used to count every exit 6 as
 * "nothing ran" and reported the removed tenant as lost without a removal; it now reads what
 * the command did from the audit log (entries naming its actor). Ordered by the TCP proxy (the
 * commit record held, then the first write after it, then every connection dropped).
 */
import { client, run } from '../support/harness';
import { both, commandOn, contains } from '../support/tcp-proxy';
import { proxiedTest } from './proxied';
import { argsOf, seedWorld, settle, violations, type Cmd, type Ran, type Schedule } from './schedule';

describe('an exit 6 after the commit point', () => {
  const place = proxiedTest();

  it('counts as done when the audit log says so: a sweep that removed a suspended child (reported as lost before)', async () => {
    const { proxy, dbs } = place;
    const s: Schedule = { seeded: [10, 0], procs: [], together: [] };
    const w = await seedWorld(dbs, s.seeded);
    const suspend: Cmd = { kind: 'suspend', child: 0, fault: { kind: 'none' } };
    const sweep: Cmd = { kind: 'sweep', fault: { kind: 'lost' } };
    s.procs = [[suspend], [sweep]];
    const log: Ran[] = [];
    const t0 = Date.now();
    const first = await run(dbs, argsOf(suspend, w), { env: { TENANTADM_ACTOR: 'explore-p0-c0' } });
    expect(first.code).toBe(0);
    log.push({ proc: 0, cmd: suspend, actor: 'explore-p0-c0', args: argsOf(suspend, w), start: 0, end: Date.now() - t0, result: first });

    // The sweep's commit record is held; once it is sent on and answered, the sweep's next
    // message (its first roll-forward write) is held, and every connection is dropped.
    const commit = proxy.holdNext(both(commandOn('insert', 'tenantadm_leases'), contains('commit')));
    const start = Date.now() - t0;
    const sweeping = run(dbs, argsOf(sweep, w), { env: { TENANTADM_MONGO: proxy.uri, TENANTADM_ACTOR: 'explore-p1-c0', TENANTADM_TEST_LEASE_MS: '2000' } });
    await Promise.race([commit.seen, sweeping.then((r) => Promise.reject(new Error(`the sweep ended first: ${r.stdout}${r.stderr}`)))]);
    // Its first roll-forward write: not a renewal, nor a monitor's heartbeat.
    const renewal = commandOn('insert', 'tenantadm_leases');
    const heartbeat = (m: Buffer) => contains('hello\0')(m) || contains('ismaster\0')(m) || contains('isMaster\0')(m);
    const next = proxy.holdNext((m) => !renewal(m) && !heartbeat(m));
    commit.release();
    await Promise.race([next.seen, sweeping.then((r) => Promise.reject(new Error(`the sweep ended first: ${r.stdout}${r.stderr}`)))]);
    proxy.dropAll();
    next.cancel();
    const r = await sweeping;
    log.push({ proc: 1, cmd: sweep, actor: 'explore-p1-c0', args: argsOf(sweep, w), start, end: Date.now() - t0, result: r });
    expect(r.code).toBe(6);

    // The removal stands once settled (when the sweep's lease has run out: it ran in this
    // process, whose pid lives on), with its audit entry naming the sweep's actor.
    const settled = JSON.parse((await settle(dbs)).stdout);
    expect({ finalized: settled.finalized.length, in_progress: settled.in_progress }).toEqual({ finalized: 1, in_progress: [] });
    expect(await (await client()).db(dbs.tenantadm).collection('tenants').findOne({ _id: w.children[0] } as never)).toBeNull();
    expect(await violations(dbs, w, s, log)).toEqual([]);
  });
});
