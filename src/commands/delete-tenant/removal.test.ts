/**
 * The end of a tenant's life: delete-tenant (discovered plan, dry run, rules and exit codes,
 * confirmation, forward-only removal killed at every step).
 */
import { killedAt } from '../../../test/support/crash';
import { spawnSync } from 'node:child_process';
import { type Document } from 'mongodb';
import { BIN, cliEnv, client, expectFailsCleanly, run, runJson, snapshot } from '../../../test/support/harness';
import { perTenantDb, removalHelpers, yes } from '../../../test/support/removal';
import { commandTest } from '../../../test/support/command-test';

// Every removal scans the whole server, and so does leftAnywhere: on a server of the file's own.
const ctx = commandTest({ ownServer: true });
const { extraDb, leftAnywhere, seedRecords, suspendedTenant, seededTenant } = removalHelpers(ctx);
// Each test runs many CLI processes; on a loaded machine that exceeds the default minute.
jest.setTimeout(180_000);

const removal = (id: string, ...more: string[]) => ['delete-tenant', '--tenant', id, ...more];

/** A bystander: its records must all survive any removal. */
async function bystander(): Promise<{ id: string; count: () => Promise<Record<string, number>> }> {
  const t = await runJson(ctx.dbs, ['create-tenant', '--name', `bystander-${Date.now()}`, '--device-limit', '3']);
  await seedRecords(t.id);
  await runJson(ctx.dbs, yes(['update-tenant', '--tenant', t.id, '--status', 'suspended']));
  const before = await leftAnywhere(t.id);
  return { id: t.id, count: async () => (expect(await leftAnywhere(t.id)).toEqual(before), before) };
}

/** Every database a test touches, for before/after comparisons. */
async function fullSnapshot(ids: string[]): Promise<Record<string, Document[]>> {
  const out = await snapshot(ctx.dbs);
  const c = await client();
  for (const db of [extraDb(), ...ids.map(perTenantDb)]) {
    for (const coll of (await c.db(db).listCollections({}, { nameOnly: true }).toArray()).map((x) => x.name).sort()) {
      out[`${db}.${coll}`] = (await c.db(db).collection(coll).find({}).toArray()).map((d) => JSON.parse(JSON.stringify(d)));
    }
  }
  return out;
}

describe('delete-tenant', () => {
  it('--dry-run prints one row per database and collection with the count, the databases to drop, and changes nothing', async () => {
    const id = await suspendedTenant('dry', ['--device-limit', '5']);
    await seedRecords(id);
    const before = await fullSnapshot([id]);
    const rows = await runJson(ctx.dbs, removal(id, '--dry-run'));
    const byPlace = Object.fromEntries(rows.map((r: any) => [`${r.database}.${r.collection}`, [r.documents, r.action]]));
    expect(byPlace).toEqual({
      [`${ctx.dbs.tenantadm}.tenants`]: [1, 'delete'],
      [`${ctx.dbs.tenantadm}.sso_settings`]: [1, 'delete'],
      [`${ctx.dbs.deviceauth}.limits`]: [1, 'delete'],
      [`${ctx.dbs.deviceauth}.devices`]: [2, 'delete'],
      [`${ctx.dbs.deviceauth}.tokens`]: [1, 'delete'],
      [`${ctx.dbs.audit}.tenantadm_audit`]: [2, 'delete'],
      [`${extraDb()}.inventory`]: [3, 'delete'],
      [`${extraDb()}.other`]: [1, 'delete'],
      [`${perTenantDb(id)}.*`]: [1, 'drop database'],
    });
    const table = await run(ctx.dbs, removal(id, '--dry-run', '-o', 'table'));
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/DATABASE.*COLLECTION.*DOCUMENTS.*ACTION/);
    expect(table.stdout).toContain('drop database');
    expect(await fullSnapshot([id])).toEqual(before);
  });

  it('removes every record of the tenant everywhere, proves it, and leaves other tenants alone', async () => {
    const other = await bystander();
    const id = await suspendedTenant('gone', ['--device-limit', '5']);
    await seedRecords(id, 'acme-artifacts');
    const out = await runJson(ctx.dbs, yes(removal(id)));
    expect(out).toMatchObject({
      removed: {
        tenants: [{ id, name: 'gone' }],
        documents: { [`${ctx.dbs.tenantadm}.tenants`]: 1, [`${extraDb()}.inventory`]: 3, [`${ctx.dbs.deviceauth}.tokens`]: 1 },
        databases: [perTenantDb(id)],
      },
      remaining: 0,
      left_for_operator: [{ id, shared_store_prefix: `${id}/`, bucket: 'acme-artifacts' }],
    });
    expect(await leftAnywhere(id)).toEqual({});
    await other.count();
    // One delete entry, in the operator's log (it had no Service Provider); its own log went with it.
    const entries = await runJson(ctx.dbs, ['audit', '--object-id', id]);
    expect(entries).toEqual([expect.objectContaining({ action: 'delete', tenant_id: '', change: expect.stringContaining('tenant "gone" removed') })]);
    expect(await (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
    // Gone means not found.
    await expectFailsCleanly(ctx.dbs, yes(removal(id)), 3);
  });

  it("a child's removal returns its capacity to its Service Provider, and the entry stays in the SP's log", async () => {
    const sp = await runJson(ctx.dbs, ['create-tenant', '--name', 'sp', '--device-limit', '100']);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--service-provider']);
    const kid = await ctx.child('kid', sp.id, ['--device-limit', '60']);
    const free = async () => (await runJson(ctx.dbs, ['usage', '--tenant', sp.id]))[0].free.max_devices;
    expect(await free()).toBe(40);
    await runJson(ctx.dbs, yes(['update-tenant', '--tenant', kid.id, '--status', 'suspended']));
    const out = await runJson(ctx.dbs, yes(removal(kid.id, '--parent', sp.id)));
    expect(out.capacity_returned).toEqual([{ service_provider: sp.id, id: kid.id, limits: { max_devices: 60 } }]);
    expect(await free()).toBe(100);
    const log = await runJson(ctx.dbs, ['audit', '--tenant', sp.id, '--action', 'delete']);
    expect(log).toEqual([
      expect.objectContaining({ tenant_id: sp.id, object: expect.objectContaining({ id: kid.id, tenant: { id: kid.id, name: 'kid', parent: sp.id } }) }),
    ]);
    expect(log[0].change).toContain(`its allocation (max_devices 60) returns to Service Provider ${sp.id}`);
    // The child's own log went with it: only the delete entry names it.
    expect(await (await client()).db(ctx.dbs.audit).collection('tenantadm_audit').countDocuments({ tenant_id: kid.id })).toBe(0);
  });

  it('--cascade removes a Service Provider with its suspended children, children first', async () => {
    const sp = await runJson(ctx.dbs, ['create-tenant', '--name', 'sp', '--device-limit', '10']);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--service-provider']);
    const kids = [];
    for (const n of ['k1', 'k2']) kids.push((await ctx.child(n, sp.id, ['--device-limit', '2'])).id);
    for (const id of [...kids, sp.id]) await runJson(ctx.dbs, yes(['update-tenant', '--tenant', id, '--status', 'suspended']));
    await seedRecords(kids[0]!);
    const out = await runJson(ctx.dbs, yes(removal(sp.id, '--cascade')));
    expect(out.removed.tenants.map((t: any) => t.id)).toEqual([...kids, sp.id]);
    expect(out.remaining).toBe(0);
    for (const id of [...kids, sp.id]) expect(await leftAnywhere(id)).toEqual({});
    expect((await runJson(ctx.dbs, ['audit', '--action', 'delete'])).length).toBe(3);
  });

  it('refuses what the rules forbid with the right exit code and touches nothing', async () => {
    const active = await runJson(ctx.dbs, ['create-tenant', '--name', 'active']);
    expect(await expectFailsCleanly(ctx.dbs, yes(removal(active.id)), 5)).toMatch(/is active: only a suspended tenant can be removed \(suspend it first/);
    await expectFailsCleanly(ctx.dbs, yes(removal('0123456789abcdef01234567')), 3);
    await expectFailsCleanly(ctx.dbs, yes(removal('not-an-id')), 2);
    await expectFailsCleanly(ctx.dbs, yes(removal(active.id, '--databases', 'a,,b c')), 2);

    const sp = await runJson(ctx.dbs, ['create-tenant', '--name', 'sp', '--device-limit', '10']);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--service-provider']);
    const kid = await ctx.child('kid', sp.id, ['--device-limit', '2']);
    await runJson(ctx.dbs, yes(['update-tenant', '--tenant', sp.id, '--status', 'suspended']));
    expect(await expectFailsCleanly(ctx.dbs, yes(removal(sp.id)), 5)).toMatch(/Service Provider with 1 child tenant.*--cascade/);
    expect(await expectFailsCleanly(ctx.dbs, yes(removal(sp.id, '--cascade')), 5)).toMatch(/--cascade needs every child suspended; not suspended: tenant .* \("kid"\)/);
    await runJson(ctx.dbs, yes(['update-tenant', '--tenant', kid.id, '--status', 'suspended']));
    const otherSp = await runJson(ctx.dbs, ['create-tenant', '--name', 'other-sp', '--device-limit', '1']);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', otherSp.id, '--service-provider']);
    expect(await expectFailsCleanly(ctx.dbs, yes(removal(kid.id, '--parent', otherSp.id)), 5)).toMatch(/is not a child of Service Provider .* \(its Service Provider is /);
  });

  it('without a terminal and without --yes it is exit 2 before anything is read (even with no database)', async () => {
    const id = await suspendedTenant('asked');
    await expectFailsCleanly(ctx.dbs, removal(id), 2);
    // Nothing is read: an unreachable database does not change the answer.
    const r = await run(ctx.dbs, removal(id), { env: { TENANTADM_MONGO: 'mongodb://127.0.0.1:1/?directConnection=true', TENANTADM_TIMEOUT_MS: '300' } });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('needs confirmation, and there is no terminal to ask on') });
    const noInput = await run(ctx.dbs, ['--no-input', 'repair', '--all']);
    expect({ code: noInput.code, stderr: noInput.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('--no-input forbids asking') });
    for (const args of [
      ['delete-user', '--tenant', id, '--email', 'a@b.example'],
      ['update-tenant', '--tenant', id, '--rotate-token'],
      ['update-tenant', '--tenant', id, '--status', 'suspended'],
      ['maintenance', 'delete-suspended-tenants', '--threshold-days', '1'],
      ['maintenance', 'suspend-tenants-expired-trial'],
    ]) {
      await expectFailsCleanly(ctx.dbs, args, 2);
    }
  });

  it('on a terminal, asks for the name to be typed and removes only when it matches', async () => {
    const id = await suspendedTenant('typed');
    // `script` gives the command a terminal; what is piped in is what the operator types.
    const typed = (answer: string) =>
      spawnSync('script', ['-qec', `${process.execPath} ${BIN} delete-tenant --tenant ${id}`, '/dev/null'], {
        env: cliEnv(ctx.dbs),
        input: `${answer}\n`,
        encoding: 'utf8',
        timeout: 20_000,
      });
    const wrong = typed('nope');
    expect(wrong.status).toBe(2);
    expect(wrong.stdout).toContain("Type the tenant's name to confirm:");
    expect(await leftAnywhere(id)).not.toEqual({});
    const right = typed('typed');
    expect(right.status).toBe(0);
    expect(await leftAnywhere(id)).toEqual({});
  });
});

describe('a removal killed at any point is finished (or, before it started, not begun)', () => {
  it('at every step', async () => {
    const c = await client();
    const probe = await seededTenant('probe');
    const killed = await run(ctx.dbs, yes(removal(probe)), { env: killedAt('finalize') });
    expect(killed.signal).toBe('SIGKILL');
    const [op] = await c.db(ctx.dbs.tenantadm).collection('tenantadm_journal').find({}).toArray();
    // The journal keeps a small plan in the operation's document, a big one apart under its id.
    const plan = op!.finalize ? op! : await c.db(ctx.dbs.tenantadm).collection('tenantadm_journal_plans').findOne({ _id: op!._id });
    const finalizeSteps = (plan!.finalize as unknown[]).length;
    expect(finalizeSteps).toBeGreaterThan(8);
    await runJson(ctx.dbs, ['repair']);
    expect(await leftAnywhere(probe)).toEqual({});

    // A removal writes nothing before its commit point (its audit entry is roll-forward work too).
    const points = ['commit', 'finalize', ...Array.from({ length: finalizeSteps }, (_, i) => `finalize:${i}`)];
    for (const [n, point] of points.entries()) {
      const id = await seededTenant(`kill${n}`);
      const before = await leftAnywhere(id);
      const r = await run(ctx.dbs, yes(removal(id)), { env: killedAt(point) });
      expect({ point, signal: r.signal }).toEqual({ point, signal: 'SIGKILL' });
      // Half the runs are settled by `repair`, half by the next changing command.
      if (n % 2 === 0) await runJson(ctx.dbs, ['repair']);
      else await runJson(ctx.dbs, ['create-tenant', '--name', `next${n}`]);
      expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
      const started = point !== 'commit';
      if (started) {
        expect({ point, left: await leftAnywhere(id) }).toEqual({ point, left: {} });
        expect({ point, entries: (await runJson(ctx.dbs, ['audit', '--object-id', id])).length }).toEqual({ point, entries: 1 });
      } else {
        // Killed before its commit point: rolled back whole, and a new run removes it.
        expect({ point, same: await leftAnywhere(id) }).toEqual({ point, same: before });
        expect(await c.db(ctx.dbs.audit).collection('tenantadm_audit').countDocuments({ 'object.id': id, action: 'delete' })).toBe(0);
        expect((await runJson(ctx.dbs, yes(removal(id)))).remaining).toBe(0);
        expect(await leftAnywhere(id)).toEqual({});
      }
    }
  }, 240_000);
});
