/**
 * The database every benchmark script runs against: $MONGODB_URI when set, else a throwaway
 * FerretDB (scripts/ferretdb.sh) in a temporary directory, stopped and removed by `stop()`.
 * The FerretDB runs on its SQLite backend (what the tests use) or, with backend 'postgresql',
 * on a throwaway PostgreSQL cluster of its own (initdb in the same temporary directory, a unix
 * socket only, run as the `postgres` user when this runs as root), stopped and removed with it.
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/**
 * FerretDB 1.24's PostgreSQL backend holds one pooled connection per statement of an update
 * command until the command ends (handler/msg_update.go defers each statement's iterator close),
 * and each statement's write takes one more: with its default pool of 50 connections an update
 * command of 50 statements never answers, and the whole server hangs. The SQLite backend's pool
 * is 100 (its limit of 100 statements). The benchmark gives the PostgreSQL backend the same 100,
 * so both sides keep their update commands of 50 on both backends.
 */
const PG_POOL_MAX_CONNS = 100;

/** PostgreSQL's server programs: $BENCH_PG_BIN, else `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin. */
function postgresBin() {
  const ok = (dir) => dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'));
  if (process.env.BENCH_PG_BIN) return ok(process.env.BENCH_PG_BIN) ? process.env.BENCH_PG_BIN : undefined;
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (ok(dir)) return dir;
  } catch {
    // no pg_config: look where Debian puts the server
  }
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => path.join(base, v, 'bin')).find(ok);
}

/** Whether a PostgreSQL cluster can be started here (its programs exist; as root, a `postgres` user to run it). */
function postgresAvailable() {
  if (!postgresBin()) return false;
  if (process.getuid?.() !== 0) return true;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A throwaway PostgreSQL cluster in `dir`: its connection string for FerretDB, and a (synchronous) stop. */
function startPostgres(dir) {
  const bin = postgresBin();
  if (!bin) throw new Error('no PostgreSQL server programs found (set BENCH_PG_BIN to their directory)');
  const asRoot = process.getuid?.() === 0;
  // PostgreSQL refuses to run as root: the cluster belongs to `postgres` then.
  const run = (prog, args) =>
    execFileSync(asRoot ? 'runuser' : path.join(bin, prog), asRoot ? ['-u', 'postgres', '--', path.join(bin, prog), ...args] : args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (asRoot) {
    fs.chmodSync(dir, 0o700);
    execFileSync('chown', ['postgres', dir]);
  }
  const data = path.join(dir, 'pg');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  // A unix socket in the private directory only (no TCP): the port only names the socket, so no clash.
  const opts = `-c listen_addresses= -k ${dir} -p 5432 -c max_connections=${PG_POOL_MAX_CONNS + 20}`;
  run('pg_ctl', ['-D', data, '-l', path.join(dir, 'pg.log'), '-w', '-t', '60', '-o', opts, 'start']);
  let stopped = false;
  return {
    url: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}&port=5432&pool_max_conns=${PG_POOL_MAX_CONNS}`,
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      } catch (err) {
        process.stderr.write(`bench-server: stopping PostgreSQL: ${err.stderr ?? err.message}\n`);
      }
    },
  };
}

/**
 * `label` names the temporary directory (tenantadm-<label>-XXXX); `backend` is FerretDB's:
 * 'sqlite' (default) or 'postgresql'. `name` says what runs (for the printed tables).
 */
async function startServer(label, { backend = 'sqlite' } = {}) {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, name: 'MONGODB_URI', stop: async () => {} };
  if (backend !== 'sqlite' && backend !== 'postgresql') throw new Error(`unknown FerretDB backend ${backend} (sqlite or postgresql)`);
  const bin = execFileSync(path.join(ROOT, 'scripts/ferretdb.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tenantadm-${label}-`));
  let pg;
  let child;
  // Whatever happens to this process, the cluster does not outlive it (FerretDB stops on its stdin's end).
  const cleanUp = () => {
    child?.kill('SIGTERM');
    pg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanUp);
  let name = 'FerretDB v1.24.2 (SQLite)';
  let args = ['--sqlite-dir', path.join(dir, 'db')];
  try {
    if (backend === 'postgresql') {
      pg = startPostgres(dir);
      const version = execFileSync(path.join(postgresBin(), 'postgres'), ['--version'], { encoding: 'utf8' }).trim().replace(/^postgres \(PostgreSQL\) /, '');
      name = `FerretDB v1.24.2 (PostgreSQL ${version})`;
      args = ['--postgresql-url', pg.url];
    }
    child = spawn(bin, [...args, '--exit-on-stdin-eof'], { stdio: ['pipe', 'pipe', 'inherit'] });
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
      name,
      stop: async () => {
        child.stdin.end();
        child.kill('SIGTERM');
        await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
        process.removeListener('exit', cleanUp);
        cleanUp();
      },
    };
  } catch (err) {
    process.removeListener('exit', cleanUp);
    cleanUp();
    throw err;
  }
}

/** Lower-case letters only: FerretDB's SQLite backend takes no digits at the start of a name, so database prefixes use these. */
function letters(n) {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(Math.random() * 26));
  return s;
}

module.exports = { startServer, postgresAvailable, letters };
