/** End-to-end tests of update-tenant: the fields it sets, no-op updates, its failures, and an update killed midway. */
import { client, run, runJson, snapshot } from '../../../test/support/harness';
import { killedAt } from '../../../test/support/crash';
import { verifyToken } from '../../../test/support/tenant-token';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create, expectFailsCleanly } = ctx;

describe('update-tenant', () => {
  it('promotes to Service Provider and sets fields no other CLI has a flag for', async () => {
    const t = await create('promote', ['--device-limit', '10']);
    const u = await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--service-provider', '--max-child-tenants', '20', '--plan', 'enterprise', '--addon', 'monitor', '--addon', 'configure=on']);
    expect(u).toMatchObject({ service_provider: true, max_child_tenants: 20 });
    expect(u.addons.filter((a: any) => a.enabled).map((a: any) => a.name).sort()).toEqual(['configure', 'monitor']);
    expect(Date.parse(u.updated_at)).toBeGreaterThanOrEqual(Date.parse(t.updated_at));
    const off = await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--addon', 'monitor=off', '--max-child-tenants', 'unlimited']);
    expect(off.addons.find((a: any) => a.name === 'monitor').enabled).toBe(false);
    expect(off.max_child_tenants).toBeUndefined();
    const audit = await (await client()).db(ctx.dbs.audit).collection('tenantadm_audit').find({ tenant_id: t.id, action: 'update' }).toArray();
    expect(audit.map((a) => a.change)).toEqual([
      expect.stringContaining('service_provider: false -> true'),
      expect.stringContaining('addon monitor: on -> off'),
    ]);
  });

  it('suspends, renames and rotates the token', async () => {
    const t = await create('old-name');
    const u = await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--status', 'suspended', '--name', 'new-name', '--rotate-token', '--yes']);
    expect(u).toMatchObject({ status: 'suspended', name: 'new-name' });
    expect(u.tenant_token).not.toBe(t.tenant_token);
    verifyToken(u.tenant_token, t.id);
  });

  it('changes nothing (and audits nothing) when the values are already set', async () => {
    const t = await create('same', ['--plan', 'os']);
    const before = await snapshot(ctx.dbs);
    const u = await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--plan', 'os']);
    expect(u.plan).toBe('os');
    expect(await snapshot(ctx.dbs)).toEqual(before);
  });

  it('fails cleanly: unknown id 3, taken name 4, SP with children 5, bad input 2', async () => {
    const a = await create('a', ['--device-limit', '10']);
    await create('b');
    await expectFailsCleanly(['update-tenant', '--tenant', '0123456789abcdef01234567', '--plan', 'os'], 3);
    await expectFailsCleanly(['update-tenant', '--tenant', a.id, '--name', 'b'], 4);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', a.id, '--service-provider']);
    await (await client()).db(ctx.dbs.tenantadm).collection('tenants').insertOne({ name: 'child', status: 'active', parent_tenant_id: a.id });
    const err = await expectFailsCleanly(['update-tenant', '--tenant', a.id, '--no-service-provider'], 5);
    expect(err).toMatch(/child/);
    await expectFailsCleanly(['update-tenant', '--tenant', a.id], 2);
    await expectFailsCleanly(['update-tenant', '--tenant', a.id, '--status', 'deleted'], 2);
    await expectFailsCleanly(['update-tenant', '--tenant', a.id, '--max-child-tenants', '-1'], 2);
    await expectFailsCleanly(['update-tenant', '--tenant', a.id, '--rotate-token', '--yes', '--key-file', `${ctx.dir}/nope.pem`], 2);
  });
});

describe('crash safety (no transactions)', () => {
  it('an update killed midway is rolled back by the next command', async () => {
    const t = await create('upd');
    const before = await snapshot(ctx.dbs);
    const r = await run(ctx.dbs, ['update-tenant', '--tenant', t.id, '--plan', 'os', '--status', 'suspended', '--yes'], { env: killedAt('commit') });
    expect(r.signal).toBe('SIGKILL');
    const mid = await (await client()).db(ctx.dbs.tenantadm).collection('tenants').findOne({ name: 'upd' });
    expect(mid?.plan).toBe('os'); // the tenant write happened, its commit did not
    await runJson(ctx.dbs, ['repair']);
    expect(await snapshot(ctx.dbs)).toEqual(before);
  });
});
