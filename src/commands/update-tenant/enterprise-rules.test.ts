/** Mender Enterprise 4.x's rules for promoting a tenant to Service Provider (MEN-7954, MEN-7715), and set-device-limit on an SP. */
import { ObjectId } from 'mongodb';
import { client, run, runJson } from '../../../test/support/harness';
import { seedDevices } from '../../../test/support/limits';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

describe('promotion to Service Provider (Enterprise 4.x)', () => {
  it('refuses a tenant without a device limit: exit 5, nothing written, names set-device-limit', async () => {
    const t = await ctx.create('unlimited');
    const err = await ctx.expectFailsCleanly(['update-tenant', '--tenant', t.id, '--service-provider'], 5);
    expect(err).toMatch(/no device limit/);
    expect(err).toMatch(new RegExp(`tenantadm set-device-limit --tenant ${t.id} --device-limit N`));
    // The next step works.
    await runJson(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '10']);
    expect((await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--service-provider'])).service_provider).toBe(true);
  });

  it('refuses a tenant holding devices of any status unless --allow-devices, which warns', async () => {
    const t = await ctx.create('holder', ['--device-limit', '10']);
    await seedDevices(ctx.dbs, t.id, { pending: 1, rejected: 1 });
    const err = await ctx.expectFailsCleanly(['update-tenant', '--tenant', t.id, '--service-provider'], 5);
    expect(err).toMatch(/holds 2 device\(s\) \(1 rejected, 1 pending\)|holds 2 device\(s\) \(1 pending, 1 rejected\)/);
    expect(err).toMatch(/--allow-devices/);
    const r = await run(ctx.dbs, ['update-tenant', '--tenant', t.id, '--service-provider', '--allow-devices']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).service_provider).toBe(true);
    expect(r.stderr).toMatch(/warning: .*will refuse their next authentication/);
  });

  it('--allow-devices needs --service-provider (exit 2)', async () => {
    const t = await ctx.create('x', ['--device-limit', '1']);
    await ctx.expectFailsCleanly(['update-tenant', '--tenant', t.id, '--allow-devices', '--name', 'y'], 2);
  });

  it('set-device-limit refuses to make a Service Provider unlimited (exit 5, nothing written)', async () => {
    const p = await ctx.sp('sp', '10');
    for (const limit of ['unlimited', '-1']) {
      const err = await ctx.expectFailsCleanly(['set-device-limit', '--tenant', p.id, '--device-limit', limit], 5);
      expect(err).toMatch(/cannot be unlimited/);
    }
    await ctx.expectFailsCleanly(['set-device-limit', '--set', `${p.id}=unlimited`], 5);
    // Other tiers are not the device limit of MEN-7954.
    await runJson(ctx.dbs, ['set-device-limit', '--tenant', p.id, '--device-limit', '20']);
  });
});

describe("a child's plan and add-ons are its Service Provider's (MEN-7493, MEN-7511)", () => {
  it('attaching a tenant whose plan or add-ons differ is exit 5 naming --inherit; --inherit makes them the SP\'s in the same change', async () => {
    const p = await ctx.sp('sp', '100', ['--addon', 'monitor', '--child-features', 'monitor,configure']);
    const t = await ctx.create('loose', ['--plan', 'os', '--addon', 'configure', '--device-limit', '5']);
    const err = await ctx.expectFailsCleanly(['update-tenant', '--tenant', t.id, '--parent', p.id], 5);
    expect(err).toMatch(/would join Service Provider .* with plan os \(its Service Provider's: enterprise\), add-on configure on \(its Service Provider's: off\), add-on monitor off/);
    expect(err).toMatch(new RegExp(`--parent ${p.id} --inherit`));
    const attached = await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--parent', p.id, '--inherit']);
    expect(attached).toMatchObject({ parent_tenant_id: p.id, plan: 'enterprise' });
    expect(attached.addons.filter((a: any) => a.enabled).map((a: any) => a.name)).toEqual(['monitor']);
    const entries = await ctx.auditOf(t.id);
    expect(entries.map((e) => e.change)).toEqual(expect.arrayContaining([expect.stringMatching(/plan: os -> enterprise; addon configure: on -> off; addon monitor: off -> on/)]));
  });

  it('a child given another plan or add-on is exit 5; --inherit on a child brings it back; --inherit without an SP is exit 5', async () => {
    const p = await ctx.sp('sp', '100', ['--addon', 'troubleshoot']);
    const kid = await ctx.child('kid', p.id);
    expect((await ctx.expectFailsCleanly(['update-tenant', '--tenant', kid.id, '--plan', 'os'], 5))).toMatch(/is a child of Service Provider .* with plan os/);
    await ctx.expectFailsCleanly(['update-tenant', '--tenant', kid.id, '--addon', 'troubleshoot=off'], 5);
    await ctx.expectFailsCleanly(['update-tenant', '--tenant', kid.id, '--addon', 'monitor'], 5);
    // Data written by other tools: --inherit repairs it.
    await (await client()).db(ctx.dbs.tenantadm).collection('tenants').updateOne({ _id: new ObjectId(kid.id) }, { $set: { plan: 'os' } });
    const fixed = await runJson(ctx.dbs, ['update-tenant', '--tenant', kid.id, '--inherit']);
    expect(fixed.plan).toBe('enterprise');
    const alone = await ctx.create('alone');
    expect(await ctx.expectFailsCleanly(['update-tenant', '--tenant', alone.id, '--inherit'], 5)).toMatch(/no Service Provider to inherit/);
    await ctx.expectFailsCleanly(['update-tenant', '--tenant', kid.id, '--inherit', '--plan', 'os'], 2);
  });
});
