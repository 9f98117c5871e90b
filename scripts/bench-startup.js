#!/usr/bin/env node
// Start-up of the built tool against a bare `node -e 0`, measured in one run: the cases are
// interleaved (so machine load hits all alike) and the median of N runs is compared, both
// wall-clock time and CPU time (user + system, from bash's `time`, which load disturbs less).
// Usage: node scripts/bench-startup.js [runs]   (npm run bench:startup builds first)
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const bin = path.resolve(__dirname, '..', 'bin', 'tenantadm');
const runs = Number(process.argv[2] ?? 21);
const cases = [
  { name: 'node -e 0', args: ['-e', '0'], code: 0 },
  { name: 'tenantadm --help', args: [bin, '--help'], code: 0 },
  { name: 'tenantadm help list-tenants', args: [bin, 'help', 'list-tenants'], code: 0 },
  // Parses, validates against the prebuilt schema and fails (exit 2) before any database work.
  { name: 'tenantadm get-tenant (exit 2)', args: [bin, 'get-tenant'], code: 2 },
  { name: 'tenantadm list-tenants --plan x (exit 2)', args: [bin, 'list-tenants', '--plan', 'x'], code: 2 },
];

const times = cases.map(() => []);
const cpu = cases.map(() => []);
const timed = 'TIMEFORMAT="%3U %3S"; { time "$@" >/dev/null 2>&1; } 2>&1; exit 0';
for (let r = 0; r < runs + 2; r++) {
  cases.forEach((c, i) => {
    const t = process.hrtime.bigint();
    const out = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'ignore', 'ignore'] });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (out.status !== c.code) throw new Error(`${c.name} exited ${out.status}, expected ${c.code}`);
    const usage = spawnSync('bash', ['-c', timed, 'bash', process.execPath, ...c.args], { encoding: 'utf8' });
    const [user, sys] = usage.stdout.trim().split(/\s+/).map(Number);
    if (r >= 2) {
      // two warm-up rounds
      times[i].push(ms);
      cpu[i].push((user + sys) * 1000);
    }
  });
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const base = median(times[0]);
const cpuBase = median(cpu[0]);
const os = require('node:os');
console.log(`start-up, median of ${runs} interleaved runs (node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)})`);
console.log(`  ${'case'.padEnd(42)} ${'wall'.padStart(9)} ${'ratio'.padStart(6)} ${'cpu'.padStart(9)} ${'ratio'.padStart(6)}`);
cases.forEach((c, i) => {
  const m = median(times[i]);
  const u = median(cpu[i]);
  console.log(`  ${c.name.padEnd(42)} ${m.toFixed(1).padStart(6)} ms ${(m / base).toFixed(2).padStart(5)}x ${u.toFixed(0).padStart(6)} ms ${(u / cpuBase).toFixed(2).padStart(5)}x`);
});
