/** End-to-end tests of get-tenant: finding one tenant by id, name or username, and its output modes. */
import { client, passwordFile, run, runJson } from '../../../test/support/harness';
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

  it('refuses a name two tenants share (exit 4), listing each with its status, creation time and parent', async () => {
    const sp = await ctx.sp('Provider', '100');
    const tenants = (await client()).db(ctx.dbs.tenantadm).collection('tenants');
    const when = new Date('2026-01-02T03:04:05Z');
    const ids = (
      await tenants.insertMany([
        { name: 'Initech', status: 'active', created_at: when },
        { name: 'Initech', status: 'suspended', parent_tenant_id: sp.id },
      ])
    ).insertedIds;
    const r = await run(ctx.dbs, ['get-tenant', '--name', 'Initech']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('2 tenants are named "Initech":');
    expect(r.stderr).toMatch(new RegExp(`${ids[0]}  status active  created 2026-01-02T03:04:05.000Z  parent -`));
    expect(r.stderr).toMatch(new RegExp(`${ids[1]}  status suspended  created .*  parent ${sp.id}`));
    expect(r.stderr).toContain(`--tenant ${ids[0]}`);
    const json = await run(ctx.dbs, ['get-tenant', '--name', 'Initech', '--error-format', 'json']);
    expect(JSON.parse(json.stderr).error.details.tenants.map((t: any) => t.id)).toEqual([String(ids[0]), String(ids[1])]);
    // The hint works: by id the tenant is found.
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', String(ids[0])])).status).toBe('active');
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
