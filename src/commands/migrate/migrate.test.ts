/** End-to-end tests of migrate: the indexes it creates and drops, and the changes that need it first. */
import { client, freshDbs, passwordFile, run, runJson, tmpDir, type Dbs, withFreshDatabases, expectFailsCleanly as failsCleanly } from '../../../test/support/harness';

let dbs: Dbs;
withFreshDatabases((d) => (dbs = d));

/** Assert the command failed with `code`, printed nothing on stdout, and wrote nothing. */
const expectFailsCleanly = (args: string[], code: number, opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
  failsCleanly(dbs, args, code, opts);

describe('migrate', () => {
  it("creates Mender's own indexes and the tool's, once, and nothing on Mender's tenants", async () => {
    const again = await runJson(dbs, ['migrate']);
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
    expect(await names(dbs.useradm, 'users')).toEqual(['_id_', 'email_1']);
    expect(await names(dbs.deviceauth, 'limits')).toEqual(['_id_', 'tenant_id_name']);
    expect(await names(dbs.deviceauth, 'devices')).toEqual(['_id_', 'tenant_id_status__id']);
    await c.db(dbs.tenantadm).collection('tenants').insertOne({ name: 'probe' });
    expect(await names(dbs.tenantadm, 'tenants')).toEqual(['_id_']);
  });

  it('succeeds on duplicate tenant names, lists them, and drops the unique name index of earlier releases', async () => {
    const c = await client();
    const tenants = c.db(dbs.tenantadm).collection('tenants');
    await tenants.createIndex({ name: 1 }, { name: 'tenantadm_name_unique', unique: true });
    await tenants.createIndex({ parent_tenant_id: 1 }, { name: 'tenantadm_parent' });
    const first = await runJson(dbs, ['migrate']);
    expect(first.filter((x: any) => x.state === 'dropped').map((x: any) => x.index)).toEqual(['tenantadm_name_unique', 'tenantadm_parent']);
    const ids = (await tenants.insertMany([{ name: 'Twin' }, { name: 'Twin' }, { name: 'Solo' }])).insertedIds;
    const r = await run(dbs, ['migrate']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).filter((x: any) => x.state === 'dropped')).toEqual([]);
    expect(r.stderr).toContain(`2 tenants are named "Twin": ${ids[0]}, ${ids[1]}`);
    expect(r.stderr).not.toContain('Solo');
    // The tool's own creates still refuse the name, under its lock.
    expect((await run(dbs, ['create-tenant', '--name', 'Twin'])).code).toBe(4);
  });

  it('is required before a change that relies on its unique indexes (exit 5, nothing written)', async () => {
    dbs = freshDbs();
    const err = await expectFailsCleanly(['create-tenant', '--name', 'x', '--admin-email', 'admin@x.example', '--password-file', passwordFile(tmpDir())], 5);
    expect(err).toMatch(/tenantadm migrate/);
  });
});
