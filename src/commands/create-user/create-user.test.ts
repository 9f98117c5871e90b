/** End-to-end tests of create-user: Mender's user layout, roles, output modes, its failures, races, and a tenant whose create was killed. */
import bcrypt from 'bcryptjs';
import { LOCAL_AUDIT_NOTICE, BCRYPT_COST_10, client, passwordFile, run, runJson } from '../../../test/support/harness';
import { auditEntries, auditText, createTenant, expectFailsCleanly } from '../../../test/support/cases';
import { killedAt } from '../../../test/support/crash';
import { commandTest, PASSWORD } from '../../../test/support/command-test';

const ctx = commandTest();
const { addUser, storedUser } = ctx;

describe('create-user', () => {
  it("stores the user in Mender's layout with a bcrypt hash (cost 10) and the admin role by default", async () => {
    const t = await createTenant(ctx.dbs, 'acme');
    const r = await run(ctx.dbs, ['create-user', '--tenant', t.id, '--email', 'Ops@Acme.Example', '--password-file', passwordFile(ctx.dir, PASSWORD)], { env: BCRYPT_COST_10 });
    expect(r.code).toBe(0);
    // Without useradm's address the user is written directly, and stderr says once what only useradm does.
    const lines = r.stderr.split(/(?<=\n)/);
    expect(lines).toHaveLength(2);
    expect(lines).toContain(LOCAL_AUDIT_NOTICE);
    expect(lines.find((l) => l !== LOCAL_AUDIT_NOTICE)).toMatch(/^tenantadm: warning: TENANTADM_USERADM_ADDR is not set: users are written straight into useradm.users; on Mender Enterprise they cannot log in until registered with tenantadm[^\n]*\n$/);
    const user = JSON.parse(r.stdout);
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      email: 'ops@acme.example',
      tenant_id: t.id,
      roles: ['RBAC_ROLE_PERMIT_ALL'],
      created_ts: expect.any(String),
      updated_ts: expect.any(String),
    });
    const stored = await storedUser('ops@acme.example');
    expect(stored).toMatchObject({ _id: user.id, tenant_id: t.id, roles: ['RBAC_ROLE_PERMIT_ALL'] });
    expect(stored.created_ts).toBeInstanceOf(Date);
    expect(stored.password).toMatch(/^\$2[aby]\$10\$/);
    expect(await bcrypt.compare(PASSWORD, stored.password)).toBe(true);
    const [entry] = await auditEntries(ctx.dbs, { 'object.type': 'user' });
    expect(entry).toMatchObject({
      action: 'create',
      tenant_id: t.id,
      state: 'committed',
      object: { id: user.id, type: 'user', user: { email: 'ops@acme.example' }, tenant: { id: t.id, name: 'acme' } },
      change: expect.stringContaining('ops@acme.example'),
    });
    for (const text of [r.stdout, r.stderr, await auditText(ctx.dbs)]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(stored.password);
    }
  });

  it('takes roles (repeatable, comma lists, aliases) and the password from stdin', async () => {
    const t = await createTenant(ctx.dbs, 'roles');
    const u = await runJson(ctx.dbs, ['create-user', '--tenant', t.id, '--email', 'ro@roles.example', '--role', 'observer', '--role', 'RBAC_ROLE_CI,RBAC_ROLE_OBSERVER', '--password-stdin'], {
      input: 'stdin-password\n',
    });
    expect(u.roles).toEqual(['RBAC_ROLE_OBSERVER', 'RBAC_ROLE_CI']);
    expect(await bcrypt.compare('stdin-password', (await storedUser('ro@roles.example')).password)).toBe(true);
  });

  it('prints NDJSON, a table and CSV without the hash', async () => {
    const t = await createTenant(ctx.dbs, 'modes');
    const nd = await run(ctx.dbs, ['create-user', '--tenant', t.id, '--email', 'a@modes.example', '--password-file', passwordFile(ctx.dir), '--ndjson']);
    expect(nd.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(nd.stdout).email).toBe('a@modes.example');
    const table = await run(ctx.dbs, ['create-user', '--tenant', t.id, '--email', 'b@modes.example', '--password-file', passwordFile(ctx.dir), '-o', 'table']);
    // One user is a key/value table; roles as people say them.
    expect(table.stdout).toMatch(/^EMAIL +b@modes\.example$/m);
    expect(table.stdout).toMatch(/^ROLES +admin$/m);
    expect(table.stdout).toContain('b@modes.example');
    const csv = await run(ctx.dbs, ['create-user', '--tenant', t.id, '--email', 'c@modes.example', '--password-file', passwordFile(ctx.dir), '-o', 'csv']);
    const rows = csv.stdout.trim().split('\r\n');
    expect(rows[0]).toBe('ID,EMAIL,TENANT,ROLES,CREATED');
    expect(rows[1]).toContain(`,c@modes.example,${t.id},RBAC_ROLE_PERMIT_ALL,`);
    for (const out of [nd.stdout, table.stdout, csv.stdout]) expect(out).not.toMatch(/\$2[aby]\$/);
  });

  it('fails cleanly: unknown tenant 3, taken email 4 (any case, any tenant), bad input 2', async () => {
    const a = await createTenant(ctx.dbs, 'a');
    const b = await createTenant(ctx.dbs, 'b');
    await addUser(a.id, 'taken@x.example');
    await expectFailsCleanly(ctx.dbs, ['create-user', '--tenant', '0123456789abcdef01234567', '--email', 'n@x.example', '--password-file', passwordFile(ctx.dir)], 3);
    const err = await expectFailsCleanly(ctx.dbs, ['create-user', '--tenant', b.id, '--email', 'TAKEN@x.example', '--password-file', passwordFile(ctx.dir)], 4);
    expect(err).toMatch(/already used/);
    await expectFailsCleanly(ctx.dbs, ['create-user', '--tenant', a.id, '--email', 'taken@x.example', '--password-file', passwordFile(ctx.dir)], 4);
    await expectFailsCleanly(ctx.dbs, ['create-user', '--tenant', a.id, '--email', 'not-an-email', '--password-file', passwordFile(ctx.dir)], 2);
    await expectFailsCleanly(ctx.dbs, ['create-user', '--tenant', a.id, '--email', 'short@x.example', '--password-stdin'], 2, { input: 'short' });
    await expectFailsCleanly(ctx.dbs, ['create-user', '--tenant', 'nope', '--email', 'n@x.example', '--password-file', passwordFile(ctx.dir)], 2);
    await expectFailsCleanly(ctx.dbs, ['create-user', '--tenant', a.id, '--email', 'n@x.example', '--role', 'bad role!', '--password-file', passwordFile(ctx.dir)], 2);
    await expectFailsCleanly(ctx.dbs, ['create-user', '--tenant', a.id, '--email', 'n@x.example'], 2); // no terminal to ask on
    await expectFailsCleanly(ctx.dbs, ['create-user', '--tenant', a.id], 2);
  });

  it('--if-not-exists: the same user again is exit 0 printing it, untouched; a different one is exit 4 naming it', async () => {
    const t = await ctx.create('rerun');
    const other = await ctx.create('elsewhere');
    const args = ['create-user', '--if-not-exists', '--tenant', t.id, '--email', 'ops@rerun.example', '--role', 'observer', '--password-file', passwordFile(ctx.dir)];
    const first = await runJson(ctx.dbs, args);
    const hash = (await storedUser('ops@rerun.example')).password;
    const again = await run(ctx.dbs, [...args.slice(0, 5), 'OPS@rerun.example', ...args.slice(6)]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(first);
    expect((await storedUser('ops@rerun.example')).password).toBe(hash);
    expect(await auditEntries(ctx.dbs, { action: 'create', 'object.type': 'user' })).toHaveLength(1);

    const otherRole = await run(ctx.dbs, ['create-user', '--if-not-exists', '--tenant', t.id, '--email', 'ops@rerun.example', '--role', 'admin', '--password-file', passwordFile(ctx.dir)]);
    expect(otherRole).toMatchObject({ code: 4, stdout: '' });
    expect(otherRole.stderr).toContain(`user ops@rerun.example already exists in tenant ${t.id} with role RBAC_ROLE_OBSERVER`);
    const otherTenant = await run(ctx.dbs, ['create-user', '--if-not-exists', '--tenant', other.id, '--email', 'ops@rerun.example', '--role', 'observer', '--password-file', passwordFile(ctx.dir)]);
    expect(otherTenant.code).toBe(4);
    expect(otherTenant.stderr).toContain(`already used by a user of tenant ${t.id}`);
  });

  it('lets exactly one of two concurrent creates of the same email win', async () => {
    const a = await createTenant(ctx.dbs, 'race-a');
    const b = await createTenant(ctx.dbs, 'race-b');
    const results = await Promise.all(
      [a.id, b.id].map((tenant) => run(ctx.dbs, ['create-user', '--tenant', tenant, '--email', 'same@race.example', '--password-file', passwordFile(ctx.dir)])),
    );
    expect(results.map((r) => r.code).sort()).toEqual([0, 4]);
    expect(await (await client()).db(ctx.dbs.useradm).collection('users').countDocuments({ email: 'same@race.example' })).toBe(1);
    expect(await (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });
});

describe('create-tenant', () => {
  it('create-user against a tenant whose create was killed finds no tenant (exit 3) and creates nobody', async () => {
    const killed = await run(ctx.dbs, ['create-tenant', '--name', 'ghost', '--admin-email', 'g@ghost.example', '--password-file', passwordFile(ctx.dir)], { env: killedAt('step:1') });
    if (killed.signal !== 'SIGKILL') throw new Error(`create-tenant was not killed (exit ${killed.code}): ${killed.stderr}`);
    const ghost = await (await client()).db(ctx.dbs.tenantadm).collection('tenants').findOne({ name: 'ghost' });
    expect(ghost).not.toBeNull();
    const r = await run(ctx.dbs, ['create-user', '--tenant', ghost!._id.toHexString(), '--email', 'u@ghost.example', '--password-file', passwordFile(ctx.dir)]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 3, stdout: '' });
    const c = await client();
    expect(await c.db(ctx.dbs.tenantadm).collection('tenants').findOne({ name: 'ghost' })).toBeNull();
    expect(await c.db(ctx.dbs.useradm).collection('users').countDocuments({})).toBe(0);
    expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });
});
