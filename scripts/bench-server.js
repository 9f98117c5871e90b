/**
 * The database every benchmark script runs against: $MONGODB_URI when set, else a throwaway
 * FerretDB (scripts/ferretdb.sh) in a temporary directory, stopped and removed by `stop()`.
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** `label` names the temporary directory (tenantadm-<label>-XXXX). */
async function startServer(label) {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: async () => {} };
  const bin = execFileSync(path.join(ROOT, 'scripts/ferretdb.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tenantadm-${label}-`));
  const child = spawn(bin, ['--sqlite-dir', path.join(dir, 'db'), '--exit-on-stdin-eof'], { stdio: ['pipe', 'pipe', 'inherit'] });
  // The launcher prints its URL as its first line once it listens.
  const uri = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('FerretDB did not start within 30 s')), 30_000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.split('\n')[0].trim());
      }
    });
    child.on('exit', (code) => reject(new Error(`FerretDB exited early with code ${code}`)));
  });
  return {
    uri: uri.replace(/\/?$/, '/?directConnection=true'),
    stop: async () => {
      child.stdin.end();
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Lower-case letters only: FerretDB's SQLite backend takes no digits at the start of a name, so database prefixes use these. */
function letters(n) {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(Math.random() * 26));
  return s;
}

module.exports = { startServer, letters };
