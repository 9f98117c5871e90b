/**
 * Found by the explorer (seed 1385659681, path 41): `repair --all` reads a live owner's chain
 * head, decides to expire it and inserts `X:n+1` (kind `expire`); when the owner finishes in
 * between and deletes its chain, that place is free again and the expire record used to land
 * alone, for an operation that no longer exists, and stay (repair listed operations from the
 * journal). Now repair reads, after its insert, whether X's journal document still exists
 * (the owner deletes it before its chain) and takes its record back when it does not.
 * Ordered with the TCP proxy (the owner's write, then repair's insert, held on the wire), not
 * by sleeps. The second test is the same gap for the owner's renewal timer: a renewal sent
 * while the owner deletes its chain used to land after the deletion (lone `renew` records of
 * long explorer runs); the owner now stops its timer and queues the deletion behind any
 * renewal on its way.
 */
import { client, run } from '../support/harness';
import { both, commandOn, contains } from '../support/tcp-proxy';
import { proxiedTest } from './proxied';
import { seedWorld } from './schedule';

describe('records inserted into a chain while its owner deletes it', () => {
  const place = proxiedTest();

  it('repair --all takes its expire record back when the owner finished meanwhile (it was left alone before)', async () => {
    const { proxy, dbs } = place;
    const w = await seedWorld(dbs, [0, 0]);
    const db = (await client()).db(dbs.tenantadm);
    // A (through the proxy, its default lease) has written its plan; its limit write is held.
    const write = proxy.holdNext(commandOn('update', 'limits'));
    const aDone = run(dbs, ['set-device-limit', '--tenant', w.children[0]!, '--device-limit', '30'], { env: { TENANTADM_MONGO: proxy.uri } });
    await write.seen;
    // repair --all meets A alive and expires it: its expire record is held on the wire.
    const expire = proxy.holdNext(both(commandOn('insert', 'tenantadm_leases'), contains('expire')));
    const repair = run(dbs, ['repair', '--all', '--yes'], { env: { TENANTADM_MONGO: proxy.uri } });
    await Promise.race([expire.seen, repair.then((r) => Promise.reject(new Error(`repair ended first: ${r.stdout}${r.stderr}`)))]);
    // A goes on: its write, its commit, its chain deleted, before repair's insert lands.
    write.release();
    const done = await aDone;
    expect(done.code).toBe(0);
    expect(await db.collection('tenantadm_leases').countDocuments()).toBe(0);
    expire.release();
    const r = await repair;
    expect(r.code).toBe(0);
    // A finished: nothing is in progress, and nothing of A is left.
    expect(JSON.parse(r.stdout)).toEqual({ rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] });
    expect(await (await client()).db(dbs.deviceauth).collection('limits').findOne({ tenant_id: w.children[0] })).toMatchObject({ value: 30 });
    expect(await db.collection('tenantadm_leases').find({}).toArray()).toEqual([]);
    expect(await db.collection('tenantadm_journal').countDocuments()).toBe(0);
    expect((await run(dbs, ['check'])).code).toBe(0);
  });

  it('the owner sends no renewal once it deletes its chain, so none lands after the deletion (one was left alone before)', async () => {
    const { proxy, dbs } = place;
    const w = await seedWorld(dbs, [0, 0]);
    const db = (await client()).db(dbs.tenantadm);
    // A 600 ms lease: the renewal timer sends a record every 200 ms. A's deletion of its
    // journal document (the first of its clean-up, after its commit) is held.
    const LEASE = 600;
    const forgetting = proxy.holdNext(commandOn('delete', 'tenantadm_journal'));
    const aDone = run(dbs, ['set-device-limit', '--tenant', w.children[0]!, '--device-limit', '30'], {
      env: { TENANTADM_MONGO: proxy.uri, TENANTADM_TEST_LEASE_MS: String(LEASE) },
    });
    await Promise.race([forgetting.seen, aDone.then((r) => Promise.reject(new Error(`A ended first: ${r.stdout}${r.stderr}`)))]);
    // A renewal sent from now on is held on the wire. Before the fix one came within a period
    // (the timer ran until the command returned); now the timer is stopped before the clean-up
    // starts. Three periods without one is the absence this waits for.
    const renewal = proxy.holdNext(both(commandOn('insert', 'tenantadm_leases'), contains('renew')));
    const sent = await Promise.race([renewal.seen.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), LEASE))]);
    // A deletes its journal document, its locks and its chain, and returns; then the renewal (if any) lands.
    forgetting.release();
    const done = await aDone;
    expect(done.code).toBe(0);
    renewal.release();
    // A released renewal's insert is answered (or not) before the chain is read.
    if (sent) await new Promise((r) => setTimeout(r, 200));
    expect({ sent, left: await db.collection('tenantadm_leases').find({}).toArray() }).toEqual({ sent: false, left: [] });
    expect(await (await client()).db(dbs.deviceauth).collection('limits').findOne({ tenant_id: w.children[0] })).toMatchObject({ value: 30 });
  });

  it('a renewal on its way when the owner starts its clean-up lands before the chain is deleted (it landed after before)', async () => {
    const { proxy, dbs } = place;
    const w = await seedWorld(dbs, [0, 0]);
    const db = (await client()).db(dbs.tenantadm);
    // Renewals every 500 ms; one answered within that is not late, so the owner does not look
    // whether its chain still exists after it (journal.ts append).
    const LEASE = 1500;
    // A has committed; its first roll-forward write (the audit entry) is held.
    const rollForward = proxy.holdNext(commandOn('insert', 'tenantadm_audit'));
    const aDone = run(dbs, ['set-device-limit', '--tenant', w.children[0]!, '--device-limit', '30'], {
      env: { TENANTADM_MONGO: proxy.uri, TENANTADM_TEST_LEASE_MS: String(LEASE) },
    });
    await Promise.race([rollForward.seen, aDone.then((r) => Promise.reject(new Error(`A ended first: ${r.stdout}${r.stderr}`)))]);
    // Its renewal timer's next record is held on the wire: on its way when the clean-up starts.
    const renewal = proxy.holdNext(both(commandOn('insert', 'tenantadm_leases'), contains('renew')));
    await renewal.seen;
    const chainDeleted = proxy.holdNext(commandOn('delete', 'tenantadm_leases'));
    rollForward.release();
    // Before the fix the chain's deletion went out at once, ahead of the renewal; now it waits
    // for the renewal's answer, so within a lease it is not sent.
    const early = await Promise.race([chainDeleted.seen.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), LEASE))]);
    if (early) {
      // The deletion lands first, then the renewal: the order that left it alone.
      chainDeleted.release();
      await aDone;
      renewal.release();
      await new Promise((r) => setTimeout(r, 200));
    } else {
      renewal.release();
      await chainDeleted.seen;
      chainDeleted.release();
    }
    expect((await aDone).code).toBe(0);
    expect({ early, left: await db.collection('tenantadm_leases').find({}).toArray() }).toEqual({ early: false, left: [] });
  });

  it('a chain left without its operation (a lone record whose lease ran out) is reported by check and deleted by repair', async () => {
    const { dbs } = place;
    const w = await seedWorld(dbs, [0, 0]);
    const db = (await client()).db(dbs.tenantadm);
    const lone = { _id: 'gone-op:7', op: 'gone-op', n: 7, kind: 'renew', owner: 'x', host: 'elsewhere', pid: 1, boot_id: 'another-boot', lease_until: new Date(Date.now() - 60_000), at: new Date(Date.now() - 90_000) };
    await db.collection('tenantadm_leases').insertOne(lone as never);
    const check = await run(dbs, ['check']);
    expect(check.code).not.toBe(0);
    expect(JSON.parse(check.stdout).findings).toEqual([expect.objectContaining({ kind: 'stray_leases', count: 1, sample_ids: ['gone-op'] })]);
    // A change meanwhile is not held up by it (and costs no round trip for it); repair deletes it.
    expect((await run(dbs, ['set-device-limit', '--tenant', w.children[0]!, '--device-limit', '10'])).code).toBe(0);
    expect(JSON.parse((await run(dbs, ['repair'])).stdout)).toEqual({ rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] });
    expect(await db.collection('tenantadm_leases').find({}).toArray()).toEqual([]);
    expect((await run(dbs, ['check'])).code).toBe(0);
  });
});
