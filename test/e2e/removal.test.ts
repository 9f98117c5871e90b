/**
 * The end of a tenant's life: delete-tenant (discovered plan, dry run, rules and exit codes,
 * confirmation, forward-only removal killed at every step), and the maintenance jobs
 * (delete-suspended-tenants, suspend-tenants-expired-trial).
 */
import { killedAt } from '../support/crash';
import { spawnSync } from 'node:child_process';
import { ObjectId, type Document } from 'mongodb';
import { BIN, cliEnv, client, expectFailsCleanly, run, runJson, snapshot, withFreshDatabases, withOwnServer, type Dbs } from '../support/harness';

let dbs: Dbs;
// Every removal scans the whole server, and so does leftAnywhere: on a server of the file's own.
withOwnServer();
withFreshDatabases((d) => (dbs = d));
// Each test runs many CLI processes; on a loaded machine that exceeds the default minute.
jest.setTimeout(180_000);

/** A database of another (made-up) Mender service, and a per-tenant database, per test. */
const extraDb = () => `${dbs.tenantadm.replace(/tenantadm$/, '')}inventory`;
const perTenantDb = (id: string) => `deployment_service-${id}`;

afterEach(async () => {
  const c = await client();
  await c.db(extraDb()).dropDatabase().catch(() => undefined);
});

const yes = (args: string[]) => [...args, '--yes'];
const removal = (id: string, ...more: string[]) => ['delete-tenant', '--id', id, ...more];

/** Every document anywhere on the server (but the server's own databases) whose tenant_id is `id`, by place. */
async function leftAnywhere(id: string): Promise<Record<string, number>> {
  const c = await client();
  const out: Record<string, number> = {};
  const { databases } = await c.db('admin').admin().listDatabases({ nameOnly: true });
  for (const { name } of databases) {
    if (['admin', 'local', 'config'].includes(name)) continue;
    if (name.endsWith(`-${id}`)) out[name] = 1;
    for (const coll of await c.db(name).listCollections({}, { nameOnly: true }).toArray()) {
      const n = await c.db(name).collection(coll.name).countDocuments({ $or: [{ tenant_id: { $in: [id, new ObjectId(id)] } }, { 'mender.tenant': id }] });
      if (n > 0) out[`${name}.${coll.name}`] = n;
    }
  }
  const tenantDoc = await c.db(dbs.tenantadm).collection('tenants').countDocuments({ _id: new ObjectId(id) });
  if (tenantDoc > 0) out[`${dbs.tenantadm}.tenants`] = tenantDoc;
  return out;
}

/**
 * A suspended tenant with records in Mender's layout and beyond it: limits, a user, devices,
 * a device token (`mender.tenant`), audit entries, SSO settings, documents in a database the
 * tool knows nothing of (tenant_id as a string and as an ObjectId), and a per-tenant database.
 */
async function seedRecords(id: string, bucket?: string): Promise<void> {
  const c = await client();
  const oid = new ObjectId(id);
  await c.db(dbs.deviceauth).collection('devices').insertMany([
    { _id: new ObjectId().toHexString() as never, tenant_id: id, status: 'accepted' },
    { _id: new ObjectId().toHexString() as never, tenant_id: id, status: 'pending' },
  ]);
  await c.db(dbs.deviceauth).collection('tokens').insertOne({ _id: new ObjectId(), mender: { tenant: id, device: true } });
  await c.db(dbs.tenantadm).collection('sso_settings').insertOne({ _id: id as never, tenant_id: id, settings: { type: 'oidc' } });
  await c.db(extraDb()).collection('inventory').insertMany([{ tenant_id: id }, { tenant_id: oid }, { tenant_id: oid, attributes: [] }]);
  await c.db(extraDb()).collection('other').insertOne({ tenant_id: id });
  await c.db(perTenantDb(id)).collection('settings').insertOne({ _id: 'settings' as never, type: 0, bucket: bucket ?? '' });
}

/** A bystander: its records must all survive any removal. */
async function bystander(): Promise<{ id: string; count: () => Promise<Record<string, number>> }> {
  const t = await runJson(dbs, ['create-tenant', '--name', `bystander-${Date.now()}`, '--device-limit', '3']);
  await seedRecords(t.id);
  await runJson(dbs, yes(['update-tenant', '--id', t.id, '--status', 'suspended']));
  const before = await leftAnywhere(t.id);
  return { id: t.id, count: async () => (expect(await leftAnywhere(t.id)).toEqual(before), before) };
}

async function suspendedTenant(name: string, extra: string[] = []): Promise<string> {
  const t = await runJson(dbs, ['create-tenant', '--name', name, ...extra]);
  await runJson(dbs, yes(['update-tenant', '--id', t.id, '--status', 'suspended']));
  return t.id;
}

/** Every database a test touches, for before/after comparisons. */
async function fullSnapshot(ids: string[]): Promise<Record<string, Document[]>> {
  const out = await snapshot(dbs);
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
    const rows = await runJson(dbs, removal(id, '--dry-run'));
    const byPlace = Object.fromEntries(rows.map((r: any) => [`${r.database}.${r.collection}`, [r.documents, r.action]]));
    expect(byPlace).toEqual({
      [`${dbs.tenantadm}.tenants`]: [1, 'delete'],
      [`${dbs.tenantadm}.sso_settings`]: [1, 'delete'],
      [`${dbs.deviceauth}.limits`]: [1, 'delete'],
      [`${dbs.deviceauth}.devices`]: [2, 'delete'],
      [`${dbs.deviceauth}.tokens`]: [1, 'delete'],
      [`${dbs.audit}.tenantadm_audit`]: [2, 'delete'],
      [`${extraDb()}.inventory`]: [3, 'delete'],
      [`${extraDb()}.other`]: [1, 'delete'],
      [`${perTenantDb(id)}.*`]: [1, 'drop database'],
    });
    const table = await run(dbs, removal(id, '--dry-run', '-o', 'table'));
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/DATABASE.*COLLECTION.*DOCUMENTS.*ACTION/);
    expect(table.stdout).toContain('drop database');
    expect(await fullSnapshot([id])).toEqual(before);
  });

  it('removes every record of the tenant everywhere, proves it, and leaves other tenants alone', async () => {
    const other = await bystander();
    const id = await suspendedTenant('gone', ['--device-limit', '5']);
    await seedRecords(id, 'acme-artifacts');
    const out = await runJson(dbs, yes(removal(id)));
    expect(out).toMatchObject({
      removed: {
        tenants: [{ id, name: 'gone' }],
        documents: { [`${dbs.tenantadm}.tenants`]: 1, [`${extraDb()}.inventory`]: 3, [`${dbs.deviceauth}.tokens`]: 1 },
        databases: [perTenantDb(id)],
      },
      remaining: 0,
      left_for_operator: [{ tenant_id: id, shared_store_prefix: `${id}/`, bucket: 'acme-artifacts' }],
    });
    expect(await leftAnywhere(id)).toEqual({});
    await other.count();
    // One delete entry, in the operator's log (it had no Service Provider); its own log went with it.
    const entries = await runJson(dbs, ['audit', '--object-id', id]);
    expect(entries).toEqual([expect.objectContaining({ action: 'delete', tenant_id: '', change: expect.stringContaining('tenant "gone" removed') })]);
    expect(await (await client()).db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
    // Gone means not found.
    await expectFailsCleanly(dbs, yes(removal(id)), 3);
  });

  it("a child's removal returns its capacity to its Service Provider, and the entry stays in the SP's log", async () => {
    const sp = await runJson(dbs, ['create-tenant', '--name', 'sp', '--device-limit', '100']);
    await runJson(dbs, ['update-tenant', '--id', sp.id, '--service-provider']);
    const kid = await runJson(dbs, ['create-tenant', '--name', 'kid', '--parent', sp.id, '--device-limit', '60']);
    const free = async () => (await runJson(dbs, ['usage', '--id', sp.id]))[0].free.max_devices;
    expect(await free()).toBe(40);
    await runJson(dbs, yes(['update-tenant', '--id', kid.id, '--status', 'suspended']));
    const out = await runJson(dbs, yes(removal(kid.id, '--parent', sp.id)));
    expect(out.capacity_returned).toEqual([{ service_provider: sp.id, tenant_id: kid.id, limits: { max_devices: 60 } }]);
    expect(await free()).toBe(100);
    const log = await runJson(dbs, ['audit', '--tenant', sp.id, '--action', 'delete']);
    expect(log).toEqual([
      expect.objectContaining({ tenant_id: sp.id, object: expect.objectContaining({ id: kid.id, tenant: { id: kid.id, name: 'kid', parent: sp.id } }) }),
    ]);
    expect(log[0].change).toContain(`its allocation (max_devices 60) returns to Service Provider ${sp.id}`);
    // The child's own log went with it: only the delete entry names it.
    expect(await (await client()).db(dbs.audit).collection('tenantadm_audit').countDocuments({ tenant_id: kid.id })).toBe(0);
  });

  it('--cascade removes a Service Provider with its suspended children, children first', async () => {
    const sp = await runJson(dbs, ['create-tenant', '--name', 'sp', '--device-limit', '10']);
    await runJson(dbs, ['update-tenant', '--id', sp.id, '--service-provider']);
    const kids = [];
    for (const n of ['k1', 'k2']) kids.push((await runJson(dbs, ['create-tenant', '--name', n, '--parent', sp.id, '--device-limit', '2'])).id);
    for (const id of [...kids, sp.id]) await runJson(dbs, yes(['update-tenant', '--id', id, '--status', 'suspended']));
    await seedRecords(kids[0]!);
    const out = await runJson(dbs, yes(removal(sp.id, '--cascade')));
    expect(out.removed.tenants.map((t: any) => t.id)).toEqual([...kids, sp.id]);
    expect(out.remaining).toBe(0);
    for (const id of [...kids, sp.id]) expect(await leftAnywhere(id)).toEqual({});
    expect((await runJson(dbs, ['audit', '--action', 'delete'])).length).toBe(3);
  });

  it('refuses what the rules forbid with the right exit code and touches nothing', async () => {
    const active = await runJson(dbs, ['create-tenant', '--name', 'active']);
    expect(await expectFailsCleanly(dbs, yes(removal(active.id)), 5)).toMatch(/is active: only a suspended tenant can be removed \(suspend it first/);
    await expectFailsCleanly(dbs, yes(removal('0123456789abcdef01234567')), 3);
    await expectFailsCleanly(dbs, yes(removal('not-an-id')), 2);
    await expectFailsCleanly(dbs, yes(removal(active.id, '--databases', 'a,,b c')), 2);

    const sp = await runJson(dbs, ['create-tenant', '--name', 'sp', '--device-limit', '10']);
    await runJson(dbs, ['update-tenant', '--id', sp.id, '--service-provider']);
    const kid = await runJson(dbs, ['create-tenant', '--name', 'kid', '--parent', sp.id, '--device-limit', '2']);
    await runJson(dbs, yes(['update-tenant', '--id', sp.id, '--status', 'suspended']));
    expect(await expectFailsCleanly(dbs, yes(removal(sp.id)), 5)).toMatch(/Service Provider with 1 child tenant.*--cascade/);
    expect(await expectFailsCleanly(dbs, yes(removal(sp.id, '--cascade')), 5)).toMatch(/--cascade needs every child suspended; not suspended: tenant .* \("kid"\)/);
    await runJson(dbs, yes(['update-tenant', '--id', kid.id, '--status', 'suspended']));
    const otherSp = await runJson(dbs, ['create-tenant', '--name', 'other-sp']);
    await runJson(dbs, ['update-tenant', '--id', otherSp.id, '--service-provider']);
    expect(await expectFailsCleanly(dbs, yes(removal(kid.id, '--parent', otherSp.id)), 5)).toMatch(/is not a child of Service Provider .* \(its Service Provider is /);
  });

  it('without a terminal and without --yes it is exit 2 before anything is read (even with no database)', async () => {
    const id = await suspendedTenant('asked');
    await expectFailsCleanly(dbs, removal(id), 2);
    // Nothing is read: an unreachable database does not change the answer.
    const r = await run(dbs, removal(id), { env: { TENANTADM_MONGO: 'mongodb://127.0.0.1:1/?directConnection=true', TENANTADM_TIMEOUT_MS: '300' } });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('needs confirmation, and there is no terminal to ask on') });
    const noInput = await run(dbs, ['--no-input', 'repair', '--all']);
    expect({ code: noInput.code, stderr: noInput.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('--no-input forbids asking') });
    for (const args of [
      ['delete-user', '--tenant', id, '--email', 'a@b.example'],
      ['update-tenant', '--id', id, '--rotate-token'],
      ['update-tenant', '--id', id, '--status', 'suspended'],
      ['maintenance', 'delete-suspended-tenants', '--threshold-days', '1'],
      ['maintenance', 'suspend-tenants-expired-trial'],
    ]) {
      await expectFailsCleanly(dbs, args, 2);
    }
  });

  it('on a terminal, asks for the name to be typed and removes only when it matches', async () => {
    const id = await suspendedTenant('typed');
    // `script` gives the command a terminal; what is piped in is what the operator types.
    const typed = (answer: string) =>
      spawnSync('script', ['-qec', `${process.execPath} ${BIN} delete-tenant --id ${id}`, '/dev/null'], {
        env: cliEnv(dbs),
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
  /** The finalize steps of a removal of a seeded tenant, from a run killed at the commit point's far side. */
  async function seededTenant(name: string): Promise<string> {
    const c = await client();
    const oid = new ObjectId();
    const id = oid.toHexString();
    await c.db(dbs.tenantadm).collection('tenants').insertOne({ _id: oid, name, status: 'suspended', updated_at: new Date() });
    await c.db(dbs.deviceauth).collection('limits').insertOne({ _id: new ObjectId(), name: 'max_devices', value: 5, tenant_id: id });
    await c.db(dbs.useradm).collection('users').insertOne({ _id: `${name}-user` as never, email: `${name}@kill.example`, tenant_id: id });
    await seedRecords(id);
    return id;
  }

  it('at every step', async () => {
    const c = await client();
    const probe = await seededTenant('probe');
    const killed = await run(dbs, yes(removal(probe)), { env: killedAt('finalize') });
    expect(killed.signal).toBe('SIGKILL');
    const [op] = await c.db(dbs.tenantadm).collection('tenantadm_journal').find({}).toArray();
    // The journal keeps a small plan in the operation's document, a big one apart under its id.
    const plan = op!.finalize ? op! : await c.db(dbs.tenantadm).collection('tenantadm_journal_plans').findOne({ _id: op!._id });
    const finalizeSteps = (plan!.finalize as unknown[]).length;
    expect(finalizeSteps).toBeGreaterThan(8);
    await runJson(dbs, ['repair']);
    expect(await leftAnywhere(probe)).toEqual({});

    // A removal writes nothing before its commit point (its audit entry is roll-forward work too).
    const points = ['commit', 'finalize', ...Array.from({ length: finalizeSteps }, (_, i) => `finalize:${i}`)];
    for (const [n, point] of points.entries()) {
      const id = await seededTenant(`kill${n}`);
      const before = await leftAnywhere(id);
      const r = await run(dbs, yes(removal(id)), { env: killedAt(point) });
      expect({ point, signal: r.signal }).toEqual({ point, signal: 'SIGKILL' });
      // Half the runs are settled by `repair`, half by the next changing command.
      if (n % 2 === 0) await runJson(dbs, ['repair']);
      else await runJson(dbs, ['create-tenant', '--name', `next${n}`]);
      expect(await c.db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
      const started = point !== 'commit';
      if (started) {
        expect({ point, left: await leftAnywhere(id) }).toEqual({ point, left: {} });
        expect({ point, entries: (await runJson(dbs, ['audit', '--object-id', id])).length }).toEqual({ point, entries: 1 });
      } else {
        // Killed before its commit point: rolled back whole, and a new run removes it.
        expect({ point, same: await leftAnywhere(id) }).toEqual({ point, same: before });
        expect(await c.db(dbs.audit).collection('tenantadm_audit').countDocuments({ 'object.id': id, action: 'delete' })).toBe(0);
        expect((await runJson(dbs, yes(removal(id)))).remaining).toBe(0);
        expect(await leftAnywhere(id)).toEqual({});
      }
    }
  }, 240_000);

  it('a batch removal killed at its commit point is not begun, after it finished whole', async () => {
    const c = await client();
    for (const [point, started] of [['commit', false], ['finalize:0', true], ['finalize:1', true], ['finalize:4', true]] as const) {
      const ids = [await seededTenant(`${point}-a`.replace(':', '')), await seededTenant(`${point}-b`.replace(':', ''))];
      const r = await run(dbs, yes(['maintenance', 'delete-suspended-tenants', '--threshold-days', '0']), { env: killedAt(point) });
      expect({ point, signal: r.signal }).toEqual({ point, signal: 'SIGKILL' });
      await runJson(dbs, ['repair']);
      const deletes = await c.db(dbs.audit).collection('tenantadm_audit').find({ 'object.id': { $in: ids }, action: 'delete' }).toArray();
      expect({ point, entries: deletes.map((d) => d.state) }).toEqual({ point, entries: started ? ['committed', 'committed'] : [] });
      for (const id of ids) {
        const left = await leftAnywhere(id);
        expect({ point, gone: Object.keys(left).length === 0 }).toEqual({ point, gone: started });
      }
      if (!started) await runJson(dbs, yes(['maintenance', 'delete-suspended-tenants', '--threshold-days', '0']));
      for (const id of ids) expect(await leftAnywhere(id)).toEqual({});
    }
  }, 120_000);
});

describe('maintenance', () => {
  const DAY = 86_400_000;

  it('delete-suspended-tenants removes tenants suspended at least N days (suspended_at, else updated_at), one SP only with its children', async () => {
    const c = await client();
    const tenants = c.db(dbs.tenantadm).collection('tenants');
    const old = await suspendedTenant('old');
    const legacy = await suspendedTenant('legacy');
    const recent = await suspendedTenant('recent');
    const active = (await runJson(dbs, ['create-tenant', '--name', 'active'])).id;
    await tenants.updateOne({ _id: new ObjectId(old) }, { $set: { suspended_at: new Date(Date.now() - 10 * DAY) } });
    // Suspended before suspended_at was recorded: counts from updated_at.
    await tenants.updateOne({ _id: new ObjectId(legacy) }, { $unset: { suspended_at: '' }, $set: { updated_at: new Date(Date.now() - 30 * DAY) } });
    // A Service Provider suspended long ago whose child stays: skipped.
    const sp = await runJson(dbs, ['create-tenant', '--name', 'sp', '--device-limit', '5']);
    await runJson(dbs, ['update-tenant', '--id', sp.id, '--service-provider']);
    await runJson(dbs, ['create-tenant', '--name', 'kid', '--parent', sp.id, '--device-limit', '1']);
    await runJson(dbs, yes(['update-tenant', '--id', sp.id, '--status', 'suspended']));
    await tenants.updateOne({ _id: new ObjectId(sp.id) }, { $set: { suspended_at: new Date(Date.now() - 10 * DAY) } });

    const before = await snapshot(dbs);
    const dry = await runJson(dbs, ['maintenance', 'delete-suspended-tenants', '--threshold-days', '7', '--dry-run']);
    expect(dry.map((r: any) => [r.name, r.action.split(':')[0]]).sort()).toEqual([['legacy', 'remove'], ['old', 'remove'], ['sp', 'skip']]);
    expect(await snapshot(dbs)).toEqual(before);

    const out = await runJson(dbs, yes(['maintenance', 'delete-suspended-tenants', '--threshold-days', '7']));
    expect(out.removed.tenants.map((t: any) => t.name).sort()).toEqual(['legacy', 'old']);
    expect(out.remaining).toBe(0);
    expect(out.skipped).toEqual([expect.objectContaining({ id: sp.id, reason: expect.stringContaining('child tenant(s) that stay') })]);
    for (const id of [old, legacy]) expect(await leftAnywhere(id)).toEqual({});
    for (const id of [recent, active, sp.id]) expect(await tenants.countDocuments({ _id: new ObjectId(id) })).toBe(1);
  });

  it('a batch larger than a server-side count (60 tenants) is planned by one streamed pass per collection and removed whole', async () => {
    const c = await client();
    const ids: string[] = [];
    const keep: string[] = [];
    const long = new Date(Date.now() - 100 * DAY);
    const tenants = [];
    for (let i = 0; i < 80; i++) {
      const _id = new ObjectId();
      (i < 60 ? ids : keep).push(_id.toHexString());
      tenants.push({ _id, name: `b${i}`, status: i < 60 ? 'suspended' : 'active', updated_at: long });
    }
    await c.db(dbs.tenantadm).collection('tenants').insertMany(tenants);
    await c.db(dbs.deviceauth).collection('devices').insertMany([...ids, ...keep].map((id) => ({ _id: new ObjectId().toHexString() as never, tenant_id: id })));
    // Stored both ways, in a database the tool knows nothing of.
    await c.db(extraDb()).collection('inventory').insertMany([...ids, ...keep].map((id, i) => ({ tenant_id: i % 2 ? id : new ObjectId(id) })));
    const out = await runJson(dbs, yes(['maintenance', 'delete-suspended-tenants', '--threshold-days', '30']));
    expect(out.removed.tenants).toHaveLength(60);
    expect(out.removed.documents).toMatchObject({ [`${dbs.tenantadm}.tenants`]: 60, [`${dbs.deviceauth}.devices`]: 60, [`${extraDb()}.inventory`]: 60 });
    expect(out.remaining).toBe(0);
    for (const id of [ids[0]!, ids[59]!]) expect(await leftAnywhere(id)).toEqual({});
    expect(await c.db(dbs.deviceauth).collection('devices').countDocuments({})).toBe(20);
    expect(await c.db(extraDb()).collection('inventory').countDocuments({})).toBe(20);
  });

  it('suspend-tenants-expired-trial suspends expired trials only, records suspended_at and revokes their tokens', async () => {
    const c = await client();
    const expired = (await runJson(dbs, ['create-tenant', '--name', 'expired'])).id;
    const future = (await runJson(dbs, ['create-tenant', '--name', 'future'])).id;
    const plain = (await runJson(dbs, ['create-tenant', '--name', 'plain'])).id;
    const set = await runJson(dbs, ['update-tenant', '--id', expired, '--trial', 'true', '--trial-expiration', '2020-01-01']);
    expect(set).toMatchObject({ trial: true, trial_expiration: '2020-01-01T00:00:00.000Z' });
    await runJson(dbs, ['update-tenant', '--id', future, '--trial', 'true', '--trial-expiration', '2999-01-01T00:00:00Z']);
    await expectFailsCleanly(dbs, ['update-tenant', '--id', plain, '--trial-expiration', 'soon'], 2);
    await c.db(dbs.deviceauth).collection('tokens').insertMany([
      { _id: new ObjectId(), mender: { tenant: expired } },
      { _id: new ObjectId(), mender: { tenant: future } },
    ]);
    const before = await snapshot(dbs);
    const dry = await runJson(dbs, ['maintenance', 'suspend-tenants-expired-trial', '--dry-run']);
    expect(dry).toEqual([{ id: expired, name: 'expired', trial_expiration: '2020-01-01T00:00:00.000Z', status: 'active' }]);
    expect(await snapshot(dbs)).toEqual(before);

    const out = await runJson(dbs, yes(['maintenance', 'suspend-tenants-expired-trial']));
    expect(out).toEqual([{ id: expired, name: 'expired', trial_expiration: '2020-01-01T00:00:00.000Z', status: 'suspended' }]);
    const stored = await c.db(dbs.tenantadm).collection('tenants').findOne({ _id: new ObjectId(expired) });
    expect(stored).toMatchObject({ status: 'suspended', suspended_at: expect.any(Date) });
    expect((await runJson(dbs, ['get-tenant', '--id', future])).status).toBe('active');
    expect(await c.db(dbs.deviceauth).collection('tokens').countDocuments({ 'mender.tenant': expired })).toBe(0);
    expect(await c.db(dbs.deviceauth).collection('tokens').countDocuments({ 'mender.tenant': future })).toBe(1);
    const [entry] = await runJson(dbs, ['audit', '--tenant', expired, '--limit', '1']);
    expect(entry.change).toBe('status: active -> suspended (trial expired 2020-01-01T00:00:00.000Z)');
    // Nothing left to do: a second run suspends nobody.
    expect(await runJson(dbs, yes(['maintenance', 'suspend-tenants-expired-trial']))).toEqual([]);
  });
});
