/** End-to-end tests of list-tenants: filters, output modes, legacy string ids, and whole lists into a pipe. */
import { spawnSync } from 'node:child_process';
import { BIN, client, cliEnv, run, runJson } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create } = ctx;

describe('list-tenants', () => {
  it('prints [] when there are none', async () => {
    const r = await run(ctx.dbs, ['list-tenants']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('feeds jq without any filtering (the seed example)', async () => {
    const a = await create('alpha');
    const b = await create('beta');
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" list-tenants | jq -c '.[] | {"tenant id": .id, "tenant name": .name}'; echo "status=\${PIPESTATUS[0]}"`], {
      env: cliEnv(ctx.dbs),
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    const out = r.stdout.trim().split('\n');
    expect(out.pop()).toBe('status=0');
    expect(out.sort()).toEqual(
      [JSON.stringify({ 'tenant id': a.id, 'tenant name': 'alpha' }), JSON.stringify({ 'tenant id': b.id, 'tenant name': 'beta' })].sort(),
    );
  });

  it('leaves the tenant token out unless --show-token; get-tenant keeps it', async () => {
    const t = await ctx.create('tokened');
    const listed = await runJson(ctx.dbs, ['list-tenants']);
    expect(listed[0].id).toBe(t.id);
    expect(listed[0]).not.toHaveProperty('tenant_token');
    const shown = await runJson(ctx.dbs, ['list-tenants', '--show-token']);
    expect(shown[0].tenant_token).toBe(t.tenant_token);
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', t.id])).tenant_token).toBe(t.tenant_token);
  });

  it('filters and prints NDJSON, a table and CSV', async () => {
    const sp = await create('sp', ['--device-limit', '10']);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--service-provider']);
    await create('plain', ['--plan', 'os']);
    const susp = await create('suspended');
    await runJson(ctx.dbs, ['update-tenant', '--tenant', susp.id, '--status', 'suspended', '--yes']);

    const nd = await run(ctx.dbs, ['list-tenants', '--ndjson']);
    const lines = nd.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((t) => t.name).sort()).toEqual(['plain', 'sp', 'suspended']);

    const names = async (...args: string[]) => (await runJson(ctx.dbs, ['list-tenants', ...args])).map((t: any) => t.name).sort();
    expect(await names('--service-provider')).toEqual(['sp']);
    expect(await names('--no-service-provider')).toEqual(['plain', 'suspended']);
    expect(await names('--status', 'suspended')).toEqual(['suspended']);
    expect(await names('--status', 'active')).toEqual(['plain', 'sp']);
    expect(await names('--plan', 'os')).toEqual(['plain']);
    expect(await names('--name', 'plain')).toEqual(['plain']);
    expect(await names('--tenant', sp.id)).toEqual(['sp']);

    const table = await run(ctx.dbs, ['list-tenants', '-o', 'table']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ID.*NAME.*STATUS/);
    expect(table.stdout).toContain(sp.id);
    expect(table.stdout).not.toMatch(/\u001b\[/); // no colour when piped

    const csv = await run(ctx.dbs, ['list-tenants', '-o', 'csv']);
    const rows = csv.stdout.trim().split('\r\n');
    expect(rows[0]).toBe('ID,NAME,STATUS,PLAN,SP,PARENT,DEVICES,LIMIT,ADD-ONS,CREATED');
    expect(rows).toHaveLength(4);
  });

  it('reads tenants whose ids are stored as strings, and children by parent', async () => {
    const c = await client();
    // Its plan is os: a child's plan is its parent's (Enterprise 4.x).
    const parent = await create('parent', ['--plan', 'os']);
    await c.db(ctx.dbs.tenantadm).collection<any>('tenants').insertOne({
      _id: '5f0c1f3e8a1b2c3d4e5f6a7b',
      name: 'legacy-string-id',
      status: 'active',
      parent_tenant_id: parent.id,
    });
    const listed = await runJson(ctx.dbs, ['list-tenants', '--parent', parent.id]);
    expect(listed.map((t: any) => [t.id, t.name, t.plan])).toEqual([['5f0c1f3e8a1b2c3d4e5f6a7b', 'legacy-string-id', 'enterprise']]);
    const got = await runJson(ctx.dbs, ['get-tenant', '--tenant', '5f0c1f3e8a1b2c3d4e5f6a7b']);
    expect(got.name).toBe('legacy-string-id');
    const updated = await runJson(ctx.dbs, ['update-tenant', '--tenant', '5f0c1f3e8a1b2c3d4e5f6a7b', '--plan', 'os']);
    expect(updated.plan).toBe('os');
  });

  it('writes the whole list into a pipe (never cut short)', async () => {
    const c = await client();
    await c.db(ctx.dbs.tenantadm).collection('tenants').insertMany(
      Array.from({ length: 2000 }, (_, i) => ({ name: `n-${i}`, status: 'active', plan: 'os', addons: [] })),
    );
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" list-tenants | jq length`], { env: cliEnv(ctx.dbs), encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('2000');
  });
});
