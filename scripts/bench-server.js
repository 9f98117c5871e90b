/**
 * The database every benchmark script runs against: $MONGODB_URI when set, else a throwaway
 * FerretDB (scripts/ferretdb.sh) in a temporary directory, stopped and removed by `stop()`.
 * The FerretDB runs on its SQLite backend (what the tests use) or, with backend 'postgresql',
 * on a throwaway PostgreSQL cluster of its own (initdb in the same temporary directory, a unix
 * socket only, run as the `postgres` user when this runs as root), stopped and removed with it.
 * Also what the scripts share around it: their `--name N` arguments, fresh database names and
 * the CLI's environment for them, a timed CLI run, and seeded audit entries.
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

/** A positive whole number given as `--name N` on the command line, else `fallback`. */
function intArg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} needs a positive whole number`);
  return n;
}

/** Fresh names (letters only) for the tool's four databases. */
function benchDbs() {
  const prefix = `bench${letters(6)}`;
  return { tenantadm: `${prefix}tenantadm`, useradm: `${prefix}useradm`, deviceauth: `${prefix}deviceauth`, audit: `${prefix}audit` };
}

/** The CLI's environment for `dbs` on `uri`: only PATH and HOME come from this process's, then `extra`. */
function cliEnv(uri, dbs, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TENANTADM_MONGO: uri,
    TENANTADM_DB: dbs.tenantadm,
    TENANTADM_USERADM_DB: dbs.useradm,
    TENANTADM_DEVICEAUTH_DB: dbs.deviceauth,
    TENANTADM_AUDIT_DB: dbs.audit,
    ...extra,
  };
}

const BIN = path.join(ROOT, 'bin/tenantadm');
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * One run of bin/tenantadm, its stdout counted as it streams (a pipe, as in real use): wall
 * time, and with GNU time the CLI's own CPU time and peak RSS (its last stderr line); stdout
 * itself only with `keepStdout` (an export of hundreds of MB is counted, not held).
 */
function timeCli(env, args, { keepStdout = false } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const argv = GNU_TIME ? [GNU_TIME, '-f', 'cpu %U %S rss %M', process.execPath, BIN, ...args] : [process.execPath, BIN, ...args];
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let lines = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      bytes += d.length;
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
      if (keepStdout) stdout += d;
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
        ...(keepStdout ? { stdout } : {}),
      });
    });
  });
}

/**
 * `n` committed audit entries in Mender's format, one tenant each, a second apart (the last
 * newest), inserted `batch` at a time; `change(j)` is the j-th entry's change text.
 */
async function seedAuditEntries(coll, n, { batch, change }) {
  const { ObjectId } = require('mongodb');
  const base = Date.now() - n * 1000;
  for (let i = 0; i < n; i += batch) {
    const docs = [];
    for (let j = i; j < Math.min(n, i + batch); j++) {
      const tenant = new ObjectId().toHexString();
      docs.push({
        _id: new ObjectId(),
        state: 'committed',
        tenant_id: tenant,
        log_tenant_ids: [tenant],
        actor: { id: 'bench@tenantadm', type: 'system' },
        action: 'update',
        object: { id: tenant, type: 'tenant', tenant: { id: tenant, name: `tenant-${j}` } },
        change: change(j),
        time: new Date(base + j * 1000),
      });
    }
    await coll.insertMany(docs, { ordered: false });
  }
}

/**
 * A Service Provider (max_devices `spLimit`) with `n` children (max_devices `childLimit`, or
 * none when undefined) in `dbs`, and deviceauth's record of its version (2.0.2: -1 unlimited).
 * Returns their ObjectIds.
 */
async function seedSpWithChildren(c, dbs, n, { spLimit, childLimit }) {
  const { ObjectId, Long } = require('mongodb');
  await c.db(dbs.deviceauth).collection('migration_info').insertOne({ version: { major: 2, minor: 0, patch: 2 }, timestamp: new Date() });
  const sp = new ObjectId();
  const kids = Array.from({ length: n }, () => new ObjectId());
  const now = new Date();
  await c.db(dbs.tenantadm).collection('tenants').insertMany([
    { _id: sp, name: 'sp', status: 'active', plan: 'enterprise', addons: [], service_provider: true, created_at: now, updated_at: now },
    ...kids.map((k, i) => ({ _id: k, name: `child-${i}`, status: 'active', plan: 'enterprise', addons: [], parent_tenant_id: sp.toHexString(), created_at: now, updated_at: now })),
  ]);
  const limit = (id, value) => ({ _id: new ObjectId(), tenant_id: id.toHexString(), name: 'max_devices', value: Long.fromNumber(value) });
  await c.db(dbs.deviceauth).collection('limits').insertMany([limit(sp, spLimit), ...(childLimit === undefined ? [] : kids.map((k) => limit(k, childLimit)))]);
  return { sp, kids };
}

/** The median of some timings. */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

module.exports = { startServer, postgresAvailable, letters, intArg, benchDbs, cliEnv, timeCli, seedAuditEntries, seedSpWithChildren, median };
