#!/usr/bin/env node
/**
 * What `export`, a no-op `diff` and a no-op `apply` of a fleet cost: an SP with N children
 * (default 2,000), each with a limit and a user, the SP with OIDC settings, against a raw driver
 * script reading the same collections once each (tenants, limits, users, SSO settings, and the
 * list of databases where per-tenant storage would be) and printing them as JSON; each a process
 * of its own, in alternating runs on the same database, and the ratio of the medians.
 *
 * Then an `apply` that changes every child's limit against today's reallocation plan of the same
 * size (`set-device-limit -f plan.json`), in pairs, each side a whole process that writes its
 * N audit entries: apply raises every child by one device, then the plan takes it back.
 *
 *   node scripts/bench-fleet.js [--children 2000] [--runs 3] [--backend sqlite|postgresql]
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { MongoClient, ObjectId, Long } = require('mongodb');
const { startServer, postgresAvailable, intArg, benchDbs, cliEnv, timeCli } = require('./bench-server');

const N = intArg('children', 2000);
const RUNS = intArg('runs', 3);
const backendArg = process.argv.indexOf('--backend');
const BACKEND = backendArg > 0 ? process.argv[backendArg + 1] : 'sqlite';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const RAW = `const { MongoClient } = require(${JSON.stringify(require.resolve('mongodb'))});
(async () => {
  const [uri, tdb, udb, ddb] = process.argv.slice(2);
  const c = await MongoClient.connect(uri);
  const [tenants, limits, users, sso, dbs] = await Promise.all([
    c.db(tdb).collection('tenants').find({}).sort({ _id: 1 }).toArray(),
    c.db(ddb).collection('limits').find({ name: { $in: ['max_devices', 'max_micro_devices', 'max_system_devices'] } }).toArray(),
    c.db(udb).collection('users').find({}, { projection: { password: 0 } }).toArray(),
    c.db(tdb).collection('sso_settings').find({}).toArray(),
    c.db('admin').command({ listDatabases: 1, nameOnly: true }),
  ]);
  process.stdout.write(JSON.stringify({ tenants, limits, users, sso, dbs: dbs.databases.length }, null, 2));
  await c.close();
})();
`;

function rawRun(args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`raw script exited ${code}`))));
  });
}

async function main() {
  if (BACKEND === 'postgresql' && !postgresAvailable()) throw new Error('no PostgreSQL server here');
  const server = await startServer('fleet', { backend: BACKEND });
  const c = await MongoClient.connect(server.uri);
  const rawScript = path.join(os.tmpdir(), `bench-fleet-raw-${process.pid}.js`);
  const fleetFile = path.join(os.tmpdir(), `bench-fleet-${process.pid}.yaml`);
  const jsonFile = path.join(os.tmpdir(), `bench-fleet-${process.pid}.json`);
  const applyFile = path.join(os.tmpdir(), `bench-fleet-apply-${process.pid}.json`);
  const planFile = path.join(os.tmpdir(), `bench-fleet-plan-${process.pid}.json`);
  try {
    const dbs = benchDbs();
    await c.db(dbs.deviceauth).collection('migration_info').insertOne({ version: { major: 2, minor: 0, patch: 2 }, timestamp: new Date() });
    const sp = new ObjectId();
    const kids = Array.from({ length: N }, () => new ObjectId());
    const now = new Date();
    await c.db(dbs.tenantadm).collection('tenants').insertMany([
      { _id: sp, name: 'sp', status: 'active', plan: 'enterprise', addons: [], service_provider: true, created_at: now, updated_at: now },
      ...kids.map((k, i) => ({ _id: k, name: `child-${i}`, status: 'active', plan: 'enterprise', addons: [], parent_tenant_id: sp.toHexString(), created_at: now, updated_at: now })),
    ]);
    await c.db(dbs.deviceauth).collection('limits').insertMany([
      { _id: new ObjectId(), tenant_id: sp.toHexString(), name: 'max_devices', value: Long.fromNumber(N * 10) },
      ...kids.map((k) => ({ _id: new ObjectId(), tenant_id: k.toHexString(), name: 'max_devices', value: Long.fromNumber(5) })),
    ]);
    await c.db(dbs.useradm).collection('users').insertMany(
      kids.map((k, i) => ({ _id: new ObjectId().toHexString(), email: `admin@child-${i}.example`, password: '$2a$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234', tenant_id: k.toHexString(), roles: ['RBAC_ROLE_PERMIT_ALL'], created_ts: now, updated_ts: now })),
    );
    await c.db(dbs.tenantadm).collection('sso_settings').insertOne({
      _id: sp.toHexString(),
      tenant_id: sp.toHexString(),
      settings: { type: 'oidc', issuer: 'https://idp.example.com', client_id: 'bench', client_secret: 'bench-secret' },
      updated_at: now,
    });
    const env = cliEnv(server.uri, dbs);
    await timeCli(env, ['migrate']);
    fs.writeFileSync(rawScript, RAW);
    const exported = await timeCli(env, ['export'], { keepStdout: true });
    fs.writeFileSync(fleetFile, exported.stdout);
    fs.writeFileSync(jsonFile, (await timeCli(env, ['export', '--format', 'json'], { keepStdout: true })).stdout);
    const times = { export: [], diff: [], diffJson: [], apply: [], raw: [], applyLimits: [], plan: [] };
    for (let i = 0; i < RUNS; i++) {
      times.export.push((await timeCli(env, ['-q', 'export'])).ms);
      times.diff.push((await timeCli(env, ['-q', 'diff', '-f', fleetFile])).ms);
      times.diffJson.push((await timeCli(env, ['-q', 'diff', '-f', jsonFile])).ms);
      times.apply.push((await timeCli(env, ['-q', 'apply', '-f', jsonFile, '--yes'])).ms);
      times.raw.push(await rawRun([rawScript, server.uri, dbs.tenantadm, dbs.useradm, dbs.deviceauth]));
    }
    // Every child's limit, in turns: apply of the edited export raises each by one, the plan takes it back.
    const doc = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
    const spEntry = doc.tenants.find((t) => t.name === 'sp');
    for (let i = 0; i < RUNS; i++) {
      let limit = 6;
      for (const child of spEntry.children) child.device_limit = limit;
      fs.writeFileSync(applyFile, JSON.stringify(doc));
      const applied = await timeCli(env, ['-q', 'apply', '-f', applyFile, '--yes'], { keepStdout: true });
      if (JSON.parse(applied.stdout).length !== N) throw new Error(`apply changed ${JSON.parse(applied.stdout).length} limits, not ${N}`);
      times.applyLimits.push(applied.ms);
      limit = 5;
      fs.writeFileSync(planFile, JSON.stringify({ limits: kids.map((k) => ({ id: k.toHexString(), limit })) }));
      times.plan.push((await timeCli(env, ['-q', 'set-device-limit', '-f', planFile])).ms);
      console.error(`pair ${i + 1}: apply ${(applied.ms / 1000).toFixed(2)} s, plan ${(times.plan[i] / 1000).toFixed(2)} s`);
    }
    const audits = await c.db(dbs.audit).collection('tenantadm_audit').countDocuments({});
    const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`# A fleet of ${N} children: export and a no-op diff (${server.name})`);
    console.log('');
    console.log('| children | export (median) | diff of the YAML, no change | diff of the JSON, no change | raw script: the same collections read once | export / raw | diff YAML / raw | diff JSON / raw |');
    console.log('|---|---|---|---|---|---|---|---|');
    const raw = median(times.raw);
    const r = (xs) => `${(median(xs) / raw).toFixed(2)}x`;
    console.log(`| ${N} | ${s(median(times.export))} | ${s(median(times.diff))} | ${s(median(times.diffJson))} | ${s(raw)} | ${r(times.export)} | ${r(times.diff)} | ${r(times.diffJson)} |`);
    console.log('');
    console.log(`runs: export ${times.export.map(s).join(', ')}; diff YAML ${times.diff.map(s).join(', ')}; diff JSON ${times.diffJson.map(s).join(', ')}; raw ${times.raw.map(s).join(', ')}; the export is ${exported.bytes} bytes, ${exported.lines} lines`);
    console.log('');
    console.log(`# The same fleet: a no-op apply, and an apply changing every child's limit against set-device-limit -f of the same size (${server.name})`);
    console.log('');
    console.log('| children | apply, no change (median) | raw script | apply / raw | apply, every limit (median) | set-device-limit -f plan (median) | apply / plan |');
    console.log('|---|---|---|---|---|---|---|');
    const plan = median(times.plan);
    console.log(`| ${N} | ${s(median(times.apply))} | ${s(raw)} | ${r(times.apply)} | ${s(median(times.applyLimits))} | ${s(plan)} | ${(median(times.applyLimits) / plan).toFixed(2)}x |`);
    console.log('');
    console.log(`runs: apply no-op ${times.apply.map(s).join(', ')}; apply every limit ${times.applyLimits.map(s).join(', ')}; plan ${times.plan.map(s).join(', ')}; ${audits} audit entries written in all (both sides write one per limit)`);
  } finally {
    fs.rmSync(rawScript, { force: true });
    fs.rmSync(fleetFile, { force: true });
    fs.rmSync(jsonFile, { force: true });
    fs.rmSync(applyFile, { force: true });
    fs.rmSync(planFile, { force: true });
    await c.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
