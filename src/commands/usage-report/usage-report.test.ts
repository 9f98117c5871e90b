/**
 * usage record and usage report against a month worked out by hand: a missing day, a limit
 * changed mid-month, a child that left its Service Provider, a snapshot recorded twice in a day,
 * devices with and without a tier; and usage --warn-at's exit status.
 */
import { ObjectId } from 'mongodb';
import { client, run, runJson } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

async function tenant(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const _id = new ObjectId();
  const now = new Date();
  await (await client()).db(ctx.dbs.tenantadm).collection('tenants').insertOne({ _id, name, status: 'active', plan: 'enterprise', addons: [], created_at: now, updated_at: now, ...extra });
  return _id.toHexString();
}

async function limit(id: string, value: number, name = 'max_devices'): Promise<void> {
  const limits = (await client()).db(ctx.dbs.deviceauth).collection('limits');
  await limits.deleteMany({ tenant_id: id, name });
  await limits.insertOne({ _id: new ObjectId(), tenant_id: id, name, value });
}

/** Exactly `n` accepted devices for the tenant (of `tier`, or none), replacing what it had of that tier. */
async function accepted(id: string, n: number, tier?: string): Promise<void> {
  const devices = (await client()).db(ctx.dbs.deviceauth).collection<{ _id: string }>('devices');
  await devices.deleteMany({ tenant_id: id, ...(tier ? { tier } : { tier: { $exists: false } }) });
  const docs = Array.from({ length: n }, () => ({ _id: new ObjectId().toHexString(), tenant_id: id, status: 'accepted', ...(tier ? { tier } : {}) }));
  if (docs.length) await devices.insertMany(docs);
}

const record = (day: string) => runJson(ctx.dbs, ['usage', 'record', '--day', day]);

describe('usage record and usage report', () => {
  it('bills November by hand: device-days, peak, average, end, the limit at the end, days recorded and missing', async () => {
    const sp = await tenant('Globex', { service_provider: true });
    const a = await tenant('Globex Paris', { parent_tenant_id: sp });
    const b = await tenant('Globex Oslo', { parent_tenant_id: sp });
    const t = await tenant('Initech');
    await limit(sp, 100);
    await limit(a, 10);
    await limit(b, 10);

    // 1 November: A 3 devices, B 1, T 5 (no limit), SP none.
    await accepted(a, 3);
    await accepted(b, 1);
    await accepted(t, 5);
    expect(await record('2026-11-01')).toEqual({ day: '2026-11-01', tenants: 4, replaced: false });

    // 2 November: recorded twice; the second run replaces the first whole. A's limit is raised to
    // 20, B leaves its SP.
    await accepted(a, 9);
    expect(await record('2026-11-02')).toMatchObject({ day: '2026-11-02', replaced: false });
    await accepted(a, 5);
    await limit(a, 20);
    await (await client()).db(ctx.dbs.tenantadm).collection('tenants').updateOne({ _id: new ObjectId(b) }, { $unset: { parent_tenant_id: '' } });
    await accepted(b, 2);
    expect(await record('2026-11-02')).toEqual({ day: '2026-11-02', tenants: 4, replaced: true });

    // 3 November is not recorded. 4 November: A 4, T 7, and T has 2 micro devices (a tier on the record).
    await accepted(a, 4);
    await accepted(t, 7);
    await accepted(t, 2, 'micro');
    await limit(t, 5, 'max_micro_devices');
    await record('2026-11-04');

    const rows = await runJson(ctx.dbs, ['usage', 'report', '--period', '2026-11']);
    const of = (id: string) => rows.find((r: { id: string }) => r.id === id);
    // 30 days, all past: 3 recorded, 27 missing (reported, never filled in).
    expect(of(a)).toMatchObject({
      name: 'Globex Paris',
      row: 'tenant',
      parent_tenant_id: sp,
      period: '2026-11',
      days_recorded: 3,
      days_missing: 27,
      end_day: '2026-11-04',
      tiers: { max_devices: { device_days: 3 + 5 + 4, peak: 5, average: 4, end: 4, limit_end: 20 } },
    });
    expect(of(t).tiers).toEqual({
      max_devices: { device_days: 5 + 5 + 7, peak: 7, average: 5.67, end: 7, limit_end: -1 },
      max_micro_devices: { device_days: 2, peak: 2, average: 0.67, end: 2, limit_end: 5 },
      max_system_devices: { device_days: 0, peak: 0, average: 0, end: 0, limit_end: -1 },
    });
    expect(of(b)).toMatchObject({ parent_tenant_id: null, days_recorded: 3, tiers: { max_devices: { device_days: 1 + 2 + 2, end: 2 } } });

    // The SP's tree: B counts only for 1 November, the day it was a child.
    const tree = await runJson(ctx.dbs, ['usage', 'report', '--period', '2026-11', '--tree', sp]);
    expect(tree.map((r: { id: string; row: string }) => [r.id, r.row])).toEqual([
      [sp, 'tenant'],
      [a, 'tenant'],
      [b, 'tenant'],
      [sp, 'total'],
    ]);
    expect(tree[2]).toMatchObject({ days_recorded: 1, end_day: '2026-11-01', tiers: { max_devices: { device_days: 1, end: 1 } } });
    // The total: daily sums 3+1, 5, 4 under the SP's limit.
    expect(tree[3]).toMatchObject({ name: 'Globex (total)', days_recorded: 3, tiers: { max_devices: { device_days: 4 + 5 + 4, peak: 5, average: 4.33, end: 4, limit_end: 100 } } });

    // CSV: numeric columns only; an unlimited limit is an empty cell, named in UNLIMITED.
    const csv = await run(ctx.dbs, ['usage', 'report', '--period', '2026-11', '--tenant', t, '-o', 'csv']);
    const [header, line] = csv.stdout.trim().split('\r\n');
    const cells = Object.fromEntries(header!.split(',').map((h, i) => [h, line!.split(',')[i]]));
    expect(cells).toMatchObject({ DEVICE_DAYS: '17', PEAK: '7', AVERAGE: '5.67', END: '7', LIMIT_END: '', LIMIT_END_MICRO: '5', UNLIMITED: 'max_devices max_system_devices' });

    // A month with nothing recorded: no rows; a malformed period is exit 2.
    expect(await runJson(ctx.dbs, ['usage', 'report', '--period', '2026-10'])).toEqual([]);
    expect((await run(ctx.dbs, ['usage', 'report', '--period', '2026-13'])).code).toBe(2);
    expect((await run(ctx.dbs, ['usage', 'record', '--day', '2026-02-30'])).code).toBe(2);
  });

  it("bills a child moved from one SP to another mid-month to each SP for that day's parent only", async () => {
    const umbrella = await tenant('Umbrella', { service_provider: true });
    const hooli = await tenant('Hooli', { service_provider: true });
    const c = await tenant('Roaming', { parent_tenant_id: umbrella });
    await limit(umbrella, 50);
    await limit(hooli, 30);
    await limit(c, 10);
    await accepted(hooli, 1);

    // 1 and 2 October under Umbrella: 2, then 3 devices.
    await accepted(c, 2);
    await record('2026-10-01');
    await accepted(c, 3);
    await record('2026-10-02');
    // Moved to Hooli; 3 October not recorded; 4 October: 6 devices, Hooli's limit raised to 40.
    await (await client()).db(ctx.dbs.tenantadm).collection('tenants').updateOne({ _id: new ObjectId(c) }, { $set: { parent_tenant_id: hooli } });
    await accepted(c, 6);
    await limit(hooli, 40);
    await record('2026-10-04');

    const period = ['usage', 'report', '--period', '2026-10'];
    // Umbrella: the child's 1st and 2nd only; the family's daily sums 2, 3 and (Umbrella alone on the 4th) 0.
    const u = await runJson(ctx.dbs, [...period, '--tree', umbrella]);
    expect(u.map((r: { id: string; row: string }) => [r.id, r.row])).toEqual([
      [umbrella, 'tenant'],
      [c, 'tenant'],
      [umbrella, 'total'],
    ]);
    expect(u[1]).toMatchObject({ days_recorded: 2, days_missing: 28, end_day: '2026-10-02', tiers: { max_devices: { device_days: 2 + 3, peak: 3, average: 2.5, end: 3, limit_end: 10 } } });
    expect(u[2]).toMatchObject({ days_recorded: 3, end_day: '2026-10-04', tiers: { max_devices: { device_days: 5, peak: 3, average: 1.67, end: 0, limit_end: 50 } } });

    // Hooli: the child's 4th only; daily sums 1, 1, 1 + 6; the limit at the end is the raised one.
    const h = await runJson(ctx.dbs, [...period, '--tree', hooli]);
    expect(h.map((r: { id: string; row: string }) => [r.id, r.row])).toEqual([
      [hooli, 'tenant'],
      [c, 'tenant'],
      [hooli, 'total'],
    ]);
    expect(h[1]).toMatchObject({ parent_tenant_id: hooli, days_recorded: 1, end_day: '2026-10-04', tiers: { max_devices: { device_days: 6, peak: 6, average: 6, end: 6 } } });
    expect(h[2]).toMatchObject({ days_recorded: 3, days_missing: 28, tiers: { max_devices: { device_days: 1 + 1 + 7, peak: 7, average: 3, end: 7, limit_end: 40 } } });

    // The child's own row: every recorded day, whoever its parent was (2 + 3 + 6).
    const own = await runJson(ctx.dbs, [...period, '--tenant', c]);
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({ parent_tenant_id: hooli, days_recorded: 3, tiers: { max_devices: { device_days: 11, peak: 6, end: 6, limit_end: 10 } } });
  });

  it('usage --warn-at lists the tenants at or above the line and exits 10; none is exit 0', async () => {
    const full = await tenant('full');
    const near = await tenant('near');
    const low = await tenant('low');
    const open = await tenant('open');
    await limit(full, 10);
    await limit(near, 10);
    await limit(low, 10);
    await accepted(full, 10);
    await accepted(near, 9);
    await accepted(low, 3);
    await accepted(open, 50);
    const r = await run(ctx.dbs, ['usage', '--warn-at', '90']);
    expect(r.code).toBe(10);
    expect(JSON.parse(r.stdout).map((x: { name: string }) => x.name)).toEqual(['full', 'near']);
    const none = await run(ctx.dbs, ['usage', '--warn-at', '100', '--tenant', low]);
    expect({ code: none.code, rows: JSON.parse(none.stdout) }).toEqual({ code: 0, rows: [] });
  });
});
