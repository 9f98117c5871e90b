// Kept whole-tool: set-device-limit, update-tenant --parent and create-tenant --parent race each other for one SP, and the assertion is about them all.
/** Concurrency of SP allocations on a server without transactions: different commands racing for one SP's capacity. */
import { ObjectId } from 'mongodb';
import { client } from '../support/harness';
import { childLimits, storedLimit } from '../support/limits';
import { sum, allocationHelpers } from '../support/allocation';
import { commandTest } from '../support/command-test';

const ctx = commandTest();
const { seedSp, race } = allocationHelpers(ctx);

describe('20 processes racing for one SP', () => {
  it('mixed plans, attaches and raises against one SP never over-allocate it', async () => {
    const { sp, children } = await seedSp(50, 6);
    const c = await client();
    const loose = Array.from({ length: 4 }, () => new ObjectId());
    await c.db(ctx.dbs.tenantadm).collection('tenants').insertMany(loose.map((id, i) => ({ _id: id, name: `loose-${i}`, status: 'active', addons: [] })));
    await c.db(ctx.dbs.deviceauth).collection('limits').insertMany(loose.map((id) => ({ name: 'max_devices', value: 8, tenant_id: id.toHexString() })));
    const jobs = [
      ...children.map((id, i) => ['set-device-limit', '--tenant', id, '--device-limit', String(5 + i)]),
      ...loose.map((id) => ['update-tenant', '--tenant', id.toHexString(), '--parent', sp]),
      ['set-device-limit', '--set', `${children[0]}=20`, '--set', `${children[1]}=20`],
      ['set-device-limit', '--tenant', sp, '--device-limit', '40'],
      ['create-tenant', '--name', 'newcomer', '--parent', sp, '--device-limit', '9', ...ctx.childUser('newcomer')],
    ];
    const results = await race(sp, jobs);
    expect(results.every((r) => r.code === 0 || r.code === 5)).toBe(true);
    const spLimit = (await storedLimit(ctx.dbs, sp))!;
    const limits = await childLimits(ctx.dbs, sp);
    expect(sum(limits)).toBeLessThanOrEqual(spLimit);
    expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });
});
