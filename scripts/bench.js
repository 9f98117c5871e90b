#!/usr/bin/env node
/**
 * Benchmark: tenantadm against the raw MongoDB driver doing the same reads, in the same run.
 * Prints figures and ratios (these machines are noisy: compare ratios, not seconds).
 *
 *   node scripts/bench.js [--tenants N] [--runs N]        (after `npm run build`)
 *
 * Uses $MONGODB_URI when set, else starts a throwaway FerretDB (scripts/ferretdb.sh).
 */
'use strict';
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { MongoClient, ObjectId, Long } = require('mongodb');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const N = arg("--tenants", 5000);
const RUNS = arg('--runs', 5);
const DBS = { TENANTADM_DB: 'benchtenantadm', TENANTADM_USERADM_DB: 'benchuseradm', TENANTADM_DEVICEAUTH_DB: 'benchdeviceauth', TENANTADM_AUDIT_DB: 'benchaudit' };

async function startServer() {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: async () => {} };
  const bin = execFileSync(path.join(root, 'scripts/ferretdb.sh'), { encoding: 'utf8' }).trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantadm-bench-'));
  const child = spawn(bin, ['--sqlite-dir', path.join(dir, 'db'), '--exit-on-stdin-eof'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const uri = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(d.toString().trim())));
  return {
    uri: `${uri.replace(/\/$/, '')}/?directConnection=true`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function seed(uri) {
  const c = await MongoClient.connect(uri);
  for (const db of Object.values(DBS)) await c.db(db).dropDatabase();
  const tenants = [];
  const limits = [];
  const devices = [];
  for (let i = 0; i < N; i++) {
    const _id = new ObjectId();
    const id = _id.toHexString();
    tenants.push({ _id, name: `tenant-${i}`, status: 'active', plan: 'enterprise', addons: [], service_provider: false, created_at: new Date(), updated_at: new Date() });
    limits.push({ _id: new ObjectId(), tenant_id: id, name: 'max_devices', value: Long.fromNumber(100) });
    for (let d = 0; d < 2; d++) devices.push({ _id: new ObjectId().toHexString(), tenant_id: id, status: d === 0 ? 'accepted' : 'pending' });
  }
  await c.db(DBS.TENANTADM_DB).collection('tenants').insertMany(tenants);
  await c.db(DBS.TENANTADM_DEVICEAUTH_DB).collection('limits').insertMany(limits);
  await c.db(DBS.TENANTADM_DEVICEAUTH_DB).collection('devices').insertMany(devices);
  await c.close();
}

// The baseline: the same reads with the bare driver, in a fresh node process like the CLI.
const BASELINE = `
const { MongoClient } = require('mongodb');
(async () => {
  const c = await MongoClient.connect(process.env.TENANTADM_MONGO);
  const t = c.db(process.env.TENANTADM_DB).collection('tenants');
  const da = c.db(process.env.TENANTADM_DEVICEAUTH_DB);
  const limits = new Map();
  for await (const l of da.collection('limits').find({ name: 'max_devices' })) limits.set(l.tenant_id, Number(l.value));
  const counts = new Map();
  for await (const r of da.collection('devices').aggregate([{ $match: { status: 'accepted' } }, { $group: { _id: '$tenant_id', n: { $sum: 1 } } }])) counts.set(r._id, r.n);
  let out = [];
  for await (const d of t.find({}).sort({ _id: 1 }).batchSize(500)) {
    const id = d._id.toHexString();
    out.push(JSON.stringify({ ...d, _id: undefined, id, device_limit: limits.get(id) ?? -1, device_count: counts.get(id) ?? 0 }) + '\\n');
    if (out.length === 256) { process.stdout.write(out.join('')); out = []; }
  }
  process.stdout.write(out.join(''));
  await c.close();
})();
`;

function time(cmd, argv, env) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}`);
  return { ms, lines: r.stdout.toString().split('\n').filter(Boolean).length };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function compare(label, a, b, runs) {
  const as = [];
  const bs = [];
  let lines = [0, 0];
  for (let i = 0; i < runs; i++) {
    // Interleaved so that machine noise hits both sides alike.
    const x = a();
    const y = b();
    as.push(x.ms);
    bs.push(y.ms);
    lines = [x.lines, y.lines];
  }
  const ma = median(as);
  const mb = median(bs);
  console.log(`${label}: tenantadm ${ma.toFixed(0)} ms, baseline ${mb.toFixed(0)} ms, ratio ${(ma / mb).toFixed(2)} (median of ${runs}; lines ${lines[0]} vs ${lines[1]})`);
}

(async () => {
  const server = await startServer();
  try {
    console.log(`server: ${process.env.MONGODB_URI ? 'MONGODB_URI' : 'FerretDB v1.24.2 (SQLite)'}; ${N} tenants, ${2 * N} devices; node ${process.version}; ${os.cpus().length} cpus`);
    await seed(server.uri);
    const env = { ...DBS, TENANTADM_MONGO: server.uri };
    const bin = path.join(root, 'bin/tenantadm');
    compare(
      'list-tenants --ndjson',
      () => time(process.execPath, [bin, 'list-tenants', '--ndjson'], env),
      () => time(process.execPath, ['-e', BASELINE], { ...env, NODE_PATH: path.join(root, 'node_modules') }),
      RUNS,
    );
    compare(
      'list-tenants (JSON array)',
      () => time(process.execPath, [bin, 'list-tenants'], env),
      () => time(process.execPath, ['-e', BASELINE], { ...env, NODE_PATH: path.join(root, 'node_modules') }),
      RUNS,
    );
    compare('start-up: --help vs node -e 0', () => time(process.execPath, [bin, '--help'], env), () => time(process.execPath, ['-e', '0'], env), Math.max(RUNS, 9));
    compare(
      'start-up: --version vs node -e 0',
      () => time(process.execPath, [bin, '--version'], env),
      () => time(process.execPath, ['-e', '0'], env),
      Math.max(RUNS, 9),
    );
  } finally {
    await server.stop();
  }
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
