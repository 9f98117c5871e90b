#!/usr/bin/env node
/**
 * Benchmark: tenantadm against raw MongoDB driver scripts doing the same work, in the same run,
 * interleaved, median of the runs. Prints a markdown table of ratios (these machines are noisy:
 * compare ratios, not seconds) and, for the write commands, the database commands each side
 * sent (the driver's command monitoring: TENANTADM_COUNT_COMMANDS on the CLI side).
 *
 *   npm run bench                 full sizes (slow on FerretDB: seeding 50k tenants, 200k audit entries)
 *   BENCH_QUICK=1 npm run bench   small sizes, 3 runs
 *
 * Sizes by environment (comma lists): BENCH_WRITE_TENANTS (1000,10000), BENCH_LIST_TENANTS
 * (1000,10000,50000), BENCH_PLAN_ENTRIES (500,2000), BENCH_AUDIT_ENTRIES (200000), BENCH_RUNS (5),
 * BENCH_ONLY (any of write,list,plan,audit), BENCH_PLAN_APPLY_MAX (larger plans are only dry-run). Uses $MONGODB_URI when set, else a throwaway
 * FerretDB (scripts/ferretdb.sh, scripts/bench-server.js) on the backend(s) BENCH_BACKEND names:
 * sqlite, postgresql or both (the default when a PostgreSQL server is installed). With both, the
 * plans (and the database's own update-by-_id growth) are measured on each backend in turn and
 * the other sections on SQLite.
 *
 * Every raw script is a fresh node process, as the CLI is: both sides pay process start,
 * driver load and connect. The raw write scripts do the writes the command makes and the
 * journal's own protocol at its leanest (lock, operation document, commit, one settle of
 * the audit entries, clean-up), and the reads a correct script needs to decide them.
 */
'use strict';
const { startServer, postgresAvailable, seedAuditEntries } = require('./bench-server');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { MongoClient, ObjectId, Long } = require('mongodb');

const root = path.resolve(__dirname, '..');
const BIN = path.join(root, 'bin/tenantadm');
const QUICK = process.env.BENCH_QUICK === '1';
const list = (name, dflt, quick) => (process.env[name] ?? (QUICK ? quick : dflt)).split(',').filter(Boolean).map(Number);
const WRITE_SIZES = list('BENCH_WRITE_TENANTS', '1000,10000', '300');
const LIST_SIZES = list('BENCH_LIST_TENANTS', '1000,10000,50000', '300,1500');
const PLAN_SIZES = list('BENCH_PLAN_ENTRIES', '500,2000', '50,200');
const AUDIT_ENTRIES = list('BENCH_AUDIT_ENTRIES', '200000', '5000')[0];
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 3 : 5));
/** Plans larger than this are only dry-run (the write side is the journal's; on FerretDB each update scans). */
const PLAN_APPLY_MAX = Number(process.env.BENCH_PLAN_APPLY_MAX ?? Infinity);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'write,list,plan,audit').split(','));
const DBS = { TENANTADM_DB: 'benchtenantadm', TENANTADM_USERADM_DB: 'benchuseradm', TENANTADM_DEVICEAUTH_DB: 'benchdeviceauth', TENANTADM_AUDIT_DB: 'benchaudit' };
const SEED_BATCH = 5000;
const BACKEND = process.env.BENCH_BACKEND ?? (!process.env.MONGODB_URI && postgresAvailable() ? 'both' : 'sqlite');
if (!['sqlite', 'postgresql', 'both'].includes(BACKEND)) throw new Error(`BENCH_BACKEND=${BACKEND}: sqlite, postgresql or both`);
/** The backends the plans run on; the other sections run on the first. */
const BACKENDS = process.env.MONGODB_URI ? ['sqlite'] : BACKEND === 'both' ? ['sqlite', 'postgresql'] : [BACKEND];
const BACKEND_LABEL = { sqlite: 'SQLite', postgresql: 'PostgreSQL' };

const rows = [];
/** The database the rows being measured run on (first column of the table). */
let database = '';
function row(what, size, cli, raw, extra = '') {
  const ratio = (cli.ms / raw.ms).toFixed(2);
  const cmds = cli.commands !== undefined ? `${cli.commands} vs ${raw.commands} (${cli.commands - raw.commands >= 0 ? '+' : ''}${cli.commands - raw.commands})` : '';
  const rss = cli.rssMb !== undefined ? `${cli.rssMb.toFixed(0)} / ${raw.rssMb.toFixed(0)}` : '';
  rows.push(`| ${database} | ${what} | ${size} | ${(cli.ms / 1000).toFixed(2)} s | ${(raw.ms / 1000).toFixed(2)} s | **${ratio}** | ${cmds} | ${rss} | ${extra} |`);
  process.stderr.write(`bench: ${database}: ${what} @ ${size}: ${ratio}x ${cmds} ${extra}\n`);
}
/** The database alone: updates and finds by _id on a small and a large collection (printed in a table of their own). */
const dbRows = [];

/** One process run: wall time, lines on stdout, database commands (from the debug line) and peak RSS. */
function runProcess(argv, env) {
  return new Promise((resolve, reject) => {
    const rssFile = path.join(os.tmpdir(), `bench-rss-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, argv, {
      env: { ...process.env, ...env, NODE_PATH: path.join(root, 'node_modules'), NODE_OPTIONS: `--require ${path.join(root, 'test/support/peak-rss.js')}`, TENANTADM_PEAK_RSS_FILE: rssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (d) => {
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${argv.slice(0, 3).join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const m = /debug: (\d+) database commands/.exec(stderr);
      let rssMb;
      try {
        rssMb = Number(fs.readFileSync(rssFile, 'utf8')) / 1024;
        fs.rmSync(rssFile);
      } catch {
        rssMb = undefined;
      }
      resolve({ ms, lines, commands: m ? Number(m[1]) : undefined, rssMb });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Interleave the two sides `RUNS` times; the medians (time, RSS), the commands of the last run. */
async function compare(cliRun, rawRun) {
  const a = [];
  const b = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(await cliRun(i));
    b.push(await rawRun(i));
  }
  const summary = (xs) => ({
    ms: median(xs.map((x) => x.ms)),
    lines: xs[xs.length - 1].lines,
    commands: xs[xs.length - 1].commands,
    rssMb: xs.every((x) => x.rssMb !== undefined) ? median(xs.map((x) => x.rssMb)) : undefined,
  });
  return [summary(a), summary(b)];
}

// ---------------------------------------------------------------- seeding

async function seedTenants(c, from, to) {
  const t = c.db(DBS.TENANTADM_DB).collection('tenants');
  const l = c.db(DBS.TENANTADM_DEVICEAUTH_DB).collection('limits');
  const d = c.db(DBS.TENANTADM_DEVICEAUTH_DB).collection('devices');
  for (let start = from; start < to; start += SEED_BATCH) {
    const tenants = [];
    const limits = [];
    const devices = [];
    for (let i = start; i < Math.min(to, start + SEED_BATCH); i++) {
      const _id = new ObjectId();
      const id = _id.toHexString();
      const now = new Date();
      tenants.push({ _id, name: `tenant-${i}`, status: 'active', plan: 'enterprise', addons: [], service_provider: false, created_at: now, updated_at: now });
      limits.push({ _id: new ObjectId(), tenant_id: id, name: 'max_devices', value: Long.fromNumber(100) });
      devices.push({ _id: crypto.randomUUID(), tenant_id: id, status: 'accepted' }, { _id: crypto.randomUUID(), tenant_id: id, status: 'pending' });
    }
    await t.insertMany(tenants, { ordered: false });
    await l.insertMany(limits, { ordered: false });
    await d.insertMany(devices, { ordered: false });
  }
}

/** An SP (limit `spLimit`) with `n` children at limit 1, in the given databases. */
async function seedSp(c, dbs, n, spLimit) {
  const sp = new ObjectId();
  const kids = Array.from({ length: n }, () => new ObjectId());
  const now = new Date();
  await c.db(dbs.TENANTADM_DB).collection('tenants').insertMany([
    { _id: sp, name: `sp-${sp}`, status: 'active', plan: 'enterprise', addons: [], service_provider: true, created_at: now, updated_at: now },
    ...kids.map((k, i) => ({ _id: k, name: `child-${i}-${k}`, status: 'active', plan: 'enterprise', addons: [], parent_tenant_id: sp.toHexString(), created_at: now, updated_at: now })),
  ]);
  await c.db(dbs.TENANTADM_DEVICEAUTH_DB).collection('limits').insertMany([
    { _id: new ObjectId(), tenant_id: sp.toHexString(), name: 'max_devices', value: Long.fromNumber(spLimit) },
    ...kids.map((k) => ({ _id: new ObjectId(), tenant_id: k.toHexString(), name: 'max_devices', value: Long.fromNumber(1) })),
  ]);
  return { sp: sp.toHexString(), children: kids.map((k) => k.toHexString()) };
}

async function prepareDbs(c, dbs, uri) {
  for (const db of Object.values(dbs)) await c.db(db).dropDatabase();
  // deviceauth's own record of its version (2.0.2: -1 unlimited), as Mender's migrations write it.
  await c.db(dbs.TENANTADM_DEVICEAUTH_DB).collection('migration_info').insertOne({ version: { major: 2, minor: 0, patch: 2 }, timestamp: new Date() });
  await runProcess([BIN, 'migrate'], { ...dbs, TENANTADM_MONGO: uri });
}

// ---------------------------------------------------------------- raw scripts

/** Shared by the raw scripts: connect with command counting, the journal protocol at its leanest, and the count on stderr. */
const RAW_PRELUDE = `
const { MongoClient, ObjectId, Long } = require('mongodb');
const crypto = require('node:crypto');
const env = process.env;
let commands = 0;
async function open() {
  const c = new MongoClient(env.TENANTADM_MONGO, { monitorCommands: true, writeConcern: { w: 'majority' } });
  c.on('commandStarted', () => commands++);
  await c.connect();
  return c;
}
async function close(c) { await c.close(); process.stderr.write('raw: debug: ' + commands + ' database commands\\n'); }
/** The journal's protocol around the writes: repair check, locks, operation, commit, one settle, clean-up. */
async function journaled(c, locks, writes) {
  const home = c.db(env.TENANTADM_DB);
  await home.collection('tenantadm_journal').findOne({}, { projection: { _id: 1 } });
  const op = crypto.randomUUID();
  for (const key of locks) await home.collection('tenantadm_locks').insertOne({ _id: key, op_id: op, lease_until: new Date(Date.now() + 120000) });
  await home.collection('tenantadm_journal').insertOne({ _id: op, state: 'pending', created_at: new Date() });
  const auditIds = await writes();
  await home.collection('tenantadm_journal').updateOne({ _id: op, state: 'pending' }, { $set: { state: 'committed' } });
  if (auditIds.length) await c.db(env.TENANTADM_AUDIT_DB).collection('tenantadm_audit').updateMany({ _id: { $in: auditIds }, state: 'pending' }, { $set: { state: 'committed' } });
  await home.collection('tenantadm_journal').deleteOne({ _id: op });
  for (const key of locks) await home.collection('tenantadm_locks').deleteOne({ _id: key, op_id: op });
}
function auditDoc(tenantId, parentId, object, change) {
  return { _id: new ObjectId(), state: 'pending', tenant_id: tenantId, log_tenant_ids: parentId ? [tenantId, parentId] : [tenantId], actor: { id: 'bench', type: 'system' }, action: 'update', object, change, time: new Date() };
}
`;

const RAW_CREATE = `${RAW_PRELUDE}
(async () => {
  const c = await open();
  const name = env.BENCH_NAME, email = env.BENCH_EMAIL;
  const password = require('node:fs').readFileSync(env.BENCH_PASSWORD_FILE, 'utf8').trim();
  const hash = await require('bcryptjs').hash(password, 10);
  if (await c.db(env.TENANTADM_DB).collection('tenants').findOne({ name })) throw new Error('name taken');
  if (await c.db(env.TENANTADM_USERADM_DB).collection('users').findOne({ email })) throw new Error('email taken');
  const _id = new ObjectId(), id = _id.toHexString(), now = new Date();
  const key = crypto.createPrivateKey(require('node:fs').readFileSync(env.TENANTADM_SERVER_PRIV_KEY_PATH));
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = b64({ alg: 'RS256', typ: 'JWT' }) + '.' + b64({ 'mender.tenant': id, iss: 'Mender', sub: id, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID() });
  const token = unsigned + '.' + crypto.sign('sha256', Buffer.from(unsigned), key).toString('base64url');
  await journaled(c, ['tenant-name:' + name], async () => {
    await c.db(env.TENANTADM_DB).collection('tenants').insertOne({ _id, name, status: 'active', plan: 'enterprise', addons: [], created_at: now, updated_at: now, tenant_token: token });
    await c.db(env.TENANTADM_DEVICEAUTH_DB).collection('limits').insertOne({ _id: new ObjectId(), name: 'max_devices', value: Long.fromNumber(10), tenant_id: id });
    const userId = crypto.randomUUID();
    await c.db(env.TENANTADM_USERADM_DB).collection('users').insertOne({ _id: userId, email, password: hash, tenant_id: id, roles: ['RBAC_ROLE_PERMIT_ALL'], created_ts: now, updated_ts: now });
    const audits = [auditDoc(id, null, { id, type: 'tenant' }, 'created'), auditDoc(id, null, { id: userId, type: 'user' }, 'admin created')];
    await c.db(env.TENANTADM_AUDIT_DB).collection('tenantadm_audit').insertMany(audits);
    return audits.map((a) => a._id);
  });
  process.stdout.write(id + '\\n');
  await close(c);
})().catch((e) => { console.error(e); process.exit(1); });
`;

const RAW_UPDATE = `${RAW_PRELUDE}
(async () => {
  const c = await open();
  const tenants = c.db(env.TENANTADM_DB).collection('tenants');
  const t = await tenants.findOne({ _id: new ObjectId(env.BENCH_ID) });
  await journaled(c, ['sp:' + env.BENCH_ID], async () => {
    const r = await tenants.updateOne({ _id: t._id, plan: t.plan, updated_at: t.updated_at }, { $set: { plan: env.BENCH_PLAN, updated_at: new Date() } });
    if (r.matchedCount !== 1) throw new Error('changed meanwhile');
    const a = auditDoc(env.BENCH_ID, null, { id: env.BENCH_ID, type: 'tenant' }, 'plan: ' + t.plan + ' -> ' + env.BENCH_PLAN);
    await c.db(env.TENANTADM_AUDIT_DB).collection('tenantadm_audit').insertOne(a);
    return [a._id];
  });
  process.stdout.write(JSON.stringify({ ...t, plan: env.BENCH_PLAN }) + '\\n');
  await close(c);
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** A child's limit within its SP's capacity: the child (for its SP), the SP and its children, their limits. */
const RAW_SET_LIMIT = `${RAW_PRELUDE}
(async () => {
  const c = await open();
  const tenants = c.db(env.TENANTADM_DB).collection('tenants');
  const limitsColl = c.db(env.TENANTADM_DEVICEAUTH_DB).collection('limits');
  const child = await tenants.findOne({ _id: new ObjectId(env.BENCH_ID) });
  const sp = child.parent_tenant_id;
  const family = await tenants.find({ $or: [{ _id: new ObjectId(sp) }, { parent_tenant_id: sp }] }).toArray();
  const ids = family.map((t) => t._id.toHexString());
  const limits = new Map((await limitsColl.find({ tenant_id: { $in: ids }, name: 'max_devices' }).toArray()).map((l) => [l.tenant_id, l]));
  const value = Number(env.BENCH_LIMIT);
  const others = ids.filter((i) => i !== sp && i !== env.BENCH_ID).reduce((s, i) => s + Number(limits.get(i)?.value ?? 0), 0);
  if (others + value > Number(limits.get(sp).value)) throw new Error('over capacity');
  const before = limits.get(env.BENCH_ID);
  await journaled(c, ['sp:' + sp], async () => {
    const r = await limitsColl.updateOne({ _id: before._id, value: before.value }, { $set: { value: Long.fromNumber(value) } });
    if (r.matchedCount !== 1) throw new Error('changed meanwhile');
    const a = auditDoc(env.BENCH_ID, sp, { id: env.BENCH_ID, type: 'tenant' }, 'max_devices: ' + before.value + ' -> ' + value);
    await c.db(env.TENANTADM_AUDIT_DB).collection('tenantadm_audit').insertOne(a);
    return [a._id];
  });
  process.stdout.write(JSON.stringify({ tenant_id: env.BENCH_ID, before: Number(before.value), after: value }) + '\\n');
  await close(c);
})().catch((e) => { console.error(e); process.exit(1); });
`;

/**
 * The plan baseline the issue names: read those limits once, write them with one bulkWrite.
 * FerretDB 1.24 stops answering an update command of 100 statements or more, so the bulkWrite
 * goes out in commands of 50 there (the journal does the same).
 */
const RAW_PLAN = `${RAW_PRELUDE}
(async () => {
  const c = await open();
  const plan = JSON.parse(require('node:fs').readFileSync(env.BENCH_PLAN_FILE, 'utf8')).limits;
  const limitsColl = c.db(env.TENANTADM_DEVICEAUTH_DB).collection('limits');
  const current = new Map((await limitsColl.find({ tenant_id: { $in: plan.map((p) => p.tenant_id) }, name: 'max_devices' }).toArray()).map((l) => [l.tenant_id, l]));
  if (env.BENCH_READ_ONLY) {
    for (const p of plan) process.stdout.write(JSON.stringify({ ...p, before: Number(current.get(p.tenant_id).value) }) + '\\n');
    return close(c);
  }
  const ops = plan.map((p) => ({ updateOne: { filter: { _id: current.get(p.tenant_id)._id, value: current.get(p.tenant_id).value }, update: { $set: { value: Long.fromNumber(p.limit) } } } }));
  for (let i = 0; i < ops.length; i += 50) await limitsColl.bulkWrite(ops.slice(i, i + 50), { ordered: true });
  for (const p of plan) process.stdout.write(JSON.stringify(p) + '\\n');
  await close(c);
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** list-tenants: every limit and accepted count once, then the tenants streamed as NDJSON. */
const RAW_LIST = `${RAW_PRELUDE}
(async () => {
  const c = await open();
  const da = c.db(env.TENANTADM_DEVICEAUTH_DB);
  const limits = new Map();
  for await (const l of da.collection('limits').find({ name: 'max_devices' })) limits.set(l.tenant_id, Number(l.value));
  const counts = new Map();
  for await (const r of da.collection('devices').find({ status: 'accepted' }, { projection: { tenant_id: 1 } })) counts.set(r.tenant_id, (counts.get(r.tenant_id) ?? 0) + 1);
  let out = [];
  for await (const d of c.db(env.TENANTADM_DB).collection('tenants').find({}).sort({ _id: 1 }).batchSize(500)) {
    const id = d._id.toHexString();
    out.push(JSON.stringify({ ...d, _id: undefined, id, device_limit: limits.get(id) ?? -1, device_count: counts.get(id) ?? 0 }) + '\\n');
    if (out.length === 256) { process.stdout.write(out.join('')); out = []; }
  }
  process.stdout.write(out.join(''));
  await close(c);
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** usage: devices by status, every limit kind and children once, then the tenants streamed. */
const RAW_USAGE = `${RAW_PRELUDE}
(async () => {
  const c = await open();
  const da = c.db(env.TENANTADM_DEVICEAUTH_DB);
  const kinds = ['max_devices', 'max_micro_devices', 'max_system_devices'];
  const limits = new Map();
  for await (const l of da.collection('limits').find({}, { projection: { tenant_id: 1, name: 1, value: 1 } })) limits.set(l.tenant_id + '/' + l.name, Number(l.value));
  const counts = new Map();
  for await (const r of da.collection('devices').find({}, { projection: { _id: 0, tenant_id: 1, status: 1 } }).batchSize(5000)) {
    let x = counts.get(r.tenant_id);
    if (!x) counts.set(r.tenant_id, (x = { accepted: 0, pending: 0, rejected: 0, preauthorized: 0, noauth: 0 }));
    x[r.status] += 1;
  }
  const kids = new Map();
  for await (const k of c.db(env.TENANTADM_DB).collection('tenants').find({ parent_tenant_id: { $exists: true, $ne: null } }, { projection: { _id: 1, parent_tenant_id: 1 } })) {
    const p = String(k.parent_tenant_id);
    kids.set(p, [...(kids.get(p) ?? []), k._id.toHexString()]);
  }
  let out = [];
  for await (const d of c.db(env.TENANTADM_DB).collection('tenants').find({}).sort({ _id: 1 }).batchSize(500)) {
    const id = d._id.toHexString();
    const lim = Object.fromEntries(kinds.map((k) => [k, limits.get(id + '/' + k) ?? -1]));
    const row = { tenant_id: id, name: d.name, status: d.status ?? 'active', service_provider: d.service_provider === true, parent_tenant_id: d.parent_tenant_id ?? null, devices: counts.get(id) ?? { accepted: 0, pending: 0, rejected: 0, preauthorized: 0, noauth: 0 }, limits: lim };
    if (row.service_provider) {
      const k = kids.get(id) ?? [];
      row.children = k.length;
      row.allocated = Object.fromEntries(kinds.map((kind) => [kind, k.reduce((s, x) => s + (limits.get(x + '/' + kind) ?? 0), 0)]));
    }
    out.push(JSON.stringify(row) + '\\n');
    if (out.length === 256) { process.stdout.write(out.join('')); out = []; }
  }
  process.stdout.write(out.join(''));
  await close(c);
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** audit --ndjson: the same query, the same API shape, one JSON line each. */
const RAW_AUDIT = `${RAW_PRELUDE}
(async () => {
  const c = await open();
  let out = [];
  for await (const d of c.db(env.TENANTADM_AUDIT_DB).collection('tenantadm_audit').find({ state: 'committed' }).sort({ time: -1, _id: -1 }).batchSize(1000)) {
    out.push(JSON.stringify({ id: d._id.toHexString(), time: d.time.toISOString(), tenant_id: d.tenant_id, actor: d.actor, action: d.action, object: d.object, change: d.change, ...(d.meta ? { meta: d.meta } : {}) }) + '\\n');
    if (out.length === 1000) { process.stdout.write(out.join('')); out = []; }
  }
  process.stdout.write(out.join(''));
  await close(c);
})().catch((e) => { console.error(e); process.exit(1); });
`;

const raw = (script, env) => runProcess(['-e', script], env);
const cli = (args, env) => runProcess([BIN, ...args], env);

// ---------------------------------------------------------------- the benchmarks

async function benchWrites(c, env, size, dir) {
  const pw = path.join(dir, 'pw');
  fs.writeFileSync(pw, 'correct horse battery\n', { mode: 0o600 });
  const counted = { ...env, TENANTADM_COUNT_COMMANDS: '1' };
  const tag = `${size}-${crypto.randomBytes(3).toString('hex')}`;
  let [a, b] = await compare(
    (i) => cli(['create-tenant', '--name', `new-${tag}-${i}`, '--admin-email', `admin-${tag}-${i}@bench.example`, '--password-file', pw, '--device-limit', '10', '--id-only'], counted),
    (i) => raw(RAW_CREATE, { ...env, BENCH_NAME: `raw-${tag}-${i}`, BENCH_EMAIL: `raw-${tag}-${i}@bench.example`, BENCH_PASSWORD_FILE: pw }),
  );
  row('create-tenant with admin', size, a, b);

  const ids = (await c.db(DBS.TENANTADM_DB).collection('tenants').find({ parent_tenant_id: { $exists: false } }, { projection: { _id: 1 } }).limit(2).toArray()).map((t) => t._id.toHexString());
  const plans = ['professional', 'enterprise'];
  [a, b] = await compare(
    (i) => cli(['update-tenant', '--tenant', ids[0], '--plan', plans[i % 2]], counted),
    (i) => raw(RAW_UPDATE, { ...env, BENCH_ID: ids[1], BENCH_PLAN: plans[i % 2] }),
  );
  row('update-tenant --plan', size, a, b);

  // A child of a Service Provider with 20 children, raised each run (no device count needed either side).
  const { children } = await seedSp(c, DBS, 20, 1000);
  [a, b] = await compare(
    (i) => cli(['set-device-limit', '--tenant', children[0], '--device-limit', String(10 + i)], counted),
    (i) => raw(RAW_SET_LIMIT, { ...env, BENCH_ID: children[1], BENCH_LIMIT: String(10 + i) }),
  );
  row('set-device-limit (child of an SP)', size, a, b);
}

async function benchLists(env, size) {
  let [a, b] = await compare(
    () => cli(['list-tenants', '--ndjson'], env),
    () => raw(RAW_LIST, env),
  );
  if (a.lines !== b.lines) throw new Error(`list-tenants printed ${a.lines} lines, the raw drain ${b.lines}`);
  row('list-tenants --ndjson', size, a, b, `${a.lines} lines`);
  [a, b] = await compare(
    () => cli(['usage', '--ndjson'], env),
    () => raw(RAW_USAGE, env),
  );
  if (a.lines !== b.lines) throw new Error(`usage printed ${a.lines} lines, the raw drain ${b.lines}`);
  row('usage --ndjson', size, a, b, `${a.lines} lines`);
}

async function benchPlans(c, uri, dir) {
  const results = new Map();
  const dry = new Map();
  for (const n of PLAN_SIZES) {
    // Each plan size in databases of its own: an SP and its N children (letters only in names).
    const letters = crypto.randomBytes(6).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]);
    const dbs = { TENANTADM_DB: `p${letters}t`, TENANTADM_USERADM_DB: `p${letters}u`, TENANTADM_DEVICEAUTH_DB: `p${letters}d`, TENANTADM_AUDIT_DB: `p${letters}a` };
    await prepareDbs(c, dbs, uri);
    const env = { ...dbs, TENANTADM_MONGO: uri, TENANTADM_TIMEOUT_MS: '120000' };
    const { children } = await seedSp(c, dbs, n, 100 * n);
    // Every run changes every entry: the CLI and the raw script take turns raising them all.
    const planFile = (value) => {
      const file = path.join(dir, `plan-${n}-${value}.json`);
      fs.writeFileSync(file, JSON.stringify({ limits: children.map((id) => ({ tenant_id: id, limit: value })) }));
      return file;
    };
    // The read side alone: tenantadm's dry run (reads, checks and orders the plan) against the raw script reading the limits.
    const [d, r] = await compare(
      (i) => cli(['set-device-limit', '-f', planFile(50 + i), '--dry-run', '--ndjson'], { ...env, TENANTADM_COUNT_COMMANDS: '1' }),
      () => raw(RAW_PLAN, { ...env, BENCH_PLAN_FILE: planFile(1), BENCH_READ_ONLY: '1' }),
    );
    dry.set(n, d);
    row('set-device-limit -f plan --dry-run (reads and checks)', n, d, r, `${n} entries; raw reads the limits only`);
    if (n > PLAN_APPLY_MAX) {
      rows.push(`| set-device-limit -f plan | ${n} | | | | | | not applied (BENCH_PLAN_APPLY_MAX=${PLAN_APPLY_MAX}) |`);
      for (const db of Object.values(dbs)) await c.db(db).dropDatabase();
      continue;
    }
    const [a, b] = await compare(
      (i) => cli(['set-device-limit', '-f', planFile(2 + 2 * i), '--ndjson'], { ...env, TENANTADM_COUNT_COMMANDS: '1' }),
      (i) => raw(RAW_PLAN, { ...env, BENCH_PLAN_FILE: planFile(3 + 2 * i) }),
    );
    if (a.lines !== n || b.lines !== n || d.lines !== n) throw new Error(`plan of ${n}: ${a.lines}, ${b.lines} and ${d.lines} lines`);
    results.set(n, [a, b]);
    row('set-device-limit -f plan', n, a, b, `${n} entries`);
    for (const db of Object.values(dbs)) await c.db(db).dropDatabase();
  }
  if (PLAN_SIZES.length === 2) {
    const [small, large] = PLAN_SIZES;
    if (results.has(large) && results.has(small)) {
      const [[a0, b0], [a1, b1]] = [results.get(small), results.get(large)];
      const growth = a1.ms / a0.ms;
      const rawGrowth = b1.ms / b0.ms;
      rows.push(`| ${database} | plan growth N=${small} to N=${large} (x${(large / small).toFixed(1)} entries) | | **${growth.toFixed(2)}x** | ${rawGrowth.toFixed(2)}x | | ${a0.commands} and ${a1.commands} vs ${b0.commands} and ${b1.commands} | | growth of tenantadm and of the raw script; target within 4.5 |`);
      process.stderr.write(`bench: ${database}: plan growth ${small} -> ${large}: tenantadm ${growth.toFixed(2)}x, raw ${rawGrowth.toFixed(2)}x\n`);
    }
    const dryGrowth = dry.get(large).ms / dry.get(small).ms;
    rows.push(`| ${database} | plan --dry-run growth N=${small} to N=${large} | | **${dryGrowth.toFixed(2)}x** | | | ${dry.get(small).commands} and ${dry.get(large).commands} commands | | reads and checks only |`);
  }
}

/**
 * The database alone, no tenantadm: 200 updates by _id (in commands of 50, as the plans write) and
 * 200 finds by _id on a collection of 1,000 documents and on one of 4,000, interleaved, median of
 * the runs. Flat means the backend serves a write by _id from its index; growing with the
 * collection means each update scans it (then a plan's writes grow as entries x collection size).
 */
async function benchDatabaseUpdates(c) {
  const SIZES = [1000, 4000];
  const UPDATES = 200;
  const db = c.db(`micro${crypto.randomBytes(4).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)])}`);
  const times = new Map(SIZES.map((n) => [n, { update: [], find: [] }]));
  for (let run = 0; run < Math.min(RUNS, 3); run++) {
    for (const n of SIZES) {
      const coll = db.collection(`limits${n}r${'abcdefghij'[run % 10]}`);
      const docs = Array.from({ length: n }, (_, i) => ({ _id: new ObjectId(), tenant_id: new ObjectId().toHexString(), name: 'max_devices', value: Long.fromNumber(i) }));
      for (let i = 0; i < n; i += SEED_BATCH) await coll.insertMany(docs.slice(i, i + SEED_BATCH), { ordered: false });
      const picked = docs.filter((_, i) => i % (n / UPDATES) === 0);
      let t0 = process.hrtime.bigint();
      for (let i = 0; i < picked.length; i += 50) {
        await coll.bulkWrite(picked.slice(i, i + 50).map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { value: Long.fromNumber(-1) } } } })), { ordered: true });
      }
      times.get(n).update.push(Number(process.hrtime.bigint() - t0) / 1e6);
      t0 = process.hrtime.bigint();
      for (const d of picked) await coll.findOne({ _id: d._id });
      times.get(n).find.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if ((await coll.countDocuments({ value: Long.fromNumber(-1) })) !== UPDATES) throw new Error(`database alone: ${UPDATES} updates on ${n} documents did not all apply`);
      await coll.drop();
    }
  }
  await db.dropDatabase();
  const [small, large] = SIZES.map((n) => ({ update: median(times.get(n).update), find: median(times.get(n).find) }));
  const ms = (x) => `${x.toFixed(0)} ms`;
  dbRows.push(`| ${database} | ${ms(small.update)} | ${ms(large.update)} | **${(large.update / small.update).toFixed(2)}x** | ${ms(small.find)} | ${ms(large.find)} | **${(large.find / small.find).toFixed(2)}x** |`);
  process.stderr.write(`bench: ${database}: ${UPDATES} updates by _id ${ms(small.update)} on ${SIZES[0]} docs, ${ms(large.update)} on ${SIZES[1]}; finds ${ms(small.find)}, ${ms(large.find)}\n`);
}

async function benchAudit(c, env) {
  const coll = c.db(DBS.TENANTADM_AUDIT_DB).collection('tenantadm_audit');
  await seedAuditEntries(coll, AUDIT_ENTRIES, { batch: SEED_BATCH, change: (j) => `plan: os -> professional (${j})` });
  const committed = await coll.countDocuments({ state: 'committed' });
  const [a, b] = await compare(
    () => cli(['audit', '--ndjson'], env),
    () => raw(RAW_AUDIT, env),
  );
  if (a.lines !== committed || b.lines !== committed) throw new Error(`audit: ${a.lines} and ${b.lines} lines of ${committed}`);
  row('audit --ndjson (export)', AUDIT_ENTRIES, a, b, `${committed} entries`);
}

(async () => {
  const needsMain = ONLY.has('write') || ONLY.has('list') || ONLY.has('audit');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantadm-bench-'));
  const keyFile = path.join(dir, 'key.pem');
  fs.writeFileSync(keyFile, crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const started = Date.now();
  const names = [];
  try {
    if (needsMain) {
      const server = await startServer('bench', { backend: BACKENDS[0] });
      names.push(server.name);
      database = process.env.MONGODB_URI ? 'MONGODB_URI' : BACKEND_LABEL[BACKENDS[0]];
      const c = await MongoClient.connect(server.uri);
      try {
        // A long socket timeout: the raw side has none, and a loaded FerretDB answers one full scan in tens of seconds.
        const env = { ...DBS, TENANTADM_MONGO: server.uri, TENANTADM_SERVER_PRIV_KEY_PATH: keyFile, TENANTADM_TIMEOUT_MS: '120000' };
        await prepareDbs(c, DBS, server.uri);
        let seeded = 0;
        const sizes = [...new Set([...(ONLY.has('write') ? WRITE_SIZES : []), ...(ONLY.has('list') ? LIST_SIZES : [])])].sort((x, y) => x - y);
        for (const size of sizes) {
          const t0 = Date.now();
          await seedTenants(c, seeded, size);
          seeded = size;
          process.stderr.write(`bench: ${size} tenants seeded (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
          if (ONLY.has('write') && WRITE_SIZES.includes(size)) await benchWrites(c, env, size, dir);
          if (ONLY.has('list') && LIST_SIZES.includes(size)) await benchLists(env, size);
        }
        if (ONLY.has('audit')) await benchAudit(c, env);
      } finally {
        await c.close();
        await server.stop();
      }
    }
    if (ONLY.has('plan')) {
      // Each backend on a server of its own, started fresh (nothing left from the other sections).
      for (const backend of BACKENDS) {
        const server = await startServer(`bench-${backend}`, { backend });
        if (!names.includes(server.name)) names.push(server.name);
        database = process.env.MONGODB_URI ? 'MONGODB_URI' : BACKEND_LABEL[backend];
        const c = await MongoClient.connect(server.uri);
        try {
          await benchDatabaseUpdates(c);
          await benchPlans(c, server.uri, dir);
        } finally {
          await c.close();
          await server.stop();
        }
      }
    }

    const cpu = os.cpus();
    console.log(`tenantadm benchmark, ${new Date().toISOString().slice(0, 16)}Z: ${names.join('; ')}; node ${process.version}; ` +
      `${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), load ${os.loadavg()[0].toFixed(1)} at the end; median of ${RUNS} interleaved runs; ${((Date.now() - started) / 60000).toFixed(1)} min\n`);
    console.log('| database | what | size | tenantadm | raw driver | ratio | database commands (tenantadm vs raw) | peak RSS MB (tenantadm / raw) | notes |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    if (dbRows.length) {
      console.log('\nThe database alone (raw driver, no tenantadm): 200 writes or reads by `_id` on collections of 1,000 and 4,000 documents\n');
      console.log('| database | 200 updates by _id, 1,000 docs | 4,000 docs | growth | 200 finds by _id, 1,000 docs | 4,000 docs | growth |');
      console.log('|---|---|---|---|---|---|---|');
      for (const r of dbRows) console.log(r);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch((err) => {
  console.error(err);
  if (rows.length) console.log(rows.join('\n'));
  if (dbRows.length) console.log(dbRows.join('\n'));
  process.exitCode = 1;
});
