/**
 * A bug the explorer found, now fixed (long run, seed 1385925343, paths 7, 75 and 91: "audit
 * of child-0 ends at 60, its limit is 30", a committed change gone): a settler that read a live
 * owner's journal document, then read the owner's chain after the owner committed, finished and
 * deleted it, found no chain and rolled the operation back. Its undo was conditional on the
 * values the owner wrote, and they were still there, so a committed, finished change was undone;
 * had it freed capacity that a rival then took, the SP ended over-allocated. A settler now reads
 * the journal document again after its claim (journal.ts `settle`). Here the settler is repair
 * --all; in paths 7 and 75 it was a command meeting the owner's lock. Ordered by the TCP proxy
 * (the owner's write held, then repair's read of the chain), not by sleeps.
 */
import { client, run } from '../support/harness';
import { commandOn } from '../support/tcp-proxy';
import { proxiedTest } from './proxied';
import { seedWorld } from './schedule';

describe('repair --all reading a chain its owner deleted meanwhile', () => {
  const place = proxiedTest();

  it('leaves a change that committed and finished alone (it rolled it back before the fix)', async () => {
    const { proxy, dbs } = place;
    const w = await seedWorld(dbs, [10, 0]);
    const c = await client();
    // A has written its plan (journal document and chain); its limit write is held.
    const write = proxy.holdNext(commandOn('update', 'limits'));
    const aDone = run(dbs, ['set-device-limit', '--tenant', w.children[0]!, '--device-limit', '20'], { env: { TENANTADM_MONGO: proxy.uri } });
    await write.seen;
    // repair --all has listed A's journal document; its read of A's chain is held.
    const chainRead = proxy.holdNext(commandOn('find', 'tenantadm_leases'));
    const repair = run(dbs, ['repair', '--all', '--yes'], { env: { TENANTADM_MONGO: proxy.uri } });
    await Promise.race([chainRead.seen, repair.then((r) => Promise.reject(new Error(`repair ended first: ${r.stdout}${r.stderr}`)))]);
    // A writes, commits and finishes: 10 -> 20, audited.
    write.release();
    expect((await aDone).code).toBe(0);
    expect(await c.db(dbs.deviceauth).collection('limits').findOne({ tenant_id: w.children[0] })).toMatchObject({ value: 20 });
    // repair reads the chain now and finds none; its claim takes the freed place, but its read of
    // the journal document after the claim finds A finished: nothing is rolled back.
    chainRead.release();
    const r = await repair;
    expect(JSON.parse(r.stdout)).toEqual({ rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] });
    expect(await c.db(dbs.deviceauth).collection('limits').findOne({ tenant_id: w.children[0] })).toMatchObject({ value: 20 });
    expect(await c.db(dbs.tenantadm).collection('tenantadm_leases').countDocuments()).toBe(0);
    const audit = await c.db(dbs.audit).collection('tenantadm_audit').find({}).toArray();
    expect(audit.map((x) => [x.state, x.change])).toEqual([['committed', 'max_devices: 10 -> 20']]);
  });

  it('and so never over-allocates an SP when the finished change had freed capacity a rival took (it did before the fix)', async () => {
    const { proxy, dbs } = place;
    const w = await seedWorld(dbs, [60, 0]);
    const [c0, c1] = w.children as [string, string];
    const c = await client();
    const limitsOf = async () => {
      const docs = await c.db(dbs.deviceauth).collection('limits').find({ name: 'max_devices', tenant_id: { $in: [c0, c1] } }).toArray();
      return Object.fromEntries(docs.map((d) => [d.tenant_id === c0 ? 'c0' : 'c1', d.value]));
    };
    // A lowers child-0 from 60 to 10; its write is held, then repair's read of A's chain is.
    const write = proxy.holdNext(commandOn('update', 'limits'));
    const aDone = run(dbs, ['set-device-limit', '--tenant', c0, '--device-limit', '10'], { env: { TENANTADM_MONGO: proxy.uri } });
    await write.seen;
    const chainRead = proxy.holdNext(commandOn('find', 'tenantadm_leases'));
    const repair = run(dbs, ['repair', '--all', '--yes'], { env: { TENANTADM_MONGO: proxy.uri } });
    await Promise.race([chainRead.seen, repair.then((r) => Promise.reject(new Error(`repair ended first: ${r.stdout}${r.stderr}`)))]);
    write.release();
    expect((await aDone).code).toBe(0);
    // B takes the capacity A freed.
    const b = await run(dbs, ['set-device-limit', '--tenant', c1, '--device-limit', '90']);
    expect(b.code).toBe(0);
    expect(await limitsOf()).toEqual({ c0: 10, c1: 90 });
    // repair leaves A's finished change alone: 10 + 90 under 100.
    chainRead.release();
    expect(JSON.parse((await repair).stdout).rolled_back).toHaveLength(0);
    expect(await limitsOf()).toEqual({ c0: 10, c1: 90 });
    expect((await run(dbs, ['check'])).code).toBe(0);
  });
});
