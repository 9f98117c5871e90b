/**
 * `check` against a seeded database with planted faults in several databases and
 * collections: it finds each one (exact counts and sample ids), `--repair --yes` fixes the
 * safe ones and leaves the rest, `--dry-run` changes nothing, and a clean database is exit 0.
 */
import { spawn } from 'node:child_process';
import { ObjectId, Long, type Document } from 'mongodb';
import { BIN, cliEnv, client, expectFailsCleanly, run, snapshot, type Dbs } from '../../../test/support/harness';
import { createTenant } from '../../../test/support/cases';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

const OLD = new Date(Date.now() - 3_600_000);

/** Names of the extra "Mender" databases a test plants into, from the test's own prefix. */
function extraDbs(d: Dbs) {
  const p = d.tenantadm.replace(/tenantadm$/, '');
  return { inventory: `${p}inventory`, deployments: `${p}deployments`, perTenantBase: `${p}deploy` };
}

function sorted(xs: string[]): string[] {
  return [...xs].sort();
}

interface Planted {
  tA: string;
  tB: string;
  sp: string;
  c1: string;
  c2: string;
  c3: string;
  c4: string;
  m1: string;
  m2: string;
  ids: Record<string, string[]>;
  orphanDb: string;
  goodDb: string;
  staleInsert: string;
}

async function plant(): Promise<Planted> {
  const c = await client();
  const x = extraDbs(ctx.dbs);
  const oid = () => new ObjectId();
  const tAo = oid();
  const tA = tAo.toHexString();
  const tB = oid().toHexString(); // stored with a string _id
  const spo = oid();
  const sp = spo.toHexString();
  const [c1, c2, c3, c4, m1, m2] = Array.from({ length: 6 }, () => oid().toHexString()) as [string, string, string, string, string, string];
  const now = new Date();
  const tenant = (extra: Document) => ({ status: 'active', plan: 'enterprise', addons: [], created_at: now, updated_at: now, ...extra });
  await c.db(ctx.dbs.tenantadm).collection('tenants').insertMany([
    tenant({ _id: tAo, name: 'a' }),
    tenant({ _id: tB as any, name: 'b' }),
    tenant({ _id: spo, name: 'sp', service_provider: true, max_child_tenants: 1 }),
    tenant({ _id: new ObjectId(c1), name: 'c1', parent_tenant_id: sp }),
    tenant({ _id: new ObjectId(c2), name: 'c2', parent_tenant_id: new ObjectId(sp) }),
    tenant({ _id: new ObjectId(c3), name: 'c3', parent_tenant_id: m1 }),
    tenant({ _id: new ObjectId(c4), name: 'c4', parent_tenant_id: tA }),
  ]);
  const ids: Record<string, string[]> = {};
  const put = async (key: string, db: string, coll: string, docs: Document[], orphan: (d: Document) => boolean) => {
    const withIds = docs.map((d) => ({ _id: d._id ?? oid().toHexString(), ...d }));
    await c.db(db).collection(coll).insertMany(withIds);
    ids[key] = withIds.filter(orphan).map((d) => (d._id instanceof ObjectId ? d._id.toHexString() : String(d._id)));
  };
  // Devices: string and ObjectId tenant ids, orphans and good ones.
  await put(
    'devices',
    ctx.dbs.deviceauth,
    'devices',
    [
      { tenant_id: m1, status: 'accepted' },
      { tenant_id: m1, status: 'pending' },
      { _id: oid(), tenant_id: m1, status: 'accepted' },
      { tenant_id: new ObjectId(m2), status: 'accepted' },
      ...Array.from({ length: 5 }, () => ({ tenant_id: tA, status: 'accepted' })),
      { tenant_id: '', status: 'accepted' },
    ],
    (d) => d.tenant_id === m1 || d.tenant_id instanceof ObjectId,
  );
  await put(
    'inventory',
    x.inventory,
    'devices',
    [{ tenant_id: new ObjectId(m2) }, { tenant_id: new ObjectId(m2) }, { tenant_id: tB }, { tenant_id: new ObjectId(tB) }],
    (d) => String(d.tenant_id) === m2,
  );
  await put('images', x.deployments, 'images', [{ tenant_id: m1, name: 'img' }, { tenant_id: tA, name: 'ok' }], (d) => d.tenant_id === m1);
  await put('deployments', x.deployments, 'deployments', [{ tenant_id: tA, name: 'ok' }], () => false);
  // Users: one of a missing tenant; one email taken twice (differing in case, as the unique index allows).
  await put(
    'users',
    ctx.dbs.useradm,
    'users',
    [
      { email: 'ghost@gone.example', tenant_id: m1, roles: [] },
      { email: 'Dup@acme.example', tenant_id: tA, roles: [] },
      { email: 'dup@acme.example', tenant_id: tB, roles: [] },
      { email: 'fine@acme.example', tenant_id: tA, roles: [] },
      // The SP's children have users (Enterprise 4.x): only the faults above are planted.
      { email: 'kid1@sp.example', tenant_id: c1, roles: [] },
      { email: 'kid2@sp.example', tenant_id: c2, roles: [] },
    ],
    (d) => d.tenant_id === m1,
  );
  ids.dupUsers = (await c.db(ctx.dbs.useradm).collection('users').find({ email: /^dup@/i }).toArray()).map((u) => String(u._id));
  // Limits: SP 10 with children 5 + 8 (over), an orphan, a value v2 cannot read, and a duplicate
  // (possible where deviceauth's unique index is missing: dropped here to plant it).
  const limit = (tenant: unknown, value: number, name = 'max_devices') => ({ _id: oid(), tenant_id: tenant, name, value: Long.fromNumber(value) });
  const limits = [limit(sp, 10), limit(c1, 5), limit(c2, 8), limit(m2, 3), limit(tA, -5), limit(tB, 4), limit(tB, 6)];
  await c.db(ctx.dbs.deviceauth).collection('limits').dropIndex('tenant_id_name');
  for (const l of limits) await c.db(ctx.dbs.deviceauth).collection('limits').insertOne(l);
  ids.orphanLimit = [limits[3]!._id.toHexString()];
  ids.invalidLimit = [limits[4]!._id.toHexString()];
  ids.duplicateLimit = [limits[6]!._id.toHexString()];
  // Per-tenant databases: one of a missing tenant, one of an existing one.
  const orphanDb = `${x.perTenantBase}-${m1}`;
  const goodDb = `${x.perTenantBase}-${tA}`;
  await c.db(orphanDb).collection('settings').insertOne({ _id: 'settings' as any, bucket: 'b' });
  await c.db(goodDb).collection('settings').insertOne({ _id: 'settings' as any, bucket: 'b' });
  // Journal: an operation left pending by a dead process (it had inserted a deployment and its audit entry).
  const staleInsert = oid();
  const staleAudit = oid();
  const auditDoc = (extra: Document) => ({
    actor: { id: 'tester@ci', type: 'system' },
    action: 'update',
    object: { id: tA, type: 'tenant' },
    change: 'planted',
    time: OLD,
    ...extra,
  });
  await c.db(x.deployments).collection('deployments').insertOne({ _id: staleInsert, tenant_id: tA, name: 'half-done' });
  const auditColl = c.db(ctx.dbs.audit).collection('tenantadm_audit');
  const staleAuditDoc = auditDoc({ _id: staleAudit, state: 'pending', tenant_id: tA, log_tenant_ids: [tA] });
  await auditColl.insertOne(staleAuditDoc);
  await c
    .db(ctx.dbs.tenantadm)
    .collection('tenantadm_journal')
    .insertOne({
      _id: 'dead-operation' as any,
      state: 'pending',
      command: 'planted',
      actor: 'tester@ci',
      owner: 'a-token-of-a-process-that-is-gone',
      host: 'a-host-that-is-gone',
      pid: 1,
      created_at: OLD,
      lease_until: OLD,
      step: 0,
      locks: [],
    });
  // Its steps, where the journal keeps them (tenantadm_journal_plans, under the operation's id).
  await c
    .db(ctx.dbs.tenantadm)
    .collection('tenantadm_journal_plans')
    .insertOne({
      _id: 'dead-operation' as any,
      steps: [
        { kind: 'insert', target: { db: x.deployments, coll: 'deployments' }, doc: { _id: staleInsert, tenant_id: tA, name: 'half-done' } },
        { kind: 'insert', target: { db: ctx.dbs.audit, coll: 'tenantadm_audit' }, doc: staleAuditDoc },
      ],
      finalize: [],
    });
  // Audit: a pending entry of no operation, an entry in the log of a missing tenant, and a good one.
  const stray = oid();
  const lostLog = oid();
  await auditColl.insertMany([
    auditDoc({ _id: stray, state: 'pending', tenant_id: tB, log_tenant_ids: [tB] }),
    auditDoc({ _id: lostLog, state: 'committed', tenant_id: m2, log_tenant_ids: [m2] }),
    auditDoc({ _id: oid(), state: 'committed', tenant_id: c1, log_tenant_ids: [c1, m1] }),
    // The record of a removal outlives its tenant: not an orphan.
    auditDoc({ _id: oid(), state: 'committed', tenant_id: m1, log_tenant_ids: [m1], action: 'delete', object: { id: m1, type: 'tenant' } }),
  ]);
  ids.pendingAudit = [staleAudit.toHexString(), stray.toHexString()];
  ids.orphanAudit = [lostLog.toHexString()];
  // An expired lock.
  await c
    .db(ctx.dbs.tenantadm)
    .collection('tenantadm_locks')
    .insertOne({ _id: `sp:${sp}` as any, op_id: 'gone', host: 'a-host-that-is-gone', pid: 1, lease_until: OLD });
  return { tA, tB, sp, c1, c2, c3, c4, m1, m2, ids, orphanDb, goodDb, staleInsert: staleInsert.toHexString() };
}

function scope(): string[] {
  const x = extraDbs(ctx.dbs);
  return ['--databases', [...Object.values(ctx.dbs), x.inventory, x.deployments].join(','), '--databases', x.perTenantBase];
}

function extraNames(p: Planted): string[] {
  const x = extraDbs(ctx.dbs);
  return [x.inventory, x.deployments, p.orphanDb, p.goodDb];
}

afterEach(async () => {
  const c = await client();
  const x = extraDbs(ctx.dbs);
  const names = ((await c.db('admin').command({ listDatabases: 1, nameOnly: true })).databases as { name: string }[]).map((d) => d.name);
  for (const name of names) if (name === x.inventory || name === x.deployments || name.startsWith(`${x.perTenantBase}-`)) await c.db(name).dropDatabase();
});

/** The findings as comparable rows: sample ids sorted. */
function normalise(findings: any[]): any[] {
  return findings
    .map((f) => ({ ...f, sample_ids: sorted(f.sample_ids), ...(f.missing_tenant_ids ? { missing_tenant_ids: sorted(f.missing_tenant_ids) } : {}) }))
    .sort((a, b) => `${a.kind}${a.database}${a.collection}${a.limit_kind}`.localeCompare(`${b.kind}${b.database}${b.collection}${b.limit_kind}`));
}

function expected(p: Planted): any[] {
  const x = extraDbs(ctx.dbs);
  // A finding a person must settle also says what to do next (hints.test.ts runs them).
  const f = (kind: string, extra: Document) =>
    extra.repair === 'safe' ? { kind, detail: expect.any(String), ...extra } : { kind, detail: expect.any(String), repair: 'manual', next_step: expect.any(String), ...extra };
  return normalise([
    f('orphan_documents', { database: ctx.dbs.deviceauth, collection: 'devices', count: 4, sample_ids: p.ids.devices, missing_tenant_ids: [p.m1, p.m2] }),
    f('orphan_documents', { database: x.inventory, collection: 'devices', count: 2, sample_ids: p.ids.inventory, missing_tenant_ids: [p.m2] }),
    f('orphan_documents', { database: x.deployments, collection: 'images', count: 1, sample_ids: p.ids.images, missing_tenant_ids: [p.m1] }),
    f('orphan_users', { database: ctx.dbs.useradm, collection: 'users', count: 1, sample_ids: p.ids.users, missing_tenant_ids: [p.m1] }),
    f('orphan_limits', { database: ctx.dbs.deviceauth, collection: 'limits', count: 1, sample_ids: p.ids.orphanLimit, missing_tenant_ids: [p.m2], repair: 'safe' }),
    f('orphan_audit_entries', { database: ctx.dbs.audit, collection: 'tenantadm_audit', count: 1, sample_ids: p.ids.orphanAudit, missing_tenant_ids: [p.m2] }),
    f('orphan_databases', { count: 1, sample_ids: [p.orphanDb], missing_tenant_ids: [p.m1] }),
    f('duplicate_emails', { database: ctx.dbs.useradm, collection: 'users', count: 1, sample_ids: p.ids.dupUsers, emails: ['dup@acme.example'] }),
    f('child_parent_missing', { database: ctx.dbs.tenantadm, collection: 'tenants', count: 1, sample_ids: [p.c3], missing_tenant_ids: [p.m1] }),
    f('child_parent_not_sp', { database: ctx.dbs.tenantadm, collection: 'tenants', count: 1, sample_ids: [p.c4] }),
    f('sp_over_max_child_tenants', { database: ctx.dbs.tenantadm, collection: 'tenants', count: 1, sample_ids: [p.sp] }),
    f('sp_over_allocated', { database: ctx.dbs.deviceauth, collection: 'limits', limit_kind: 'max_devices', count: 1, sample_ids: [p.sp] }),
    f('invalid_limits', { database: ctx.dbs.deviceauth, collection: 'limits', count: 1, sample_ids: p.ids.invalidLimit }),
    f('duplicate_limits', { database: ctx.dbs.deviceauth, collection: 'limits', count: 1, sample_ids: p.ids.duplicateLimit }),
    f('unsettled_journal', { database: ctx.dbs.tenantadm, collection: 'tenantadm_journal', count: 1, sample_ids: ['dead-operation'], repair: 'safe' }),
    f('pending_audit', { database: ctx.dbs.audit, collection: 'tenantadm_audit', count: 2, sample_ids: p.ids.pendingAudit, repair: 'safe' }),
    f('expired_locks', { database: ctx.dbs.tenantadm, collection: 'tenantadm_locks', count: 1, sample_ids: [`sp:${p.sp}`], repair: 'safe' }),
  ]);
}

describe('check', () => {
  it('finds every planted fault, with exact counts and sample ids, and exits 5', async () => {
    const p = await plant();
    const before = await snapshot(ctx.dbs, extraNames(p));
    const r = await run(ctx.dbs, ['check', ...scope()]);
    expect(r.code).toBe(5);
    const report = JSON.parse(r.stdout);
    expect(report.clean).toBe(false);
    expect(report.profile).toBe('v2');
    expect(report.scanned.tenants).toBe(7);
    expect(normalise(report.findings)).toEqual(expected(p));
    // Read-only.
    expect(await snapshot(ctx.dbs, extraNames(p))).toEqual(before);

    const table = await run(ctx.dbs, ['check', ...scope(), '-o', 'table']);
    expect(table.code).toBe(5);
    expect(table.stdout).toMatch(/STATUS.*KIND.*WHERE.*COUNT/);
    for (const kind of ['orphan_databases', 'duplicate_emails', 'sp_over_allocated (max_devices)', 'expired_locks']) expect(table.stdout).toContain(kind);
  });

  it('--repair --dry-run shows what it would fix and changes nothing', async () => {
    const p = await plant();
    const before = await snapshot(ctx.dbs, extraNames(p));
    const r = await run(ctx.dbs, ['check', ...scope(), '--repair', '--dry-run']);
    expect(r.code).toBe(5);
    const report = JSON.parse(r.stdout);
    expect(report.dry_run).toBe(true);
    expect(report.repaired).toEqual([
      { kind: 'unsettled_journal', action: 'would roll back', count: 1, sample_ids: ['dead-operation'] },
      { kind: 'expired_locks', action: 'would drop', count: 1, sample_ids: [`sp:${p.sp}`] },
      { kind: 'pending_audit', action: 'would roll back', count: 1, sample_ids: [p.ids.pendingAudit![1]!] },
      { kind: 'orphan_limits', action: 'would drop', count: 1, sample_ids: p.ids.orphanLimit },
    ]);
    expect(await snapshot(ctx.dbs, extraNames(p))).toEqual(before);
  });

  it('--repair --yes fixes the safe findings; a second check shows only the rest', async () => {
    const p = await plant();
    const r = await run(ctx.dbs, ['check', ...scope(), '--repair', '--yes']);
    expect(r.code).toBe(5);
    const report = JSON.parse(r.stdout);
    expect(report.dry_run).toBe(false);
    expect(report.repaired).toEqual([
      { kind: 'unsettled_journal', action: 'rolled back', count: 1, sample_ids: ['dead-operation'] },
      { kind: 'expired_locks', action: 'dropped', count: 1, sample_ids: [`sp:${p.sp}`] },
      { kind: 'pending_audit', action: 'rolled back', count: 1, sample_ids: [p.ids.pendingAudit![1]!] },
      { kind: 'orphan_limits', action: 'dropped', count: 1, sample_ids: p.ids.orphanLimit },
    ]);
    const manual = expected(p).filter((f) => f.repair === 'manual');
    expect(normalise(report.remaining)).toEqual(manual);

    const c = await client();
    const x = extraDbs(ctx.dbs);
    // The dead operation was rolled back: its deployment and its audit entry are gone.
    expect(await c.db(x.deployments).collection('deployments').countDocuments({ _id: new ObjectId(p.staleInsert) })).toBe(0);
    expect(await c.db(ctx.dbs.audit).collection('tenantadm_audit').countDocuments({ state: 'pending' })).toBe(0);
    expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments({})).toBe(0);
    expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_locks').countDocuments({})).toBe(0);
    expect(await c.db(ctx.dbs.deviceauth).collection('limits').countDocuments({ tenant_id: p.m2 })).toBe(0);
    // Everything a person must decide is still there.
    expect(await c.db(ctx.dbs.deviceauth).collection('devices').countDocuments({ tenant_id: p.m1 })).toBe(3);

    const again = await run(ctx.dbs, ['check', ...scope()]);
    expect(again.code).toBe(5);
    expect(normalise(JSON.parse(again.stdout).findings)).toEqual(manual);
  });

  it('--repair without a terminal and without --yes is exit 2 before anything is read', async () => {
    await plant();
    const stderr = await expectFailsCleanly(ctx.dbs, ['check', ...scope(), '--repair'], 2);
    expect(stderr).toMatch(/needs confirmation,? and there is no terminal.*--yes/);
    // Not even the database is needed: an unreachable server gives the same answer.
    const r = await run(ctx.dbs, ['check', '--repair'], { env: { TENANTADM_MONGO: 'mongodb://127.0.0.1:1/?directConnection=true', TENANTADM_TIMEOUT_MS: '300' } });
    expect(r.code).toBe(2);
  });

  it('on a terminal it asks once: "n" changes nothing (exit 2), "y" repairs', async () => {
    const p = await plant();
    /** The CLI on a pseudo-terminal (util-linux `script`), with `answer` typed in. */
    const onTerminal = (answer: string) =>
      new Promise<{ code: number; output: string }>((resolve, reject) => {
        const argv = [process.execPath, BIN, 'check', ...scope(), '--repair'].map((a) => `'${a}'`).join(' ');
        const child = spawn('script', ['-qec', argv, '/dev/null'], { env: cliEnv(ctx.dbs), stdio: ['pipe', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d: Buffer) => {
          output += d.toString();
          if (output.includes('[y/N]')) child.stdin.end(`${answer}\n`);
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? -1, output }));
      });
    const before = await snapshot(ctx.dbs, extraNames(p));
    const no = await onTerminal('n');
    // The prompt wraps the question at the terminal's width.
    expect(no.output).toMatch(/Repair 1 orphan_limits, 1 unsettled_journal, 2 pending_audit, 1 expired_locks\?\s+\[y\/N\]/);
    expect(no.code).toBe(2);
    expect(await snapshot(ctx.dbs, extraNames(p))).toEqual(before);
    const yes = await onTerminal('y');
    expect(yes.code).toBe(5);
    expect(await (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments({})).toBe(0);
  });

  it('reads a negative limit as invalid on a legacy server (and -1 as valid on v2)', async () => {
    const t = await createTenant(ctx.dbs, 'legacy');
    const c = await client();
    await c.db(ctx.dbs.deviceauth).collection('limits').updateOne({ tenant_id: t.id, name: 'max_devices' }, { $set: { value: Long.fromNumber(-1) } }, { upsert: true });
    const id = String((await c.db(ctx.dbs.deviceauth).collection('limits').findOne({ tenant_id: t.id }))!._id);
    const v2 = await run(ctx.dbs, ['check', '--databases', Object.values(ctx.dbs).join(',')]);
    expect({ code: v2.code, findings: JSON.parse(v2.stdout).findings }).toEqual({ code: 0, findings: [] });
    const legacy = await run(ctx.dbs, ['check', '--databases', Object.values(ctx.dbs).join(',')], { env: { TENANTADM_MENDER_SCHEMA: 'legacy' } });
    expect(legacy.code).toBe(5);
    expect(JSON.parse(legacy.stdout).findings).toEqual([
      expect.objectContaining({ kind: 'invalid_limits', count: 1, sample_ids: [id], repair: 'manual', detail: expect.stringContaining('legacy') }),
    ]);
  });

  it('a clean database is exit 0 with no findings, and --repair has nothing to do', async () => {
    const sp = await createTenant(ctx.dbs, 'clean-sp');
    await run(ctx.dbs, ['set-device-limit', '--tenant', sp.id, '--device-limit', '10']);
    await run(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--service-provider', '--max-child-tenants', '2']);
    await ctx.child('clean-child', sp.id, ['--device-limit', '4']);
    const r = await run(ctx.dbs, ['check', '--databases', Object.values(ctx.dbs).join(',')]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ clean: true, findings: [], scanned: { tenants: 2 } });
    const fix = await run(ctx.dbs, ['check', '--databases', Object.values(ctx.dbs).join(','), '--repair', '--yes']);
    expect({ code: fix.code, repaired: JSON.parse(fix.stdout).repaired, remaining: JSON.parse(fix.stdout).remaining }).toEqual({ code: 0, repaired: [], remaining: [] });
  });

  it('refuses --dry-run and --yes without --repair (exit 2)', async () => {
    for (const flag of ['--dry-run', '--yes']) await expectFailsCleanly(ctx.dbs, ['check', flag], 2);
  });
});
