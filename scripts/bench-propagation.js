#!/usr/bin/env node
/**
 * What re-applying a Service Provider's plan to its children costs: `update-tenant --tenant SP
 * --plan P` with N children (default 2,000), against a raw driver script doing the same writes
 * (one updateMany over the SP and its children, and one insertMany of their N + 1 audit
 * entries; a process of its own, as the tool is), in alternating pairs on the same database, and the ratio
 * of the medians. The plan
 * alternates, so every run changes every child.
 *
 *   node scripts/bench-propagation.js [--children 2000] [--pairs 3] [--backend sqlite|postgresql]
 */
'use strict';
const path = require('node:path');
const { MongoClient } = require('mongodb');
const { startServer, postgresAvailable, intArg, benchDbs, cliEnv, timeCli, seedSpWithChildren, median } = require('./bench-server');

const N = intArg('children', 2000);
const PAIRS = intArg('pairs', 3);
const backendArg = process.argv.indexOf('--backend');
const BACKEND = backendArg > 0 ? process.argv[backendArg + 1] : 'sqlite';

async function main() {
  if (BACKEND === 'postgresql' && !postgresAvailable()) throw new Error('no PostgreSQL server here');
  const server = await startServer('propagation', { backend: BACKEND });
  const c = await MongoClient.connect(server.uri);
  try {
    const dbs = benchDbs();
    const { sp, kids } = await seedSpWithChildren(c, dbs, N, { spLimit: N * 10 });
    const tenants = c.db(dbs.tenantadm).collection('tenants');
    const env = cliEnv(server.uri, dbs);
    await timeCli(env, ['migrate']);
    let plan = 'enterprise';
    const next = () => (plan = plan === 'enterprise' ? 'professional' : 'enterprise');
    // The baseline is a process too (start-up and connection included, as for the tool): a raw
    // driver script doing the same writes.
    const rawScript = path.join(require('node:os').tmpdir(), `bench-propagation-raw-${process.pid}.js`);
    require('node:fs').writeFileSync(
      rawScript,
      `const { MongoClient, ObjectId } = require(${JSON.stringify(require.resolve('mongodb'))});
(async () => {
  const [uri, tdb, adb, spHex, to] = process.argv.slice(2);
  const c = await MongoClient.connect(uri);
  const tenants = c.db(tdb).collection('tenants');
  const sp = new ObjectId(spHex);
  const ids = [sp, ...(await tenants.find({ parent_tenant_id: spHex }, { projection: { _id: 1 } }).toArray()).map((d) => d._id)];
  await tenants.updateMany({ _id: { $in: ids } }, { $set: { plan: to, updated_at: new Date() } });
  const time = new Date();
  await c.db(adb).collection('tenantadm_audit').insertMany(ids.map((id) => ({ _id: new ObjectId(), state: 'committed', tenant_id: id.toHexString(), log_tenant_ids: [id.toHexString(), spHex], actor: { id: 'bench', type: 'system' }, action: 'update', object: { id: id.toHexString(), type: 'tenant' }, change: 'plan -> ' + to, time })), { ordered: false });
  await c.close();
})();
`,
    );
    const raw = (to) =>
      new Promise((resolve, reject) => {
        const started = process.hrtime.bigint();
        const child = require('node:child_process').spawn(process.execPath, [rawScript, server.uri, dbs.tenantadm, dbs.audit, sp.toHexString(), to], { stdio: 'inherit' });
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`raw script exited ${code}`))));
      });
    const times = { tool: [], raw: [] };
    for (let i = 0; i < PAIRS; i++) {
      times.tool.push((await timeCli(env, ['-q', 'update-tenant', '--tenant', sp.toHexString(), '--plan', next()])).ms);
      times.raw.push(await raw(next()));
      // Back in step: the next tool run changes every child again.
      await tenants.updateMany({ _id: { $in: [sp, ...kids] } }, { $set: { plan } });
    }
    const changed = await tenants.countDocuments({ parent_tenant_id: sp.toHexString(), plan });
    console.log(`# Propagation of an SP's plan to ${N} children (${server.name})`);
    console.log('');
    console.log('| children | update-tenant --plan (median) | raw script: updateMany + audit insertMany (median) | ratio |');
    console.log('|---|---|---|---|');
    console.log(`| ${N} | ${(median(times.tool) / 1000).toFixed(2)} s | ${(median(times.raw) / 1000).toFixed(2)} s | ${(median(times.tool) / median(times.raw)).toFixed(2)}x |`);
    console.log('');
    console.log(`runs: tool ${times.tool.map((x) => (x / 1000).toFixed(2)).join(', ')} s; raw ${times.raw.map((x) => (x / 1000).toFixed(2)).join(', ')} s; children on the last plan: ${changed}`);
  } finally {
    await c.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
