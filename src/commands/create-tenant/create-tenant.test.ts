/** End-to-end tests of create-tenant: what it writes, --if-not-exists, passwords, and the input it refuses. */
import { spawnSync } from 'node:child_process';
import bcrypt from 'bcryptjs';
import { ObjectId } from 'mongodb';
import { LOCAL_AUDIT_NOTICE, BCRYPT_COST_10, BIN, client, cliEnv, passwordFile, run, runJson, snapshot, tmpDir } from '../../../test/support/harness';
import { killedAt } from '../../../test/support/crash';
import { verifyToken } from '../../../test/support/tenant-token';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create, expectFailsCleanly } = ctx;

describe('create-tenant', () => {
  it('creates the tenant, its limit, its admin and audit entries', async () => {
    const pw = passwordFile(ctx.dir, 'S3cret-pass');
    const t = await runJson(ctx.dbs, ['create-tenant', '--name', 'Acme Corp', '--plan', 'professional', '--addon', 'monitor', '--device-limit', '25', '--admin-email', 'Admin@Acme.Example', '--password-file', pw], { env: BCRYPT_COST_10 });
    expect(t).toMatchObject({
      name: 'Acme Corp',
      status: 'active',
      plan: 'professional',
      service_provider: false,
      device_limit: 25,
      device_count: 0,
    });
    expect(t.id).toMatch(/^[0-9a-f]{24}$/);
    expect(Object.keys(t)[0]).toBe('id');
    expect(t.addons).toEqual([
      { name: 'troubleshoot', enabled: false },
      { name: 'configure', enabled: false },
      { name: 'monitor', enabled: true },
    ]);
    expect(Date.parse(t.created_at)).not.toBeNaN();
    verifyToken(t.tenant_token, t.id);

    const c = await client();
    const stored = await c.db(ctx.dbs.tenantadm).collection('tenants').findOne({ _id: new ObjectId(t.id) });
    expect(stored?.created_at).toBeInstanceOf(Date);
    const limit = await c.db(ctx.dbs.deviceauth).collection('limits').findOne({ tenant_id: t.id });
    expect(limit).toMatchObject({ name: 'max_devices', value: 25, tenant_id: t.id });
    const user = await c.db(ctx.dbs.useradm).collection('users').findOne({ tenant_id: t.id });
    expect(user).toMatchObject({ email: 'admin@acme.example', roles: ['RBAC_ROLE_PERMIT_ALL'] });
    expect(typeof user?._id).toBe('string');
    expect(user?.password).toMatch(/^\$2[aby]\$10\$/);
    expect(await bcrypt.compare('S3cret-pass', user!.password)).toBe(true);
    const audit = await c.db(ctx.dbs.audit).collection('tenantadm_audit').find({ tenant_id: t.id }).toArray();
    expect(audit.map((a) => [a.action, a.object.type, a.state])).toEqual([
      ['create', 'tenant', 'committed'],
      ['create', 'user', 'committed'],
    ]);
    expect(JSON.stringify(audit)).not.toContain('S3cret-pass');
    expect(JSON.stringify(audit)).not.toContain(t.tenant_token);
    expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });

  it('writes -1 for unlimited and a real 0 for "no devices"', async () => {
    const a = await create('unl');
    const b = await create('zero', ['--device-limit', '0']);
    const c2 = await create('unl2', ['--device-limit', 'unlimited']);
    const limits = (await client()).db(ctx.dbs.deviceauth).collection('limits');
    expect((await limits.findOne({ tenant_id: a.id }))?.value).toBe(-1);
    expect((await limits.findOne({ tenant_id: b.id }))?.value).toBe(0);
    expect((await limits.findOne({ tenant_id: c2.id }))?.value).toBe(-1);
    expect([a.device_limit, b.device_limit, c2.device_limit]).toEqual([-1, 0, -1]);
  });

  it('prints only the id with --id-only', async () => {
    const r = await run(ctx.dbs, ['create-tenant', '--name', 'idonly', '--id-only']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{24}\n$/);
    expect(r.stderr).toBe(LOCAL_AUDIT_NOTICE);
  });

  it('reads the password from stdin', async () => {
    const t = await runJson(ctx.dbs, ['create-tenant', '--name', 'stdin', '--admin-email', 'a@stdin.example', '--password-stdin'], { input: 'from-stdin-pw\n' });
    const user = await (await client()).db(ctx.dbs.useradm).collection('users').findOne({ tenant_id: t.id });
    expect(await bcrypt.compare('from-stdin-pw', user!.password)).toBe(true);
  });

  it('asks twice on a terminal with a hidden prompt on stderr (script(1) gives it a pty)', async () => {
    const env = cliEnv(ctx.dbs);
    // Each answer is typed once its prompt is on stderr (the terminal is then in raw mode, so
    // nothing typed is echoed); the input stays open until the command has ended.
    const dir = tmpDir();
    const prompts = `${dir}/prompts`;
    const cmd = `"${process.execPath}" "${BIN}" create-tenant --name tty --admin-email t@tty.example --id-only 2>${prompts}; touch ${dir}/ended`;
    const waitFor = (test: string) => `until ${test}; do sleep 0.05; done`;
    const shown = (text: string) => waitFor(`grep -q '${text}' ${prompts} 2>/dev/null`);
    const typed = `${shown('Password for')}; printf 'typed-secret-1\\r'; ${shown('Repeat it')}; printf 'typed-secret-1\\r'; ${waitFor(`[ -e ${dir}/ended ]`)}`;
    const r = spawnSync('bash', ['-c', `(${typed}) | script -qec '${cmd}' /dev/null`], { env, encoding: 'utf8', timeout: 30_000 });
    const id = r.stdout.replace(/\r/g, '').trim();
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(r.stdout).not.toContain('typed-secret-1');
    const user = await (await client()).db(ctx.dbs.useradm).collection('users').findOne({ tenant_id: id });
    expect(await bcrypt.compare('typed-secret-1', user!.password)).toBe(true);
  });

  it('refuses a taken name with exit 4 and writes nothing', async () => {
    await create('dup');
    const err = await expectFailsCleanly(['create-tenant', '--name', 'dup'], 4);
    expect(err).toMatch(/already exists/);
  });

  it('returns the existing tenant with --if-not-exists', async () => {
    const first = await create('again');
    const before = await snapshot(ctx.dbs);
    const second = await create('again', ['--if-not-exists']);
    expect(second.id).toBe(first.id);
    expect(await snapshot(ctx.dbs)).toEqual(before);
  });

  it('--if-not-exists exits 4 naming each difference from what was asked, and writes nothing', async () => {
    const sp = await create('the-sp', ['--device-limit', '10']);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--service-provider']);
    await create('asked', ['--plan', 'enterprise', '--device-limit', '5', '--admin-email', 'a@asked.example', '--password-file', passwordFile(ctx.dir)]);
    const same = await create('asked', ['--plan', 'enterprise', '--device-limit', '5', '--admin-email', 'a@asked.example', '--password-file', passwordFile(ctx.dir), '--if-not-exists']);
    expect(same).toMatchObject({ name: 'asked', plan: 'enterprise', device_limit: 5 });
    const err = await expectFailsCleanly(
      ['create-tenant', '--name', 'asked', '--plan', 'os', '--device-limit', '7', '--addon', 'monitor', '--parent', sp.id, '--admin-email', 'b@asked.example', '--password-file', passwordFile(ctx.dir), '--if-not-exists'],
      4,
    );
    expect(err).toContain('plan: enterprise (asked os)');
    expect(err).toContain(`parent: none (asked ${sp.id})`);
    expect(err).toContain('device limit: 5 (asked 7)');
    expect(err).toContain('addon monitor: off (asked on)');
    expect(err).toContain('admin b@asked.example: no such user (asked admin)');
    const spErr = await expectFailsCleanly(['create-tenant', '--name', 'the-sp', '--if-not-exists'], 4);
    expect(spErr).toContain('service provider: yes (asked no)');
  });

  it('--if-not-exists after a create killed midway settles it first, then creates the tenant whole', async () => {
    const killed = await run(ctx.dbs, ['create-tenant', '--name', 'half', '--admin-email', 'h@half.example', '--password-file', passwordFile(ctx.dir)], { env: killedAt('step:1') });
    expect(killed.signal).toBe('SIGKILL');
    const half = await (await client()).db(ctx.dbs.tenantadm).collection('tenants').findOne({ name: 'half' });
    expect(half).not.toBeNull();
    const again = await create('half', ['--admin-email', 'h@half.example', '--password-file', passwordFile(ctx.dir), '--if-not-exists']);
    expect(again.id).not.toBe(half!._id.toHexString());
    expect(await runJson(ctx.dbs, ['repair'])).toEqual({ rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] });
    expect((await runJson(ctx.dbs, ['get-tenant', '--name', 'half'])).id).toBe(again.id);
    expect((await runJson(ctx.dbs, ['list-users', '--tenant', again.id])).map((u: any) => u.email)).toEqual(['h@half.example']);
  });

  it('refuses an email used in another tenant with exit 4 and writes nothing', async () => {
    await create('one', ['--admin-email', 'boss@x.example', '--password-file', passwordFile(ctx.dir)]);
    await expectFailsCleanly(['create-tenant', '--name', 'two', '--admin-email', 'BOSS@x.example', '--password-file', passwordFile(ctx.dir)], 4);
  });

  it('fails with exit 2 and writes nothing when a JWT is asked for without a signing key', async () => {
    const err = await expectFailsCleanly(['create-tenant', '--name', 'nokey', '--token-format', 'jwt'], 2, { env: { TENANTADM_SERVER_PRIV_KEY_PATH: '' } });
    expect(err).toMatch(/TENANTADM_SERVER_PRIV_KEY_PATH/);
    await expectFailsCleanly(['create-tenant', '--name', 'badkey', '--key-file', `${ctx.dir}/missing.pem`], 2);
  });

  it('needs a password source when there is no terminal (exit 2)', async () => {
    const err = await expectFailsCleanly(['create-tenant', '--name', 'nopw', '--admin-email', 'a@nopw.example'], 2);
    expect(err).toMatch(/--password-file/);
  });

  it('rejects bad input with exit 2', async () => {
    await expectFailsCleanly(['create-tenant', '--name', 'bad', '--plan', 'gold'], 2);
    await expectFailsCleanly(['create-tenant', '--name', 'bad', '--device-limit', '-5'], 2);
    await expectFailsCleanly(['create-tenant', '--name', 'bad', '--addon', 'telepathy'], 2);
    await expectFailsCleanly(['create-tenant', '--name', 'bad', '--admin-email', 'not-an-email', '--password-stdin'], 2, { input: 'longenough' });
    await expectFailsCleanly(['create-tenant', '--name', 'bad', '--admin-email', 'a@b.example', '--password-stdin'], 2, { input: 'short' });
    await expectFailsCleanly(['create-tenant'], 2);
    await expectFailsCleanly(['create-tenant', '--name', 'bad', '--bogus'], 2);
  });

  it("accepts Mender's create-org spelling, warns about --password, prints the id last", async () => {
    const r = await run(ctx.dbs, ['create-org', '--name', 'legacy', '--username', 'Old@Legacy.example', '--password', 'legacy-pass', '--plan', 'os', '--addon', 'configure', '--device-limit', '10']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/--password/);
    expect(r.stderr).not.toContain('legacy-pass');
    const id = r.stdout.trim().split('\n').pop();
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    const t = await runJson(ctx.dbs, ['get-tenant', '--tenant', id!]);
    expect(t).toMatchObject({ name: 'legacy', plan: 'os', device_limit: 10 });
    const u = await (await client()).db(ctx.dbs.useradm).collection('users').findOne({ email: 'old@legacy.example' });
    expect(u?.tenant_id).toBe(id);
  });
});
