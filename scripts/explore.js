#!/usr/bin/env node
/**
 * The schedule explorer's long mode (issue #18): `npm run explore -- --runs N [--seed S]
 * [--path P] [--verbose] [--stop-at-first]` runs N random schedules (test/explorer/explorer.test.ts) against a
 * test database of its own (jest's global setup, without Mender's services), printing progress
 * every 10 schedules. A failure prints its seed and path: the same --seed and --path replay it.
 * The seed defaults to the time, so every long run explores new schedules.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const runs = arg('runs') ?? '100';
const seed = arg('seed') ?? String(Date.now() % 2 ** 31);
const replay = arg('path');
if (!/^\d+$/.test(runs) || !/^-?\d+$/.test(seed)) {
  process.stderr.write('usage: npm run explore -- --runs N [--seed S] [--path P] [--verbose]\n');
  process.exit(2);
}
process.stderr.write(`explore: ${runs} schedules, seed ${seed}${replay ? `, path ${replay}` : ''}\n`);
const root = path.resolve(__dirname, '..');
const started = Date.now();
const r = spawnSync(process.execPath, [require.resolve('jest/bin/jest', { paths: [root] }), 'test/explorer/explorer.test.ts', '--selectProjects', 'database'], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    TENANTADM_NO_MENDER: '1',
    EXPLORE_RUNS: runs,
    EXPLORE_SEED: seed,
    EXPLORE_PROGRESS: '1',
    // Every failure is reported with its path, and the run goes on: one finding does not end a long run.
    EXPLORE_KEEP_GOING: process.argv.includes('--stop-at-first') ? '0' : '1',
    ...(replay ? { EXPLORE_PATH: replay } : {}),
    ...(process.argv.includes('--verbose') ? { EXPLORE_VERBOSE: '1' } : {}),
  },
});
const secs = Math.round((Date.now() - started) / 1000);
if (r.status === 0) process.stderr.write(`explore: ${runs} schedules, no invariant broken, ${secs} s (seed ${seed})\n`);
else process.stderr.write(`explore: FAILED after ${secs} s; replay a failure with: npm run explore -- --runs 1 --seed ${seed} --path PATH (PATH: the path printed with it)\n`);
process.exit(r.status ?? 1);
