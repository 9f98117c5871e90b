/** End-to-end tests of usage: each tenant's devices by status, its limits and a Service Provider's allocation. */
import { ObjectId } from 'mongodb';
import { client, run, runJson } from '../../../test/support/harness';
import { expectFailsCleanly, seedDevices } from '../../../test/support/limits';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create, sp } = ctx;

describe('usage', () => {
  it('counts each tenant’s own devices by status, limits and SP allocation; no tenant sees another’s', async () => {
    const p = await sp('sp', '100');
    const a = await ctx.child('a', p.id, ['--device-limit', '30']);
    const b = await ctx.child('b', p.id, ['--device-limit', '20']);
    const lone = await create('lone');
    await seedDevices(ctx.dbs, p.id, { accepted: 1 });
    await seedDevices(ctx.dbs, a.id, { accepted: 3, pending: 2, rejected: 1 });
    await seedDevices(ctx.dbs, b.id, { accepted: 5, preauthorized: 1, noauth: 2 });
    await seedDevices(ctx.dbs, lone.id, { pending: 4 });
    await seedDevices(ctx.dbs, '0123456789abcdef01234567', { accepted: 9 }); // a tenant that does not exist
    await (await client()).db(ctx.dbs.deviceauth).collection('limits').insertOne({ name: 'max_micro_devices', value: 8, tenant_id: a.id });

    const rows = await runJson(ctx.dbs, ['usage']);
    const by = Object.fromEntries(rows.map((r: any) => [r.name, r]));
    expect(Object.keys(by).sort()).toEqual(['a', 'b', 'lone', 'sp']);
    expect(by.a).toEqual({
      id: a.id,
      name: 'a',
      status: 'active',
      plan: 'enterprise',
      as_of: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
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

    expect((await runJson(ctx.dbs, ['usage', '--tenant', a.id])).map((r: any) => r.devices.accepted)).toEqual([3]);
    expect((await runJson(ctx.dbs, ['usage', '--parent', p.id])).map((r: any) => r.name).sort()).toEqual(['a', 'b']);
    // list-tenants and get-tenant agree on the figures.
    expect(await runJson(ctx.dbs, ['get-tenant', '--tenant', b.id])).toMatchObject({ device_count: 5, device_limit: 20 });

    const nd = await run(ctx.dbs, ['usage', '--ndjson']);
    expect(nd.stdout.trim().split('\n')).toHaveLength(4);
    const table = await run(ctx.dbs, ['usage', '-o', 'table', '--wide']);
    expect(table.stdout).toMatch(/ACCEPTED.*PENDING.*REJECTED.*LIMIT/);
    const csv = (await run(ctx.dbs, ['usage', '-o', 'csv'])).stdout.split('\r\n');
    expect(csv[0]).toBe(
      'ID,NAME,STATUS,PLAN,SP,PARENT,ACCEPTED,PENDING,PREAUTHORIZED,REJECTED,ACCEPTED_MICRO,ACCEPTED_SYSTEM,LIMIT,LIMIT_MICRO,LIMIT_SYSTEM,CHILDREN,ALLOCATED,ALLOCATED_MICRO,ALLOCATED_SYSTEM,FREE,FREE_MICRO,FREE_SYSTEM,UNLIMITED,AS_OF',
    );
    // Numeric columns hold numbers only: unlimited is an empty cell, named in UNLIMITED.
    expect(csv.find((l) => l.startsWith(p.id))).toMatch(
      new RegExp(`^${p.id},sp,active,enterprise,yes,,1,0,0,0,,,100,,,2,50,,,50,,,LIMIT_MICRO LIMIT_SYSTEM ALLOCATED_MICRO ALLOCATED_SYSTEM FREE_MICRO FREE_SYSTEM,\\d{4}-`),
    );

    await expectFailsCleanly(ctx.dbs, ['usage', '--tenant', '0123456789abcdef01234567'], 3);
    await expectFailsCleanly(ctx.dbs, ['usage', '--tenant', a.id, '--parent', p.id], 2);
  });

  it('gives the same figures on a listing longer than one batch (read once from the second batch on)', async () => {
    const c = await client();
    const ids = Array.from({ length: 600 }, () => new ObjectId());
    const hex = ids.map((x) => x.toHexString());
    const [spEarly, spLate] = [300, 550];
    // Children of the late SP sit in the first batch; those of the early SP after it.
    const parentOf = (i: number) => (i >= 10 && i < 20 ? hex[spLate] : i >= 560 && i < 570 ? hex[spEarly] : undefined);
    await c.db(ctx.dbs.tenantadm).collection('tenants').insertMany(
      ids.map((_id, i) => ({ _id, name: `n${i}`, status: 'active', addons: [], service_provider: i === spEarly || i === spLate, ...(parentOf(i) ? { parent_tenant_id: parentOf(i) } : {}) })),
    );
    await c.db(ctx.dbs.deviceauth).collection('limits').insertMany(hex.filter((_, i) => i % 7 !== 0).map((id, i) => ({ name: 'max_devices', value: 1000 + i, tenant_id: id })));
    for (const i of [0, 255, 256, 300, 511, 512, 599]) await seedDevices(ctx.dbs, hex[i]!, { accepted: 1 + (i % 3), pending: i % 2, rejected: 1 });
    const rows = await runJson(ctx.dbs, ['usage']);
    expect(rows).toHaveLength(600);
    const single = async (id: string) => (await runJson(ctx.dbs, ['usage', '--tenant', id]))[0];
    for (const i of [0, 7, 255, 256, 300, 511, 512, 550, 565, 599]) {
      expect({ ...rows[i], as_of: 0 }).toEqual({ ...(await single(hex[i]!)), as_of: 0 }); // the per-tenant path agrees
    }
    expect(rows[spEarly]).toMatchObject({ children: 10 });
    expect(rows[spLate]).toMatchObject({ children: 10 });
    expect(rows[599].devices).toEqual({ accepted: 1 + (599 % 3), pending: 1, rejected: 1, preauthorized: 0, noauth: 0 });
    expect(rows.reduce((n: number, r: any) => n + r.devices.rejected, 0)).toBe(7);
  });

  it('prints [] with no tenants', async () => {
    expect(await runJson(ctx.dbs, ['usage'])).toEqual([]);
  });
});
