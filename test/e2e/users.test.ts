/** End-to-end tests of create-user, list-users, get-user and delete-user against Mender's user layout. */
import bcrypt from 'bcryptjs';
import { BCRYPT_COST_10, client, passwordFile, run, runJson, runPaused, snapshot, tmpDir, type Dbs, waitedForLock, withFreshDatabases } from '../support/harness';
import { auditEntries, auditText, createTenant, expectFailsCleanly } from '../support/cases';
import { killedAt } from '../support/crash';

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

async function storedUser(email: string): Promise<any> {
  return (await client()).db(dbs.useradm).collection('users').findOne({ email });
}

describe('create-user', () => {
  it("stores the user in Mender's layout with a bcrypt hash (cost 10) and the admin role by default", async () => {
    const t = await createTenant(dbs, 'acme');
    const r = await run(dbs, ['create-user', '--tenant', t.id, '--email', 'Ops@Acme.Example', '--password-file', passwordFile(dir, PASSWORD)], { env: BCRYPT_COST_10 });
    expect(r.code).toBe(0);
    // Without useradm's address the user is written directly, and stderr says once what only useradm does.
    expect(r.stderr).toMatch(/^tenantadm: warning: TENANTADM_USERADM_ADDR is not set: users are written straight into useradm.users; on Mender Enterprise they cannot log in until registered with tenantadm[^\n]*\n$/);
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
    const [entry] = await auditEntries(dbs, { 'object.type': 'user' });
    expect(entry).toMatchObject({
      action: 'create',
      tenant_id: t.id,
      state: 'committed',
      object: { id: user.id, type: 'user', user: { email: 'ops@acme.example' }, tenant: { id: t.id, name: 'acme' } },
      change: expect.stringContaining('ops@acme.example'),
    });
    for (const text of [r.stdout, r.stderr, await auditText(dbs)]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(stored.password);
    }
  });

  it('takes roles (repeatable, comma lists, aliases) and the password from stdin', async () => {
    const t = await createTenant(dbs, 'roles');
    const u = await runJson(dbs, ['create-user', '--tenant', t.id, '--email', 'ro@roles.example', '--role', 'observer', '--role', 'RBAC_ROLE_CI,RBAC_ROLE_OBSERVER', '--password-stdin'], {
      input: 'stdin-password\n',
    });
    expect(u.roles).toEqual(['RBAC_ROLE_OBSERVER', 'RBAC_ROLE_CI']);
    expect(await bcrypt.compare('stdin-password', (await storedUser('ro@roles.example')).password)).toBe(true);
  });

  it('prints NDJSON, a table and CSV without the hash', async () => {
    const t = await createTenant(dbs, 'modes');
    const nd = await run(dbs, ['create-user', '--tenant', t.id, '--email', 'a@modes.example', '--password-file', passwordFile(dir), '--ndjson']);
    expect(nd.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(nd.stdout).email).toBe('a@modes.example');
    const table = await run(dbs, ['create-user', '--tenant', t.id, '--email', 'b@modes.example', '--password-file', passwordFile(dir), '-o', 'table']);
    expect(table.stdout).toMatch(/EMAIL.*ROLES/);
    expect(table.stdout).toContain('b@modes.example');
    const csv = await run(dbs, ['create-user', '--tenant', t.id, '--email', 'c@modes.example', '--password-file', passwordFile(dir), '-o', 'csv']);
    const rows = csv.stdout.trim().split('\r\n');
    expect(rows[0]).toBe('ID,EMAIL,TENANT,ROLES,CREATED');
    expect(rows[1]).toContain(`,c@modes.example,${t.id},RBAC_ROLE_PERMIT_ALL,`);
    for (const out of [nd.stdout, table.stdout, csv.stdout]) expect(out).not.toMatch(/\$2[aby]\$/);
  });

  it('fails cleanly: unknown tenant 3, taken email 4 (any case, any tenant), bad input 2', async () => {
    const a = await createTenant(dbs, 'a');
    const b = await createTenant(dbs, 'b');
    await addUser(a.id, 'taken@x.example');
    await expectFailsCleanly(dbs, ['create-user', '--tenant', '0123456789abcdef01234567', '--email', 'n@x.example', '--password-file', passwordFile(dir)], 3);
    const err = await expectFailsCleanly(dbs, ['create-user', '--tenant', b.id, '--email', 'TAKEN@x.example', '--password-file', passwordFile(dir)], 4);
    expect(err).toMatch(/already used/);
    await expectFailsCleanly(dbs, ['create-user', '--tenant', a.id, '--email', 'taken@x.example', '--password-file', passwordFile(dir)], 4);
    await expectFailsCleanly(dbs, ['create-user', '--tenant', a.id, '--email', 'not-an-email', '--password-file', passwordFile(dir)], 2);
    await expectFailsCleanly(dbs, ['create-user', '--tenant', a.id, '--email', 'short@x.example', '--password-stdin'], 2, { input: 'short' });
    await expectFailsCleanly(dbs, ['create-user', '--tenant', 'nope', '--email', 'n@x.example', '--password-file', passwordFile(dir)], 2);
    await expectFailsCleanly(dbs, ['create-user', '--tenant', a.id, '--email', 'n@x.example', '--role', 'bad role!', '--password-file', passwordFile(dir)], 2);
    await expectFailsCleanly(dbs, ['create-user', '--tenant', a.id, '--email', 'n@x.example'], 2); // no terminal to ask on
    await expectFailsCleanly(dbs, ['create-user', '--tenant', a.id], 2);
  });

  it('lets exactly one of two concurrent creates of the same email win', async () => {
    const a = await createTenant(dbs, 'race-a');
    const b = await createTenant(dbs, 'race-b');
    const results = await Promise.all(
      [a.id, b.id].map((tenant) => run(dbs, ['create-user', '--tenant', tenant, '--email', 'same@race.example', '--password-file', passwordFile(dir)])),
    );
    expect(results.map((r) => r.code).sort()).toEqual([0, 4]);
    expect(await (await client()).db(dbs.useradm).collection('users').countDocuments({ email: 'same@race.example' })).toBe(1);
    expect(await (await client()).db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });
});

describe('list-users and get-user', () => {
  it("lists only the tenant's own users, in every output mode, never with a hash", async () => {
    const a = await createTenant(dbs, 'list-a');
    const b = await createTenant(dbs, 'list-b');
    await addUser(a.id, 'zed@a.example');
    await addUser(a.id, 'amy@a.example', ['observer']);
    await addUser(b.id, 'bob@b.example');

    const json = await run(dbs, ['list-users', '--tenant', a.id]);
    expect(json.code).toBe(0);
    const users = JSON.parse(json.stdout);
    expect(users.map((u: any) => [u.email, u.tenant_id, u.roles])).toEqual([
      ['amy@a.example', a.id, ['RBAC_ROLE_OBSERVER']],
      ['zed@a.example', a.id, ['RBAC_ROLE_PERMIT_ALL']],
    ]);
    for (const u of users) expect(Object.keys(u).sort()).toEqual(['created_ts', 'email', 'id', 'roles', 'tenant_id', 'updated_ts']);

    const nd = await run(dbs, ['list-users', '--tenant', b.id, '--ndjson']);
    expect(nd.stdout.trim().split('\n').map((l) => JSON.parse(l).email)).toEqual(['bob@b.example']);
    const table = await run(dbs, ['list-users', '--tenant', a.id, '-o', 'table']);
    expect(table.stdout).toContain('amy@a.example');
    expect(table.stdout).not.toContain('bob@b.example');
    const csv = await run(dbs, ['list-users', '--tenant', a.id, '-o', 'csv']);
    expect(csv.stdout.trim().split('\r\n')).toHaveLength(3);
    for (const out of [json.stdout, nd.stdout, table.stdout, csv.stdout]) {
      expect(out).not.toMatch(/\$2[aby]\$/);
      expect(out).not.toContain('password');
    }
    const empty = await createTenant(dbs, 'empty');
    expect(await runJson(dbs, ['list-users', '--tenant', empty.id])).toEqual([]);
    await expectFailsCleanly(dbs, ['list-users', '--tenant', '0123456789abcdef01234567'], 3);
    await expectFailsCleanly(dbs, ['list-users'], 2);
  });

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

describe('delete-user', () => {
  it('deletes a user, audits it, and prints the removed user', async () => {
    const t = await createTenant(dbs, 'del');
    await addUser(t.id, 'keep@del.example');
    const gone = await addUser(t.id, 'gone@del.example');
    const r = await runJson(dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', 'Gone@Del.example']);
    expect(r).toEqual(gone);
    expect(await storedUser('gone@del.example')).toBeNull();
    expect(await storedUser('keep@del.example')).not.toBeNull();
    const [entry] = await auditEntries(dbs, { action: 'delete' });
    expect(entry).toMatchObject({ tenant_id: t.id, object: { id: gone.id, type: 'user', user: { email: 'gone@del.example' } }, state: 'committed' });
    expect(await auditText(dbs)).not.toMatch(/\$2[aby]\$/);
  });

  it("refuses to delete the tenant's last admin (exit 5) but deletes other roles", async () => {
    const t = await createTenant(dbs, 'last');
    await addUser(t.id, 'admin@last.example');
    await addUser(t.id, 'viewer@last.example', ['observer']);
    const err = await expectFailsCleanly(dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', 'admin@last.example'], 5);
    expect(err).toMatch(/last admin/);
    await runJson(dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', 'viewer@last.example']);
    await expectFailsCleanly(dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', 'admin@last.example'], 5);
  });

  it("never reaches another tenant's user (exit 3, the user stays)", async () => {
    const a = await createTenant(dbs, 'iso-a');
    const b = await createTenant(dbs, 'iso-b');
    await addUser(a.id, 'a1@iso.example');
    await addUser(a.id, 'a2@iso.example');
    await addUser(b.id, 'b1@iso.example');
    const err = await expectFailsCleanly(dbs, ['delete-user', '--yes', '--tenant', b.id, '--email', 'a1@iso.example'], 3);
    expect(err).toMatch(/no user a1@iso\.example in tenant/);
    expect(await storedUser('a1@iso.example')).toMatchObject({ tenant_id: a.id });
    await expectFailsCleanly(dbs, ['delete-user', '--yes', '--tenant', '0123456789abcdef01234567', '--email', 'a1@iso.example'], 3);
    await expectFailsCleanly(dbs, ['delete-user', '--yes', '--tenant', a.id, '--email', 'nobody@iso.example'], 3);
    await expectFailsCleanly(dbs, ['delete-user', '--yes', '--tenant', a.id], 2);
  });

  it('never leaves zero admins when the last two are deleted at once', async () => {
    // The first holds its lock between its admin count and its delete; the second starts then,
    // so without the lock both would count two admins and both would delete.
    for (let round = 0; round < 2; round++) {
      const t = await createTenant(dbs, `pair-${round}`);
      await addUser(t.id, `one-${round}@pair.example`);
      await addUser(t.id, `two-${round}@pair.example`);
      const holder = runPaused(dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', `one-${round}@pair.example`], 1000);
      await holder.paused;
      const rival = await run(dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', `two-${round}@pair.example`]);
      const held = await holder.done;
      // The race happened: the rival found the holder's lock and waited for it.
      expect(waitedForLock(rival)).toBe(true);
      expect([held.code, rival.code]).toEqual([0, 5]);
      const left = await (await client()).db(dbs.useradm).collection('users').countDocuments({ tenant_id: t.id, roles: 'RBAC_ROLE_PERMIT_ALL' });
      expect(left).toBe(1);
    }
    const c = await client();
    expect(await c.db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
    expect(await c.db(dbs.tenantadm).collection('tenantadm_locks').countDocuments()).toBe(0);
  });

  it('is rolled back whole when killed before its commit point', async () => {
    const t = await createTenant(dbs, 'crash');
    await addUser(t.id, 'x@crash.example');
    await addUser(t.id, 'y@crash.example');
    const before = await snapshot(dbs);
    const r = await run(dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', 'x@crash.example'], { env: killedAt('commit') });
    expect(r.signal).toBe('SIGKILL');
    expect(await storedUser('x@crash.example')).toBeNull(); // deleted, not yet committed
    await runJson(dbs, ['repair']);
    expect(await snapshot(dbs)).toEqual(before);
  });
});
