#!/usr/bin/env node
/**
 * What `tenantadm usage record` costs over a large server: N tenants (default 100,000) with a
 * spread of devices (most 0-5, some up to 20, a few up to 100; accepted, pending, preauthorized
 * and rejected; a tenth of the tenants with a tier on their device records and a limit per tier),
 * Service Providers with children, against a raw driver script doing the same work: the counts
 * per tenant, status and tier, every limit, every tenant, and the same writes (one snapshot per
 * tenant in batches into the run's own collection, the day switched to the new run, the previous
 * run's collection dropped). Each side a
 * process of its own (process start, driver load, connect), in alternating pairs on the same
 * database, the same day: every measured run replaces the previous run's 100,000 snapshots.
 *
 * The raw script counts the devices two ways: a `$group` aggregation (what the issue names) and a
 * stream of the device records counted in the script. On FerretDB the `$group` is many times
 * slower than the stream (its pipeline groups in FerretDB, after reading every record), so it is
 * timed once, in the unmeasured run that checks both sides write the same snapshots (and in
 * every pair with --group-runs), and the pairs compare tenantadm with the stream: the faster
 * baseline, the one a careful script writer would pick.
 *
 *   node scripts/bench-usage-record.js [--tenants 100000] [--runs 3] [--backend sqlite|postgresql] [--group-runs]
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, execFileSync } = require('node:child_process');
const { isDeepStrictEqual } = require('node:util');
const { MongoClient, ObjectId, Long } = require('mongodb');
const { startServer, postgresAvailable, intArg, benchDbs, cliEnv, median } = require('./bench-server');

const N = intArg('tenants', 100000);
const RUNS = intArg('runs', 3);
const GROUP_RUNS = process.argv.includes('--group-runs');
/** The unmeasured `$group` run is stopped after this many seconds (it is reported as more than that). */
const GROUP_TIMEOUT_S = intArg('group-timeout', 300);
const backendArg = process.argv.indexOf('--backend');
const BACKEND = backendArg > 0 ? process.argv[backendArg + 1] : 'sqlite';
const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin/tenantadm');
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const DAY = '2026-11-30';
const SEED_BATCH = 10000;

/** The raw script: the same reads and writes as `usage record`, written plainly against the driver. */
const RAW = `'use strict';
const { MongoClient } = require(${JSON.stringify(require.resolve('mongodb'))});
const crypto = require('node:crypto');
(async () => {
  const [uri, tdb, ddb, day, mode] = process.argv.slice(2);
  let commands = 0;
  const c = new MongoClient(uri, { monitorCommands: true });
  c.on('commandStarted', () => commands++);
  await c.connect();
  const kinds = ['max_devices', 'max_micro_devices', 'max_system_devices'];
  const tierOf = { standard: 'max_devices', micro: 'max_micro_devices', system: 'max_system_devices' };
  const zero = () => ({ max_devices: 0, max_micro_devices: 0, max_system_devices: 0 });
  const counts = new Map();
  const add = (tenant, status, tier, n) => {
    let x = counts.get(tenant);
    if (!x) counts.set(tenant, (x = { accepted: zero(), pending: zero(), preauthorized: zero(), tiers: false }));
    const kind = tierOf[tier];
    if (kind) x.tiers = true;
    x[status][kind ?? 'max_devices'] += n;
  };
  const devices = c.db(ddb).collection('devices');
  const statuses = { $in: ['accepted', 'pending', 'preauthorized'] };
  const countDevices = async () => {
    if (mode === 'group') {
      const rows = devices.aggregate([{ $match: { status: statuses } }, { $group: { _id: { t: '$tenant_id', s: '$status', k: '$tier' }, n: { $sum: 1 } } }]);
      for await (const r of rows) add(String(r._id.t), r._id.s, r._id.k, r.n);
    } else {
      for await (const d of devices.find({ status: statuses }, { projection: { _id: 0, tenant_id: 1, status: 1, tier: 1 } }).batchSize(5000)) add(String(d.tenant_id), d.status, d.tier, 1);
    }
  };
  const limits = new Map();
  const readLimits = async () => {
    for await (const l of c.db(ddb).collection('limits').find({ name: { $in: kinds } }, { projection: { _id: 0, tenant_id: 1, name: 1, value: 1 } }).batchSize(5000)) {
      limits.set(l.tenant_id + '/' + l.name, Number(l.value));
    }
  };
  await Promise.all([countDevices(), readLimits()]);
  const home = c.db(tdb);
  const run = crypto.randomUUID().replace(/-/g, '');
  const collection = 'tenantadm_usage_snapshots_' + run;
  const snapshots = home.collection(collection);
  let batch = [];
  let written = 0;
  const flush = async () => {
    if (batch.length) await snapshots.insertMany(batch, { ordered: false });
    written += batch.length;
    batch = [];
  };
  for await (const t of home.collection('tenants').find({}, { projection: { name: 1, status: 1, plan: 1, parent_tenant_id: 1 } }).sort({ _id: 1 }).batchSize(1000)) {
    const id = t._id.toHexString();
    const n = counts.get(id) ?? { accepted: zero(), pending: zero(), preauthorized: zero(), tiers: false };
    const lim = {};
    for (const k of kinds) lim[k] = limits.get(id + '/' + k) ?? -1;
    batch.push({ _id: id, day, tenant_id: id, name: t.name, status: t.status ?? 'active', plan: t.plan, parent_tenant_id: t.parent_tenant_id == null ? null : String(t.parent_tenant_id), ...n, limits: lim });
    if (batch.length === 1000) await flush();
  }
  await flush();
  const before = await home.collection('tenantadm_usage_days').findOneAndReplace({ _id: day }, { run, collection, recorded_at: new Date(), tenants: written }, { upsert: true });
  if (before && before.run !== run) await home.collection(before.collection).drop();
  process.stdout.write(JSON.stringify({ day, tenants: written, replaced: Boolean(before) }) + '\\n');
  await c.close();
  process.stderr.write('raw: debug: ' + commands + ' database commands\\n');
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** One process, timed: wall time, with GNU time its CPU time and peak RSS, and the database commands it reports. */
function timed(argv, env, timeoutMs) {
  return new Promise((resolve, reject) => {
    const full = GNU_TIME ? [GNU_TIME, '-f', 'cpu %U %S rss %M', process.execPath, ...argv] : [process.execPath, ...argv];
    const started = process.hrtime.bigint();
    const child = spawn(full[0], full.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    let stopped = false;
    const timer = timeoutMs
      ? setTimeout(() => {
          stopped = true;
          // GNU time's child is the node process: end it first (it holds the pipes), then time.
          try {
            execFileSync('pkill', ['-TERM', '-P', String(child.pid)]);
          } catch {
            // no child left
          }
          child.kill('SIGTERM');
        }, timeoutMs)
      : undefined;
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (stopped) return resolve({ ms, stopped: true });
      if (code !== 0) return reject(new Error(`${argv.slice(0, 3).join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const t = /cpu ([\d.]+) ([\d.]+) rss (\d+)\s*$/.exec(stderr);
      const cmds = /debug: (\d+) database commands(?: \(([^)]*)\))?/.exec(stderr);
      resolve({
        ms,
        cpuMs: t ? (Number(t[1]) + Number(t[2])) * 1000 : undefined,
        rssMb: t ? Number(t[3]) / 1024 : undefined,
        commands: cmds ? Number(cmds[1]) : undefined,
        detail: cmds?.[2],
        out: stdout.trim() ? JSON.parse(stdout) : undefined,
      });
    });
  });
}

/** A small deterministic generator, so every run of the benchmark seeds the same spread. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * N tenants: one in 200 a Service Provider, with the next 40 tenants its children; every tenant
 * but a tenth with a max_devices limit; a tenth with tiers (micro, system and standard devices,
 * and a limit for each); devices: 30% none, 55% 1-5, 14% 6-20, 1% 21-100; statuses 75% accepted,
 * 12% pending, 8% preauthorized, 5% rejected. Returns the number of devices and of SPs.
 */
async function seed(c, dbs) {
  const random = rng(20);
  const tenants = c.db(dbs.tenantadm).collection('tenants');
  const limits = c.db(dbs.deviceauth).collection('limits');
  const devices = c.db(dbs.deviceauth).collection('devices');
  const token = 'x'.repeat(420);
  const now = new Date();
  let sp = null;
  let spLeft = 0;
  let deviceCount = 0;
  let sps = 0;
  let tb = [];
  let lb = [];
  let db = [];
  const flush = async (force) => {
    if (tb.length >= SEED_BATCH || (force && tb.length)) {
      await tenants.insertMany(tb, { ordered: false });
      tb = [];
    }
    if (lb.length >= SEED_BATCH || (force && lb.length)) {
      await limits.insertMany(lb, { ordered: false });
      lb = [];
    }
    if (db.length >= SEED_BATCH || (force && db.length)) {
      await devices.insertMany(db, { ordered: false });
      db = [];
    }
  };
  for (let i = 0; i < N; i++) {
    const _id = new ObjectId();
    const id = _id.toHexString();
    const doc = { _id, name: `tenant-${i}`, status: random() < 0.03 ? 'suspended' : 'active', plan: random() < 0.5 ? 'enterprise' : 'professional', addons: [], tenant_token: token, created_at: now, updated_at: now };
    if (i % 200 === 0) {
      doc.service_provider = true;
      sp = id;
      spLeft = 40;
      sps++;
    } else if (spLeft > 0) {
      doc.parent_tenant_id = sp;
      spLeft--;
    }
    tb.push(doc);
    const tiered = i % 10 === 3;
    if (i % 10 !== 7) lb.push({ _id: new ObjectId(), tenant_id: id, name: 'max_devices', value: Long.fromNumber(doc.service_provider ? 2000 : 5 + Math.floor(random() * 50)) });
    if (tiered) {
      lb.push({ _id: new ObjectId(), tenant_id: id, name: 'max_micro_devices', value: Long.fromNumber(10 + Math.floor(random() * 100)) });
      lb.push({ _id: new ObjectId(), tenant_id: id, name: 'max_system_devices', value: Long.fromNumber(1 + Math.floor(random() * 5)) });
    }
    const r = random();
    const n = r < 0.3 ? 0 : r < 0.85 ? 1 + Math.floor(random() * 5) : r < 0.99 ? 6 + Math.floor(random() * 15) : 21 + Math.floor(random() * 80);
    for (let j = 0; j < n; j++) {
      const s = random();
      const status = s < 0.75 ? 'accepted' : s < 0.87 ? 'pending' : s < 0.95 ? 'preauthorized' : 'rejected';
      const d = {
        _id: crypto.randomUUID(),
        tenant_id: id,
        id_data: `{"mac":"02:00:00:${(i & 0xffffff).toString(16).padStart(6, '0')}:${j.toString(16).padStart(2, '0')}"}`,
        status,
        decommissioning: false,
        created_ts: now,
        updated_ts: now,
      };
      if (tiered) {
        const k = random();
        d.tier = k < 0.6 ? 'micro' : k < 0.7 ? 'system' : 'standard';
      }
      db.push(d);
      deviceCount++;
    }
    await flush(false);
  }
  await flush(true);
  return { devices: deviceCount, sps };
}

/** Every snapshot of the day's current run, keyed by tenant, without the run's own fields. */
async function currentSnapshots(c, dbs) {
  const home = c.db(dbs.tenantadm);
  const day = await home.collection('tenantadm_usage_days').findOne({ _id: DAY });
  const out = new Map();
  for await (const s of home.collection(day.collection).find({}, { projection: { _id: 0 } }).batchSize(5000)) out.set(s.tenant_id, s);
  return out;
}

async function main() {
  if (!['sqlite', 'postgresql'].includes(BACKEND)) throw new Error(`--backend ${BACKEND}: sqlite or postgresql`);
  if (BACKEND === 'postgresql' && !postgresAvailable()) throw new Error('no PostgreSQL server here');
  const server = await startServer('usage', { backend: BACKEND });
  const c = await MongoClient.connect(server.uri);
  const rawScript = path.join(os.tmpdir(), `bench-usage-raw-${process.pid}.js`);
  const started = Date.now();
  try {
    const dbs = benchDbs();
    await c.db(dbs.deviceauth).collection('migration_info').insertOne({ version: { major: 2, minor: 0, patch: 2 }, timestamp: new Date() });
    const t0 = Date.now();
    const seeded = await seed(c, dbs);
    const seedS = (Date.now() - t0) / 1000;
    process.stderr.write(`bench-usage: ${N} tenants, ${seeded.sps} SPs, ${seeded.devices} devices seeded in ${seedS.toFixed(1)} s\n`);
    const env = cliEnv(server.uri, dbs, { TENANTADM_TIMEOUT_MS: '600000', TENANTADM_COUNT_COMMANDS: '1' });
    await timed([BIN, 'migrate'], env);
    fs.writeFileSync(rawScript, RAW);
    const cli = () => timed([BIN, '-q', 'usage', 'record', '--day', DAY], env);
    const raw = (mode) => timed([rawScript, server.uri, dbs.tenantadm, dbs.deviceauth, DAY, mode], { PATH: process.env.PATH });

    // Unmeasured: the first run of each (the day's first snapshot, nothing to replace), and the
    // check that both sides write the same snapshots.
    const first = await cli();
    if (first.out.tenants !== N) throw new Error(`usage record wrote ${first.out.tenants} snapshots, not ${N}`);
    const fromCli = await currentSnapshots(c, dbs);
    const check = {};
    for (const mode of ['group', 'stream']) {
      check[mode] = await timed([rawScript, server.uri, dbs.tenantadm, dbs.deviceauth, DAY, mode], { PATH: process.env.PATH }, mode === 'group' && !GROUP_RUNS ? GROUP_TIMEOUT_S * 1000 : undefined);
      process.stderr.write(`bench-usage: raw ${mode}, unmeasured run: ${(check[mode].ms / 1000).toFixed(1)} s${check[mode].stopped ? ' (stopped: too long)' : ''}\n`);
      if (check[mode].stopped) continue;
      const fromRaw = await currentSnapshots(c, dbs);
      let differ = 0;
      for (const [id, s] of fromCli) if (!isDeepStrictEqual(fromRaw.get(id), s)) differ++;
      if (differ || fromRaw.size !== fromCli.size) throw new Error(`the raw script (${mode}) wrote ${fromRaw.size} snapshots, ${differ} unlike tenantadm's, e.g. ${[...fromCli.keys()].filter((id) => !isDeepStrictEqual(fromRaw.get(id), fromCli.get(id))).slice(0, 1).map((id) => `${JSON.stringify(fromCli.get(id))} vs ${JSON.stringify(fromRaw.get(id))}`)}`);
    }
    process.stderr.write(`bench-usage: both sides write the same ${N} snapshots (first run ${(first.ms / 1000).toFixed(1)} s)\n`);

    const times = { cli: [], group: [], stream: [] };
    for (let i = 0; i < RUNS; i++) {
      const a = await cli();
      if (!a.out.replaced || a.out.tenants !== N) throw new Error(`usage record: ${JSON.stringify(a.out)}`);
      times.cli.push(a);
      for (const mode of GROUP_RUNS ? ['group', 'stream'] : ['stream']) times[mode].push(await raw(mode));
      process.stderr.write(`bench-usage: pair ${i + 1}: tenantadm ${(a.ms / 1000).toFixed(1)} s, raw stream ${(times.stream[i].ms / 1000).toFixed(1)} s${GROUP_RUNS ? `, raw $group ${(times.group[i].ms / 1000).toFixed(1)} s` : ''}\n`);
    }
    if (!GROUP_RUNS) times.group.push(check.group);
    const m = (xs, f = 'ms') => median(xs.map((x) => x[f]));
    const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
    const tool = m(times.cli);
    const group = m(times.group);
    const stream = m(times.stream);
    const best = stream;
    const cpu = os.cpus();
    console.log(`# usage record over ${N} tenants (${server.name}), ${new Date().toISOString().slice(0, 16)}Z`);
    console.log('');
    console.log(`${seeded.sps} SPs with 40 children each, ${seeded.devices} devices; node ${process.version}; ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}); load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end; median of ${RUNS} alternating runs of each; seeding took ${seedS.toFixed(0)} s; ${((Date.now() - started) / 60000).toFixed(1)} min in all`);
    console.log('');
    const groupStopped = !GROUP_RUNS && check.group.stopped;
    console.log(`| tenants | tenantadm usage record | raw, counts by a stream | tenantadm / raw | raw, counts by $group${GROUP_RUNS ? '' : ' (one run)'} | tenantadm / raw $group | database commands (tenantadm / raw) | CPU s (tenantadm / raw) | peak RSS MB (tenantadm / raw) |`);
    console.log('|---|---|---|---|---|---|---|---|---|');
    const fasterRaw = times.stream;
    const f = (x, d = 1) => (x === undefined ? '?' : x.toFixed(d));
    console.log(
      `| ${N} | ${s(tool)} | ${s(stream)} | **${(tool / best).toFixed(2)}x** | ${groupStopped ? `> ${GROUP_TIMEOUT_S} s (stopped)` : s(group)} | ${groupStopped ? `< ${(tool / (GROUP_TIMEOUT_S * 1000)).toFixed(2)}x` : `${(tool / group).toFixed(2)}x`} | ${times.cli.at(-1).commands} / ${fasterRaw.at(-1).commands} | ` +
        `${f(m(times.cli, 'cpuMs') / 1000)} / ${f(m(fasterRaw, 'cpuMs') / 1000)} | ${f(m(times.cli, 'rssMb'), 0)} / ${f(m(fasterRaw, 'rssMb'), 0)} |`,
    );
    console.log('');
    console.log(`runs: tenantadm ${times.cli.map((x) => s(x.ms)).join(', ')}; raw stream ${times.stream.map((x) => s(x.ms)).join(', ')}; raw $group ${times.group.map((x) => s(x.ms)).join(', ')}; tenantadm's first run of the day (nothing to replace, unmeasured) ${s(first.ms)}`);
    console.log(`tenantadm's commands by name: ${times.cli.at(-1).detail ?? '?'}`);
  } finally {
    fs.rmSync(rawScript, { force: true });
    await c.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
