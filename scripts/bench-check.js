#!/usr/bin/env node
/**
 * Benchmark `tenantadm check` against a raw driver script that reads the same collections
 * once (same projections, same batch size) and does nothing else, in the same run, runs
 * interleaved, medians compared. Also records each process's peak RSS.
 *
 *   npm run build && node scripts/bench-check.js
 *   BENCH_TENANTS=2000 BENCH_DEVICES=20000 BENCH_RUNS=3 node scripts/bench-check.js   # a quick run
 *
 * Defaults: 100,000 tenants (each with a limit document and a user), 1,000,000 devices,
 * 3 runs. Uses MONGODB_URI when set, else a throwaway FerretDB (scripts/ferretdb.sh).
 * Prints a markdown table.
 */
'use strict';
const { startServer } = require('./bench-server');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { MongoClient, ObjectId, Long } = require('mongodb');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin/tenantadm');
// Preloaded into each measured process: its peak RSS and CPU time, written when it exits.
const USAGE_PRELOAD = `process.on('exit', () => { const u = process.resourceUsage(); require('node:fs').writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify({ maxRSS: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 })); });`;

function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number`);
  return n;
}
const TENANTS = envInt('BENCH_TENANTS', 100_000);
const DEVICES = envInt('BENCH_DEVICES', 1_000_000);
const RUNS = envInt('BENCH_RUNS', 3);
const BATCH = 10_000;
const DBS = { TENANTADM_DB: 'benchtenantadm', TENANTADM_USERADM_DB: 'benchuseradm', TENANTADM_DEVICEAUTH_DB: 'benchdeviceauth', TENANTADM_AUDIT_DB: 'benchaudit' };

async function inBatches(coll, n, make) {
  for (let i = 0; i < n; i += BATCH) {
    const docs = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) docs.push(make(j));
    await coll.insertMany(docs, { ordered: false });
  }
}

async function seed(uri) {
  const c = await MongoClient.connect(uri);
  for (const db of Object.values(DBS)) await c.db(db).dropDatabase();
  const ids = [];
  for (let i = 0; i < TENANTS; i++) ids.push(new ObjectId());
  const now = new Date();
  await c.db(DBS.TENANTADM_DEVICEAUTH_DB).collection('migration_info').insertOne({ version: { major: 2, minor: 0, patch: 2 }, timestamp: now });
  await inBatches(c.db(DBS.TENANTADM_DB).collection('tenants'), TENANTS, (i) => ({
    _id: ids[i],
    name: `tenant-${i}`,
    status: 'active',
    plan: 'enterprise',
    addons: [],
    service_provider: false,
    created_at: now,
    updated_at: now,
  }));
  await inBatches(c.db(DBS.TENANTADM_DEVICEAUTH_DB).collection('limits'), TENANTS, (i) => ({
    _id: new ObjectId(),
    tenant_id: ids[i].toHexString(),
    name: 'max_devices',
    value: Long.fromNumber(100),
  }));
  await inBatches(c.db(DBS.TENANTADM_USERADM_DB).collection('users'), TENANTS, (i) => ({
    _id: `user-${i}`,
    email: `admin-${i}@tenant.example`,
    password: 'x',
    tenant_id: ids[i].toHexString(),
    roles: ['RBAC_ROLE_PERMIT_ALL'],
    created_ts: now,
    updated_ts: now,
  }));
  // One device in a thousand names a tenant that does not exist, so check has something to report.
  const missing = new ObjectId().toHexString();
  await inBatches(c.db(DBS.TENANTADM_DEVICEAUTH_DB).collection('devices'), DEVICES, (i) => ({
    _id: new ObjectId().toHexString(),
    tenant_id: i % 1000 === 999 ? missing : ids[i % TENANTS].toHexString(),
    status: i % 3 === 0 ? 'pending' : 'accepted',
    id_data: `{"mac":"00:00:00:${i}"}`,
    created_ts: now,
  }));
  await c.close();
}

// The baseline: list the databases and collections, read each collection once with the
// projection check uses, count. Same batch size and the same batch-at-a-time reading as check,
// so the ratio is what check adds to the fastest plain read, not what it saves on it.
const BASELINE = `
const { MongoClient } = require('mongodb');
(async () => {
  const c = await MongoClient.connect(process.env.TENANTADM_MONGO);
  const dbs = (await c.db('admin').command({ listDatabases: 1, nameOnly: true })).databases.map((d) => d.name).filter((n) => !['admin', 'local', 'config'].includes(n));
  let n = 0;
  for (const db of dbs) {
    for (const { name } of await c.db(db).listCollections({}, { nameOnly: true }).toArray()) {
      const projection = name === 'tenants' ? { service_provider: 1, parent_tenant_id: 1, max_child_tenants: 1 } : name === 'users' ? { tenant_id: 1, email: 1 } : name === 'limits' ? { tenant_id: 1, name: 1, value: 1 } : { tenant_id: 1 };
      const cursor = c.db(db).collection(name).find({}, { projection, batchSize: 5000 });
      while (await cursor.hasNext()) n += cursor.readBufferedDocuments().length;
    }
  }
  process.stdout.write(JSON.stringify({ documents: n }) + '\\n');
  await c.close();
})();
`;

function measure(argv, env, preload) {
  const usageFile = path.join(os.tmpdir(), `tenantadm-bench-usage-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, {
    env: { ...process.env, ...env, NODE_OPTIONS: `--require ${preload}`, BENCH_USAGE_FILE: usageFile },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 28,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 && r.status !== 5) throw new Error(`node ${argv.slice(0, 2).join(' ')} exited ${r.status}`);
  const usage = JSON.parse(fs.readFileSync(usageFile, 'utf8'));
  fs.rmSync(usageFile, { force: true });
  return { ms, rssMb: usage.maxRSS / 1024, cpuMs: usage.cpuMs, out: r.stdout.toString() };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

(async () => {
  const server = await startServer('bench-check');
  try {
    const t0 = Date.now();
    await seed(server.uri);
    process.stderr.write(`seeded ${TENANTS} tenants, ${TENANTS} limits, ${TENANTS} users, ${DEVICES} devices in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    const env = { ...DBS, TENANTADM_MONGO: server.uri, NODE_PATH: path.join(ROOT, 'node_modules') };
    const preload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tenantadm-bench-preload-')), 'usage.js');
    fs.writeFileSync(preload, USAGE_PRELOAD);
    const check = [];
    const base = [];
    let report;
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so that machine noise hits both sides alike.
      const a = measure([BIN, 'check'], env, preload);
      const b = measure(['-e', BASELINE], env, preload);
      check.push(a);
      base.push(b);
      report = JSON.parse(a.out);
      process.stderr.write(`run ${i + 1}: check ${a.ms.toFixed(0)} ms (cpu ${a.cpuMs.toFixed(0)} ms), baseline ${b.ms.toFixed(0)} ms (cpu ${b.cpuMs.toFixed(0)} ms)\n`);
    }
    const tc = median(check.map((x) => x.ms));
    const tb = median(base.map((x) => x.ms));
    const cc = median(check.map((x) => x.cpuMs));
    const cb = median(base.map((x) => x.cpuMs));
    const rc = Math.max(...check.map((x) => x.rssMb));
    const rb = Math.max(...base.map((x) => x.rssMb));
    fs.rmSync(path.dirname(preload), { recursive: true, force: true });
    const server_ = process.env.MONGODB_URI ? 'MONGODB_URI' : 'FerretDB v1.24.2 (SQLite)';
    console.log(`${server_}; ${TENANTS} tenants, ${DEVICES} devices, ${report.scanned.documents} documents scanned; node ${process.version}; ${os.cpus().length} cpus; median of ${RUNS} interleaved runs`);
    console.log('');
    console.log('| | tenantadm check | raw driver, same reads | ratio |');
    console.log('|---|---:|---:|---:|');
    console.log(`| time (median) | ${(tc / 1000).toFixed(2)} s | ${(tb / 1000).toFixed(2)} s | ${(tc / tb).toFixed(2)} |`);
    console.log(`| client CPU (median) | ${(cc / 1000).toFixed(2)} s | ${(cb / 1000).toFixed(2)} s | ${(cc / cb).toFixed(2)} |`);
    console.log(`| peak RSS (max) | ${rc.toFixed(0)} MB | ${rb.toFixed(0)} MB | ${(rc / rb).toFixed(2)} |`);
    console.log('');
    console.log(`findings: ${report.findings.map((f) => `${f.kind} ${f.count}`).join(', ') || 'none'}`);
  } finally {
    await server.stop();
  }
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
