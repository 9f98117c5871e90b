/** Where the Service Provider pieces meet update-tenant: the SP's add-on policy binds a tenant attached under it with --parent. */
import { expectFailsCleanly, runJson, type Dbs, withFreshDatabases } from '../../../test/support/harness';

let dbs: Dbs;
withFreshDatabases((d) => (dbs = d));

async function sp(name: string): Promise<any> {
  const t = await runJson(dbs, ['create-tenant', '--name', name, '--device-limit', '100']);
  return runJson(dbs, ['update-tenant', '--id', t.id, '--service-provider']);
}

describe("the SP's add-on policy", () => {
  it('binds a tenant attached to it', async () => {
    const provider = await sp('strict2');
    await runJson(dbs, ['update-tenant', '--id', provider.id, '--child-features', 'none']);
    const loose = await runJson(dbs, ['create-tenant', '--name', 'loose', '--addon', 'configure', '--device-limit', '5']);
    const err = await expectFailsCleanly(dbs, ['update-tenant', '--id', loose.id, '--parent', provider.id], 5);
    expect(err).toMatch(/configure/);
    // Switching it off in the same command makes it fit.
    const attached = await runJson(dbs, ['update-tenant', '--id', loose.id, '--parent', provider.id, '--addon', 'configure=off']);
    expect(attached.parent_tenant_id).toBe(provider.id);
  });
});
