#!/usr/bin/env node
/**
 * Benchmark `tenantadm audit --ndjson` against the raw driver doing the same query and JSON
 * serialisation, in the same run and on the same data.
 *
 *   npm run build && node scripts/bench-audit.js [--entries 50000] [--runs 3]
 *
 * Uses MONGODB_URI when set, else starts FerretDB from scripts/ferretdb.sh in a temporary
 * directory. Seeds into fresh databases (letters only) and drops them afterwards.
 */
'use strict';
const { benchDbs, cliEnv, intArg, seedAuditEntries, startServer, timeCli } = require('./bench-server');
const fs = require('node:fs');
const path = require('node:path');
const { MongoClient } = require('mongodb');

const ROOT = path.resolve(__dirname, '..');

/** The same query, the same API shape and one JSON line each, straight from the driver (connect included). */
async function timeRaw(uri, dbName, collName) {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const client = await MongoClient.connect(uri);
  let bytes = 0;
  let lines = 0;
  try {
    const cursor = client.db(dbName).collection(collName).find({ state: 'committed' }).sort({ time: -1, _id: -1 }).batchSize(1000);
    for await (const d of cursor) {
      const entry = {
        id: d._id.toHexString(),
        time: d.time.toISOString(),
        tenant_id: d.tenant_id,
        actor: d.actor,
        action: d.action,
        object: d.object,
        change: d.change,
        ...(d.meta ? { meta: d.meta } : {}),
      };
      bytes += Buffer.byteLength(`${JSON.stringify(entry)}\n`);
      lines++;
    }
  } finally {
    await client.close();
  }
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: (used.user + used.system) / 1000, bytes, lines };
}

async function main() {
  const entries = intArg('entries', 50_000);
  const runs = intArg('runs', 3);
  if (!fs.existsSync(path.join(ROOT, 'dist/main.js'))) throw new Error('build first: npm run build');
  const server = await startServer('bench-audit');
  const uri = server.uri;
  const dbs = benchDbs();
  const env = cliEnv(uri, dbs);
  const client = await MongoClient.connect(uri);
  try {
    await timeCli(env, ['migrate']);
    const coll = client.db(dbs.audit).collection('tenantadm_audit');
    const seeding = Date.now();
    await seedAuditEntries(coll, entries, { batch: 5000, change: (j) => `plan: os -> professional; addon monitor: off -> on (${j})` });
    console.log(`server: ${server ? 'FerretDB (scripts/ferretdb.sh)' : 'MONGODB_URI'}; seeded ${entries} entries in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);

    const startup = await timeCli(env, ['--version']);
    // Start, driver load, connect and an empty query: what every run pays whatever the size.
    const fixed = await timeCli({ ...env, TENANTADM_AUDIT_COLLECTION: 'emptybench' }, ['audit', '--ndjson']);
    const cli = [];
    const raw = [];
    // Alternate the two so that load from elsewhere on the machine hits both alike.
    for (let i = 0; i < runs; i++) {
      cli.push(await timeCli(env, ['audit', '--ndjson']));
      raw.push(await timeRaw(uri, dbs.audit, 'tenantadm_audit'));
    }
    for (const r of [...cli, ...raw]) {
      if (r.lines !== entries) throw new Error(`expected ${entries} lines, got ${r.lines}`);
    }
    if (cli[0].bytes !== raw[0].bytes) throw new Error(`outputs differ in size: tenantadm ${cli[0].bytes} B, driver ${raw[0].bytes} B`);
    const best = (xs) => Math.min(...xs.map((x) => x.ms));
    const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
    const list = (xs) => xs.map((x) => fmt(x.ms)).join(', ');
    console.log(`output: ${(cli[0].bytes / 1048576).toFixed(1)} MB of NDJSON, ${entries} lines`);
    console.log(`tenantadm --version (process start): ${fmt(startup.ms)}; audit of an empty log: ${fmt(fixed.ms)}`);
    console.log(`tenantadm audit --ndjson:  best ${fmt(best(cli))}  (runs: ${list(cli)})`);
    console.log(`raw driver, same query:    best ${fmt(best(raw))}  (runs: ${list(raw)})`);
    console.log(`ratio tenantadm / driver:  ${(best(cli) / best(raw)).toFixed(2)} (wall time, best runs)`);
    if (cli.every((r) => r.cpuMs !== undefined)) {
      // The server's share of the wall time is noise here; client CPU is tenantadm's own cost.
      const cpuBest = (xs) => Math.min(...xs.map((x) => x.cpuMs));
      console.log(`client CPU: tenantadm ${fmt(cpuBest(cli))} (whole process), driver ${fmt(cpuBest(raw))} (query and serialisation); ratio ${(cpuBest(cli) / cpuBest(raw)).toFixed(2)}`);
      const streaming = cpuBest(cli) - fixed.cpuMs;
      console.log(`client CPU without the fixed ${fmt(fixed.cpuMs)} (start, driver load, connect): ${fmt(streaming)}; ratio ${(streaming / cpuBest(raw)).toFixed(2)}`);
      console.log(`tenantadm peak RSS:        ${Math.max(...cli.map((r) => r.rssMb)).toFixed(1)} MB`);
    }
    console.log(`throughput tenantadm:      ${Math.round(entries / (best(cli) / 1000))} entries/s`);
  } finally {
    for (const name of Object.values(dbs)) await client.db(name).dropDatabase().catch(() => undefined);
    await client.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(`bench-audit: ${err.message}`);
  process.exitCode = 1;
});
