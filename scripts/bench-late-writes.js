#!/usr/bin/env node
/**
 * What the late-write watches (src/journal/late-writes.ts) cost a command that takes locks:
 * `set-device-limit` on a Service Provider with 2,000 children, as a whole process, with no
 * watch (the usual case: one query that finds nothing) and with 2,000 watches on its
 * children's limits (the hour after a 2,000-entry reallocation was killed and rolled back:
 * every command on the SP reads them and the documents they watch). Baselines in the same
 * run, interleaved: the raw driver sending the watch query alone, on an empty collection and
 * with the 2,000 watches (and their documents), from a connected client.
 *
 *   npm run bench:late-writes [-- --runs N]     (default 15; $MONGODB_URI or a throwaway FerretDB)
 */
'use strict';
const { MongoClient, ObjectId } = require('mongodb');
const { startServer, intArg, benchDbs, cliEnv, timeCli, seedSpWithChildren, median } = require('./bench-server');

const RUNS = intArg('runs', 15);
const CHILDREN = 2000;

(async () => {
  const server = await startServer('late-writes');
  const c = await MongoClient.connect(server.uri);
  try {
    const dbs = benchDbs();
    const env = cliEnv(server.uri, dbs);
    await timeCli(env, ['migrate']);
    const { sp } = await seedSpWithChildren(c, dbs, CHILDREN, { spLimit: 10 * CHILDREN, childLimit: 1 });
    const spId = sp.toHexString();
    const watches = c.db(dbs.tenantadm).collection('tenantadm_late_writes');
    const limits = await c.db(dbs.deviceauth).collection('limits').find({ tenant_id: { $ne: spId } }, { projection: { _id: 1 } }).toArray();
    const watchDocs = limits.map((l, i) => ({
      _id: `bench:${i}`,
      op: 'bench',
      command: 'set-device-limit',
      at: new Date(),
      locks: [`sp:${spId}`],
      write: { kind: 'update', target: { db: dbs.deviceauth, coll: 'limits' }, id: l._id, before: { set: { value: 1 }, unset: [] }, after: { set: { value: 2 }, unset: [] } },
    }));
    // What the command sends for them: the watch query, then one read of the watched documents.
    const raw = async () => {
      const t = process.hrtime.bigint();
      const found = await watches.find({ locks: { $in: [`sp:${spId}`, `tenant:${spId}`] } }).toArray();
      if (found.length > 0) await c.db(dbs.deviceauth).collection('limits').find({ _id: { $in: found.map((w) => w.write.id) } }).toArray();
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    let value = 10 * CHILDREN;
    const cmd = async () => (await timeCli(env, ['set-device-limit', '--tenant', spId, '--device-limit', String(++value)])).ms;
    const out = { none: { cli: [], raw: [] }, many: { cli: [], raw: [] } };
    for (let r = 0; r < RUNS; r++) {
      for (const mode of r % 2 === 0 ? ['none', 'many'] : ['many', 'none']) {
        await watches.deleteMany({});
        if (mode === 'many') await watches.insertMany(watchDocs);
        out[mode].raw.push(await raw());
        out[mode].cli.push(await cmd());
        if (mode === 'many' && (await watches.countDocuments()) !== CHILDREN) throw new Error('the command dropped watches it should keep');
      }
    }
    const f = (x) => x.toFixed(1);
    process.stdout.write(`late-write watches, ${server.name}, ${RUNS} runs each, medians (ms)\n`);
    process.stdout.write(`  set-device-limit on an SP of ${CHILDREN} children, no watch:        ${f(median(out.none.cli))}  (watch query alone, raw driver: ${f(median(out.none.raw))})\n`);
    process.stdout.write(`  the same with ${CHILDREN} watches on its children's limits:  ${f(median(out.many.cli))}  (watch query + watched documents, raw driver: ${f(median(out.many.raw))})\n`);
    process.stdout.write(`  ratio with/without watches: ${(median(out.many.cli) / median(out.none.cli)).toFixed(2)}x; the empty watch query is ${((100 * median(out.none.raw)) / median(out.none.cli)).toFixed(2)}% of the command\n`);
  } finally {
    await c.close();
    await server.stop();
  }
})().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
