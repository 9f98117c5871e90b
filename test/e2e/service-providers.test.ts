/** End-to-end tests of Service Providers: children, parents, device limits, reallocation plans, the device-auth cache, usage. */
import fs from 'node:fs';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { client, passwordFile, run, runJson, snapshot, tmpDir, type Dbs, withFreshDatabases } from '../support/harness';
import { childLimits, expectFailsCleanly, redis, redisCli, seedDevices, storedLimit } from '../support/limits';

let dbs: Dbs;
let dir: string;

beforeAll(() => {
  dir = tmpDir();
});
withFreshDatabases((d) => (dbs = d));

async function create(name: string, extra: string[] = []): Promise<any> {
  return runJson(dbs, ['create-tenant', '--name', name, ...extra]);
}

async function sp(name: string, limit: string, extra: string[] = []): Promise<any> {
  const t = await create(name, ['--device-limit', limit]);
  return runJson(dbs, ['update-tenant', '--id', t.id, '--service-provider', ...extra]);
}

async function auditOf(tenantId: string): Promise<any[]> {
  return (await client()).db(dbs.audit).collection('tenantadm_audit').find({ log_tenant_ids: tenantId }).sort({ time: 1, _id: 1 }).toArray();
}

function writeJson(name: string, data: unknown): string {
  const file = path.join(dir, `${name}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
  return file;
}

describe('create-tenant --parent', () => {
  it('creates a child with its admin and its limit out of the SP, audited in both logs', async () => {
    const p = await sp('sp', '100');
    const child = await create('child', ['--parent', p.id, '--device-limit', '30', '--admin-email', 'admin@child.example', '--password-file', passwordFile(dir)]);
    expect(child).toMatchObject({ name: 'child', parent_tenant_id: p.id, device_limit: 30, device_count: 0 });
    expect(await storedLimit(dbs, child.id)).toBe(30);
    const user = await (await client()).db(dbs.useradm).collection('users').findOne({ tenant_id: child.id });
    expect(user?.email).toBe('admin@child.example');
    const spLog = await auditOf(p.id);
    expect(spLog.filter((a) => a.tenant_id === child.id).map((a) => [a.action, a.object.type, a.object.tenant?.parent ?? null])).toEqual([
      ['create', 'tenant', p.id],
      ['create', 'user', null],
    ]);
    const listed = await runJson(dbs, ['list-tenants', '--parent', p.id]);
    expect(listed.map((t: any) => t.id)).toEqual([child.id]);
    const withKids = await runJson(dbs, ['get-tenant', '--id', p.id, '--include-children']);
    expect(withKids.children).toEqual([expect.objectContaining({ id: child.id, device_limit: 30, device_count: 0, parent_tenant_id: p.id })]);
  });

  it('gives a child 0 devices by default (never "unlimited"), and 0 of each other kind the SP caps', async () => {
    const p = await sp('sp', '100');
    await (await client()).db(dbs.deviceauth).collection('limits').insertOne({ name: 'max_micro_devices', value: 10, tenant_id: p.id });
    const child = await create('child', ['--parent', p.id]);
    expect(child.device_limit).toBe(0);
    expect(await storedLimit(dbs, child.id)).toBe(0);
    expect(await storedLimit(dbs, child.id, 'max_micro_devices')).toBe(0);
    expect(await storedLimit(dbs, child.id, 'max_system_devices')).toBeUndefined(); // the SP does not cap it
  });

  it('enforces the free capacity, max_child_tenants and an active SP (exit 5), a missing one (exit 3)', async () => {
    const p = await sp('sp', '100', ['--max-child-tenants', '2']);
    await create('a', ['--parent', p.id, '--device-limit', '60']);
    const err = await expectFailsCleanly(dbs, ['create-tenant', '--name', 'b', '--parent', p.id, '--device-limit', '41'], 5);
    expect(err).toMatch(/has 40 free/);
    await expectFailsCleanly(dbs, ['create-tenant', '--name', 'b', '--parent', p.id, '--device-limit', 'unlimited'], 5);
    await create('b', ['--parent', p.id, '--device-limit', '40']);
    expect(await expectFailsCleanly(dbs, ['create-tenant', '--name', 'c', '--parent', p.id], 5)).toMatch(/2 of its 2 child tenants/);

    const plain = await create('plain');
    expect(await expectFailsCleanly(dbs, ['create-tenant', '--name', 'd', '--parent', plain.id], 5)).toMatch(/not a Service Provider/);
    const off = await sp('off', 'unlimited');
    await runJson(dbs, ['update-tenant', '--id', off.id, '--status', 'suspended', '--yes']);
    expect(await expectFailsCleanly(dbs, ['create-tenant', '--name', 'd', '--parent', off.id], 5)).toMatch(/suspended/);
    await expectFailsCleanly(dbs, ['create-tenant', '--name', 'd', '--parent', '0123456789abcdef01234567'], 3);
    await expectFailsCleanly(dbs, ['create-tenant', '--name', 'd', '--parent', 'nope'], 2);
    expect(await childLimits(dbs, p.id)).toEqual([60, 40]);
  });

  it('lets an unlimited SP give unlimited children', async () => {
    const p = await sp('sp', 'unlimited');
    const child = await create('c', ['--parent', p.id, '--device-limit', 'unlimited']);
    expect(await storedLimit(dbs, child.id)).toBe(-1);
  });
});

describe('update-tenant --parent / --no-parent', () => {
  it('attaches a tenant whose limit fits, detaches it (allocation returns), both in the SP log', async () => {
    const p = await sp('sp', '100');
    await create('existing', ['--parent', p.id, '--device-limit', '70']);
    const big = await create('big', ['--device-limit', '31']);
    const err = await expectFailsCleanly(dbs, ['update-tenant', '--id', big.id, '--parent', p.id], 5);
    expect(err).toMatch(/has 30 free/);
    const unl = await create('unl');
    await expectFailsCleanly(dbs, ['update-tenant', '--id', unl.id, '--parent', p.id], 5);

    const t = await create('small', ['--device-limit', '30']);
    const attached = await runJson(dbs, ['update-tenant', '--id', t.id, '--parent', p.id]);
    expect(attached.parent_tenant_id).toBe(p.id);
    const [free] = await runJson(dbs, ['usage', '--id', p.id]);
    expect(free.free.max_devices).toBe(0);

    const detached = await runJson(dbs, ['update-tenant', '--id', t.id, '--no-parent']);
    expect(detached.parent_tenant_id).toBeUndefined();
    const stored = await (await client()).db(dbs.tenantadm).collection('tenants').findOne({ _id: new ObjectId(t.id) });
    expect(stored).not.toHaveProperty('parent_tenant_id');
    const [after] = await runJson(dbs, ['usage', '--id', p.id]);
    expect(after.free.max_devices).toBe(30);

    const log = (await auditOf(p.id)).filter((a) => a.tenant_id === t.id);
    expect(log.map((a) => a.change)).toEqual([
      expect.stringMatching(/attached to Service Provider .* with max_devices 30/),
      expect.stringMatching(/detached from Service Provider .*returns/),
    ]);
    expect(log.every((a) => a.state === 'committed')).toBe(true);

    // Detaching what has no parent changes nothing.
    const before = await snapshot(dbs);
    await runJson(dbs, ['update-tenant', '--id', t.id, '--no-parent']);
    expect(await snapshot(dbs)).toEqual(before);
  });

  it('moves a child from one SP to another, each SP log sees its side', async () => {
    const a = await sp('a', '50');
    const b = await sp('b', '50');
    const c = await create('c', ['--parent', a.id, '--device-limit', '20']);
    await runJson(dbs, ['update-tenant', '--id', c.id, '--parent', b.id]);
    expect((await runJson(dbs, ['get-tenant', '--id', c.id])).parent_tenant_id).toBe(b.id);
    expect((await auditOf(a.id)).pop().change).toMatch(/detached/);
    expect((await auditOf(b.id)).pop().change).toMatch(/attached/);
  });

  it('refuses nesting, self-parenting, a full SP, a non-SP (exit 5)', async () => {
    const p = await sp('sp', 'unlimited', ['--max-child-tenants', '1']);
    const other = await sp('other', 'unlimited');
    const t = await create('t');
    await expectFailsCleanly(dbs, ['update-tenant', '--id', other.id, '--parent', p.id], 5);
    await expectFailsCleanly(dbs, ['update-tenant', '--id', p.id, '--parent', p.id], 5);
    await expectFailsCleanly(dbs, ['update-tenant', '--id', t.id, '--parent', t.id], 5);
    await runJson(dbs, ['update-tenant', '--id', t.id, '--parent', p.id]);
    const u = await create('u');
    expect(await expectFailsCleanly(dbs, ['update-tenant', '--id', u.id, '--parent', p.id], 5)).toMatch(/1 of its 1/);
    expect(await expectFailsCleanly(dbs, ['update-tenant', '--id', t.id, '--service-provider'], 5)).toMatch(/nested/);
    await expectFailsCleanly(dbs, ['update-tenant', '--id', u.id, '--parent', '0123456789abcdef01234567'], 3);
  });
});

describe('set-device-limit', () => {
  it('writes -1 for unlimited and a real 0, prints before and after, audits', async () => {
    const t = await create('t', ['--device-limit', '5']);
    const r = await run(dbs, ['set-device-limit', '--id', t.id, '--limit', '0']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ tenant_id: t.id, name: 't', kind: 'max_devices', before: 5, after: 0, changed: true, cache: 'not_configured' });
    expect(r.stderr).toMatch(/warning: no --redis-url.*up to 3 hours.*SET deviceauth:v1:tenant:[0-9a-f]{24}:limit:v2:max_devices "" EX 10/);
    expect(await storedLimit(dbs, t.id)).toBe(0);
    const u = await runJson(dbs, ['set-device-limit', '--id', t.id, '--limit', 'unlimited']);
    expect(u).toMatchObject({ before: 0, after: -1 });
    expect(await storedLimit(dbs, t.id)).toBe(-1);
    expect((await auditOf(t.id)).map((a) => a.change).slice(-2)).toEqual(['max_devices: 5 -> 0', 'max_devices: 0 -> unlimited']);

    // A missing document is unlimited; setting another kind inserts its document.
    const m = await runJson(dbs, ['set-device-limit', '--id', t.id, '--limit', '3', '--kind', 'max_micro_devices']);
    expect(m).toMatchObject({ kind: 'max_micro_devices', before: -1, after: 3 });
    expect(await storedLimit(dbs, t.id, 'max_micro_devices')).toBe(3);

    // The same value again writes nothing.
    const before = await snapshot(dbs);
    expect(await runJson(dbs, ['set-device-limit', '--id', t.id, '--limit', '-1'])).toMatchObject({ changed: false, cache: null });
    expect(await snapshot(dbs)).toEqual(before);
  });

  it("keeps children within the SP's limit: exit 5 names the free capacity", async () => {
    const p = await sp('sp', '100');
    const a = await create('a', ['--parent', p.id, '--device-limit', '60']);
    const b = await create('b', ['--parent', p.id, '--device-limit', '10']);
    const err = await expectFailsCleanly(dbs, ['set-device-limit', '--id', b.id, '--limit', '41'], 5);
    expect(err).toMatch(/device limit for children exhausted.*has 40 free/);
    await expectFailsCleanly(dbs, ['set-device-limit', '--id', b.id, '--limit', 'unlimited'], 5);
    expect(await runJson(dbs, ['set-device-limit', '--id', b.id, '--limit', '40'])).toMatchObject({ before: 10, after: 40 });
    // Lowering the SP below what it allocated is refused; down to it is fine.
    expect(await expectFailsCleanly(dbs, ['set-device-limit', '--id', p.id, '--limit', '99'], 5)).toMatch(/allocated 100/);
    await expectFailsCleanly(dbs, ['set-device-limit', '--id', p.id, '--limit', '0'], 5);
    expect(await runJson(dbs, ['set-device-limit', '--id', a.id, '--limit', '50'])).toMatchObject({ after: 50 });
    expect(await runJson(dbs, ['set-device-limit', '--id', p.id, '--limit', '90'])).toMatchObject({ before: 100, after: 90 });
    // The SP's log shows its children's changes.
    expect((await auditOf(p.id)).map((x) => x.change).filter((c: string) => c.startsWith('max_devices'))).toEqual([
      'max_devices: 10 -> 40',
      'max_devices: 60 -> 50',
      'max_devices: 100 -> 90',
    ]);
  });

  it('refuses lowering below the accepted devices unless --force', async () => {
    const t = await create('t', ['--device-limit', '10']);
    await seedDevices(dbs, t.id, { accepted: 4, pending: 5 });
    expect(await expectFailsCleanly(dbs, ['set-device-limit', '--id', t.id, '--limit', '3'], 5)).toMatch(/4 accepted devices.*--force/);
    expect(await runJson(dbs, ['set-device-limit', '--id', t.id, '--limit', '4'])).toMatchObject({ after: 4 });
    expect(await runJson(dbs, ['set-device-limit', '--id', t.id, '--limit', '0', '--force'])).toMatchObject({ after: 0 });
  });

  it('fails cleanly on bad input (2) and unknown tenants (3)', async () => {
    const t = await create('t');
    await expectFailsCleanly(dbs, ['set-device-limit', '--id', t.id], 2);
    await expectFailsCleanly(dbs, ['set-device-limit', '--id', t.id, '--limit', '-2'], 2);
    await expectFailsCleanly(dbs, ['set-device-limit', '--id', t.id, '--limit', '5', '--kind', 'max_toasters'], 2);
    await expectFailsCleanly(dbs, ['set-device-limit', '--id', t.id, '--limit', '5', '--set', `${t.id}=3`], 2);
    await expectFailsCleanly(dbs, ['set-device-limit', '--set', `${t.id}`], 2);
    await expectFailsCleanly(dbs, ['set-device-limit', '--set', `${t.id}=1`, '--set', `${t.id}=2`], 2);
    await expectFailsCleanly(dbs, ['set-device-limit'], 2);
    await expectFailsCleanly(dbs, ['set-device-limit', '--id', t.id, '--limit', '5', '--redis-url', 'http://x'], 2);
    await expectFailsCleanly(dbs, ['set-device-limit', '--id', '0123456789abcdef01234567', '--limit', '5'], 3);
    await expectFailsCleanly(dbs, ['set-device-limit', '--set', `${t.id}=5`, '--set', '0123456789abcdef01234567=5'], 3);
  });
});

describe('reallocation plans', () => {
  async function setup() {
    const p = await sp('sp', '100');
    const a = await create('a', ['--parent', p.id, '--device-limit', '60']);
    const b = await create('b', ['--parent', p.id, '--device-limit', '40']);
    const c = await create('c', ['--parent', p.id]);
    return { p, a, b, c };
  }

  it('moves capacity between children with --set, decreases first, as an array', async () => {
    const { p, a, b, c } = await setup();
    // c +50 alone would not fit; with a -30 and b -20 in the same plan it does.
    await expectFailsCleanly(dbs, ['set-device-limit', '--id', c.id, '--limit', '50'], 5);
    const rows = await runJson(dbs, ['set-device-limit', '--set', `${c.id}=50`, '--set', `${a.id}=30`, '--set', `${b.id}=20`]);
    // Decreases first, in tenant id order (ObjectIds made by separate processes need not
    // sort in creation order), then the increase.
    const freeing = [
      [a.id, 'a', 60, 30],
      [b.id, 'b', 40, 20],
    ].sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    expect(rows.map((r: any) => [r.name, r.before, r.after])).toEqual([...freeing.map((f) => f.slice(1)), ['c', 0, 50]]);
    expect((await childLimits(dbs, p.id)).sort((x, y) => x - y)).toEqual([20, 30, 50]);
  });

  it('takes a plan file (or stdin), validated with JSON pointers in the errors', async () => {
    const { p, a, c } = await setup();
    const plan = { limits: [{ tenant_id: a.id, limit: 10 }, { tenant_id: c.id, limit: 50 }, { tenant_id: p.id, limit: 'unlimited' }] };
    const rows = await runJson(dbs, ['set-device-limit', '-f', writeJson('plan', plan)]);
    // Capacity is freed first (the SP going up, a going down; by id), then taken (c).
    const freeing = [
      [p.id, 'sp', -1],
      [a.id, 'a', 10],
    ].sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    expect(rows.map((r: any) => [r.name, r.after])).toEqual([...freeing.map((f) => f.slice(1)), ['c', 50]]);
    const fromStdin = await runJson(dbs, ['set-device-limit', '-f', '-'], { input: JSON.stringify({ limits: [{ tenant_id: a.id, limit: 11, kind: 'max_devices' }] }) });
    expect(fromStdin).toEqual([expect.objectContaining({ before: 10, after: 11 })]);

    const bad = async (doc: unknown, pointer: RegExp) => {
      const err = await expectFailsCleanly(dbs, ['set-device-limit', '-f', writeJson('bad', doc)], 2);
      expect(err).toMatch(pointer);
    };
    await bad({ limits: [{ tenant_id: a.id, limit: -5 }] }, /\/limits\/0\/limit/);
    await bad({ limits: [{ tenant_id: a.id, limit: 5 }, { tenant_id: 'xyz', limit: 5 }] }, /\/limits\/1\/tenant_id/);
    await bad({ limits: [{ tenant_id: a.id, limit: 5, kind: 'max_toasters' }] }, /\/limits\/0\/kind/);
    await bad({ limits: [{ tenant_id: a.id, limit: 5, extra: 1 }] }, /\/limits\/0: unexpected property "extra"/);
    await bad({ limits: [] }, /\/limits/);
    await bad({ changes: [] }, /\//);
    await bad('{"limits": [', /not valid JSON/);
    await expectFailsCleanly(dbs, ['set-device-limit', '-f', path.join(dir, 'missing.json')], 2);
  });

  it('refuses a plan that breaks a rule as a whole: nothing written', async () => {
    const { a, b, c } = await setup();
    const err = await expectFailsCleanly(dbs, ['set-device-limit', '--set', `${a.id}=0`, '--set', `${b.id}=50`, '--set', `${c.id}=51`], 5);
    expect(err).toMatch(/3 children asked for 101.*has 100 free/);
  });

  it('--dry-run checks and prints the plan without writing', async () => {
    const { a, c } = await setup();
    const before = await snapshot(dbs);
    const r = await run(dbs, ['set-device-limit', '--set', `${a.id}=0`, '--set', `${c.id}=60`, '--dry-run']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((x: any) => [x.name, x.before, x.after, x.changed])).toEqual([
      ['a', 60, 0, true],
      ['c', 0, 60, true],
    ]);
    expect(r.stderr).toMatch(/dry run/);
    expect(await snapshot(dbs)).toEqual(before);
    await expectFailsCleanly(dbs, ['set-device-limit', '--set', `${c.id}=60`, '--dry-run'], 5);
  });

  it('prints a table, NDJSON and CSV', async () => {
    const { a, b } = await setup();
    const table = await run(dbs, ['set-device-limit', '--set', `${a.id}=50`, '--set', `${b.id}=50`, '-o', 'table']);
    expect(table.stdout).toMatch(/TENANT.*NAME.*KIND.*BEFORE.*AFTER.*CACHE/);
    expect(table.stdout).toMatch(/max_devices.*60.*50/);
    const nd = await run(dbs, ['set-device-limit', '--set', `${a.id}=40`, '--set', `${b.id}=40`, '--ndjson']);
    expect(nd.stdout.trim().split('\n').map((l) => JSON.parse(l).after)).toEqual([40, 40]);
    const csv = await run(dbs, ['set-device-limit', '--id', a.id, '--limit', '30', '-o', 'csv']);
    expect(csv.stdout.split('\r\n')[0]).toBe('TENANT,NAME,KIND,BEFORE,AFTER,CACHE');
  });
});

describe('the device-auth cache in Redis', () => {
  const key = (id: string, kind = 'max_devices') => `deviceauth:v1:tenant:${id}:limit:v2:${kind}`;

  it("writes Mender's invalid value over the key in the configured database after the write (password and db index)", async () => {
    const r = redis();
    const t = await create('t', ['--device-limit', '5']);
    const other = await create('other', ['--device-limit', '5']);
    redisCli(2, 'SET', key(t.id), '5');
    redisCli(2, 'SET', key(other.id), '5');
    redisCli(0, 'SET', key(t.id), '5'); // another database: not device-auth's
    // The password in the environment, as the README asks (in --redis-url it would be in `ps`, with a warning).
    const res = await run(dbs, ['set-device-limit', '--id', t.id, '--limit', '7'], { env: { DEVICEAUTH_REDIS_CONNECTION_STRING: `${r.url}/2` } });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout)).toMatchObject({ after: 7, cache: 'invalidated' });
    expect(redisCli(2, 'GET', key(t.id))).toBe('');
    expect(Number(redisCli(2, 'TTL', key(t.id)))).toBeGreaterThan(0);
    expect(redisCli(2, 'EXISTS', key(other.id))).toBe('1');
    expect(redisCli(0, 'EXISTS', key(t.id))).toBe('1');
    redisCli(0, 'DEL', key(t.id));
    redisCli(2, 'DEL', key(t.id), key(other.id));
  });

  it('invalidates every changed key of a plan, via DEVICEAUTH_REDIS', async () => {
    const r = redis();
    const p = await sp('sp', '100');
    const a = await create('a', ['--parent', p.id, '--device-limit', '50']);
    const b = await create('b', ['--parent', p.id, '--device-limit', '0']);
    for (const id of [a.id, b.id, p.id]) redisCli(0, 'SET', key(id), 'x');
    const rows = await runJson(dbs, ['set-device-limit', '--set', `${a.id}=20`, '--set', `${b.id}=30`], { env: { DEVICEAUTH_REDIS: r.url } });
    expect(rows.map((x: any) => x.cache)).toEqual(['invalidated', 'invalidated']);
    expect([redisCli(0, 'GET', key(a.id)), redisCli(0, 'GET', key(b.id))]).toEqual(['', '']);
    expect(redisCli(0, 'EXISTS', key(p.id))).toBe('1'); // unchanged limit: key kept
    redisCli(0, 'DEL', key(p.id), key(a.id), key(b.id));
  });

  it('keeps the database change when Redis fails (exit 0) and gives the commands to run', async () => {
    const r = redis();
    const t = await create('t', ['--device-limit', '5']);
    const wrong = await run(dbs, ['set-device-limit', '--id', t.id, '--limit', '6'], { env: { DEVICEAUTH_REDIS_CONNECTION_STRING: `redis://:wrong-password@127.0.0.1:${r.port}/0` } });
    expect(wrong.code).toBe(0);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ after: 6, cache: 'failed' });
    expect(wrong.stderr).toMatch(/invalidating its cache in Redis at redis:\/\/\*\*\*@127\.0\.0\.1.*failed.*WRONGPASS/);
    expect(wrong.stderr).toContain(`SET ${key(t.id)} "" EX 10`);
    expect(wrong.stderr).not.toContain('wrong-password');
    expect(await storedLimit(dbs, t.id)).toBe(6);

    const started = Date.now();
    const down = await run(dbs, ['set-device-limit', '--id', t.id, '--limit', '8', '--redis-url', 'redis://127.0.0.1:1', '--timeout', '1000']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout).cache).toBe('failed');
    expect(down.stderr).toContain(key(t.id));
    expect(await storedLimit(dbs, t.id)).toBe(8);
  });
});

describe('usage', () => {
  it('counts each tenant’s own devices by status, limits and SP allocation; no tenant sees another’s', async () => {
    const p = await sp('sp', '100');
    const a = await create('a', ['--parent', p.id, '--device-limit', '30']);
    const b = await create('b', ['--parent', p.id, '--device-limit', '20']);
    const lone = await create('lone');
    await seedDevices(dbs, p.id, { accepted: 1 });
    await seedDevices(dbs, a.id, { accepted: 3, pending: 2, rejected: 1 });
    await seedDevices(dbs, b.id, { accepted: 5, preauthorized: 1, noauth: 2 });
    await seedDevices(dbs, lone.id, { pending: 4 });
    await seedDevices(dbs, '0123456789abcdef01234567', { accepted: 9 }); // a tenant that does not exist
    await (await client()).db(dbs.deviceauth).collection('limits').insertOne({ name: 'max_micro_devices', value: 8, tenant_id: a.id });

    const rows = await runJson(dbs, ['usage']);
    const by = Object.fromEntries(rows.map((r: any) => [r.name, r]));
    expect(Object.keys(by).sort()).toEqual(['a', 'b', 'lone', 'sp']);
    expect(by.a).toEqual({
      tenant_id: a.id,
      name: 'a',
      status: 'active',
      service_provider: false,
      parent_tenant_id: p.id,
      devices: { accepted: 3, pending: 2, rejected: 1, preauthorized: 0, noauth: 0 },
      limits: { max_devices: 30, max_micro_devices: 8, max_system_devices: -1 },
    });
    expect(by.b.devices).toEqual({ accepted: 5, pending: 0, rejected: 0, preauthorized: 1, noauth: 2 });
    expect(by.lone.devices).toEqual({ accepted: 0, pending: 4, rejected: 0, preauthorized: 0, noauth: 0 });
    expect(by.lone.limits.max_devices).toBe(-1);
    expect(by.sp).toMatchObject({
      devices: { accepted: 1, pending: 0, rejected: 0, preauthorized: 0, noauth: 0 },
      limits: { max_devices: 100, max_micro_devices: -1, max_system_devices: -1 },
      children: 2,
      allocated: { max_devices: 50, max_micro_devices: -1, max_system_devices: -1 },
      free: { max_devices: 50, max_micro_devices: -1, max_system_devices: -1 },
    });
    const total = rows.reduce((s: number, r: any) => s + r.devices.accepted, 0);
    expect(total).toBe(9); // the orphan devices are nobody's

    expect((await runJson(dbs, ['usage', '--id', a.id])).map((r: any) => r.devices.accepted)).toEqual([3]);
    expect((await runJson(dbs, ['usage', '--parent', p.id])).map((r: any) => r.name).sort()).toEqual(['a', 'b']);
    // list-tenants and get-tenant agree on the figures.
    expect(await runJson(dbs, ['get-tenant', '--id', b.id])).toMatchObject({ device_count: 5, device_limit: 20 });

    const nd = await run(dbs, ['usage', '--ndjson']);
    expect(nd.stdout.trim().split('\n')).toHaveLength(4);
    const table = await run(dbs, ['usage', '-o', 'table', '--wide']);
    expect(table.stdout).toMatch(/ACCEPTED.*PENDING.*REJECTED.*LIMIT/);
    const csv = (await run(dbs, ['usage', '-o', 'csv'])).stdout.split('\r\n');
    expect(csv[0]).toBe(
      'ID,NAME,SP,PARENT,ACCEPTED,PENDING,REJECTED,LIMIT,LIMIT_MICRO,LIMIT_SYSTEM,CHILDREN,ALLOCATED,ALLOCATED_MICRO,ALLOCATED_SYSTEM,FREE,FREE_MICRO,FREE_SYSTEM',
    );
    expect(csv.find((l) => l.startsWith(p.id))).toBe(`${p.id},sp,yes,,1,0,0,100,unlimited,unlimited,2,50,unlimited,unlimited,50,unlimited,unlimited`);

    await expectFailsCleanly(dbs, ['usage', '--id', '0123456789abcdef01234567'], 3);
    await expectFailsCleanly(dbs, ['usage', '--id', a.id, '--parent', p.id], 2);
  });

  it('gives the same figures on a listing longer than one batch (read once from the second batch on)', async () => {
    const c = await client();
    const ids = Array.from({ length: 600 }, () => new ObjectId());
    const hex = ids.map((x) => x.toHexString());
    const [spEarly, spLate] = [300, 550];
    // Children of the late SP sit in the first batch; those of the early SP after it.
    const parentOf = (i: number) => (i >= 10 && i < 20 ? hex[spLate] : i >= 560 && i < 570 ? hex[spEarly] : undefined);
    await c.db(dbs.tenantadm).collection('tenants').insertMany(
      ids.map((_id, i) => ({ _id, name: `n${i}`, status: 'active', addons: [], service_provider: i === spEarly || i === spLate, ...(parentOf(i) ? { parent_tenant_id: parentOf(i) } : {}) })),
    );
    await c.db(dbs.deviceauth).collection('limits').insertMany(hex.filter((_, i) => i % 7 !== 0).map((id, i) => ({ name: 'max_devices', value: 1000 + i, tenant_id: id })));
    for (const i of [0, 255, 256, 300, 511, 512, 599]) await seedDevices(dbs, hex[i]!, { accepted: 1 + (i % 3), pending: i % 2, rejected: 1 });
    const rows = await runJson(dbs, ['usage']);
    expect(rows).toHaveLength(600);
    const single = async (id: string) => (await runJson(dbs, ['usage', '--id', id]))[0];
    for (const i of [0, 7, 255, 256, 300, 511, 512, 550, 565, 599]) {
      expect(rows[i]).toEqual(await single(hex[i]!)); // the per-tenant path agrees
    }
    expect(rows[spEarly]).toMatchObject({ children: 10 });
    expect(rows[spLate]).toMatchObject({ children: 10 });
    expect(rows[599].devices).toEqual({ accepted: 1 + (599 % 3), pending: 1, rejected: 1, preauthorized: 0, noauth: 0 });
    expect(rows.reduce((n: number, r: any) => n + r.devices.rejected, 0)).toBe(7);
  });

  it('prints [] with no tenants', async () => {
    expect(await runJson(dbs, ['usage'])).toEqual([]);
  });
});
