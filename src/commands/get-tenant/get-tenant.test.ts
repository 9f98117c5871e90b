/** End-to-end tests of get-tenant: finding one tenant by id, name or username, and its output modes. */
import { passwordFile, run, runJson } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create, expectFailsCleanly } = ctx;

describe('get-tenant', () => {
  it('finds by id, name and username; exit 3 when there is none', async () => {
    const t = await create('findme', ['--admin-email', 'who@find.example', '--password-file', passwordFile(ctx.dir)]);
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', t.id])).name).toBe('findme');
    expect((await runJson(ctx.dbs, ['get-tenant', '--name', 'findme'])).id).toBe(t.id);
    expect((await runJson(ctx.dbs, ['get-tenant', '--username', 'WHO@find.example'])).id).toBe(t.id);
    await expectFailsCleanly(['get-tenant', '--tenant', '0123456789abcdef01234567'], 3);
    await expectFailsCleanly(['get-tenant', '--name', 'nobody'], 3);
    await expectFailsCleanly(['get-tenant', '--username', 'nobody@x.example'], 3);
    await expectFailsCleanly(['get-tenant', '--tenant', 'xyz'], 2);
    await expectFailsCleanly(['get-tenant'], 2);
    await expectFailsCleanly(['get-tenant', '--tenant', t.id, '--name', 'findme'], 2);
  });

  it('prints a table and NDJSON for one tenant', async () => {
    const t = await create('single');
    const table = await run(ctx.dbs, ['get-tenant', '--tenant', t.id, '-o', 'table']);
    // One tenant is a key/value table: no JSON in its cells.
    expect(table.stdout).toMatch(new RegExp(`^KEY +VALUE\nID +${t.id}\nNAME +single\n`));
    expect(table.stdout).not.toMatch(/[{}]|\[\]/);
    const nd = await run(ctx.dbs, ['get-tenant', '--tenant', t.id, '--ndjson']);
    expect(nd.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(nd.stdout).id).toBe(t.id);
  });
});
