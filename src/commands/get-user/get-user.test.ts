/** End-to-end tests of get-user: a user by email, optionally only within a tenant. */
import { run, runJson } from '../../../test/support/harness';
import { createTenant, expectFailsCleanly } from '../../../test/support/cases';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { addUser } = ctx;

describe('list-users and get-user', () => {
  it('gets a user by email, optionally only within a tenant', async () => {
    const a = await createTenant(ctx.dbs, 'get-a');
    const b = await createTenant(ctx.dbs, 'get-b');
    const u = await addUser(a.id, 'who@get.example');
    expect(await runJson(ctx.dbs, ['get-user', '--email', 'WHO@get.example'])).toEqual(u);
    expect(await runJson(ctx.dbs, ['get-user', '--email', 'who@get.example', '--tenant', a.id])).toEqual(u);
    await expectFailsCleanly(ctx.dbs, ['get-user', '--email', 'who@get.example', '--tenant', b.id], 3);
    await expectFailsCleanly(ctx.dbs, ['get-user', '--email', 'nobody@get.example'], 3);
    await expectFailsCleanly(ctx.dbs, ['get-user', '--email', 'bad'], 2);
    const table = await run(ctx.dbs, ['get-user', '--email', 'who@get.example', '-o', 'table']);
    expect(table.stdout).toContain('who@get.example');
    const csv = await run(ctx.dbs, ['get-user', '--email', 'who@get.example', '-o', 'csv']);
    expect(csv.stdout.split('\r\n')[0]).toBe('ID,EMAIL,TENANT,ROLES,CREATED');
  });
});
