/** End-to-end tests of migrate, create/list/get/update-tenant, the contract for scripts (stdout, exit codes) and crash safety. */
import { spawnSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import bcrypt from 'bcryptjs';
import { ObjectId } from 'mongodb';
import { BCRYPT_COST_10, BIN, client, cliEnv, freshDbs, passwordFile, run, runJson, snapshot, state, tmpDir, type Dbs, withFreshDatabases, expectFailsCleanly as failsCleanly } from '../support/harness';
import { killedAt } from '../support/crash';

let dbs: Dbs;
let dir: string;

beforeAll(() => {
  dir = tmpDir();
});
withFreshDatabases((d) => (dbs = d));

async function create(name: string, extra: string[] = []): Promise<any> {
  return runJson(dbs, ['create-tenant', '--name', name, ...extra]);
}

/** Assert the command failed with `code`, printed nothing on stdout, and wrote nothing. */
const expectFailsCleanly = (args: string[], code: number, opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
  failsCleanly(dbs, args, code, opts);

function verifyToken(token: string, tenantId: string): void {
  const [h, c, s] = token.split('.');
  expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
  expect(JSON.parse(Buffer.from(c!, 'base64url').toString())).toEqual({
    'mender.tenant': tenantId,
    iss: 'Mender',
    sub: tenantId,
    iat: expect.any(Number),
    jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
  });
  const pub = createPublicKey(fs.readFileSync(state().keyFile, 'utf8'));
  expect(verify('RSA-SHA256', Buffer.from(`${h}.${c}`), pub, Buffer.from(s!, 'base64url'))).toBe(true);
}

describe('migrate', () => {
  it("creates Mender's own indexes and the tool's, once, and nothing on Mender's tenants", async () => {
    const again = await runJson(dbs, ['migrate']);
    expect(again.map((r: any) => [r.collection, r.index, r.state])).toEqual([
      ['users', 'email_1', 'existed'],
      ['limits', 'tenant_id_name', 'existed'],
      ['devices', 'tenant_id_status__id', 'existed'],
      ['tenantadm_audit', 'tenantadm_audit_log_time', 'existed'],
      ['tenantadm_audit', 'tenantadm_audit_time_id', 'existed'],
      ['tenantadm_audit', 'tenantadm_audit_object_time', 'existed'],
    ]);
    const c = await client();
    const names = async (db: string, coll: string) => (await c.db(db).collection(coll).listIndexes().toArray()).map((i) => i.name).sort();
    expect(await names(dbs.useradm, 'users')).toEqual(['_id_', 'email_1']);
    expect(await names(dbs.deviceauth, 'limits')).toEqual(['_id_', 'tenant_id_name']);
    expect(await names(dbs.deviceauth, 'devices')).toEqual(['_id_', 'tenant_id_status__id']);
    await c.db(dbs.tenantadm).collection('tenants').insertOne({ name: 'probe' });
    expect(await names(dbs.tenantadm, 'tenants')).toEqual(['_id_']);
  });

  it('succeeds on duplicate tenant names, lists them, and drops the unique name index of earlier releases', async () => {
    const c = await client();
    const tenants = c.db(dbs.tenantadm).collection('tenants');
    await tenants.createIndex({ name: 1 }, { name: 'tenantadm_name_unique', unique: true });
    await tenants.createIndex({ parent_tenant_id: 1 }, { name: 'tenantadm_parent' });
    const first = await runJson(dbs, ['migrate']);
    expect(first.filter((x: any) => x.state === 'dropped').map((x: any) => x.index)).toEqual(['tenantadm_name_unique', 'tenantadm_parent']);
    const ids = (await tenants.insertMany([{ name: 'Twin' }, { name: 'Twin' }, { name: 'Solo' }])).insertedIds;
    const r = await run(dbs, ['migrate']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).filter((x: any) => x.state === 'dropped')).toEqual([]);
    expect(r.stderr).toContain(`2 tenants are named "Twin": ${ids[0]}, ${ids[1]}`);
    expect(r.stderr).not.toContain('Solo');
    // The tool's own creates still refuse the name, under its lock.
    expect((await run(dbs, ['create-tenant', '--name', 'Twin'])).code).toBe(4);
  });

  it('is required before a change that relies on its unique indexes (exit 5, nothing written)', async () => {
    dbs = freshDbs();
    const err = await expectFailsCleanly(['create-tenant', '--name', 'x', '--admin-email', 'admin@x.example', '--password-file', passwordFile(tmpDir())], 5);
    expect(err).toMatch(/tenantadm migrate/);
  });
});

describe('create-tenant', () => {
  it('creates the tenant, its limit, its admin and audit entries', async () => {
    const pw = passwordFile(dir, 'S3cret-pass');
    const t = await runJson(dbs, ['create-tenant', '--name', 'Acme Corp', '--plan', 'professional', '--addon', 'monitor', '--device-limit', '25', '--admin-email', 'Admin@Acme.Example', '--password-file', pw], { env: BCRYPT_COST_10 });
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
    const stored = await c.db(dbs.tenantadm).collection('tenants').findOne({ _id: new ObjectId(t.id) });
    expect(stored?.created_at).toBeInstanceOf(Date);
    const limit = await c.db(dbs.deviceauth).collection('limits').findOne({ tenant_id: t.id });
    expect(limit).toMatchObject({ name: 'max_devices', value: 25, tenant_id: t.id });
    const user = await c.db(dbs.useradm).collection('users').findOne({ tenant_id: t.id });
    expect(user).toMatchObject({ email: 'admin@acme.example', roles: ['RBAC_ROLE_PERMIT_ALL'] });
    expect(typeof user?._id).toBe('string');
    expect(user?.password).toMatch(/^\$2[aby]\$10\$/);
    expect(await bcrypt.compare('S3cret-pass', user!.password)).toBe(true);
    const audit = await c.db(dbs.audit).collection('tenantadm_audit').find({ tenant_id: t.id }).toArray();
    expect(audit.map((a) => [a.action, a.object.type, a.state])).toEqual([
      ['create', 'tenant', 'committed'],
      ['create', 'user', 'committed'],
    ]);
    expect(JSON.stringify(audit)).not.toContain('S3cret-pass');
    expect(JSON.stringify(audit)).not.toContain(t.tenant_token);
    expect(await c.db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });

  it('writes -1 for unlimited and a real 0 for "no devices"', async () => {
    const a = await create('unl');
    const b = await create('zero', ['--device-limit', '0']);
    const c2 = await create('unl2', ['--device-limit', 'unlimited']);
    const limits = (await client()).db(dbs.deviceauth).collection('limits');
    expect((await limits.findOne({ tenant_id: a.id }))?.value).toBe(-1);
    expect((await limits.findOne({ tenant_id: b.id }))?.value).toBe(0);
    expect((await limits.findOne({ tenant_id: c2.id }))?.value).toBe(-1);
    expect([a.device_limit, b.device_limit, c2.device_limit]).toEqual([-1, 0, -1]);
  });

  it('prints only the id with --id-only', async () => {
    const r = await run(dbs, ['create-tenant', '--name', 'idonly', '--id-only']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{24}\n$/);
    expect(r.stderr).toBe('');
  });

  it('reads the password from stdin', async () => {
    const t = await runJson(dbs, ['create-tenant', '--name', 'stdin', '--admin-email', 'a@stdin.example', '--password-stdin'], { input: 'from-stdin-pw\n' });
    const user = await (await client()).db(dbs.useradm).collection('users').findOne({ tenant_id: t.id });
    expect(await bcrypt.compare('from-stdin-pw', user!.password)).toBe(true);
  });

  it('asks twice on a terminal with a hidden prompt on stderr (script(1) gives it a pty)', async () => {
    const env = cliEnv(dbs);
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
    const user = await (await client()).db(dbs.useradm).collection('users').findOne({ tenant_id: id });
    expect(await bcrypt.compare('typed-secret-1', user!.password)).toBe(true);
  });

  it('refuses a taken name with exit 4 and writes nothing', async () => {
    await create('dup');
    const err = await expectFailsCleanly(['create-tenant', '--name', 'dup'], 4);
    expect(err).toMatch(/already exists/);
  });

  it('returns the existing tenant with --if-not-exists', async () => {
    const first = await create('again');
    const before = await snapshot(dbs);
    const second = await create('again', ['--if-not-exists']);
    expect(second.id).toBe(first.id);
    expect(await snapshot(dbs)).toEqual(before);
  });

  it('--if-not-exists exits 4 naming each difference from what was asked, and writes nothing', async () => {
    const sp = await create('the-sp');
    await runJson(dbs, ['update-tenant', '--id', sp.id, '--service-provider']);
    await create('asked', ['--plan', 'enterprise', '--device-limit', '5', '--admin-email', 'a@asked.example', '--password-file', passwordFile(dir)]);
    const same = await create('asked', ['--plan', 'enterprise', '--device-limit', '5', '--admin-email', 'a@asked.example', '--password-file', passwordFile(dir), '--if-not-exists']);
    expect(same).toMatchObject({ name: 'asked', plan: 'enterprise', device_limit: 5 });
    const err = await expectFailsCleanly(
      ['create-tenant', '--name', 'asked', '--plan', 'os', '--device-limit', '7', '--addon', 'monitor', '--parent', sp.id, '--admin-email', 'b@asked.example', '--password-file', passwordFile(dir), '--if-not-exists'],
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
    const killed = await run(dbs, ['create-tenant', '--name', 'half', '--admin-email', 'h@half.example', '--password-file', passwordFile(dir)], { env: killedAt('step:1') });
    expect(killed.signal).toBe('SIGKILL');
    const half = await (await client()).db(dbs.tenantadm).collection('tenants').findOne({ name: 'half' });
    expect(half).not.toBeNull();
    const again = await create('half', ['--admin-email', 'h@half.example', '--password-file', passwordFile(dir), '--if-not-exists']);
    expect(again.id).not.toBe(half!._id.toHexString());
    expect(await runJson(dbs, ['repair'])).toEqual({ rolled_back: [], finalized: [], in_progress: [] });
    expect((await runJson(dbs, ['get-tenant', '--name', 'half'])).id).toBe(again.id);
    expect((await runJson(dbs, ['list-users', '--tenant', again.id])).map((u: any) => u.email)).toEqual(['h@half.example']);
  });

  it('create-user against a tenant whose create was killed finds no tenant (exit 3) and creates nobody', async () => {
    const killed = await run(dbs, ['create-tenant', '--name', 'ghost', '--admin-email', 'g@ghost.example', '--password-file', passwordFile(dir)], { env: killedAt('step:1') });
    if (killed.signal !== 'SIGKILL') throw new Error(`create-tenant was not killed (exit ${killed.code}): ${killed.stderr}`);
    const ghost = await (await client()).db(dbs.tenantadm).collection('tenants').findOne({ name: 'ghost' });
    expect(ghost).not.toBeNull();
    const r = await run(dbs, ['create-user', '--tenant', ghost!._id.toHexString(), '--email', 'u@ghost.example', '--password-file', passwordFile(dir)]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 3, stdout: '' });
    const c = await client();
    expect(await c.db(dbs.tenantadm).collection('tenants').findOne({ name: 'ghost' })).toBeNull();
    expect(await c.db(dbs.useradm).collection('users').countDocuments({})).toBe(0);
    expect(await c.db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });

  it('refuses an email used in another tenant with exit 4 and writes nothing', async () => {
    await create('one', ['--admin-email', 'boss@x.example', '--password-file', passwordFile(dir)]);
    await expectFailsCleanly(['create-tenant', '--name', 'two', '--admin-email', 'BOSS@x.example', '--password-file', passwordFile(dir)], 4);
  });

  it('fails with exit 2 and writes nothing without a signing key', async () => {
    const err = await expectFailsCleanly(['create-tenant', '--name', 'nokey'], 2, { env: { TENANTADM_SERVER_PRIV_KEY_PATH: '' } });
    expect(err).toMatch(/TENANTADM_SERVER_PRIV_KEY_PATH/);
    await expectFailsCleanly(['create-tenant', '--name', 'badkey', '--key-file', `${dir}/missing.pem`], 2);
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
    const r = await run(dbs, ['create-org', '--name', 'legacy', '--username', 'Old@Legacy.example', '--password', 'legacy-pass', '--plan', 'os', '--addon', 'configure', '--device-limit', '10']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/--password/);
    expect(r.stderr).not.toContain('legacy-pass');
    const id = r.stdout.trim().split('\n').pop();
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    const t = await runJson(dbs, ['get-tenant', '--id', id!]);
    expect(t).toMatchObject({ name: 'legacy', plan: 'os', device_limit: 10 });
    const u = await (await client()).db(dbs.useradm).collection('users').findOne({ email: 'old@legacy.example' });
    expect(u?.tenant_id).toBe(id);
  });
});

describe('list-tenants', () => {
  it('prints [] when there are none', async () => {
    const r = await run(dbs, ['list-tenants']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('feeds jq without any filtering (the seed example)', async () => {
    const a = await create('alpha');
    const b = await create('beta');
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" list-tenants | jq -c '.[] | {"tenant id": .id, "tenant name": .name}'; echo "status=\${PIPESTATUS[0]}"`], {
      env: cliEnv(dbs),
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    const out = r.stdout.trim().split('\n');
    expect(out.pop()).toBe('status=0');
    expect(out.sort()).toEqual(
      [JSON.stringify({ 'tenant id': a.id, 'tenant name': 'alpha' }), JSON.stringify({ 'tenant id': b.id, 'tenant name': 'beta' })].sort(),
    );
  });

  it('filters and prints NDJSON, a table and CSV', async () => {
    const sp = await create('sp');
    await runJson(dbs, ['update-tenant', '--id', sp.id, '--service-provider']);
    await create('plain', ['--plan', 'os']);
    const susp = await create('suspended');
    await runJson(dbs, ['update-tenant', '--id', susp.id, '--status', 'suspended', '--yes']);

    const nd = await run(dbs, ['list-tenants', '--ndjson']);
    const lines = nd.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((t) => t.name).sort()).toEqual(['plain', 'sp', 'suspended']);

    const names = async (...args: string[]) => (await runJson(dbs, ['list-tenants', ...args])).map((t: any) => t.name).sort();
    expect(await names('--service-provider')).toEqual(['sp']);
    expect(await names('--no-service-provider')).toEqual(['plain', 'suspended']);
    expect(await names('--status', 'suspended')).toEqual(['suspended']);
    expect(await names('--status', 'active')).toEqual(['plain', 'sp']);
    expect(await names('--plan', 'os')).toEqual(['plain']);
    expect(await names('--name', 'plain')).toEqual(['plain']);
    expect(await names('--id', sp.id)).toEqual(['sp']);

    const table = await run(dbs, ['list-tenants', '-o', 'table']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ID.*NAME.*STATUS/);
    expect(table.stdout).toContain(sp.id);
    expect(table.stdout).not.toMatch(/\u001b\[/); // no colour when piped

    const csv = await run(dbs, ['list-tenants', '-o', 'csv']);
    const rows = csv.stdout.trim().split('\r\n');
    expect(rows[0]).toBe('ID,NAME,STATUS,PLAN,SP,PARENT,DEVICES,LIMIT,ADD-ONS,CREATED');
    expect(rows).toHaveLength(4);
  });

  it('reads tenants whose ids are stored as strings, and children by parent', async () => {
    const c = await client();
    const parent = await create('parent');
    await c.db(dbs.tenantadm).collection<any>('tenants').insertOne({
      _id: '5f0c1f3e8a1b2c3d4e5f6a7b',
      name: 'legacy-string-id',
      status: 'active',
      parent_tenant_id: parent.id,
    });
    const listed = await runJson(dbs, ['list-tenants', '--parent', parent.id]);
    expect(listed.map((t: any) => [t.id, t.name, t.plan])).toEqual([['5f0c1f3e8a1b2c3d4e5f6a7b', 'legacy-string-id', 'enterprise']]);
    const got = await runJson(dbs, ['get-tenant', '--id', '5f0c1f3e8a1b2c3d4e5f6a7b']);
    expect(got.name).toBe('legacy-string-id');
    const updated = await runJson(dbs, ['update-tenant', '--id', '5f0c1f3e8a1b2c3d4e5f6a7b', '--plan', 'os']);
    expect(updated.plan).toBe('os');
  });

  it('writes the whole list into a pipe (never cut short)', async () => {
    const c = await client();
    await c.db(dbs.tenantadm).collection('tenants').insertMany(
      Array.from({ length: 2000 }, (_, i) => ({ name: `n-${i}`, status: 'active', plan: 'os', addons: [] })),
    );
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" list-tenants | jq length`], { env: cliEnv(dbs), encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('2000');
  });
});

describe('get-tenant', () => {
  it('finds by id, name and username; exit 3 when there is none', async () => {
    const t = await create('findme', ['--admin-email', 'who@find.example', '--password-file', passwordFile(dir)]);
    expect((await runJson(dbs, ['get-tenant', '--id', t.id])).name).toBe('findme');
    expect((await runJson(dbs, ['get-tenant', '--name', 'findme'])).id).toBe(t.id);
    expect((await runJson(dbs, ['get-tenant', '--username', 'WHO@find.example'])).id).toBe(t.id);
    await expectFailsCleanly(['get-tenant', '--id', '0123456789abcdef01234567'], 3);
    await expectFailsCleanly(['get-tenant', '--name', 'nobody'], 3);
    await expectFailsCleanly(['get-tenant', '--username', 'nobody@x.example'], 3);
    await expectFailsCleanly(['get-tenant', '--id', 'xyz'], 2);
    await expectFailsCleanly(['get-tenant'], 2);
    await expectFailsCleanly(['get-tenant', '--id', t.id, '--name', 'findme'], 2);
  });

  it('prints a table and NDJSON for one tenant', async () => {
    const t = await create('single');
    const table = await run(dbs, ['get-tenant', '--id', t.id, '-o', 'table']);
    expect(table.stdout).toContain('single');
    const nd = await run(dbs, ['get-tenant', '--id', t.id, '--ndjson']);
    expect(nd.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(nd.stdout).id).toBe(t.id);
  });
});

describe('update-tenant', () => {
  it('promotes to Service Provider and sets fields no other CLI has a flag for', async () => {
    const t = await create('promote');
    const u = await runJson(dbs, ['update-tenant', '--id', t.id, '--service-provider', '--max-child-tenants', '20', '--plan', 'enterprise', '--addon', 'monitor', '--addon', 'configure=on']);
    expect(u).toMatchObject({ service_provider: true, max_child_tenants: 20 });
    expect(u.addons.filter((a: any) => a.enabled).map((a: any) => a.name).sort()).toEqual(['configure', 'monitor']);
    expect(Date.parse(u.updated_at)).toBeGreaterThanOrEqual(Date.parse(t.updated_at));
    const off = await runJson(dbs, ['update-tenant', '--id', t.id, '--addon', 'monitor=off', '--max-child-tenants', 'unlimited']);
    expect(off.addons.find((a: any) => a.name === 'monitor').enabled).toBe(false);
    expect(off.max_child_tenants).toBeUndefined();
    const audit = await (await client()).db(dbs.audit).collection('tenantadm_audit').find({ tenant_id: t.id, action: 'update' }).toArray();
    expect(audit.map((a) => a.change)).toEqual([
      expect.stringContaining('service_provider: false -> true'),
      expect.stringContaining('addon monitor: on -> off'),
    ]);
  });

  it('suspends, renames and rotates the token', async () => {
    const t = await create('old-name');
    const u = await runJson(dbs, ['update-tenant', '--id', t.id, '--status', 'suspended', '--name', 'new-name', '--rotate-token', '--yes']);
    expect(u).toMatchObject({ status: 'suspended', name: 'new-name' });
    expect(u.tenant_token).not.toBe(t.tenant_token);
    verifyToken(u.tenant_token, t.id);
  });

  it('changes nothing (and audits nothing) when the values are already set', async () => {
    const t = await create('same', ['--plan', 'os']);
    const before = await snapshot(dbs);
    const u = await runJson(dbs, ['update-tenant', '--id', t.id, '--plan', 'os']);
    expect(u.plan).toBe('os');
    expect(await snapshot(dbs)).toEqual(before);
  });

  it('fails cleanly: unknown id 3, taken name 4, SP with children 5, bad input 2', async () => {
    const a = await create('a');
    await create('b');
    await expectFailsCleanly(['update-tenant', '--id', '0123456789abcdef01234567', '--plan', 'os'], 3);
    await expectFailsCleanly(['update-tenant', '--id', a.id, '--name', 'b'], 4);
    await runJson(dbs, ['update-tenant', '--id', a.id, '--service-provider']);
    await (await client()).db(dbs.tenantadm).collection('tenants').insertOne({ name: 'child', status: 'active', parent_tenant_id: a.id });
    const err = await expectFailsCleanly(['update-tenant', '--id', a.id, '--no-service-provider'], 5);
    expect(err).toMatch(/child/);
    await expectFailsCleanly(['update-tenant', '--id', a.id], 2);
    await expectFailsCleanly(['update-tenant', '--id', a.id, '--status', 'deleted'], 2);
    await expectFailsCleanly(['update-tenant', '--id', a.id, '--max-child-tenants', '-1'], 2);
    await expectFailsCleanly(['update-tenant', '--id', a.id, '--rotate-token', '--yes', '--key-file', `${dir}/nope.pem`], 2);
  });
});

describe('the contract for scripts', () => {
  it('exits 6 with one line within the timeout when the server is unreachable', async () => {
    const started = Date.now();
    const r = await run(dbs, ['list-tenants', '--timeout', '700'], { env: { TENANTADM_MONGO: 'mongodb://127.0.0.1:1/' } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1/);
  });

  it('never prints credentials from the MongoDB URL', async () => {
    const r = await run(dbs, ['list-tenants', '--timeout', '500'], { env: { TENANTADM_MONGO: 'mongodb://admin:hunter2@127.0.0.1:1/' } });
    expect(r.code).toBe(6);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('prints errors as JSON with --error-format json', async () => {
    const r = await run(dbs, ['get-tenant', '--id', '0123456789abcdef01234567', '--error-format', 'json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stderr)).toEqual({ error: expect.objectContaining({ code: 'not_found', message: expect.any(String) }) });
    const u = await run(dbs, ['nope'], { env: { TENANTADM_ERROR_FORMAT: 'json' } });
    expect(u.code).toBe(2);
    expect(JSON.parse(u.stderr).error.code).toBe('usage');
  });

  it('prints help with examples and the version on stdout, exit 0', async () => {
    const h = await run(dbs, ['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Exit codes/);
    for (const cmd of ['list-tenants', 'get-tenant', 'create-tenant', 'update-tenant', 'migrate', 'repair']) {
      const c = await run(dbs, [cmd, '--help']);
      expect(c.code).toBe(0);
      expect(c.stdout).toMatch(/Examples:\n {2}\$ tenantadm/);
    }
    const v = await run(dbs, ['--version']);
    expect(v.stdout.trim()).toBe(JSON.parse(fs.readFileSync(`${__dirname}/../../package.json`, 'utf8')).version);
  });
});

describe('crash safety (no transactions)', () => {
  // Tenant, limit, user; the audit entries are written after the commit point.
  const points = ['step:0', 'step:1', 'step:2', 'commit'];
  it.each(points)('a create-tenant killed at %s leaves nothing once repaired', async (point) => {
    const before = await snapshot(dbs);
    const r = await run(dbs, ['create-tenant', '--name', 'crash', '--admin-email', 'c@crash.example', '--password-file', passwordFile(dir)], {
      env: killedAt(point),
    });
    expect(r.signal).toBe('SIGKILL');
    const rep = await runJson(dbs, ['repair']);
    expect(rep.rolled_back).toHaveLength(1);
    const after = await snapshot(dbs);
    // Collections may now exist empty; compare the documents.
    const nonEmpty = (s: Record<string, unknown[]>) => Object.fromEntries(Object.entries(s).filter(([, v]) => v.length > 0));
    expect(nonEmpty(after)).toEqual(nonEmpty(before));
    // And the name is free again.
    expect((await create('crash')).name).toBe('crash');
  });

  it('a create-tenant killed after its commit point is finished by the next command', async () => {
    const r = await run(dbs, ['create-tenant', '--name', 'late', '--admin-email', 'l@late.example', '--password-file', passwordFile(dir)], {
      env: killedAt('finalize'),
    });
    expect(r.signal).toBe('SIGKILL');
    const c = await client();
    // Killed before its roll-forward: its entries are not written yet.
    expect(await c.db(dbs.audit).collection('tenantadm_audit').countDocuments({})).toBe(0);
    await create('next'); // any change repairs first
    expect(await c.db(dbs.audit).collection('tenantadm_audit').countDocuments({ state: 'pending' })).toBe(0);
    const late = await runJson(dbs, ['get-tenant', '--name', 'late']);
    expect(late.name).toBe('late');
    // Its two entries (tenant and admin), written once by the roll-forward.
    expect(await c.db(dbs.audit).collection('tenantadm_audit').countDocuments({ tenant_id: late.id, state: 'committed' })).toBe(2);
    expect(await c.db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });

  it('an update killed midway is rolled back by the next command', async () => {
    const t = await create('upd');
    const before = await snapshot(dbs);
    const r = await run(dbs, ['update-tenant', '--id', t.id, '--plan', 'os', '--status', 'suspended', '--yes'], { env: killedAt('commit') });
    expect(r.signal).toBe('SIGKILL');
    const mid = await (await client()).db(dbs.tenantadm).collection('tenants').findOne({ name: 'upd' });
    expect(mid?.plan).toBe('os'); // the tenant write happened, its commit did not
    await runJson(dbs, ['repair']);
    expect(await snapshot(dbs)).toEqual(before);
  });
});
