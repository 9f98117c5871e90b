/**
 * The end of a tenant's life by the maintenance job delete-suspended-tenants: which tenants it
 * removes, a big batch, and a batch removal killed at its commit point and after it.
 */
import { killedAt } from '../../../test/support/crash';
import { ObjectId } from 'mongodb';
import { client, run, runJson, snapshot } from '../../../test/support/harness';
import { removalHelpers, yes } from '../../../test/support/removal';
import { commandTest } from '../../../test/support/command-test';

// Every removal scans the whole server, and so does leftAnywhere: on a server of the file's own.
const ctx = commandTest({ ownServer: true });
const { extraDb, leftAnywhere, suspendedTenant, seededTenant } = removalHelpers(ctx);
// Each test runs many CLI processes; on a loaded machine that exceeds the default minute.
jest.setTimeout(180_000);

describe('a removal killed at any point is finished (or, before it started, not begun)', () => {
  it('a batch removal killed at its commit point is not begun, after it finished whole', async () => {
    const c = await client();
    for (const [point, started] of [['commit', false], ['finalize:0', true], ['finalize:1', true], ['finalize:4', true]] as const) {
      const ids = [await seededTenant(`${point}-a`.replace(':', '')), await seededTenant(`${point}-b`.replace(':', ''))];
      const r = await run(ctx.dbs, yes(['maintenance', 'delete-suspended-tenants', '--threshold-days', '0']), { env: killedAt(point) });
      expect({ point, signal: r.signal }).toEqual({ point, signal: 'SIGKILL' });
      await runJson(ctx.dbs, ['repair']);
      const deletes = await c.db(ctx.dbs.audit).collection('tenantadm_audit').find({ 'object.id': { $in: ids }, action: 'delete' }).toArray();
      expect({ point, entries: deletes.map((d) => d.state) }).toEqual({ point, entries: started ? ['committed', 'committed'] : [] });
      for (const id of ids) {
        const left = await leftAnywhere(id);
        expect({ point, gone: Object.keys(left).length === 0 }).toEqual({ point, gone: started });
      }
      if (!started) await runJson(ctx.dbs, yes(['maintenance', 'delete-suspended-tenants', '--threshold-days', '0']));
      for (const id of ids) expect(await leftAnywhere(id)).toEqual({});
    }
  }, 120_000);
});

describe('maintenance', () => {
  const DAY = 86_400_000;

  it('delete-suspended-tenants removes tenants suspended at least N days (suspended_at, else updated_at), one SP only with its children', async () => {
    const c = await client();
    const tenants = c.db(ctx.dbs.tenantadm).collection('tenants');
    const old = await suspendedTenant('old');
    const legacy = await suspendedTenant('legacy');
    const recent = await suspendedTenant('recent');
    const active = (await runJson(ctx.dbs, ['create-tenant', '--name', 'active'])).id;
    await tenants.updateOne({ _id: new ObjectId(old) }, { $set: { suspended_at: new Date(Date.now() - 10 * DAY) } });
    // Suspended before suspended_at was recorded: counts from updated_at.
    await tenants.updateOne({ _id: new ObjectId(legacy) }, { $unset: { suspended_at: '' }, $set: { updated_at: new Date(Date.now() - 30 * DAY) } });
    // A Service Provider suspended long ago whose child stays: skipped.
    const sp = await runJson(ctx.dbs, ['create-tenant', '--name', 'sp', '--device-limit', '5']);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--service-provider']);
    await ctx.child('kid', sp.id, ['--device-limit', '1']);
    await runJson(ctx.dbs, yes(['update-tenant', '--tenant', sp.id, '--status', 'suspended']));
    await tenants.updateOne({ _id: new ObjectId(sp.id) }, { $set: { suspended_at: new Date(Date.now() - 10 * DAY) } });

    const before = await snapshot(ctx.dbs);
    const dry = await runJson(ctx.dbs, ['maintenance', 'delete-suspended-tenants', '--threshold-days', '7', '--dry-run']);
    expect(dry.map((r: any) => [r.name, r.action.split(':')[0]]).sort()).toEqual([['legacy', 'remove'], ['old', 'remove'], ['sp', 'skip']]);
    expect(await snapshot(ctx.dbs)).toEqual(before);

    const out = await runJson(ctx.dbs, yes(['maintenance', 'delete-suspended-tenants', '--threshold-days', '7']));
    expect(out.removed.tenants.map((t: any) => t.name).sort()).toEqual(['legacy', 'old']);
    expect(out.remaining).toBe(0);
    expect(out.skipped).toEqual([expect.objectContaining({ id: sp.id, reason: expect.stringContaining('child tenant(s) that stay') })]);
    for (const id of [old, legacy]) expect(await leftAnywhere(id)).toEqual({});
    for (const id of [recent, active, sp.id]) expect(await tenants.countDocuments({ _id: new ObjectId(id) })).toBe(1);
  });

  it("--only-trial removes only suspended tenants with Mender's trial flag (Mender's own spelling)", async () => {
    const tenants = (await client()).db(ctx.dbs.tenantadm).collection('tenants');
    const trial = await suspendedTenant('trial');
    const paying = await suspendedTenant('paying');
    await tenants.updateOne({ _id: new ObjectId(trial) }, { $set: { trial: true } });
    await tenants.updateOne({ _id: new ObjectId(paying) }, { $set: { trial: false } });
    const dry = await runJson(ctx.dbs, ['maintenance', 'delete-suspended-tenants', '--threshold-days', '0', '--only-trial', '--dry-run']);
    expect(dry.map((r: any) => r.name)).toEqual(['trial']);
    const out = await runJson(ctx.dbs, yes(['maintenance', 'delete-suspended-tenants', '--threshold-days', '0', '--only-trial']));
    expect(out.removed.tenants.map((t: any) => t.name)).toEqual(['trial']);
    expect(await leftAnywhere(trial)).toEqual({});
    expect(await tenants.countDocuments({ _id: new ObjectId(paying) })).toBe(1);
  });

  it('a batch larger than a server-side count (60 tenants) is planned by one streamed pass per collection and removed whole', async () => {
    const c = await client();
    const ids: string[] = [];
    const keep: string[] = [];
    const long = new Date(Date.now() - 100 * DAY);
    const tenants = [];
    for (let i = 0; i < 80; i++) {
      const _id = new ObjectId();
      (i < 60 ? ids : keep).push(_id.toHexString());
      tenants.push({ _id, name: `b${i}`, status: i < 60 ? 'suspended' : 'active', updated_at: long });
    }
    await c.db(ctx.dbs.tenantadm).collection('tenants').insertMany(tenants);
    await c.db(ctx.dbs.deviceauth).collection('devices').insertMany([...ids, ...keep].map((id) => ({ _id: new ObjectId().toHexString() as never, tenant_id: id })));
    // Stored both ways, in a database the tool knows nothing of.
    await c.db(extraDb()).collection('inventory').insertMany([...ids, ...keep].map((id, i) => ({ tenant_id: i % 2 ? id : new ObjectId(id) })));
    const out = await runJson(ctx.dbs, yes(['maintenance', 'delete-suspended-tenants', '--threshold-days', '30']));
    expect(out.removed.tenants).toHaveLength(60);
    expect(out.removed.documents).toMatchObject({ [`${ctx.dbs.tenantadm}.tenants`]: 60, [`${ctx.dbs.deviceauth}.devices`]: 60, [`${extraDb()}.inventory`]: 60 });
    expect(out.remaining).toBe(0);
    for (const id of [ids[0]!, ids[59]!]) expect(await leftAnywhere(id)).toEqual({});
    expect(await c.db(ctx.dbs.deviceauth).collection('devices').countDocuments({})).toBe(20);
    expect(await c.db(extraDb()).collection('inventory').countDocuments({})).toBe(20);
  });

});
