/** End-to-end tests of get-user: a user by email, optionally only within a tenant. */
import { passwordFile, run, runJson, tmpDir, type Dbs, withFreshDatabases } from '../../../test/support/harness';
import { createTenant, expectFailsCleanly } from '../../../test/support/cases';

let dbs: Dbs;
let dir: string;

beforeAll(() => {
  dir = tmpDir();
});
withFreshDatabases((d) => (dbs = d));

const PASSWORD = 'Sup3r-Secret-Pw!';

async function addUser(tenant: string, email: string, roles: string[] = [], password = PASSWORD): Promise<any> {
  return runJson(dbs, ['create-user', '--tenant', tenant, '--email', email, ...roles.flatMap((r) => ['--role', r]), '--password-file', passwordFile(dir, password)]);
}

describe('list-users and get-user', () => {
  it('gets a user by email, optionally only within a tenant', async () => {
    const a = await createTenant(dbs, 'get-a');
    const b = await createTenant(dbs, 'get-b');
    const u = await addUser(a.id, 'who@get.example');
    expect(await runJson(dbs, ['get-user', '--email', 'WHO@get.example'])).toEqual(u);
    expect(await runJson(dbs, ['get-user', '--email', 'who@get.example', '--tenant', a.id])).toEqual(u);
    await expectFailsCleanly(dbs, ['get-user', '--email', 'who@get.example', '--tenant', b.id], 3);
    await expectFailsCleanly(dbs, ['get-user', '--email', 'nobody@get.example'], 3);
    await expectFailsCleanly(dbs, ['get-user', '--email', 'bad'], 2);
    const table = await run(dbs, ['get-user', '--email', 'who@get.example', '-o', 'table']);
    expect(table.stdout).toContain('who@get.example');
    const csv = await run(dbs, ['get-user', '--email', 'who@get.example', '-o', 'csv']);
    expect(csv.stdout.split('\r\n')[0]).toBe('ID,EMAIL,TENANT,ROLES,CREATED');
  });
});
