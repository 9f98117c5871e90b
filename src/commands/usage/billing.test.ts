/** End-to-end tests of usage for a bill: one Service Provider's tree with totals, numbers a spreadsheet can add up, missing parents. */
import { ObjectId } from 'mongodb';
import { client, run, runJson } from '../../../test/support/harness';
import { csvObjects } from '../../../test/support/csv';
import { seedDevices } from '../../../test/support/limits';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create, sp } = ctx;
const MISSING = '0123456789abcdef01234567';

describe('usage --tree', () => {
  it('lists the Service Provider, then its children, then a TOTAL row, alike in JSON, CSV and a table', async () => {
    const p = await sp('Provider', '100');
    const a = await ctx.child('Alpha', p.id, ['--device-limit', '30']);
    const b = await ctx.child('Beta', p.id, ['--device-limit', '10']);
    const other = await create('Other');
    await seedDevices(ctx.dbs, p.id, { accepted: 1 });
    await seedDevices(ctx.dbs, a.id, { accepted: 3, pending: 2, preauthorized: 1 });
    await seedDevices(ctx.dbs, b.id, { accepted: 5 });
    await seedDevices(ctx.dbs, other.id, { accepted: 7 });

    const rows = await runJson(ctx.dbs, ['usage', '--tree', p.id]);
    expect(rows.map((r: any) => r.name)).toEqual(['Provider', 'Alpha', 'Beta', 'TOTAL']);
    expect(rows[3]).toMatchObject({ id: null, total: true, devices: { accepted: 9, pending: 2, preauthorized: 1 }, limits: null });
    // One as_of for the whole listing.
    expect(new Set(rows.map((r: any) => r.as_of)).size).toBe(1);
    // JSON keeps -1 for unlimited.
    expect(rows[0].limits.max_micro_devices).toBe(-1);

    const csv = csvObjects((await run(ctx.dbs, ['usage', '--tree', p.id, '-o', 'csv'])).stdout);
    expect(csv.map((r) => r.NAME)).toEqual(['Provider', 'Alpha', 'Beta', 'TOTAL']);
    expect(csv.map((r) => r.ACCEPTED)).toEqual(['1', '3', '5', '9']);
    expect(csv[1]).toMatchObject({ STATUS: 'active', PLAN: 'enterprise', PENDING: '2', PREAUTHORIZED: '1', LIMIT: '30', UNLIMITED: 'LIMIT_MICRO LIMIT_SYSTEM' });
    // An unlimited figure is an empty cell (a spreadsheet sums the column), named in UNLIMITED.
    expect(csv[0]).toMatchObject({ LIMIT: '100', LIMIT_MICRO: '', FREE: '60', UNLIMITED: expect.stringMatching(/^LIMIT_MICRO LIMIT_SYSTEM /) });
    expect(csv[3]).toMatchObject({ ID: '', NAME: 'TOTAL', LIMIT: '', UNLIMITED: '' });
    for (const r of csv) for (const k of ['ACCEPTED', 'PENDING', 'LIMIT', 'ALLOCATED', 'FREE']) expect(r[k]).toMatch(/^\d*$/);

    const table = await run(ctx.dbs, ['usage', '--tree', p.id, '-o', 'table']);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toMatch(/^ +TOTAL +/);
    expect(table.stdout).not.toContain('unlimited');
  });

  it('refuses a tenant that is not a Service Provider (exit 2) and one that does not exist (exit 3)', async () => {
    const t = await create('Plain');
    const notSp = await run(ctx.dbs, ['usage', '--tree', t.id]);
    expect(notSp.code).toBe(2);
    expect(notSp.stderr).toContain(`--tenant ${t.id}`);
    // The hint works.
    expect((await runJson(ctx.dbs, ['usage', '--tenant', t.id])).map((r: any) => r.name)).toEqual(['Plain']);
    await ctx.expectFailsCleanly(['usage', '--tree', MISSING], 3);
    await ctx.expectFailsCleanly(['usage', '--tree', t.id, '--parent', t.id], 2);
  });
});

describe('a missing parent', () => {
  it('is exit 3 for usage --parent and list-tenants --parent alike', async () => {
    await ctx.expectFailsCleanly(['usage', '--parent', MISSING], 3);
    await ctx.expectFailsCleanly(['list-tenants', '--parent', MISSING], 3);
    const p = await sp('Provider', '10');
    expect(await runJson(ctx.dbs, ['list-tenants', '--parent', p.id])).toEqual([]);
  });
});

describe('devices per tier', () => {
  it('counts them per tier where the device records carry one, and gives the total alone otherwise', async () => {
    const tiered = await create('Tiered', ['--device-limit', '10']);
    const plain = await create('Plain');
    const devices = (await client()).db(ctx.dbs.deviceauth).collection<{ _id: string }>('devices');
    const doc = (tenant: string, status: string, tier?: string) => ({ _id: new ObjectId().toHexString(), tenant_id: tenant, status, ...(tier ? { tier } : {}) });
    await devices.insertMany([
      doc(tiered.id, 'accepted', 'micro'),
      doc(tiered.id, 'accepted', 'micro'),
      doc(tiered.id, 'accepted', 'system'),
      doc(tiered.id, 'accepted'), // no tier: a standard device
      doc(tiered.id, 'pending', 'micro'),
      doc(plain.id, 'accepted'),
      doc(plain.id, 'accepted'),
    ]);
    // The same figures whether a few tenants are asked for (a query per batch) or all of them (one pass).
    for (const args of [['--tenant', tiered.id], []]) {
      const rows = await runJson(ctx.dbs, ['usage', ...args]);
      const t = rows.find((r: { id: string }) => r.id === tiered.id);
      expect(t.devices).toMatchObject({ accepted: 4, pending: 1 });
      expect(t.by_tier).toEqual({
        max_devices: { accepted: 1, pending: 0, preauthorized: 0 },
        max_micro_devices: { accepted: 2, pending: 1, preauthorized: 0 },
        max_system_devices: { accepted: 1, pending: 0, preauthorized: 0 },
      });
      const p = rows.find((r: { id: string }) => r.id === plain.id);
      if (p) expect(p.by_tier).toBeUndefined();
    }
    const csv = csvObjects((await run(ctx.dbs, ['usage', '-o', 'csv'])).stdout);
    expect(csv.find((r) => r.ID === tiered.id)).toMatchObject({ ACCEPTED: '4', ACCEPTED_MICRO: '2', ACCEPTED_SYSTEM: '1' });
    expect(csv.find((r) => r.ID === plain.id)).toMatchObject({ ACCEPTED: '2', ACCEPTED_MICRO: '', ACCEPTED_SYSTEM: '' });
  });
});
