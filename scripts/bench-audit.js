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
const { letters, startServer } = require('./bench-server');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { MongoClient, ObjectId } = require('mongodb');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin/tenantadm');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} needs a positive whole number`);
  return n;
}

async function seed(coll, n) {
  const base = Date.now() - n * 1000;
  for (let i = 0; i < n; i += 5000) {
    const docs = [];
    for (let j = i; j < Math.min(n, i + 5000); j++) {
      const tenant = new ObjectId().toHexString();
      docs.push({
        _id: new ObjectId(),
        state: 'committed',
        tenant_id: tenant,
        log_tenant_ids: [tenant],
        actor: { id: 'bench@tenantadm', type: 'system' },
        action: 'update',
        object: { id: tenant, type: 'tenant', tenant: { id: tenant, name: `tenant-${j}` } },
        change: `plan: os -> professional; addon monitor: off -> on (${j})`,
        time: new Date(base + j * 1000),
      });
    }
    await coll.insertMany(docs, { ordered: false });
  }
}

/** Wall time of one CLI run, its stdout counted as it streams (a pipe, as in real use). */
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function timeCli(env, args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    // With GNU time, also the CLI's own CPU time and peak RSS (its last stderr line).
    const argv = GNU_TIME ? [GNU_TIME, '-f', 'cpu %U %S rss %M', process.execPath, BIN, ...args] : [process.execPath, BIN, ...args];
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (d) => {
      bytes += d.length;
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`tenantadm ${args.join(' ')} exited ${code}: ${stderr}`));
      const m = /cpu ([\d.]+) ([\d.]+) rss (\d+)\s*$/.exec(stderr);
      resolve({
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : undefined,
        rssMb: m ? Number(m[3]) / 1024 : undefined,
        bytes,
        lines,
      });
    });
  });
}

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
  const entries = arg('entries', 50_000);
  const runs = arg('runs', 3);
  if (!fs.existsSync(path.join(ROOT, 'dist/main.js'))) throw new Error('build first: npm run build');
  const server = await startServer('bench-audit');
  const uri = server.uri;
  const prefix = `bench${letters(6)}`;
  const dbs = { tenantadm: `${prefix}tenantadm`, useradm: `${prefix}useradm`, deviceauth: `${prefix}deviceauth`, audit: `${prefix}audit` };
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TENANTADM_MONGO: uri,
    TENANTADM_DB: dbs.tenantadm,
    TENANTADM_USERADM_DB: dbs.useradm,
    TENANTADM_DEVICEAUTH_DB: dbs.deviceauth,
    TENANTADM_AUDIT_DB: dbs.audit,
  };
  const client = await MongoClient.connect(uri);
  try {
    await timeCli(env, ['migrate']);
    const coll = client.db(dbs.audit).collection('tenantadm_audit');
    const seeding = Date.now();
    await seed(coll, entries);
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
