#!/usr/bin/env node
/**
 * What delivering audit entries to Mender's audit log costs: a reallocation plan of N entries
 * (default 2,000 children of one SP, every limit changed, so N audit entries) applied with
 * TENANTADM_ORCHESTRATOR_ADDR set (delivery on: entries go to Mender's workflows service through
 * its batch endpoint) and without it (delivery off), in alternating pairs on the same database,
 * and the ratio of the medians. Mender's workflows server, worker and NATS are the ones the
 * tests build (scripts/mender-services.sh, main); the worker runs a test definition of
 * emit_auditlog that posts to a sink here, which also times when the last entry arrived.
 *
 *   node scripts/bench-delivery.js [--children 2000] [--pairs 3]
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { MongoClient } = require('mongodb');
const { startServer, intArg, benchDbs, cliEnv, timeCli, seedSpWithChildren, median } = require('./bench-server');

const ROOT = path.resolve(__dirname, '..');
const N = intArg('children', 2000);
const PAIRS = intArg('pairs', 3);

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what, test, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The sink the test emit_auditlog posts to: counts entries and remembers when the last came. */
function startSink() {
  const state = { count: 0, last: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.count++;
      state.last = Date.now();
      res.statusCode = 201;
      res.end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ state, url: `http://127.0.0.1:${server.address().port}`, server })));
}

async function startWorkflows(uri, sink, dir) {
  const bins = execFileSync(path.join(ROOT, 'scripts/mender-services.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n');
  const bin = bins.find((b) => b.includes('mender-main-')) ?? bins[bins.length - 1];
  const wfDir = path.join(dir, 'workflows');
  fs.mkdirSync(wfDir, { recursive: true });
  fs.writeFileSync(
    path.join(wfDir, 'emit_auditlog.json'),
    JSON.stringify({
      name: 'emit_auditlog',
      description: 'bench stand-in for emit_auditlog',
      version: 1,
      ephemeral: true,
      tasks: [{ name: 'deliver', type: 'http', retries: 3, http: { uri: `${sink}/sink/\${encoding=url;workflow.input.tenant_id}`, method: 'POST', contentType: 'application/json', json: '${workflow.input.auditlog}', connectionTimeOut: 8000, readTimeOut: 8000 } }],
      inputParameters: ['auditlog', 'tenant_id', 'request_id'],
    }),
  );
  const [natsPort, apiPort] = [await freePort(), await freePort()];
  const log = fs.openSync(path.join(dir, 'workflows.log'), 'a');
  const children = [];
  const start = (file, args, env = {}) => {
    const c = spawn(path.join(bin, file), args, { stdio: ['ignore', log, log], env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    children.push(c);
    return c;
  };
  start('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', path.join(dir, 'js')]);
  await waitFor('nats-server', () => new Promise((r) => net.connect(natsPort, '127.0.0.1', function () { this.end(); r(true); }).on('error', () => r(false))));
  const env = { WORKFLOWS_MONGO_URL: uri, WORKFLOWS_NATS_URI: `nats://127.0.0.1:${natsPort}`, WORKFLOWS_LISTEN: `127.0.0.1:${apiPort}`, WORKFLOWS_WORKFLOWS_PATH: wfDir };
  start('workflows', ['server', '--automigrate'], env);
  const api = `http://127.0.0.1:${apiPort}`;
  await waitFor('workflows server', () => fetch(`${api}/status`).then((r) => r.ok, () => false));
  start('workflows', ['worker', '--workflows', 'emit_auditlog'], env);
  return { api, stop: () => children.forEach((c) => c.kill('SIGTERM')) };
}


async function main() {
  const server = await startServer('delivery');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantadm-delivery-'));
  const sink = await startSink();
  const wf = await startWorkflows(server.uri, sink.url, dir);
  const c = await MongoClient.connect(server.uri);
  try {
    const dbs = benchDbs();
    const { kids } = await seedSpWithChildren(c, dbs, N, { spLimit: N * 10, childLimit: 1 });
    const off = cliEnv(server.uri, dbs);
    const on = { ...off, TENANTADM_ORCHESTRATOR_ADDR: wf.api };
    await timeCli(off, ['migrate']);
    let value = 1;
    const plan = () => {
      value = value === 1 ? 2 : 1;
      const file = path.join(dir, `plan-${value}.json`);
      fs.writeFileSync(file, JSON.stringify({ limits: kids.map((k) => ({ id: k.toHexString(), limit: value })) }));
      return file;
    };
    const times = { off: [], on: [], arrived: [] };
    for (let i = 0; i < PAIRS; i++) {
      times.off.push((await timeCli(off, ['-q', 'set-device-limit', '-f', plan(), '--ndjson'])).ms);
      const before = sink.state.count;
      const t = await timeCli(on, ['-q', 'set-device-limit', '-f', plan(), '--ndjson']);
      times.on.push(t.ms);
      const started = Date.now() - t.ms;
      await waitFor(`${N} entries at the sink`, async () => sink.state.count >= before + N, 600_000);
      times.arrived.push(sink.state.last - started);
    }
    const off_ = median(times.off);
    const on_ = median(times.on);
    console.log(`# Delivery to Mender's audit log: a reallocation plan of ${N} entries (${server.name}, workflows ${path.basename(dir)})`);
    console.log('');
    console.log('| plan of N entries | delivery off (median ms) | delivery on (median ms) | ratio | last entry at the sink (median ms after the command started) |');
    console.log('|---|---|---|---|---|');
    console.log(`| ${N} | ${off_.toFixed(0)} | ${on_.toFixed(0)} | ${(on_ / off_).toFixed(2)}x | ${median(times.arrived).toFixed(0)} |`);
    console.log('');
    console.log(`runs: off ${times.off.map((x) => x.toFixed(0)).join(', ')}; on ${times.on.map((x) => x.toFixed(0)).join(', ')}; sink received ${sink.state.count}`);
  } finally {
    await c.close();
    wf.stop();
    sink.server.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
