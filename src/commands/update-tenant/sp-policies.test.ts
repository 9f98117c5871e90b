/** Where the Service Provider pieces meet update-tenant: the SP's add-on policy binds a tenant attached under it with --parent. */
import { expectFailsCleanly, runJson } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

async function sp(name: string): Promise<any> {
  const t = await runJson(ctx.dbs, ['create-tenant', '--name', name, '--device-limit', '100']);
  return runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--service-provider']);
}

describe("the SP's add-on policy", () => {
  it('binds a tenant attached to it', async () => {
    const provider = await sp('strict2');
    await runJson(ctx.dbs, ['update-tenant', '--tenant', provider.id, '--child-features', 'none']);
    const loose = await runJson(ctx.dbs, ['create-tenant', '--name', 'loose', '--addon', 'configure', '--device-limit', '5']);
    const err = await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', loose.id, '--parent', provider.id], 5);
    expect(err).toMatch(/configure/);
    // Switching it off in the same command makes it fit.
    const attached = await runJson(ctx.dbs, ['update-tenant', '--tenant', loose.id, '--parent', provider.id, '--addon', 'configure=off']);
    expect(attached.parent_tenant_id).toBe(provider.id);
  });
});
