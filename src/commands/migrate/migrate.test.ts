/** End-to-end tests of migrate: the indexes it creates and drops, and the changes that need it first. */
import { client, expectFailsCleanly as failsCleanly, freshDbs, passwordFile, run, runJson, tmpDir } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

describe('migrate', () => {
  it("creates Mender's own indexes and the tool's, once, and nothing on Mender's tenants", async () => {
    const again = await runJson(ctx.dbs, ['migrate']);
    expect(again.map((r: any) => [r.collection, r.index, r.state])).toEqual([
      ['users', 'email_1', 'existed'],
      ['limits', 'tenant_id_name', 'existed'],
      ['devices', 'tenant_id_status__id', 'existed'],
      ['tenantadm_audit', 'tenantadm_audit_log_time', 'existed'],
      ['tenantadm_audit', 'tenantadm_audit_time_id', 'existed'],
      ['tenantadm_audit', 'tenantadm_audit_object_time', 'existed'],
    ]);
    const c = await client();
    const names = async (db: string, coll: string) => (await c.db(db).collection(coll).listIndexes().toArray()).map((i) => i.name).sort();
    expect(await names(ctx.dbs.useradm, 'users')).toEqual(['_id_', 'email_1']);
    expect(await names(ctx.dbs.deviceauth, 'limits')).toEqual(['_id_', 'tenant_id_name']);
    expect(await names(ctx.dbs.deviceauth, 'devices')).toEqual(['_id_', 'tenant_id_status__id']);
    await c.db(ctx.dbs.tenantadm).collection('tenants').insertOne({ name: 'probe' });
    expect(await names(ctx.dbs.tenantadm, 'tenants')).toEqual(['_id_']);
  });

  it('succeeds on duplicate tenant names, lists them, and drops the unique name index of earlier releases', async () => {
    const c = await client();
    const tenants = c.db(ctx.dbs.tenantadm).collection('tenants');
    await tenants.createIndex({ name: 1 }, { name: 'tenantadm_name_unique', unique: true });
    await tenants.createIndex({ parent_tenant_id: 1 }, { name: 'tenantadm_parent' });
    const first = await runJson(ctx.dbs, ['migrate']);
    expect(first.filter((x: any) => x.state === 'dropped').map((x: any) => x.index)).toEqual(['tenantadm_name_unique', 'tenantadm_parent']);
    const ids = (await tenants.insertMany([{ name: 'Twin' }, { name: 'Twin' }, { name: 'Solo' }])).insertedIds;
    const r = await run(ctx.dbs, ['migrate']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).filter((x: any) => x.state === 'dropped')).toEqual([]);
    expect(r.stderr).toContain(`2 tenants are named "Twin": ${ids[0]}, ${ids[1]}`);
    expect(r.stderr).not.toContain('Solo');
    // The tool's own creates still refuse the name, under its lock.
    expect((await run(ctx.dbs, ['create-tenant', '--name', 'Twin'])).code).toBe(4);
  });

  it('is required before a change that relies on its unique indexes (exit 5, nothing written)', async () => {
    // Databases migrate never ran on, instead of the test's migrated ones.
    const err = await failsCleanly(freshDbs(), ['create-tenant', '--name', 'x', '--admin-email', 'admin@x.example', '--password-file', passwordFile(tmpDir())], 5);
    expect(err).toMatch(/tenantadm migrate/);
  });
});
