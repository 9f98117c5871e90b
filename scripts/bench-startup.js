#!/usr/bin/env node
/**
 * Start-up benchmark: what tenantadm costs before it does any work, against bare node and
 * against a raw MongoDB driver script, measured in the same run (interleaved, medians).
 *
 *   node scripts/bench-startup.js [--runs N]       (after `npm run build` and `npm run bundle`)
 *
 * - help: `tenantadm --help` vs `node -e 0` (whole process, wall time).
 * - database command: time from process start to its first TCP connection (a preloaded hook,
 *   scripts/first-connect-hook.js), i.e. everything it does before its first query, vs a raw
 *   script that requires the driver, connects and runs one `find`; and the whole process of each.
 * Both for the installed layout (bin/tenantadm -> dist/*.js + node_modules) and the single-file
 * bundle (dist/tenantadm.cjs). Uses $MONGODB_URI when set, else a throwaway FerretDB.
 */
'use strict';
const { startServer } = require('./bench-server');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 10;
const PROBE = path.join(__dirname, 'startup-probe.js');
const BIN = path.join(root, 'bin', 'tenantadm');
const BUNDLE = path.join(root, 'dist', 'tenantadm.cjs');
const DB = 'benchstartup';

// The baseline: load the driver, connect, one find, close; in a fresh node process like the CLI.
const RAW = `
const { MongoClient } = require(${JSON.stringify(require.resolve('mongodb', { paths: [root] }))});
(async () => {
  const c = await MongoClient.connect(process.env.TENANTADM_MONGO);
  const docs = await c.db(process.env.TENANTADM_DB).collection('tenants').find({ name: 'startup' }).toArray();
  process.stdout.write(JSON.stringify(docs) + '\\n');
  await c.close();
})();
`;

function run(argv, env) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-r', PROBE, ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const err = r.stderr.toString();
  const first = /first-connect-ms ([\d.]+)/.exec(err);
  const cpu = /cpu-ms ([\d.]+)/.exec(err);
  return { ms, firstConnect: first ? Number(first[1]) : undefined, cpu: cpu ? Number(cpu[1]) : undefined };
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs every case once per round, rounds interleaved so machine noise hits all alike. */
function measure(cases, runs) {
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, { ms: [], firstConnect: [], cpu: [] }]));
  for (const fn of Object.values(cases)) fn(); // warm-up: the OS file cache, and bin/tenantadm's code cache
  for (let i = 0; i < runs; i++) {
    for (const [name, fn] of Object.entries(cases)) {
      const r = fn();
      samples[name].ms.push(r.ms);
      samples[name].firstConnect.push(r.firstConnect);
      samples[name].cpu.push(r.cpu);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([k, s]) => [k, { ms: median(s.ms), firstConnect: median(s.firstConnect), cpu: median(s.cpu) }]),
  );
}

const f = (ms) => `${ms.toFixed(0)} ms`;
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

async function benchStartup({ runs = RUNS } = {}) {
  const haveBundle = fs.existsSync(BUNDLE);
  console.log(`start-up: node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0].toFixed(1)}; median of ${runs} interleaved runs`);
  if (!haveBundle) console.log('start-up: no dist/tenantadm.cjs (npm run bundle): bundle rows skipped');

  // bin/tenantadm prefers the bundle when present; TENANTADM_NO_BUNDLE=1 forces the module layout.
  const modules = { TENANTADM_NO_BUNDLE: '1' };
  const help = measure(
    {
      'node -e 0': () => run(['-e', '0'], {}),
      'tenantadm --help (modules)': () => run([BIN, '--help'], modules),
      ...(haveBundle ? { 'tenantadm --help (bin -> bundle)': () => run([BIN, '--help'], {}) } : {}),
      ...(haveBundle ? { 'node tenantadm.cjs --help': () => run([BUNDLE, '--help'], {}) } : {}),
    },
    runs,
  );
  const base = help['node -e 0'];
  console.log(`  ${''.padEnd(36)} wall (ratio to node -e 0)   CPU time (ratio)`);
  for (const [name, r] of Object.entries(help)) {
    console.log(`  ${name.padEnd(36)} ${f(r.ms).padStart(7)} (${ratio(r.ms, base.ms)})          ${f(r.cpu).padStart(7)} (${ratio(r.cpu, base.cpu)})`);
  }

  const server = await startServer('bench-startup');
  try {
    const env = { TENANTADM_MONGO: server.uri, TENANTADM_DB: DB, TENANTADM_USERADM_DB: `${DB}useradm`, TENANTADM_DEVICEAUTH_DB: `${DB}deviceauth`, TENANTADM_AUDIT_DB: `${DB}audit` };
    const command = ['list-tenants', '--name', 'startup'];
    // One tenant to find, so JSON and the table both print a row (the raw script reads it too).
    const { MongoClient } = require(require.resolve('mongodb', { paths: [root] }));
    const seed = await MongoClient.connect(server.uri);
    await seed.db(DB).collection('tenants').insertOne({ name: 'startup', status: 'active', plan: 'enterprise', addons: [] });
    await seed.close();
    const db = measure(
      {
        'raw driver: connect + one find': () => run(['-e', RAW], env),
        'tenantadm list-tenants (modules)': () => run([BIN, ...command], { ...env, ...modules }),
        ...(haveBundle ? { 'tenantadm list-tenants (bin -> bundle)': () => run([BIN, ...command], env) } : {}),
        ...(haveBundle ? { 'node tenantadm.cjs list-tenants': () => run([BUNDLE, ...command], env) } : {}),
        // A table for a person: the table code is loaded only then.
        'tenantadm list-tenants -o table (modules)': () => run([BIN, ...command, '-o', 'table'], { ...env, ...modules }),
        ...(haveBundle ? { 'tenantadm list-tenants -o table (bundle)': () => run([BIN, ...command, '-o', 'table'], env) } : {}),
      },
      runs,
    );
    const raw = db['raw driver: connect + one find'];
    console.log(`  ${''.padEnd(42)} before 1st query (ratio)   whole process (ratio)   CPU time (ratio)`);
    for (const [name, r] of Object.entries(db)) {
      console.log(
        `  ${name.padEnd(42)} ${f(r.firstConnect).padStart(7)} (${ratio(r.firstConnect, raw.firstConnect)})        ${f(r.ms).padStart(7)} (${ratio(r.ms, raw.ms)})        ${f(r.cpu).padStart(7)} (${ratio(r.cpu, raw.cpu)})`,
      );
    }
    return { help, db };
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  benchStartup().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

module.exports = { benchStartup };
