/** Mender Enterprise 4.x's rules for promoting a tenant to Service Provider (MEN-7954, MEN-7715), and set-device-limit on an SP. */
import { run, runJson } from '../../../test/support/harness';
import { seedDevices } from '../../../test/support/limits';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

describe('promotion to Service Provider (Enterprise 4.x)', () => {
  it('refuses a tenant without a device limit: exit 5, nothing written, names set-device-limit', async () => {
    const t = await ctx.create('unlimited');
    const err = await ctx.expectFailsCleanly(['update-tenant', '--id', t.id, '--service-provider'], 5);
    expect(err).toMatch(/no device limit/);
    expect(err).toMatch(new RegExp(`tenantadm set-device-limit --id ${t.id} --limit N`));
    // The next step works.
    await runJson(ctx.dbs, ['set-device-limit', '--id', t.id, '--limit', '10']);
    expect((await runJson(ctx.dbs, ['update-tenant', '--id', t.id, '--service-provider'])).service_provider).toBe(true);
  });

  it('refuses a tenant holding devices of any status unless --allow-devices, which warns', async () => {
    const t = await ctx.create('holder', ['--device-limit', '10']);
    await seedDevices(ctx.dbs, t.id, { pending: 1, rejected: 1 });
    const err = await ctx.expectFailsCleanly(['update-tenant', '--id', t.id, '--service-provider'], 5);
    expect(err).toMatch(/holds 2 device\(s\) \(1 rejected, 1 pending\)|holds 2 device\(s\) \(1 pending, 1 rejected\)/);
    expect(err).toMatch(/--allow-devices/);
    const r = await run(ctx.dbs, ['update-tenant', '--id', t.id, '--service-provider', '--allow-devices']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).service_provider).toBe(true);
    expect(r.stderr).toMatch(/warning: .*will refuse their next authentication/);
  });

  it('--allow-devices needs --service-provider (exit 2)', async () => {
    const t = await ctx.create('x', ['--device-limit', '1']);
    await ctx.expectFailsCleanly(['update-tenant', '--id', t.id, '--allow-devices', '--name', 'y'], 2);
  });

  it('set-device-limit refuses to make a Service Provider unlimited (exit 5, nothing written)', async () => {
    const p = await ctx.sp('sp', '10');
    for (const limit of ['unlimited', '-1']) {
      const err = await ctx.expectFailsCleanly(['set-device-limit', '--id', p.id, '--limit', limit], 5);
      expect(err).toMatch(/cannot be unlimited/);
    }
    await ctx.expectFailsCleanly(['set-device-limit', '--set', `${p.id}=unlimited`], 5);
    // Other tiers are not the device limit of MEN-7954.
    await runJson(ctx.dbs, ['set-device-limit', '--id', p.id, '--limit', '20']);
  });
});
