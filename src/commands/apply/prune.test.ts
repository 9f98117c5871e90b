/**
 * apply --prune removes only what apply created from a fleet file (recorded in the tool's own
 * collection), through the removal rules: a tenant made by hand or by create-tenant stays even
 * when the file leaves it out; one apply made must be suspended first (exit 5, nothing written).
 */
import { ObjectId } from 'mongodb';
import { client, run, runJson, snapshot } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';
import { applyOf, exportedJson, passwordRef } from '../../../test/support/apply';

const ctx = commandTest();

describe('apply --prune', () => {
  it('leaves tenants made by hand or by create-tenant, refuses an active one it made, removes it once suspended', async () => {
    // By hand: straight into Mender's collection, suspended. By create-tenant: suspended too.
    const handId = new ObjectId();
    await (await client()).db(ctx.dbs.tenantadm).collection('tenants').insertOne({ _id: handId, name: 'Hand', status: 'suspended', plan: 'enterprise', addons: [] });
    const byCommand = await ctx.create('ByCommand');
    expect((await run(ctx.dbs, ['update-tenant', '--tenant', byCommand.id, '--status', 'suspended', '--yes'])).code).toBe(0);
    // From a fleet file: a tenant with two users.
    const base = await exportedJson(ctx);
    const pw = passwordRef(ctx, 'Fleet-Passw0rd!');
    base.tenants.push({ name: 'FromFile', device_limit: 4, users: [{ email: 'a@fromfile.example', password: pw }, { email: 'b@fromfile.example', password: pw }] });
    expect((await applyOf(ctx, base, ['--yes'])).code).toBe(0);
    const fromFile = (await exportedJson(ctx)).tenants.find((t: any) => t.name === 'FromFile');
    // A user added by hand (create-user) to the tenant apply made.
    await ctx.addUser(fromFile.id, 'c@fromfile.example');

    // A user apply created and the file dropped goes with --prune; the one added by create-user stays.
    const users = await exportedJson(ctx);
    const entry = users.tenants.find((t: any) => t.name === 'FromFile');
    entry.users = entry.users.filter((u: any) => u.email === 'a@fromfile.example');
    const without = await applyOf(ctx, users, ['--yes']);
    expect({ code: without.code, stdout: without.stdout }).toEqual({ code: 0, stdout: '[]\n' });
    expect(without.stderr).toMatch(/leaves user b@fromfile\.example .*only with --prune/);
    const pruneUsers = await applyOf(ctx, users, ['--yes', '--prune']);
    expect(pruneUsers.code).toBe(0);
    expect(JSON.parse(pruneUsers.stdout)).toEqual([{ tenant: 'FromFile', id: fromFile.id, action: 'delete', field: 'users[b@fromfile.example]', before: ['RBAC_ROLE_PERMIT_ALL'] }]);
    expect(pruneUsers.stderr).toMatch(/leaves user c@fromfile\.example .*not created from a fleet file/);
    expect(await ctx.storedUser('b@fromfile.example')).toBeNull();
    expect(await ctx.storedUser('c@fromfile.example')).not.toBeNull();

    // The file without any of the three tenants: the active one apply made is refused, nothing written.
    const none = await exportedJson(ctx);
    none.tenants = none.tenants.filter((t: any) => !['Hand', 'ByCommand', 'FromFile'].includes(t.name));
    const before = await snapshot(ctx.dbs);
    const refused = await applyOf(ctx, none, ['--yes', '--prune']);
    expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 5, stdout: '' });
    expect(refused.stderr).toMatch(/only a suspended tenant can be removed.*update-tenant --tenant .* --status suspended/);
    expect(await snapshot(ctx.dbs)).toEqual(before);

    expect((await run(ctx.dbs, ['update-tenant', '--tenant', fromFile.id, '--status', 'suspended', '--yes'])).code).toBe(0);
    const pruned = await applyOf(ctx, none, ['--yes', '--prune']);
    expect(pruned.code).toBe(0);
    expect(JSON.parse(pruned.stdout)).toEqual([{ tenant: 'FromFile', id: fromFile.id, action: 'delete' }]);
    expect(pruned.stderr).toMatch(/leaves tenant "Hand" .*not created from a fleet file/);
    expect(pruned.stderr).toMatch(/leaves tenant "ByCommand" .*not created from a fleet file/);
    const left = (await runJson(ctx.dbs, ['list-tenants'])).map((t: any) => t.name).sort();
    expect(left).toEqual(['ByCommand', 'Hand']);
    expect(await ctx.storedUser('a@fromfile.example')).toBeNull();
    // Its record in the tool's own collection went with it; nothing was added to Mender's documents.
    expect(await (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_fleet_created').countDocuments({})).toBe(0);
    // Again: nothing more to do.
    const again = await applyOf(ctx, none, ['--yes', '--prune']);
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: '[]\n' });
  });

  it("refuses to prune a tenant's last admin, as delete-user does (exit 5, nothing written)", async () => {
    const base = await exportedJson(ctx);
    const pw = passwordRef(ctx, 'Fleet-Passw0rd!');
    base.tenants.push({
      name: 'Admins',
      device_limit: 2,
      users: [
        { email: 'boss@admins.example', password: pw },
        { email: 'viewer@admins.example', roles: ['RBAC_ROLE_OBSERVER'], password: pw },
      ],
    });
    expect((await applyOf(ctx, base, ['--yes'])).code).toBe(0);
    const doc = await exportedJson(ctx);
    const entry = doc.tenants.find((t: any) => t.name === 'Admins');
    entry.users = entry.users.filter((u: any) => u.email === 'viewer@admins.example');
    const before = await snapshot(ctx.dbs);
    const refused = await applyOf(ctx, doc, ['--yes', '--prune']);
    expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 5, stdout: '' });
    expect(refused.stderr).toMatch(new RegExp(`boss@admins\\.example is the last admin of tenant "Admins" \\(${entry.id}\\); a tenant must keep one`));
    expect(refused.stderr).toMatch(/keep boss@admins\.example in the file, or give another user of "Admins" the admin role/);
    expect(await snapshot(ctx.dbs)).toEqual(before);
    // With the other user made admin in the same file, the pruning goes through.
    entry.users[0].roles = ['RBAC_ROLE_PERMIT_ALL'];
    const pruned = await applyOf(ctx, doc, ['--yes', '--prune']);
    expect(pruned.code).toBe(0);
    expect(await ctx.storedUser('boss@admins.example')).toBeNull();
    expect((await ctx.storedUser('viewer@admins.example')).roles).toEqual(['RBAC_ROLE_PERMIT_ALL']);
  });

  it("refuses a role change that leaves a tenant without an admin (exit 5, nothing written), with or without --prune", async () => {
    const base = await exportedJson(ctx);
    const pw = passwordRef(ctx, 'Fleet-Passw0rd!');
    base.tenants.push({ name: 'Roles', device_limit: 2, users: [{ email: 'boss@roles.example', password: pw }, { email: 'dev@roles.example', roles: ['RBAC_ROLE_OBSERVER'], password: pw }] });
    expect((await applyOf(ctx, base, ['--yes'])).code).toBe(0);
    const doc = await exportedJson(ctx);
    const entry = doc.tenants.find((t: any) => t.name === 'Roles');
    entry.users.find((u: any) => u.email === 'boss@roles.example').roles = ['RBAC_ROLE_OBSERVER'];
    const before = await snapshot(ctx.dbs);
    for (const args of [['--yes'], ['--yes', '--prune']]) {
      const refused = await applyOf(ctx, doc, args);
      expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 5, stdout: '' });
      expect(refused.stderr).toMatch(new RegExp(`boss@roles\\.example is the last admin of tenant "Roles" \\(${entry.id}\\); a tenant must keep one`));
      expect(refused.stderr).toMatch(/keep the admin role \(RBAC_ROLE_PERMIT_ALL\) of boss@roles\.example in the file, or give it to another user of "Roles" there/);
      expect(await snapshot(ctx.dbs)).toEqual(before);
    }
    // Handing the role over in the same file is one change that keeps an admin.
    entry.users.find((u: any) => u.email === 'dev@roles.example').roles = ['RBAC_ROLE_PERMIT_ALL'];
    expect((await applyOf(ctx, doc, ['--yes'])).code).toBe(0);
    expect((await ctx.storedUser('boss@roles.example')).roles).toEqual(['RBAC_ROLE_OBSERVER']);
    expect((await ctx.storedUser('dev@roles.example')).roles).toEqual(['RBAC_ROLE_PERMIT_ALL']);
  });

  it.each(['commit', 'finalize'])('killed at %s, a prune is rolled back or finished whole by the next command', async (point) => {
    const base = await exportedJson(ctx);
    base.tenants.push({ name: 'Gone', device_limit: 2, users: [{ email: 'a@gone.example', password: passwordRef(ctx, 'Gone-Passw0rd!') }] });
    expect((await applyOf(ctx, base, ['--yes'])).code).toBe(0);
    const gone = (await exportedJson(ctx)).tenants.find((t: any) => t.name === 'Gone');
    expect((await run(ctx.dbs, ['update-tenant', '--tenant', gone.id, '--status', 'suspended', '--yes'])).code).toBe(0);
    const none = await exportedJson(ctx);
    none.tenants = none.tenants.filter((t: any) => t.name !== 'Gone');
    const { file } = await applyOf(ctx, none, ['--dry-run']);
    const killed = await run(ctx.dbs, ['apply', '-f', file, '--yes', '--prune'], { env: { TENANTADM_CRASH_AT: point, TENANTADM_TEST_LEASE_MS: '1' } });
    expect(killed.signal).toBe('SIGKILL');
    expect((await run(ctx.dbs, ['repair'])).code).toBe(0);
    const names = (await runJson(ctx.dbs, ['list-tenants'])).map((t: any) => t.name);
    expect(names.includes('Gone')).toBe(point === 'commit');
    expect((await ctx.storedUser('a@gone.example')) === null).toBe(point !== 'commit');
    // Either way the file applies to the end.
    expect((await run(ctx.dbs, ['apply', '-f', file, '--yes', '--prune'])).code).toBe(0);
    expect((await runJson(ctx.dbs, ['list-tenants'])).map((t: any) => t.name)).not.toContain('Gone');
  });
});
