/** Concurrency of create-tenant --parent on a server without transactions: many processes racing for more capacity and child slots than exist. */
import { client } from '../../../test/support/harness';
import { childLimits } from '../../../test/support/limits';
import { sum, allocationHelpers } from '../../../test/support/allocation';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { seedSp, race } = allocationHelpers(ctx);

describe('20 processes racing for one SP', () => {
  it('create-tenant --parent: capacity and max_child_tenants hold under the race', async () => {
    const { sp } = await seedSp(95, 0, { max_child_tenants: 12 });
    const started = Date.now();
    const results = await race(sp, Array.from({ length: 20 }, (_, i) => ['create-tenant', '--name', `racer-${i}`, '--parent', sp, '--device-limit', '10', '--id-only', ...ctx.childUser(`racer-${i}`)]));
    const wall = Date.now() - started;
    const codes = results.map((r) => r.code);
    process.stderr.write(`create-tenant --parent race: 20 processes, ${codes.filter((c) => c === 0).length} ok, ${wall} ms\n`);
    expect(codes.filter((c) => c === 0)).toHaveLength(9); // 9 x 10 <= 95
    expect(codes.filter((c) => c === 5)).toHaveLength(11);
    const limits = await childLimits(ctx.dbs, sp);
    expect(limits).toHaveLength(9);
    expect(sum(limits)).toBe(90);

    // Unlimited capacity, 12 children at most: 3 more fit.
    await (await client()).db(ctx.dbs.deviceauth).collection('limits').updateOne({ tenant_id: sp }, { $set: { value: -1 } });
    const more = await race(sp, Array.from({ length: 20 }, (_, i) => ['create-tenant', '--name', `late-${i}`, '--parent', sp, '--device-limit', '1', '--id-only', ...ctx.childUser(`late-${i}`)]));
    expect(more.filter((r) => r.code === 0)).toHaveLength(3);
    expect(more.filter((r) => r.code === 5).every((r) => /12 of its 12 child tenants/.test(r.stderr))).toBe(true);
    expect(await (await client()).db(ctx.dbs.tenantadm).collection('tenants').countDocuments({ parent_tenant_id: sp })).toBe(12);
  });
});
