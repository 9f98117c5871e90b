/**
 * How many database commands a command sends, counted by the driver's command monitoring
 * (TENANTADM_COUNT_COMMANDS): reads stay constant however many tenants or plan entries there
 * are, index checks and the schema profile are read only when a write depends on them, and
 * results are built from what was written rather than read back. Counts, not timings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { client, passwordFile, run, tmpDir, type Dbs, withFreshDatabases } from '../support/harness';

let dbs: Dbs;
let dir: string;

beforeAll(() => {
  dir = tmpDir();
});
withFreshDatabases((d) => (dbs = d));

/** Commands by name from the debug line on stderr. */
async function counted(args: string[]): Promise<{ code: number; stdout: string; byName: Record<string, number>; total: number }> {
  const r = await run(dbs, args, { env: { TENANTADM_COUNT_COMMANDS: '1' } });
  const m = /tenantadm: debug: (\d+) database commands(?: \((.*)\))?/.exec(r.stderr);
  if (!m) throw new Error(`no command count on stderr: ${r.stderr}`);
  const byName: Record<string, number> = {};
  for (const part of (m[2] ?? '').split(', ').filter(Boolean)) {
    const [name, n] = part.split(' ');
    byName[name!] = Number(n);
  }
  return { code: r.code, stdout: r.stdout, byName, total: Number(m[1]) };
}

/** Reads only: what grows with data if anything issues a query per tenant or per entry. */
const reads = (c: { byName: Record<string, number> }) => (c.byName.find ?? 0) + (c.byName.aggregate ?? 0) + (c.byName.count ?? 0) + (c.byName.listIndexes ?? 0);

/** An SP (limit 10,000) with `n` children at limit 1, and `extra` tenants that are not its children. */
async function seed(n: number, extra = 0): Promise<{ sp: string; children: string[] }> {
  const c = await client();
  const sp = new ObjectId();
  const kids = Array.from({ length: n }, () => new ObjectId());
  const others = Array.from({ length: extra }, () => new ObjectId());
  await c.db(dbs.tenantadm).collection('tenants').insertMany([
    { _id: sp, name: 'sp', status: 'active', plan: 'enterprise', addons: [], service_provider: true },
    ...kids.map((k, i) => ({ _id: k, name: `child-${i}`, status: 'active', plan: 'enterprise', addons: [], parent_tenant_id: sp.toHexString() })),
    ...others.map((k, i) => ({ _id: k, name: `other-${i}`, status: 'active', plan: 'enterprise', addons: [] })),
  ]);
  await c.db(dbs.deviceauth).collection('limits').insertMany([
    { name: 'max_devices', value: 10_000, tenant_id: sp.toHexString() },
    ...[...kids, ...others].map((k) => ({ name: 'max_devices', value: 1, tenant_id: k.toHexString() })),
  ]);
  return { sp: sp.toHexString(), children: kids.map((k) => k.toHexString()) };
}

function planFile(children: string[], limit: number): string {
  const file = path.join(dir, `plan-${children.length}-${limit}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify({ limits: children.map((id) => ({ tenant_id: id, limit })) }));
  return file;
}

describe('a reallocation plan reads in a constant number of queries', () => {
  it('4 entries and 60 entries over one SP read the same number of times, dry run and applied', async () => {
    const { children } = await seed(60);
    const small = await counted(['set-device-limit', '-f', planFile(children.slice(0, 4), 2), '--dry-run']);
    const large = await counted(['set-device-limit', '-f', planFile(children, 2), '--dry-run']);
    expect([small.code, large.code]).toEqual([0, 0]);
    expect(JSON.parse(large.stdout)).toHaveLength(60);
    expect(reads(large)).toBe(reads(small));

    const applySmall = await counted(['set-device-limit', '-f', planFile(children.slice(0, 4), 3)]);
    const applyLarge = await counted(['set-device-limit', '-f', planFile(children, 4)]);
    expect([applySmall.code, applyLarge.code]).toEqual([0, 0]);
    expect(reads(applyLarge)).toBe(reads(applySmall));
    // One lock for the SP, not one per child.
    expect(applyLarge.byName.insert! - applySmall.byName.insert!).toBeLessThan(56 * 2);
    // The audit entries are written committed after the commit, with no settle: only the limits' own batches grow
    // (50 updates a command, each batch after the first preceded by the journal's ownership check), and the
    // 60-entry plan, too big for the operation's document, is written apart and made to count by one compare-and-set.
    expect(applyLarge.byName.update! - applySmall.byName.update!).toBe(3);
  });

  it('lowering counts accepted devices in one aggregation, whatever the number of entries', async () => {
    const { children } = await seed(30);
    await counted(['set-device-limit', '-f', planFile(children, 5)]);
    const small = await counted(['set-device-limit', '-f', planFile(children.slice(0, 3), 4)]);
    const large = await counted(['set-device-limit', '-f', planFile(children.slice(3), 4)]);
    expect([small.code, large.code]).toEqual([0, 0]);
    expect(small.byName.aggregate).toBe(1);
    expect(large.byName.aggregate).toBe(1);
    expect(reads(large)).toBe(reads(small));
  });
});

describe('listings read per page, never per tenant', () => {
  it('list-tenants and usage of every tenant read the same with 6 and with 302 tenants', async () => {
    await seed(2, 3);
    const few = [await counted(['list-tenants']), await counted(['usage'])];
    await seed(150, 145);
    const many = [await counted(['list-tenants']), await counted(['usage'])];
    expect(JSON.parse(many[0]!.stdout).length).toBe(302);
    expect(JSON.parse(many[1]!.stdout).length).toBe(302);
    // Cursor batches (getMore) aside, the same queries.
    expect(many.map(reads)).toEqual(few.map(reads));
  });

  it('usage and list-tenants of one SP with 3 and with 120 children read the same', async () => {
    const a = await seed(3);
    const b = await seed(120);
    const ofA = [await counted(['usage', '--parent', a.sp]), await counted(['list-tenants', '--parent', a.sp])];
    const ofB = [await counted(['usage', '--parent', b.sp]), await counted(['list-tenants', '--parent', b.sp])];
    expect(JSON.parse(ofB[0]!.stdout)).toHaveLength(120);
    expect(ofB.map(reads)).toEqual(ofA.map(reads));
  });
});

describe('writes read only what their rules need', () => {
  it('create-tenant with its admin: name and email checked, one index check, no profile for a positive limit, nothing read back', async () => {
    const c = await counted(['create-tenant', '--name', 'acme', '--device-limit', '10', '--admin-email', 'admin@acme.example', '--password-file', passwordFile(dir)]);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ name: 'acme', device_limit: 10, device_count: 0 });
    expect(c.byName.listIndexes).toBe(1);
    expect(c.byName.aggregate).toBeUndefined();
    // The journal's repair check, the name (under its lock), the email; deviceauth's version is not needed for 10.
    expect(c.byName.find).toBe(3);
    // Writes: the two locks in one insert, the operation with its plan, tenant, limit and user (an ownership
    // check before the last two), the commit, the audit entries (already committed), then the clean-up.
    expect(c.byName).toEqual({ find: 3, listIndexes: 1, insert: 6, update: 3, delete: 2, endSessions: 1 });
    expect(c.total).toBe(16);
  });

  it('update-tenant reads the tenant once and builds its result from what it wrote', async () => {
    const { children } = await seed(1);
    const c = await counted(['update-tenant', '--id', children[0]!, '--plan', 'professional']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ id: children[0], plan: 'professional', device_limit: 1, device_count: 0 });
    expect(c.byName.listIndexes).toBeUndefined();
    // Repair check, the tenant, its limit; and its accepted devices (one aggregation).
    expect(c.byName.find).toBe(3);
    expect(c.byName.aggregate).toBe(1);
    // Locks (one insert), the operation with its plan, the tenant, the commit, the audit entry, the clean-up.
    expect(c.byName).toEqual({ find: 3, aggregate: 1, insert: 3, update: 2, delete: 2, endSessions: 1 });
    expect(c.total).toBe(12);
  });

  it('set-device-limit on a child: the child, then its SP and siblings in one query, their limits in one', async () => {
    const { children } = await seed(20);
    const c = await counted(['set-device-limit', '--id', children[0]!, '--limit', '7']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ tenant_id: children[0], before: 1, after: 7, changed: true });
    expect(c.byName.listIndexes).toBeUndefined();
    expect(c.byName.aggregate).toBeUndefined();
    // Repair check, the child (before the locks), SP and children, limits, deviceauth's version (for the cache keys in the warning).
    expect(c.byName.find).toBe(5);
    // The SP's lock, the operation with its plan, the limit, the commit, the audit entry, the clean-up.
    expect(c.byName).toEqual({ find: 5, insert: 3, update: 2, delete: 2, endSessions: 1 });
    expect(c.total).toBe(13);
  });

  it("set-device-limit resolves deviceauth's schema profile before writing: when it cannot be told, exit 5 and nothing written", async () => {
    const { children } = await seed(2);
    const c = await client();
    await c.db(dbs.deviceauth).collection('migration_info').deleteMany({});
    const r = await counted(['set-device-limit', '--id', children[0]!, '--limit', '12']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.byName.update).toBeUndefined();
    expect(await c.db(dbs.deviceauth).collection('limits').findOne({ tenant_id: children[0] }, { projection: { _id: 0, value: 1 } })).toEqual({ value: 1 });
    expect(await c.db(dbs.audit).collection('tenantadm_audit').countDocuments()).toBe(0);
    expect(await c.db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
    expect(await c.db(dbs.tenantadm).collection('tenantadm_locks').countDocuments()).toBe(0);
  });
});

describe('progress counters of plans and checks (their final figures with TENANTADM_DEBUG)', () => {
  it('a plan counts its entries planned, check the collections it scanned', async () => {
    const { children } = await seed(12);
    const plan = await run(dbs, ['set-device-limit', '-f', planFile(children, 3)], { env: { TENANTADM_DEBUG: '1' } });
    expect(plan.code).toBe(0);
    expect(plan.stderr).toMatch(/^tenantadm: debug: plan entries planned: 12$/m);

    const check = await run(dbs, ['check', '-o', 'json'], { env: { TENANTADM_DEBUG: '1' } });
    const scanned = (JSON.parse(check.stdout) as { scanned: { collections: number } }).scanned.collections;
    expect(scanned).toBeGreaterThan(3);
    expect(check.stderr).toMatch(new RegExp(`^tenantadm: debug: collections scanned: ${scanned}$`, 'm'));
  });
});
