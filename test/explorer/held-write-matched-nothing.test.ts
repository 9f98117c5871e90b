/**
 * Found by the explorer (long run, seed 40269127, path 1260: "audit of child-1 ends at 45, its
 * limit is 20 (entries: 20 -> 45)"). A set-device-limit of child-1 20 -> 45 had its one limit
 * write held on the wire while `repair --all` expired its operation; a rival setting child-1 to
 * 45 waited for the SP's lock, settled the operation once its lease had run out (nothing of it
 * had landed) and committed 20 -> 45; it was killed at finalize, and the next settler wrote its
 * audit entry. Then the held write was released and landed on nothing (conditional on 20, the
 * limit was 45 already): the server answered that no update matched, a conflict. The owner
 * rolled back, found its ownership lost and "undid" the batch anyway, without a lease and
 * conditionally on the value it would have written: where 45, set 20, reverting the rival's
 * committed change (an ABA) under its audit entry saying 45. A batch the server answered with
 * no update matching landed nothing and is not undone (journal.ts `mayHaveApplied`, rule 3).
 * Ordered by the TCP proxy (the write held, then released; the owner's next limit write held),
 * TENANTADM_CRASH_AT and each command's end, never by sleeps.
 */
import { client, run } from '../support/harness';
import { commandOn } from '../support/tcp-proxy';
import { caught, proxiedTest, stepper } from './proxied';
import { argsOf, seedWorld, settle, violations, type Cmd, type Ran, type Schedule } from './schedule';

describe('a held limit write released after a rival committed the same value, answered with no update matching', () => {
  const place = proxiedTest();

  it("keeps the rival's committed change (the owner's undo reverted it to 20 before)", async () => {
    const { proxy, dbs } = place;
    const s: Schedule = { seeded: [0, 20], procs: [], together: [] };
    const w = await seedWorld(dbs, s.seeded);
    const [c0, c1] = w.children as [string, string];
    const limitsOf = async () => {
      const docs = await (await client()).db(dbs.deviceauth).collection('limits').find({ name: 'max_devices' }).toArray();
      return Object.fromEntries(docs.map((d) => [d.tenant_id === w.sp ? 'sp' : d.tenant_id === c0 ? 'c0' : d.tenant_id === c1 ? 'c1' : String(d.tenant_id), d.value]));
    };
    const auditOf = async (id: string) =>
      (await (await client()).db(dbs.audit).collection('tenantadm_audit').find({ 'object.id': id }).sort({ time: 1, _id: 1 }).toArray()).map((a) => `${a.state} ${a.change}`);
    const owner: Cmd = { kind: 'alloc', child: 1, value: 45, fault: { kind: 'held' } };
    const repairCmd: Cmd = { kind: 'repair', fault: { kind: 'none' } };
    const rival: Cmd = { kind: 'alloc', child: 1, value: 45, fault: { kind: 'kill', at: 'finalize' } };
    s.procs = [[owner], [repairCmd], [rival]];
    const log: Ran[] = [];
    const t0 = Date.now();
    const step = stepper(dbs, w, log, t0);

    // The owner: its one limit write (child-1 20 -> 45, conditional on 20) is held.
    const write = proxy.holdNext(commandOn('update', 'limits'));
    const startOwner = Date.now() - t0;
    const owning = run(dbs, argsOf(owner, w), { env: { TENANTADM_MONGO: proxy.uri, TENANTADM_TEST_LEASE_MS: '1500', TENANTADM_ACTOR: 'explore-p0-c0' } });
    await caught(owning, write.seen, 'the owner');
    expect(await limitsOf()).toEqual({ sp: 100, c0: 0, c1: 20 });

    // repair --all meets the owner alive: it expires its operation and reports it in progress.
    const repair = await step(1, repairCmd, 'explore-p1-c0');
    expect(repair.code).toBe(0);
    expect(JSON.parse(repair.stdout).in_progress).toEqual([expect.objectContaining({ state: 'pending', expired: true })]);

    // The rival waits for the SP's lock; once the owner's lease has run out it settles the
    // operation (nothing of it landed), commits child-1 20 -> 45 and is killed at finalize,
    // before its audit entry is written.
    const killed = await step(2, rival, 'explore-p2-c0', { TENANTADM_CRASH_AT: 'finalize', TENANTADM_TEST_LEASE_MS: '1', TENANTADM_TEST_LOCK_WAIT_MS: '15000' });
    expect({ signal: killed.signal, stderr: killed.signal ? '' : killed.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    expect(await limitsOf()).toEqual({ sp: 100, c0: 0, c1: 45 });

    // The held write is released: conditional on 20, it matches nothing (the limit is 45), and
    // the server says so. Any next limit write of the owner (an undo) is held in turn.
    const undo = proxy.holdNext(commandOn('update', 'limits'));
    write.release();
    const undoneFirst = await Promise.race([undo.seen.then(() => true), owning.then(() => false)]);
    if (undoneFirst) {
      expect(await limitsOf()).toEqual({ sp: 100, c0: 0, c1: 45 });
      undo.release();
    }
    const r = await owning;
    undo.cancel();
    log.push({ proc: 0, cmd: owner, actor: 'explore-p0-c0', args: argsOf(owner, w), start: startOwner, end: Date.now() - t0, result: r });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/a record in \S+limits changed while this command ran/);
    // The rival's change stands: nothing of the owner landed, so it undoes nothing.
    expect(await limitsOf()).toEqual({ sp: 100, c0: 0, c1: 45 });
    expect(undoneFirst).toBe(false);

    // Settling finishes the rival's operation (its audit entry); every invariant holds.
    const settled = await settle(dbs);
    expect(JSON.parse(settled.stdout).in_progress).toEqual([]);
    expect(await limitsOf()).toEqual({ sp: 100, c0: 0, c1: 45 });
    expect(await auditOf(c1)).toEqual(['committed max_devices: 20 -> 45']);
    expect(await violations(dbs, w, s, log)).toEqual([]);
  });
});
