/** End-to-end tests of update-tenant --parent / --no-parent: attaching, detaching and moving children between Service Providers. */
import { ObjectId } from 'mongodb';
import { client, runJson, snapshot } from '../../../test/support/harness';
import { expectFailsCleanly } from '../../../test/support/limits';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create, sp, auditOf } = ctx;

describe('update-tenant --parent / --no-parent', () => {
  it('attaches a tenant whose limit fits, detaches it (allocation returns), both in the SP log', async () => {
    const p = await sp('sp', '100');
    await ctx.child('existing', p.id, ['--device-limit', '70']);
    const big = await create('big', ['--device-limit', '31']);
    const err = await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', big.id, '--parent', p.id], 5);
    expect(err).toMatch(/has 30 free/);
    const unl = await create('unl');
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', unl.id, '--parent', p.id], 5);

    const t = await create('small', ['--device-limit', '30']);
    const attached = await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--parent', p.id]);
    expect(attached.parent_tenant_id).toBe(p.id);
    const [free] = await runJson(ctx.dbs, ['usage', '--tenant', p.id]);
    expect(free.free.max_devices).toBe(0);

    const detached = await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--no-parent']);
    expect(detached.parent_tenant_id).toBeUndefined();
    const stored = await (await client()).db(ctx.dbs.tenantadm).collection('tenants').findOne({ _id: new ObjectId(t.id) });
    expect(stored).not.toHaveProperty('parent_tenant_id');
    const [after] = await runJson(ctx.dbs, ['usage', '--tenant', p.id]);
    expect(after.free.max_devices).toBe(30);

    const log = (await auditOf(p.id)).filter((a) => a.tenant_id === t.id);
    expect(log.map((a) => a.change)).toEqual([
      expect.stringMatching(/attached to Service Provider .* with max_devices 30/),
      expect.stringMatching(/detached from Service Provider .*returns/),
    ]);
    expect(log.every((a) => a.state === 'committed')).toBe(true);

    // Detaching what has no parent changes nothing.
    const before = await snapshot(ctx.dbs);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--no-parent']);
    expect(await snapshot(ctx.dbs)).toEqual(before);
  });

  it('moves a child from one SP to another, each SP log sees its side', async () => {
    const a = await sp('a', '50');
    const b = await sp('b', '50');
    const c = await ctx.child('c', a.id, ['--device-limit', '20']);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', c.id, '--parent', b.id]);
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', c.id])).parent_tenant_id).toBe(b.id);
    expect((await auditOf(a.id)).pop().change).toMatch(/detached/);
    expect((await auditOf(b.id)).pop().change).toMatch(/attached/);
  });

  it('refuses nesting, self-parenting, a full SP, a non-SP (exit 5)', async () => {
    const p = await sp('sp', '100', ['--max-child-tenants', '1']);
    const other = await sp('other', '10');
    const t = await create('t', ['--device-limit', '1']);
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', other.id, '--parent', p.id], 5);
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', p.id, '--parent', p.id], 5);
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', t.id, '--parent', t.id], 5);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--parent', p.id]);
    const u = await create('u', ['--device-limit', '1']);
    expect(await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', u.id, '--parent', p.id], 5)).toMatch(/1 of its 1/);
    expect(await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', t.id, '--service-provider'], 5)).toMatch(/nested/);
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', u.id, '--parent', '0123456789abcdef01234567'], 3);
  });
});
