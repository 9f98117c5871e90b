/**
 * The schedule explorer (schedule.ts) over a fixed seed set in CI, and as long as asked with
 * `npm run explore -- --runs N [--seed S] [--path P]` (scripts/explore.js sets EXPLORE_RUNS,
 * EXPLORE_SEED and EXPLORE_PATH). A failure names its seed and path: the same arguments
 * replay it.
 */
import fc from 'fast-check';
import { closeClient, withOwnServer, dropAll, freshDbs, run, seedDeviceauthVersion, serverUri } from '../support/harness';
import { TcpProxy } from '../support/tcp-proxy';
import { explore, scheduleArb } from './schedule';

const runs = Number(process.env.EXPLORE_RUNS || 10);
const seed = Number(process.env.EXPLORE_SEED || 20261207);
const replayPath = process.env.EXPLORE_PATH || undefined;

// `check` scans every database of its server: a FerretDB of this file's own keeps other files'
// databases (per-tenant ones of tenants it does not know) out of its findings.
withOwnServer();

describe('schedule explorer', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await TcpProxy.start(serverUri());
  });
  afterAll(async () => {
    await proxy.close();
    await closeClient();
  });

  it(
    `keeps every invariant over ${runs} random schedules (seed ${seed})`,
    async () => {
      const started = Date.now();
      let n = 0;
      // Long mode goes on after a failure, naming each (its path replays it with --runs 1).
      const keepGoing = process.env.EXPLORE_KEEP_GOING === '1';
      const failures: string[] = [];
      await fc.assert(
        fc.asyncProperty(scheduleArb, async (s) => {
          const dbs = freshDbs();
          try {
            await seedDeviceauthVersion(dbs);
            const m = await run(dbs, ['migrate']);
            if (m.code !== 0) throw new Error(`migrate failed: ${m.stderr}`);
            await explore(dbs, s, proxy);
          } catch (err) {
            if (!keepGoing) throw err;
            const at = Number(replayPath ?? 0) + n;
            failures.push(`path ${at}`);
            process.stderr.write(`explore: FAILURE at path ${at} (replay: npm run explore -- --runs 1 --seed ${seed} --path ${at}):\n${(err as Error).message}\n`);
          } finally {
            await dropAll(dbs);
            n++;
            if (process.env.EXPLORE_PROGRESS && n % 10 === 0) process.stderr.write(`explore: ${n} schedules in ${Math.round((Date.now() - started) / 1000)} s (${failures.length} broke an invariant)\n`);
          }
        }),
        { numRuns: runs, seed, ...(replayPath ? { path: replayPath } : {}), endOnFailure: true },
      );
      if (failures.length > 0) throw new Error(`${failures.length} of ${n} schedules broke an invariant (seed ${seed}): ${failures.join(', ')}`);
      if (process.env.EXPLORE_PROGRESS) process.stderr.write(`explore: ${n} schedules, no invariant broken, in ${Math.round((Date.now() - started) / 1000)} s (seed ${seed})\n`);
    },
    Math.max(120_000, runs * 60_000),
  );
});
