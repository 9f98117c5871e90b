/** End-to-end tests of the audit log: what is recorded, reading and streaming it (`tenantadm audit`). */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ObjectId, type Document } from 'mongodb';
import { BIN, client, cliEnv, passwordFile, run, runJson, snapshot, state, expectFailsCleanly } from '../../../test/support/harness';
import { csvObjects } from '../../../test/support/csv';
import { resolveConfig } from '../../config';
import { ChangeSet, Store } from '../../store';
import { commandTest, AUDIT } from '../../../test/support/command-test';

const ctx = commandTest();
const { create, audit, rawEntries } = ctx;

async function update(id: string, ...args: string[]): Promise<any> {
  return runJson(ctx.dbs, ['update-tenant', '--tenant', id, '--yes', ...args]);
}

/** A stored entry as the store writes it, for seeding reads (times and logs under test control). */
function stored(over: Document = {}): Document {
  const tenant = (over.tenant_id as string | undefined) ?? 'aaaaaaaaaaaaaaaaaaaaaaaa';
  return {
    _id: new ObjectId(),
    state: 'committed',
    tenant_id: tenant,
    log_tenant_ids: [tenant],
    actor: { id: 'seed@test', type: 'system' },
    action: 'update',
    object: { id: tenant, type: 'tenant', tenant: { id: tenant, name: 'seeded' } },
    change: 'plan: os -> enterprise',
    time: new Date(),
    ...over,
  };
}

async function seed(docs: Document[]): Promise<void> {
  await (await client()).db(ctx.dbs.audit).collection(AUDIT).insertMany(docs);
}

/** Run a command that must fail with `code`, print nothing on stdout and change no database. */
async function failsWithoutTrace(args: string[], code: number, opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  await expectFailsCleanly(ctx.dbs, args, code, opts);
}

const API_KEYS = ['id', 'time', 'tenant_id', 'actor', 'action', 'object', 'change'];

describe('recording', () => {
  it('records one entry per change of create-tenant, create-org and every update-tenant variant', async () => {
    const started = Date.now();
    const t = await create('acme', ['--device-limit', '10', '--admin-email', 'Admin@Acme.example', '--password-file', passwordFile(ctx.dir)]);
    const org = await run(ctx.dbs, ['create-org', '--name', 'legacy', '--username', 'old@legacy.example', '--password', 'legacy-pass-1']);
    expect(org.code).toBe(0);
    const orgId = org.stdout.trim().split('\n').pop()!;
    const admin = await (await client()).db(ctx.dbs.useradm).collection('users').findOne({ email: 'admin@acme.example' });
    const orgAdmin = await (await client()).db(ctx.dbs.useradm).collection('users').findOne({ email: 'old@legacy.example' });

    const created = await audit('--action', 'create');
    expect(created.map((e) => [e.tenant_id, e.object.type, e.object.id])).toEqual([
      [orgId, 'user', orgAdmin!._id],
      [orgId, 'tenant', orgId],
      [t.id, 'user', admin!._id],
      [t.id, 'tenant', t.id],
    ]);
    expect(created[3]).toMatchObject({
      actor: { id: 'tester@ci', type: 'system' },
      object: { tenant: { id: t.id, name: 'acme' } },
      change: 'tenant "acme" created: plan enterprise, device limit 10',
    });
    expect(created[2]).toMatchObject({ object: { user: { email: 'admin@acme.example' } }, change: expect.stringContaining('admin@acme.example') });
    expect(created[1].change).toBe('tenant "legacy" created: plan enterprise, device limit unlimited');

    const variants: [string[], string, string][] = [
      [['--name', 'acme-corp'], 'name: acme -> acme-corp', 'acme-corp'],
      [['--plan', 'os'], 'plan: enterprise -> os', 'acme-corp'],
      [['--status', 'suspended'], 'status: active -> suspended', 'acme-corp'],
      [['--status', 'active'], 'status: suspended -> active', 'acme-corp'],
      [['--addon', 'monitor', '--addon', 'configure'], 'addon monitor: off -> on; addon configure: off -> on', 'acme-corp'],
      [['--addon', 'monitor=off'], 'addon monitor: on -> off', 'acme-corp'],
      [['--service-provider', '--max-child-tenants', '5'], 'service_provider: false -> true; max_child_tenants: unset -> 5', 'acme-corp'],
      [['--max-child-tenants', 'unlimited'], 'max_child_tenants: 5 -> unset', 'acme-corp'],
      [['--no-service-provider'], 'service_provider: true -> false', 'acme-corp'],
      [['--rotate-token'], 'tenant token rotated', 'acme-corp'],
    ];
    for (const [args, change, name] of variants) {
      const count = (await rawEntries()).length;
      await update(t.id, ...args);
      expect((await rawEntries()).length).toBe(count + 1);
      const [newest] = await audit('--last', '1');
      expect({ args, entry: newest }).toEqual({
        args,
        entry: {
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          time: expect.any(String),
          tenant_id: t.id,
          actor: { id: 'tester@ci', type: 'system' },
          action: 'update',
          object: { id: t.id, type: 'tenant', tenant: { id: t.id, name } },
          change,
        },
      });
    }

    const mine = await audit('--object-id', t.id);
    expect(mine).toHaveLength(1 + variants.length);
    expect(mine.map((e) => e.change).reverse().slice(1)).toEqual(variants.map((v) => v[1]));
    for (const e of mine) {
      expect(Object.keys(e)).toEqual(API_KEYS);
      expect(Date.parse(e.time)).toBeGreaterThanOrEqual(started - 1000);
      expect(Date.parse(e.time)).toBeLessThanOrEqual(Date.now());
    }
    const raw = await rawEntries();
    expect(raw.every((d) => d.state === 'committed' && d.time instanceof Date)).toBe(true);
    expect(raw.every((d) => JSON.stringify(d.log_tenant_ids) === JSON.stringify([d.tenant_id]))).toBe(true);
    expect(await (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });

  it('writes no entry for commands that fail or find nothing to change', async () => {
    const a = await create('a', ['--plan', 'os', '--device-limit', '10', '--admin-email', 'a@a.example', '--password-file', passwordFile(ctx.dir)]);
    const b = await create('b');
    await update(a.id, '--service-provider');
    await (await client()).db(ctx.dbs.tenantadm).collection('tenants').insertOne({ name: 'kid', status: 'active', parent_tenant_id: a.id });
    const entries = (await rawEntries()).length;

    await failsWithoutTrace(['create-tenant', '--name', 'a'], 4);
    await failsWithoutTrace(['create-tenant', '--name', 'c', '--admin-email', 'A@a.example', '--password-file', passwordFile(ctx.dir)], 4);
    await failsWithoutTrace(['create-tenant', '--name', 'c', '--plan', 'gold'], 2);
    await failsWithoutTrace(['create-tenant', '--name', 'c'], 2, { env: { TENANTADM_SERVER_PRIV_KEY_PATH: '' } });
    await failsWithoutTrace(['update-tenant', '--tenant', '0123456789abcdef01234567', '--plan', 'os'], 3);
    await failsWithoutTrace(['update-tenant', '--tenant', a.id, '--name', 'b'], 4);
    await failsWithoutTrace(['update-tenant', '--tenant', a.id, '--no-service-provider'], 5);
    await failsWithoutTrace(['update-tenant', '--tenant', a.id, '--rotate-token', '--yes', '--key-file', `${ctx.dir}/missing.pem`], 2);
    await failsWithoutTrace(['update-tenant', '--tenant', a.id], 2);

    // Succeeding without a change: nothing to record either.
    const before = await snapshot(ctx.dbs);
    expect((await update(a.id, '--plan', 'os', '--service-provider')).plan).toBe('os');
    expect((await create('b', ['--if-not-exists', '--plan', 'enterprise'])).id).toBe(b.id);
    expect(await snapshot(ctx.dbs)).toEqual(before);
    // Not what was asked (a create makes no Service Provider): exit 4, nothing recorded.
    await failsWithoutTrace(['create-tenant', '--name', 'a', '--plan', 'os', '--if-not-exists'], 4);
    expect(await rawEntries()).toHaveLength(entries);
  });

  it('records the operator: --actor, else TENANTADM_ACTOR, else user@host', async () => {
    const byFlag = await runJson(ctx.dbs, ['--actor', 'alice@ops', 'create-tenant', '--name', 'f']);
    const byFlagAfter = await runJson(ctx.dbs, ['create-tenant', '--name', 'g', '--actor', 'carol@ops']);
    const byEnv = await create('e', [], { TENANTADM_ACTOR: 'bob@ops' });
    const byDefault = await create('d', [], { TENANTADM_ACTOR: '' });
    const actorOf = async (id: string) => (await audit('--object-id', id))[0].actor.id;
    expect(await actorOf(byFlag.id)).toBe('alice@ops');
    expect(await actorOf(byFlagAfter.id)).toBe('carol@ops');
    expect(await actorOf(byEnv.id)).toBe('bob@ops');
    expect(await actorOf(byDefault.id)).toBe(`${os.userInfo().username}@${os.hostname()}`);
    const raw = await rawEntries();
    expect(raw.map((d) => d.actor)).toEqual([
      { id: 'alice@ops', type: 'system' },
      { id: 'carol@ops', type: 'system' },
      { id: 'bob@ops', type: 'system' },
      { id: `${os.userInfo().username}@${os.hostname()}`, type: 'system' },
    ]);
  });

  it('never writes a password, hash, token or key into any entry of any command', async () => {
    const passwords = ['Pw-file-secret-1', 'Pw-stdin-secret-2', 'Pw-argv-secret-3'];
    const tokens: string[] = [];
    const a = await create('sa', ['--device-limit', '5', '--admin-email', 'a@sa.example', '--password-file', passwordFile(ctx.dir, passwords[0])]);
    const b = await runJson(ctx.dbs, ['create-tenant', '--name', 'sb', '--device-limit', '5', '--admin-email', 'b@sb.example', '--password-stdin'], { input: `${passwords[1]}\n` });
    const org = await run(ctx.dbs, ['create-org', '--name', 'sc', '--device-limit', '5', '--username', 'c@sc.example', '--password', passwords[2]!]);
    expect(org.code).toBe(0);
    const c = await runJson(ctx.dbs, ['get-tenant', '--name', 'sc']);
    tokens.push(a.tenant_token, b.tenant_token, c.tenant_token);
    for (const t of [a, b, c]) {
      tokens.push((await update(t.id, '--rotate-token')).tenant_token);
      tokens.push((await update(t.id, '--rotate-token', '--plan', 'os', '--name', `${t.name}-renamed`)).tenant_token);
      await update(t.id, '--service-provider', '--max-child-tenants', '3', '--status', 'suspended', '--addon', 'troubleshoot');
    }
    const hashes = (await (await client()).db(ctx.dbs.useradm).collection('users').find({}).toArray()).map((u) => String(u.password));
    expect(hashes).toHaveLength(3);
    const pem = fs.readFileSync(state().keyFile, 'utf8');
    const keyLines = pem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
    const secrets = [...passwords, ...hashes, ...tokens, ...tokens.map((t) => t.split('.')[2]!), ...keyLines, 'PRIVATE KEY'];
    expect(tokens.every((t) => t.split('.').length === 3)).toBe(true);

    const raw = await rawEntries();
    expect(raw).toHaveLength(6 + 3 * 3);
    const outputs = [JSON.stringify(raw)];
    for (const format of ['json', 'ndjson', 'csv', 'table']) {
      const r = await run(ctx.dbs, ['audit', '-o', format]);
      expect(r.code).toBe(0);
      outputs.push(r.stdout);
    }
    for (const text of outputs) {
      for (const secret of secrets) expect({ leaked: text.includes(secret!), secret: secret!.slice(0, 12) }).toEqual({ leaked: false, secret: secret!.slice(0, 12) });
      expect(text).not.toMatch(/eyJ[\w-]+\.eyJ/);
      expect(text).not.toMatch(/\$2[aby]\$\d\d\$/);
    }
  });

  it("puts a child's change into its own log and its Service Provider's, naming the parent", async () => {
    // The SP's plan is os: a child's plan is its SP's (Enterprise 4.x).
    const sp = await create('sp', ['--device-limit', '10', '--plan', 'os']);
    await update(sp.id, '--service-provider');
    const { insertedId } = await (await client()).db(ctx.dbs.tenantadm).collection('tenants').insertOne({ name: 'child', status: 'active', parent_tenant_id: sp.id });
    const child = insertedId.toHexString();
    await update(child, '--plan', 'os', '--status', 'suspended');
    const newest = (await rawEntries()).pop()!;
    expect(newest).toMatchObject({
      tenant_id: child,
      log_tenant_ids: [child, sp.id],
      object: { id: child, type: 'tenant', tenant: { id: child, name: 'child', parent: sp.id } },
      change: 'plan: enterprise -> os; status: active -> suspended',
    });
    expect((await audit('--tenant', sp.id)).map((e) => e.object.id)).toEqual([child, sp.id, sp.id]);
    expect((await audit('--tenant', child)).map((e) => e.object.id)).toEqual([child]);
  });

  it('writes to, indexes and reads the configured audit database and collection', async () => {
    const otherDb = `${ctx.dbs.audit}other`;
    try {
      const flags = ['--audit-db', otherDb, '--audit-collection', 'trail'];
      const m = await runJson(ctx.dbs, [...flags, 'migrate']);
      expect(m.filter((r: any) => r.database === otherDb && r.collection === 'trail')).toHaveLength(3);
      const t = await runJson(ctx.dbs, [...flags, 'create-tenant', '--name', 'cfg']);
      await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--plan', 'os'], { env: { TENANTADM_AUDIT_DB: otherDb, TENANTADM_AUDIT_COLLECTION: 'trail' } });
      expect((await rawEntries('trail', otherDb)).map((d) => [d.action, d.state])).toEqual([
        ['create', 'committed'],
        ['update', 'committed'],
      ]);
      expect(await rawEntries()).toEqual([]);
      expect(await audit()).toEqual([]);
      expect((await runJson(ctx.dbs, ['audit', ...flags])).map((e: any) => e.action)).toEqual(['update', 'create']);
      const env = { TENANTADM_AUDIT_DB: otherDb, TENANTADM_AUDIT_COLLECTION: 'trail' };
      expect((await runJson(ctx.dbs, ['audit', '--tenant', t.id], { env })).map((e: any) => e.action)).toEqual(['update', 'create']);
      const idx = await (await client()).db(otherDb).collection('trail').listIndexes().toArray();
      expect(idx.map((i) => i.name).sort()).toEqual(['_id_', 'tenantadm_audit_log_time', 'tenantadm_audit_object_time', 'tenantadm_audit_time_id']);
      const bad = await run(ctx.dbs, ['audit', '--audit-collection', 'no.dots']);
      expect(bad.code).toBe(2);
    } finally {
      await (await client()).db(otherDb).dropDatabase();
    }
  });

  it('refuses a change that carries no audit event, before writing anything', async () => {
    const config = resolveConfig({}, cliEnv(ctx.dbs));
    const store = await Store.open(config);
    try {
      const doc = store.tenants.newDocument({ name: 'sneaky', status: 'active', plan: 'os', addons: [], created_at: new Date() });
      await expect(store.commit(new ChangeSet('sneaky').add(doc.step))).rejects.toThrow(/without recording an audit event/);
    } finally {
      await store.close();
    }
    expect(await (await client()).db(ctx.dbs.tenantadm).collection('tenants').countDocuments()).toBe(0);
    expect(await (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });
});

describe('reading: tenantadm audit', () => {
  it("keeps every tenant's log apart; a Service Provider sees its children, --include-children their whole logs", async () => {
    const a = await create('a');
    const b = await create('b');
    const sp = await create('sp', ['--device-limit', '10', '--plan', 'os']);
    await update(sp.id, '--service-provider');
    const tenants = (await client()).db(ctx.dbs.tenantadm).collection('tenants');
    const c1 = (await tenants.insertOne({ name: 'c1', status: 'active', parent_tenant_id: sp.id })).insertedId.toHexString();
    const c2 = (await tenants.insertOne({ name: 'c2', status: 'active', parent_tenant_id: sp.id })).insertedId.toHexString();
    await update(a.id, '--plan', 'os');
    await update(b.id, '--plan', 'professional');
    await update(c1, '--plan', 'os');
    await update(c2, '--status', 'suspended');
    // An entry from before c1 had a parent: in c1's own log only.
    await seed([stored({ tenant_id: c1, log_tenant_ids: [c1], time: new Date(Date.now() - 86_400_000), change: 'before adoption' })]);

    const ofA = await audit('--tenant', a.id);
    expect(ofA.map((e) => [e.action, e.tenant_id])).toEqual([
      ['update', a.id],
      ['create', a.id],
    ]);
    const ofB = await audit('--tenant', b.id);
    expect(ofB.every((e) => e.tenant_id === b.id && e.object.id === b.id)).toBe(true);
    expect(ofB).toHaveLength(2);

    const ofSp = await audit('--tenant', sp.id);
    expect(ofSp.map((e) => [e.object.id, e.action])).toEqual([
      [c2, 'update'],
      [c1, 'update'],
      [sp.id, 'update'],
      [sp.id, 'create'],
    ]);
    const withChildren = await audit('--tenant', sp.id, '--include-children');
    expect(withChildren.map((e) => e.change)).toEqual([...ofSp.map((e) => e.change), 'before adoption']);
    expect(new Set(withChildren.map((e) => e.id)).size).toBe(withChildren.length);

    expect((await audit('--tenant', c1)).map((e) => e.change)).toEqual(['plan: enterprise -> os', 'before adoption']);
    expect((await audit('--tenant', c1, '--include-children')).map((e) => e.change)).toEqual(['plan: enterprise -> os', 'before adoption']);

    const all = await audit();
    expect(all).toHaveLength(3 + 1 + 4 + 1);
    const times = all.map((e) => Date.parse(e.time));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    expect(await audit('--tenant', '0123456789abcdef01234567')).toEqual([]);
  });

  it('filters by action, object, actor (--by) and time range, newest first, and stops at --last', async () => {
    const now = Date.now();
    const ago = (h: number) => new Date(now - h * 3_600_000);
    const t1 = '111111111111111111111111';
    const t2 = '222222222222222222222222';
    await seed([
      stored({ tenant_id: t1, log_tenant_ids: [t1], action: 'create', time: ago(50), change: 'e50', actor: { id: 'alice', type: 'system' } }),
      stored({ tenant_id: t1, log_tenant_ids: [t1], action: 'update', time: ago(30), change: 'e30', actor: { id: 'bob', type: 'system' } }),
      stored({
        tenant_id: t1,
        log_tenant_ids: [t1],
        action: 'create',
        time: ago(20),
        change: 'e20',
        object: { id: 'u-1', type: 'user', user: { email: 'u@t1.example' } },
        actor: { id: 'alice', type: 'system' },
      }),
      stored({ tenant_id: t2, log_tenant_ids: [t2], action: 'delete', time: ago(3), change: 'e3', actor: { id: 'bob', type: 'system' } }),
      stored({ tenant_id: t2, log_tenant_ids: [t2], action: 'update', time: ago(1), change: 'e1', actor: { id: 'alice', type: 'system' } }),
      stored({ tenant_id: t2, log_tenant_ids: [t2], action: 'update', time: new Date('2024-06-01T00:00:00Z'), change: 'june' }),
      stored({ tenant_id: t2, log_tenant_ids: [t2], action: 'update', time: new Date('2024-07-01T00:00:00Z'), change: 'july' }),
    ]);
    const changes = async (...args: string[]) => (await audit(...args)).map((e) => e.change);
    expect(await changes()).toEqual(['e1', 'e3', 'e20', 'e30', 'e50', 'july', 'june']);
    expect(await changes('--action', 'create')).toEqual(['e20', 'e50']);
    expect(await changes('--action', 'CREATE', '--object-type', 'user')).toEqual(['e20']);
    expect(await changes('--object-type', 'tenant', '--tenant', t1)).toEqual(['e30', 'e50']);
    expect(await changes('--object-id', 'u-1')).toEqual(['e20']);
    expect(await changes('--object-id', t2)).toEqual(['e1', 'e3', 'july', 'june']);
    expect(await changes('--by', 'alice')).toEqual(['e1', 'e20', 'e50']);
    expect(await changes('--by', 'bob', '--action', 'delete')).toEqual(['e3']);
    expect(await changes('--since', '24h')).toEqual(['e1', 'e3', 'e20']);
    expect(await changes('--since', '2d', '--until', '2h')).toEqual(['e3', 'e20', 'e30']);
    expect(await changes('--since', '90m')).toEqual(['e1']);
    expect(await changes('--since', '2024-06-01', '--until', '2024-07-01T00:00:00Z')).toEqual(['june']); // since inclusive, until exclusive
    expect(await changes('--since', '2024-06-01T02:00:00+02:00', '--until', '2024-07-01T00:00:00.001')).toEqual(['july', 'june']);
    expect(await changes('--until', '2025-01-01')).toEqual(['july', 'june']);
    expect(await changes('--last', '2')).toEqual(['e1', 'e3']);
    expect(await changes('--last', '1', '--tenant', t1)).toEqual(['e20']);
    expect(await changes('--last', '100', '--by', 'bob')).toEqual(['e3', 'e30']);
    expect(await changes('--by', 'nobody')).toEqual([]);

    // The spellings before --by and --last still work; --actor as a filter says it is deprecated.
    expect(await changes('--limit', '2')).toEqual(['e1', 'e3']);
    const old = await run(ctx.dbs, ['audit', '--actor', 'bob', '--limit', '1']);
    expect(old.code).toBe(0);
    expect(JSON.parse(old.stdout).map((e: { change: string }) => e.change)).toEqual(['e3']);
    expect(old.stderr).toBe('tenantadm: warning: audit --actor is deprecated as a filter: use --by (--actor names who is acting, for commands that change something)\n');
    const both = await run(ctx.dbs, ['audit', '--actor', 'bob', '--by', 'alice']);
    expect({ code: both.code, stdout: both.stdout }).toEqual({ code: 2, stdout: '' });
    const twice = await run(ctx.dbs, ['audit', '--last', '1', '--limit', '2']);
    expect({ code: twice.code, stdout: twice.stdout }).toEqual({ code: 2, stdout: '' });
    expect(twice.stderr).toContain('--last and --limit are the same option');
  });

  it('refuses unknown actions and object types (exit 2, did you mean), finds emails in any case, and filters on what changed', async () => {
    const t = await create('Globex', ['--device-limit', '10']);
    await runJson(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '20', '--actor', 'Bob@Ops.example']);
    await update(t.id, '--plan', 'os');
    const updat = await run(ctx.dbs, ['audit', '--action', 'updat']);
    expect(updat).toMatchObject({ code: 2, stdout: '' });
    expect(updat.stderr).toContain('did you mean update?');
    expect(updat.stderr).toContain('see tenantadm audit --help');
    const tenants = await run(ctx.dbs, ['audit', '--object-type', 'tenants']);
    expect(tenants.code).toBe(2);
    expect(tenants.stderr).toContain('did you mean tenant?');
    expect((await run(ctx.dbs, ['audit', '--object-type', 'limit'])).code).toBe(2);

    // Emails are stored in lower case: any spelling finds them.
    const byBob = await audit('--by', 'BOB@ops.example');
    expect(byBob.map((e) => e.change)).toEqual(['max_devices: 10 -> 20']);
    // Who changed max_devices: by field, and by text in any case.
    expect((await audit('--field', 'max_devices')).map((e) => e.actor.email)).toEqual(['bob@ops.example']);
    expect((await audit('--field', 'plan')).map((e) => e.change)).toEqual([expect.stringMatching(/^plan: .* -> os/)]);
    expect((await audit('--change', 'MAX_DEVICES: 10')).map((e) => e.object.id)).toEqual([t.id]);
    expect(await audit('--field', 'devices')).toEqual([]);
    expect(await audit('--field', 'max_devices', '--change', 'nothing like it')).toEqual([]);
  });

  it('never shows pending entries (changes not, or not yet, committed)', async () => {
    await seed([stored({ change: 'visible' }), stored({ change: 'pending', state: 'pending' }), stored({ change: 'rolling', state: 'rolling_back' })]);
    expect((await audit()).map((e) => e.change)).toEqual(['visible']);
    expect((await audit('--tenant', 'aaaaaaaaaaaaaaaaaaaaaaaa')).map((e) => e.change)).toEqual(['visible']);
  });

  it('rejects bad arguments with exit 2 and prints nothing', async () => {
    for (const args of [
      ['--since', 'yesterday'],
      ['--until', '2025-02-30'],
      ['--since', '1h', '--until', '2h'],
      ['--last', '0'],
      ['--last', 'all'],
      ['--limit', '0'],
      ['--include-children'],
      ['--tenant', 'acme'],
      ['--action', '{"$ne":null}'],
      ['--object-id', ''],
      ['--bogus'],
      ['-o', 'xml'],
    ]) {
      const r = await run(ctx.dbs, ['audit', ...args]);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('prints a JSON array, NDJSON, a table and CSV that parse back to the same entries', async () => {
    const empty = await run(ctx.dbs, ['audit']);
    expect(JSON.parse(empty.stdout)).toEqual([]);
    expect((await run(ctx.dbs, ['audit', '--ndjson'])).stdout).toBe('');
    expect((await run(ctx.dbs, ['audit', '-o', 'csv'])).stdout).toBe('TIME,TENANT,ACTOR,ACTION,OBJECT TYPE,OBJECT ID,OBJECT,CHANGE\r\n');

    const t = await create('fmt, "quoted" name');
    await update(t.id, '--name', 'line\u00e9 two', '--plan', 'os');
    await seed([stored({ change: 'multi\nline, with "quotes" and , commas ', meta: { ticket: ['OPS-1', 'OPS-2'] }, time: new Date(Date.now() + 60_000) })]);

    const json = await audit();
    expect(json).toHaveLength(3);
    expect(Object.keys(json[0])).toEqual([...API_KEYS, 'meta']);
    expect(json[0].meta).toEqual({ ticket: ['OPS-1', 'OPS-2'] });
    for (const e of json.slice(1)) expect(Object.keys(e)).toEqual(API_KEYS);
    expect(JSON.stringify(json)).not.toMatch(/"state"|"log_tenant_ids"|"_id"|"op_id"/);

    // The JSON array feeds jq as is; NDJSON is one entry a line, the same entries.
    const jq = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" audit | jq -c '.[]'`], { env: cliEnv(ctx.dbs), encoding: 'utf8' });
    expect(jq.status).toBe(0);
    const nd = await run(ctx.dbs, ['audit', '--ndjson']);
    expect(nd.stdout.endsWith('\n')).toBe(true);
    const ndLines = nd.stdout.trimEnd().split('\n');
    expect(ndLines.map((l) => JSON.parse(l))).toEqual(json);
    expect(jq.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(json);
    const jqNd = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" audit --ndjson | jq -r '.object.type + " " + .action'`], {
      env: cliEnv(ctx.dbs),
      encoding: 'utf8',
    });
    expect(jqNd.stdout).toBe('tenant update\ntenant update\ntenant create\n');

    const csv = await run(ctx.dbs, ['audit', '-o', 'csv']);
    expect(csv.code).toBe(0);
    const rows = csvObjects(csv.stdout);
    expect(rows).toEqual(
      json.map((e) => ({
        TIME: e.time,
        TENANT: e.tenant_id,
        ACTOR: e.actor.id,
        ACTION: e.action,
        'OBJECT TYPE': e.object.type,
        'OBJECT ID': e.object.id,
        OBJECT: e.object.tenant?.name ?? e.object.user?.email ?? '',
        CHANGE: e.change,
      })),
    );
    expect(rows[0]!.CHANGE).toBe('multi\nline, with "quotes" and , commas ');
    expect(rows[2]!.OBJECT).toBe('fmt, "quoted" name');

    const table = await run(ctx.dbs, ['audit', '-o', 'table', '--wide']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/TIME.*TENANT.*ACTOR.*ACTION.*OBJECT TYPE.*OBJECT ID.*OBJECT.*CHANGE/);
    for (const e of json) expect(table.stdout).toContain(e.time);
    expect(table.stdout).not.toMatch(/\u001b\[/);
  });
});

describe('streaming', () => {
  // 15,000 entries take about 17 MB of heap as decoded documents (measured with the driver's
  // bson: a bare driver script holding them all with find().toArray() needs 26 MB of heap, of
  // which 9.6 MB is its own, and dies of heap exhaustion under the 24 MB cap below); the CLI's
  // own heap is 11 MB before it reads anything, so a command that held them all could not finish.
  const N = 15_000;

  it(
    `streams ${N} entries with --ndjson in bounded memory`,
    async () => {
      const coll = (await client()).db(ctx.dbs.audit).collection(AUDIT);
      const base = Date.now() - N * 1000;
      for (let i = 0; i < N; i += 5000) {
        await coll.insertMany(
          Array.from({ length: Math.min(5000, N - i) }, (_, k) => {
            const j = i + k;
            const tenant = new ObjectId().toHexString();
            return stored({
              tenant_id: tenant,
              log_tenant_ids: [tenant],
              object: { id: tenant, type: 'tenant', tenant: { id: tenant, name: `tenant-${j}` } },
              change: `plan: os -> professional; addon monitor: off -> on (${j})`,
              time: new Date(base + j * 1000),
            });
          }),
        );
      }
      // The old space is capped far below what the entries take as objects (holding them
      // all, e.g. with toArray, dies at this cap), so finishing proves the stream is bounded.
      const peakFile = path.join(ctx.dir, `peak-${process.pid}-${Date.now()}`);
      const env = cliEnv(ctx.dbs, {
        NODE_OPTIONS: `--max-old-space-size=24 --require ${path.join(__dirname, '../../../test/support/peak-rss.js')}`,
        TENANTADM_PEAK_RSS_FILE: peakFile,
      });
      const started = Date.now();
      const outcome = await new Promise<{ code: number | null; lines: number; bytes: number; first: string; last: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'audit', '--ndjson'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let lines = 0;
        let bytes = 0;
        let first = '';
        let tail = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => {
          const s = d.toString();
          bytes += d.length;
          if (lines === 0 && first === '') first = s.slice(0, s.indexOf('\n'));
          for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) lines++;
          tail = (tail + s).slice(-2000);
        });
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, lines, bytes, first, last: tail.trimEnd().split('\n').pop()!, stderr }));
      });
      const seconds = (Date.now() - started) / 1000;
      expect(outcome.stderr).toBe('');
      expect(outcome.code).toBe(0);
      expect(outcome.lines).toBe(N);
      expect(JSON.parse(outcome.first).change).toContain(`(${N - 1})`);
      expect(JSON.parse(outcome.last).change).toContain('(0)');
      const peakMb = Number(fs.readFileSync(peakFile, 'utf8')) / 1024;
      console.log(`audit --ndjson: ${N} entries, ${(outcome.bytes / 1048576).toFixed(1)} MB in ${seconds.toFixed(1)} s, peak RSS ${peakMb.toFixed(1)} MB`);
      expect(peakMb).toBeGreaterThan(10);
      expect(peakMb).toBeLessThan(160);
    },
    300_000,
  );
});
