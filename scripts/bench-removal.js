#!/usr/bin/env node
/**
 * Benchmark removing tenants against the raw driver doing the same deletes, on the same data
 * in the same run:
 *   1. the removal plan of one tenant (`delete-tenant --dry-run`: discovery and one count per
 *      collection) against the driver listing the databases and collections and counting;
 *   2. `maintenance delete-suspended-tenants` removing every suspended tenant (journaled, audited,
 *      in batches, proven empty afterwards) against the driver's one deleteMany ($in) per collection.
 *
 *   npm run build && node scripts/bench-removal.js [--tenants 2000] [--devices-per-tenant 10]
 *
 * Uses MONGODB_URI when set, else starts FerretDB from scripts/ferretdb.sh in a temporary
 * directory. Half the seeded tenants are suspended (removed), half stay (bystanders).
 */
'use strict';
const { benchDbs, cliEnv, intArg, startServer, timeCli } = require('./bench-server');
const fs = require('node:fs');
const path = require('node:path');
const { MongoClient, ObjectId, Long } = require('mongodb');

const ROOT = path.resolve(__dirname, '..');

/** The CLI's environment for `dbs`: FerretDB evaluates a large $in slowly, so room for one count or delete over a whole batch. */
const envFor = (uri, dbs) => cliEnv(uri, dbs, { TENANTADM_MENDER_SCHEMA: 'v2', TENANTADM_ACTOR: 'bench@tenantadm', TENANTADM_TIMEOUT_MS: '120000' });

/** `tenants` suspended long ago and as many active ones, each with a limit, a user and devices. */
async function seed(client, dbs, tenants, devicesPerTenant) {
  const long = new Date(Date.now() - 400 * 86_400_000);
  const removed = [];
  for (let i = 0; i < 2 * tenants; i += 1000) {
    const t = [];
    const limits = [];
    const users = [];
    const devices = [];
    for (let j = i; j < Math.min(2 * tenants, i + 1000); j++) {
      const _id = new ObjectId();
      const id = _id.toHexString();
      const suspended = j % 2 === 0;
      if (suspended) removed.push(id);
      t.push({ _id, name: `tenant-${j}`, status: suspended ? 'suspended' : 'active', updated_at: long, ...(suspended ? { suspended_at: long } : {}) });
      limits.push({ _id: new ObjectId(), name: 'max_devices', value: Long.fromNumber(100), tenant_id: id });
      users.push({ _id: `user-${id}`, email: `u${j}@bench.example`, tenant_id: id, roles: ['RBAC_ROLE_PERMIT_ALL'] });
      for (let k = 0; k < devicesPerTenant; k++) devices.push({ _id: new ObjectId().toHexString(), tenant_id: id, status: 'accepted' });
    }
    await client.db(dbs.tenantadm).collection('tenants').insertMany(t, { ordered: false });
    await client.db(dbs.deviceauth).collection('limits').insertMany(limits, { ordered: false });
    await client.db(dbs.useradm).collection('users').insertMany(users, { ordered: false });
    await client.db(dbs.deviceauth).collection('devices').insertMany(devices, { ordered: false });
  }
  return removed;
}

/** What discovery and the plan read, straight from the driver: list, then one count per collection. */
async function rawPlan(uri, ids) {
  const started = process.hrtime.bigint();
  const client = await MongoClient.connect(uri);
  const values = ids.flatMap((id) => [id, new ObjectId(id)]);
  let documents = 0;
  try {
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    for (const { name } of databases) {
      if (['admin', 'local', 'config'].includes(name)) continue;
      for (const c of await client.db(name).listCollections({}, { nameOnly: true }).toArray()) {
        documents += await client.db(name).collection(c.name).countDocuments({ tenant_id: { $in: values } });
      }
    }
  } finally {
    await client.close();
  }
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, documents };
}

/** The same removal as one deleteMany per collection, no journal, audit or proof. */
async function rawRemoval(uri, dbs, ids) {
  const started = process.hrtime.bigint();
  const client = await MongoClient.connect(uri);
  const values = ids.flatMap((id) => [id, new ObjectId(id)]);
  try {
    await client.db(dbs.tenantadm).collection('tenants').deleteMany({ _id: { $in: values } });
    for (const [db, coll] of [[dbs.deviceauth, 'limits'], [dbs.deviceauth, 'devices'], [dbs.useradm, 'users']]) {
      await client.db(db).collection(coll).deleteMany({ tenant_id: { $in: values } });
    }
  } finally {
    await client.close();
  }
  return { ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

async function main() {
  const tenants = intArg('tenants', 2000);
  const perTenant = intArg('devices-per-tenant', 10);
  if (!fs.existsSync(path.join(ROOT, 'dist/main.js'))) throw new Error('build first: npm run build');
  const server = await startServer('bench-removal');
  const uri = server.uri;
  const client = await MongoClient.connect(uri);
  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const a = benchDbs();
  const b = benchDbs();
  try {
    console.log(`server: ${server ? 'FerretDB (scripts/ferretdb.sh)' : 'MONGODB_URI'}; ${2 * tenants} tenants (${tenants} suspended), ${2 * tenants * perTenant} devices, a user and a limit each`);
    // The tool's data set (a) and the driver's (b) are seeded alike; b exists only while the driver runs.
    await timeCli(envFor(uri, a), ['migrate']);
    const removedA = await seed(client, a, tenants, perTenant);
    const env = envFor(uri, a);

    const startup = await timeCli(env, ['--version']);
    const plans = [];
    const raws = [];
    for (let i = 0; i < 3; i++) {
      plans.push(await timeCli(env, ['delete-tenant', '--tenant', removedA[i], '--dry-run']));
      raws.push(await rawPlan(uri, [removedA[i]]));
    }
    const best = (xs) => Math.min(...xs.map((x) => x.ms));
    console.log(`tenantadm --version (process start): ${fmt(startup.ms)}`);
    console.log(`plan of one tenant: tenantadm delete-tenant --dry-run best ${fmt(best(plans))}; driver (list + count per collection) best ${fmt(best(raws))}; ratio ${(best(plans) / best(raws)).toFixed(2)}`);

    const cli = await timeCli(env, ['maintenance', 'delete-suspended-tenants', '--threshold-days', '30', '--yes'], { keepStdout: true });
    const out = JSON.parse(cli.stdout);
    if (out.removed.tenants.length !== tenants || out.remaining !== 0) throw new Error(`expected ${tenants} tenants removed, got ${out.removed.tenants.length}`);
    for (const db of Object.values(a)) await client.db(db).dropDatabase();

    const removedB = await seed(client, b, tenants, perTenant);
    const raw = await rawRemoval(uri, b, removedB);
    const left = await client.db(b.deviceauth).collection('devices').countDocuments({});
    if (left !== tenants * perTenant) throw new Error(`driver removal left ${left} devices, expected ${tenants * perTenant}`);
    console.log(
      `removing ${tenants} suspended tenants (${tenants * perTenant} devices): tenantadm maintenance delete-suspended-tenants ${fmt(cli.ms)} ` +
        `(journaled, audited, in batches of 2000, proven empty; peak RSS ${cli.rssMb?.toFixed(1) ?? '?'} MB); driver deleteMany per collection ${fmt(raw.ms)}; ratio ${(cli.ms / raw.ms).toFixed(2)}`,
    );
  } finally {
    for (const db of [...Object.values(a), ...Object.values(b)]) await client.db(db).dropDatabase().catch(() => undefined);
    await client.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(`bench-removal: ${err.message}`);
  process.exitCode = 1;
});
