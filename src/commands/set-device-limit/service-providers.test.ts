/** End-to-end tests of set-device-limit: device limits, Service Providers' capacity, reallocation plans, the device-auth cache in Redis. */
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_AUDIT_NOTICE, run, runJson, snapshot } from '../../../test/support/harness';
import { childLimits, expectFailsCleanly, redis, redisCli, seedDevices, storedLimit } from '../../../test/support/limits';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create, sp, auditOf } = ctx;

function writeJson(name: string, data: unknown): string {
  const file = path.join(ctx.dir, `${name}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
  return file;
}

describe('set-device-limit', () => {
  it('writes -1 for unlimited and a real 0, prints before and after, audits', async () => {
    const t = await create('t', ['--device-limit', '5']);
    const r = await run(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '0']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ id: t.id, name: 't', kind: 'max_devices', before: 5, after: 0, changed: true, cache: 'not_configured' }]);
    // The advice is one command to paste into a shell.
    expect(r.stderr).toMatch(/warning: no --redis-url.*up to 3 hours.*: redis-cli SET deviceauth:v1:tenant:[0-9a-f]{24}:limit:v2:max_devices '' EX 10\n/);
    expect(await storedLimit(ctx.dbs, t.id)).toBe(0);
    const u = await runJson(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', 'unlimited']);
    expect(u).toMatchObject([{ before: 0, after: -1 }]);
    expect(await storedLimit(ctx.dbs, t.id)).toBe(-1);
    expect((await auditOf(t.id)).map((a) => a.change).slice(-2)).toEqual(['max_devices: 5 -> 0', 'max_devices: 0 -> unlimited']);

    // A missing document is unlimited; setting another kind inserts its document.
    const m = await runJson(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '3', '--kind', 'max_micro_devices']);
    expect(m).toMatchObject([{ kind: 'max_micro_devices', before: -1, after: 3 }]);

    // Every tier in one run, one row each; the older spellings --id and --limit still work.
    const tiers = await runJson(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '9', '--micro-device-limit', '4', '--system-device-limit', '2']);
    // In the order applied (a plan's order is the allocation's, not the command line's).
    expect(tiers).toHaveLength(3);
    expect(tiers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: t.id, kind: 'max_devices', before: -1, after: 9 }),
        expect.objectContaining({ id: t.id, kind: 'max_micro_devices', before: 3, after: 4 }),
        expect.objectContaining({ id: t.id, kind: 'max_system_devices', before: -1, after: 2 }),
      ]),
    );
    expect(await storedLimit(ctx.dbs, t.id, 'max_system_devices')).toBe(2);
    expect(await runJson(ctx.dbs, ['set-device-limit', '--id', t.id, '--limit', '-1'])).toMatchObject([{ id: t.id, kind: 'max_devices', before: 9, after: -1 }]);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', t.id], 2);
    expect(await storedLimit(ctx.dbs, t.id, 'max_micro_devices')).toBe(4);

    // The same value again writes nothing.
    const before = await snapshot(ctx.dbs);
    expect(await runJson(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '-1'])).toMatchObject([{ changed: false, cache: null }]);
    expect(await snapshot(ctx.dbs)).toEqual(before);
  });

  it("keeps children within the SP's limit: exit 5 names the free capacity", async () => {
    const p = await sp('sp', '100');
    const a = await ctx.child('a', p.id, ['--device-limit', '60']);
    const b = await ctx.child('b', p.id, ['--device-limit', '10']);
    const err = await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', b.id, '--device-limit', '41'], 5);
    expect(err).toMatch(/device limit for children exhausted.*has 40 free/);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', b.id, '--device-limit', 'unlimited'], 5);
    expect(await runJson(ctx.dbs, ['set-device-limit', '--tenant', b.id, '--device-limit', '40'])).toMatchObject([{ before: 10, after: 40 }]);
    // Lowering the SP below what it allocated is refused; down to it is fine.
    expect(await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', p.id, '--device-limit', '99'], 5)).toMatch(/allocated 100/);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', p.id, '--device-limit', '0'], 5);
    expect(await runJson(ctx.dbs, ['set-device-limit', '--tenant', a.id, '--device-limit', '50'])).toMatchObject([{ after: 50 }]);
    expect(await runJson(ctx.dbs, ['set-device-limit', '--tenant', p.id, '--device-limit', '90'])).toMatchObject([{ before: 100, after: 90 }]);
    // The SP's log shows its children's changes.
    expect((await auditOf(p.id)).map((x) => x.change).filter((c: string) => c.startsWith('max_devices'))).toEqual([
      'max_devices: 10 -> 40',
      'max_devices: 60 -> 50',
      'max_devices: 100 -> 90',
    ]);
  });

  it('refuses lowering below the accepted devices unless --force', async () => {
    const t = await create('t', ['--device-limit', '10']);
    await seedDevices(ctx.dbs, t.id, { accepted: 4, pending: 5 });
    expect(await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '3'], 5)).toMatch(/4 accepted devices.*--force/);
    expect(await runJson(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '4'])).toMatchObject([{ after: 4 }]);
    expect(await runJson(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '0', '--force'])).toMatchObject([{ after: 0 }]);
  });

  it('fails cleanly on bad input (2) and unknown tenants (3)', async () => {
    const t = await create('t');
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', t.id], 2);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '-2'], 2);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '5', '--kind', 'max_toasters'], 2);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '5', '--set', `${t.id}=3`], 2);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--set', `${t.id}`], 2);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--set', `${t.id}=1`, '--set', `${t.id}=2`], 2);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit'], 2);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '5', '--redis-url', 'http://x'], 2);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', '0123456789abcdef01234567', '--device-limit', '5'], 3);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--set', `${t.id}=5`, '--set', '0123456789abcdef01234567=5'], 3);
  });
});

describe('reallocation plans', () => {
  async function setup() {
    const p = await sp('sp', '100');
    const a = await ctx.child('a', p.id, ['--device-limit', '60']);
    const b = await ctx.child('b', p.id, ['--device-limit', '40']);
    const c = await ctx.child('c', p.id, []);
    return { p, a, b, c };
  }

  it('moves capacity between children with --set, decreases first, as an array', async () => {
    const { p, a, b, c } = await setup();
    // c +50 alone would not fit; with a -30 and b -20 in the same plan it does.
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--tenant', c.id, '--device-limit', '50'], 5);
    const rows = await runJson(ctx.dbs, ['set-device-limit', '--set', `${c.id}=50`, '--set', `${a.id}=30`, '--set', `${b.id}=20`]);
    // Decreases first, in tenant id order (ObjectIds made by separate processes need not
    // sort in creation order), then the increase.
    const freeing = [
      [a.id, 'a', 60, 30],
      [b.id, 'b', 40, 20],
    ].sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    expect(rows.map((r: any) => [r.name, r.before, r.after])).toEqual([...freeing.map((f) => f.slice(1)), ['c', 0, 50]]);
    expect((await childLimits(ctx.dbs, p.id)).sort((x, y) => x - y)).toEqual([20, 30, 50]);
  });

  it('takes a plan file (or stdin), validated with JSON pointers in the errors', async () => {
    const { p, a, c } = await setup();
    const plan = { limits: [{ id: a.id, limit: 10 }, { id: c.id, limit: 50 }, { tenant_id: p.id, limit: 200 }] };
    const rows = await runJson(ctx.dbs, ['set-device-limit', '-f', writeJson('plan', plan)]);
    // Capacity is freed first (the SP going up, a going down; by id), then taken (c).
    const freeing = [
      [p.id, 'sp', 200],
      [a.id, 'a', 10],
    ].sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    expect(rows.map((r: any) => [r.name, r.after])).toEqual([...freeing.map((f) => f.slice(1)), ['c', 50]]);
    const fromStdin = await runJson(ctx.dbs, ['set-device-limit', '-f', '-'], { input: JSON.stringify({ limits: [{ id: a.id, limit: 11, kind: 'max_devices' }] }) });
    expect(fromStdin).toEqual([expect.objectContaining({ before: 10, after: 11 })]);

    const bad = async (doc: unknown, pointer: RegExp) => {
      const err = await expectFailsCleanly(ctx.dbs, ['set-device-limit', '-f', writeJson('bad', doc)], 2);
      expect(err).toMatch(pointer);
    };
    await bad({ limits: [{ id: a.id, limit: -5 }] }, /\/limits\/0\/limit/);
    await bad({ limits: [{ id: a.id, limit: 5 }, { id: 'xyz', limit: 5 }] }, /\/limits\/1\/id/);
    await bad({ limits: [{ id: a.id, limit: 5, kind: 'max_toasters' }] }, /\/limits\/0\/kind/);
    await bad({ limits: [{ id: a.id, limit: 5, extra: 1 }] }, /\/limits\/0: unexpected property "extra"/);
    await bad({ limits: [] }, /\/limits/);
    await bad({ changes: [] }, /\//);
    await bad('{"limits": [', /not valid JSON/);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '-f', path.join(ctx.dir, 'missing.json')], 2);
  });

  it('refuses a plan that breaks a rule as a whole: nothing written', async () => {
    const { a, b, c } = await setup();
    const err = await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--set', `${a.id}=0`, '--set', `${b.id}=50`, '--set', `${c.id}=51`], 5);
    expect(err).toMatch(/3 children asked for 101.*has 100 free/);
  });

  it('--dry-run checks and prints the plan without writing', async () => {
    const { a, c } = await setup();
    const before = await snapshot(ctx.dbs);
    const r = await run(ctx.dbs, ['set-device-limit', '--set', `${a.id}=0`, '--set', `${c.id}=60`, '--dry-run']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((x: any) => [x.name, x.before, x.after, x.changed])).toEqual([
      ['a', 60, 0, true],
      ['c', 0, 60, true],
    ]);
    expect(r.stderr).toMatch(/dry run/);
    expect(await snapshot(ctx.dbs)).toEqual(before);
    await expectFailsCleanly(ctx.dbs, ['set-device-limit', '--set', `${c.id}=60`, '--dry-run'], 5);
  });

  it('prints a table, NDJSON and CSV', async () => {
    const { a, b } = await setup();
    const table = await run(ctx.dbs, ['set-device-limit', '--set', `${a.id}=50`, '--set', `${b.id}=50`, '-o', 'table']);
    expect(table.stdout).toMatch(/ID.*NAME.*KIND.*BEFORE.*AFTER.*CACHE/);
    expect(table.stdout).toMatch(/max_devices.*60.*50/);
    const nd = await run(ctx.dbs, ['set-device-limit', '--set', `${a.id}=40`, '--set', `${b.id}=40`, '--ndjson']);
    expect(nd.stdout.trim().split('\n').map((l) => JSON.parse(l).after)).toEqual([40, 40]);
    const csv = await run(ctx.dbs, ['set-device-limit', '--tenant', a.id, '--device-limit', '30', '-o', 'csv']);
    expect(csv.stdout.split('\r\n')[0]).toBe('ID,NAME,KIND,BEFORE,AFTER,CACHE');
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
    const res = await run(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '7'], { env: { DEVICEAUTH_REDIS_CONNECTION_STRING: `${r.url}/2` } });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe(LOCAL_AUDIT_NOTICE);
    expect(JSON.parse(res.stdout)).toMatchObject([{ after: 7, cache: 'invalidated' }]);
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
    const a = await ctx.child('a', p.id, ['--device-limit', '50']);
    const b = await ctx.child('b', p.id, ['--device-limit', '0']);
    for (const id of [a.id, b.id, p.id]) redisCli(0, 'SET', key(id), 'x');
    const rows = await runJson(ctx.dbs, ['set-device-limit', '--set', `${a.id}=20`, '--set', `${b.id}=30`], { env: { DEVICEAUTH_REDIS: r.url } });
    expect(rows.map((x: any) => x.cache)).toEqual(['invalidated', 'invalidated']);
    expect([redisCli(0, 'GET', key(a.id)), redisCli(0, 'GET', key(b.id))]).toEqual(['', '']);
    expect(redisCli(0, 'EXISTS', key(p.id))).toBe('1'); // unchanged limit: key kept
    redisCli(0, 'DEL', key(p.id), key(a.id), key(b.id));
  });

  it('keeps the database change when Redis fails (exit 0) and gives the commands to run', async () => {
    const r = redis();
    const t = await create('t', ['--device-limit', '5']);
    const wrong = await run(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '6'], { env: { DEVICEAUTH_REDIS_CONNECTION_STRING: `redis://:wrong-password@127.0.0.1:${r.port}/0` } });
    expect(wrong.code).toBe(0);
    expect(JSON.parse(wrong.stdout)).toMatchObject([{ after: 6, cache: 'failed' }]);
    expect(wrong.stderr).toMatch(/invalidating its cache in Redis at redis:\/\/\*\*\*@127\.0\.0\.1.*failed.*WRONGPASS/);
    expect(wrong.stderr).toContain(`redis-cli SET ${key(t.id)} '' EX 10`);
    expect(wrong.stderr).not.toContain('wrong-password');
    expect(await storedLimit(ctx.dbs, t.id)).toBe(6);

    const started = Date.now();
    const down = await run(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '8', '--redis-url', 'redis://127.0.0.1:1', '--timeout', '1000']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)[0].cache).toBe('failed');
    expect(down.stderr).toContain(key(t.id));
    expect(await storedLimit(ctx.dbs, t.id)).toBe(8);
  });
});
