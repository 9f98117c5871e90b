/** End-to-end tests of create-tenant --parent: a child of a Service Provider, its admin and its limit out of the SP's capacity. */
import { client, passwordFile, runJson } from '../../../test/support/harness';
import { childLimits, expectFailsCleanly, storedLimit } from '../../../test/support/limits';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create, sp, child, auditOf } = ctx;

describe('create-tenant --parent', () => {
  it('creates a child with its admin and its limit out of the SP, audited in both logs', async () => {
    const p = await sp('sp', '100');
    const child = await create('child', ['--parent', p.id, '--device-limit', '30', '--admin-email', 'admin@child.example', '--password-file', passwordFile(ctx.dir)]);
    expect(child).toMatchObject({ name: 'child', parent_tenant_id: p.id, device_limit: 30, device_count: 0 });
    expect(await storedLimit(ctx.dbs, child.id)).toBe(30);
    const user = await (await client()).db(ctx.dbs.useradm).collection('users').findOne({ tenant_id: child.id });
    expect(user?.email).toBe('admin@child.example');
    const spLog = await auditOf(p.id);
    expect(spLog.filter((a) => a.tenant_id === child.id).map((a) => [a.action, a.object.type, a.object.tenant?.parent ?? null])).toEqual([
      ['create', 'tenant', p.id],
      ['create', 'user', null],
    ]);
    const listed = await runJson(ctx.dbs, ['list-tenants', '--parent', p.id]);
    expect(listed.map((t: any) => t.id)).toEqual([child.id]);
    const withKids = await runJson(ctx.dbs, ['get-tenant', '--tenant', p.id, '--include-children']);
    expect(withKids.children).toEqual([expect.objectContaining({ id: child.id, device_limit: 30, device_count: 0, parent_tenant_id: p.id })]);
  });

  it('gives a child 0 devices by default (never "unlimited"), and 0 of each other kind the SP caps', async () => {
    const p = await sp('sp', '100');
    await (await client()).db(ctx.dbs.deviceauth).collection('limits').insertOne({ name: 'max_micro_devices', value: 10, tenant_id: p.id });
    const kid = await child('child', p.id);
    expect(kid.device_limit).toBe(0);
    expect(await storedLimit(ctx.dbs, kid.id)).toBe(0);
    expect(await storedLimit(ctx.dbs, kid.id, 'max_micro_devices')).toBe(0);
    expect(await storedLimit(ctx.dbs, kid.id, 'max_system_devices')).toBeUndefined(); // the SP does not cap it
  });

  it('enforces the free capacity, max_child_tenants and an active SP (exit 5), a missing one (exit 3)', async () => {
    const p = await sp('sp', '100', ['--max-child-tenants', '2']);
    await child('a', p.id, ['--device-limit', '60']);
    const err = await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'b', '--parent', p.id, '--device-limit', '41', ...ctx.childUser('b')], 5);
    expect(err).toMatch(/has 40 free/);
    await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'b', '--parent', p.id, '--device-limit', 'unlimited', ...ctx.childUser('b')], 5);
    await child('b', p.id, ['--device-limit', '40']);
    expect(await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'c', '--parent', p.id, ...ctx.childUser('c')], 5)).toMatch(/2 of its 2 child tenants/);

    const plain = await create('plain');
    expect(await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'd', '--parent', plain.id, ...ctx.childUser('d')], 5)).toMatch(/not a Service Provider/);
    const off = await sp('off', '10');
    await runJson(ctx.dbs, ['update-tenant', '--tenant', off.id, '--status', 'suspended', '--yes']);
    expect(await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'd', '--parent', off.id, ...ctx.childUser('d')], 5)).toMatch(/suspended/);
    await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'd', '--parent', '0123456789abcdef01234567', ...ctx.childUser('d')], 3);
    await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'd', '--parent', 'nope', ...ctx.childUser('d')], 2);
    expect(await childLimits(ctx.dbs, p.id)).toEqual([60, 40]);
  });

  it('a Service Provider is never unlimited (Enterprise 4.x), so no child is unlimited either', async () => {
    const t = await create('sp', ['--device-limit', 'unlimited']);
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', t.id, '--service-provider'], 5);
  });
});
