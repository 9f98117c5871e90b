#!/usr/bin/env node
// Start-up of the built tool against a bare `node -e 0`, measured in one run: the cases are
// interleaved (so machine load hits all alike) and the median of N runs is compared.
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
for (let r = 0; r < runs + 2; r++) {
  cases.forEach((c, i) => {
    const t = process.hrtime.bigint();
    const out = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'ignore', 'ignore'] });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (out.status !== c.code) throw new Error(`${c.name} exited ${out.status}, expected ${c.code}`);
    if (r >= 2) times[i].push(ms); // two warm-up rounds
  });
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const base = median(times[0]);
console.log(`start-up, median of ${runs} interleaved runs (node ${process.version}, ${require('node:os').cpus().length} CPUs)`);
cases.forEach((c, i) => {
  const m = median(times[i]);
  console.log(`  ${c.name.padEnd(42)} ${m.toFixed(1).padStart(7)} ms  ${(m / base).toFixed(2)}x`);
});
