/** End-to-end tests of list-users: only the tenant's own users, in every output mode, never with a hash. */
import { run, runJson } from '../../../test/support/harness';
import { createTenant, expectFailsCleanly } from '../../../test/support/cases';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { addUser } = ctx;

describe('list-users and get-user', () => {
  it("lists only the tenant's own users, in every output mode, never with a hash", async () => {
    const a = await createTenant(ctx.dbs, 'list-a');
    const b = await createTenant(ctx.dbs, 'list-b');
    await addUser(a.id, 'zed@a.example');
    await addUser(a.id, 'amy@a.example', ['observer']);
    await addUser(b.id, 'bob@b.example');

    const json = await run(ctx.dbs, ['list-users', '--tenant', a.id]);
    expect(json.code).toBe(0);
    const users = JSON.parse(json.stdout);
    expect(users.map((u: any) => [u.email, u.tenant_id, u.roles])).toEqual([
      ['amy@a.example', a.id, ['RBAC_ROLE_OBSERVER']],
      ['zed@a.example', a.id, ['RBAC_ROLE_PERMIT_ALL']],
    ]);
    for (const u of users) expect(Object.keys(u).sort()).toEqual(['created_ts', 'email', 'id', 'roles', 'tenant_id', 'updated_ts']);

    const nd = await run(ctx.dbs, ['list-users', '--tenant', b.id, '--ndjson']);
    expect(nd.stdout.trim().split('\n').map((l) => JSON.parse(l).email)).toEqual(['bob@b.example']);
    const table = await run(ctx.dbs, ['list-users', '--tenant', a.id, '-o', 'table']);
    expect(table.stdout).toContain('amy@a.example');
    expect(table.stdout).not.toContain('bob@b.example');
    // Roles as people say them, whole even on a narrow terminal.
    const narrow = await run(ctx.dbs, ['list-users', '--tenant', a.id, '-o', 'table'], { terminalColumns: 60, env: { NO_COLOR: '1' } });
    expect(narrow.stdout).toMatch(/amy@a\.example +observer$/m);
    expect(narrow.stdout).toMatch(/zed@a\.example +admin$/m);
    expect(narrow.stdout).not.toContain('RBAC_ROLE');
    const csv = await run(ctx.dbs, ['list-users', '--tenant', a.id, '-o', 'csv']);
    expect(csv.stdout.trim().split('\r\n')).toHaveLength(3);
    for (const out of [json.stdout, nd.stdout, table.stdout, csv.stdout]) {
      expect(out).not.toMatch(/\$2[aby]\$/);
      expect(out).not.toContain('password');
    }
    const empty = await createTenant(ctx.dbs, 'empty');
    expect(await runJson(ctx.dbs, ['list-users', '--tenant', empty.id])).toEqual([]);
    await expectFailsCleanly(ctx.dbs, ['list-users', '--tenant', '0123456789abcdef01234567'], 3);
    await expectFailsCleanly(ctx.dbs, ['list-users'], 2);
  });

});
