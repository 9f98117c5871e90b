/**
 * Starts the test database once for the whole run: FerretDB (SQLite backend) from our
 * launcher, on a free port in a temporary directory, unless MONGODB_URI names a server
 * (a real mongod, say). Also makes the RSA key that signs tenant tokens in tests, starts
 * redis-server, and Mender's own services at two versions (mender-setup.ts).
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STATE_FILE, type HarnessState } from './state';
import { freePort, startFerret, startMender } from './mender-setup';

/**
 * The run's directory, on a RAM file system when there is one with room (/dev/shm on Linux, at
 * least 1 GiB free: containers often give it 64 MB): FerretDB's SQLite files then need no disk
 * syncs, which makes creating and dropping a test's databases several times faster (measured:
 * 24 ms instead of 90-160 ms per create-index-drop cycle of four databases).
 * TENANTADM_TEST_DIR names another parent directory.
 */
function runDir(): string {
  const roomy = (dir: string) => {
    try {
      const s = fs.statfsSync(dir);
      return s.bavail * s.bsize >= 2 ** 30;
    } catch {
      return false;
    }
  };
  const parents = [process.env.TENANTADM_TEST_DIR, roomy('/dev/shm') ? '/dev/shm' : undefined, os.tmpdir()].filter((d): d is string => Boolean(d));
  for (const parent of parents) {
    try {
      return fs.mkdtempSync(path.join(parent, 'tenantadm-test-'));
    } catch {
      // not there or not writable: the next one
    }
  }
  throw new Error(`cannot make a test directory in ${parents.join(', ')}`);
}

/**
 * Spawned runs of bin/tenantadm start the single-file build when it is the current build
 * (src/launch.ts), else the compiled modules: build it when dist/ is newer, so that they run
 * what the package ships, from its V8 code cache (measured: about 0.1 s less CPU per process
 * than loading the modules, over hundreds of processes). In-process runs use dist/main.js.
 */
function currentBundle(root: string): void {
  const mtime = (file: string) => fs.statSync(path.join(root, 'dist', file), { throwIfNoEntry: false })?.mtimeMs;
  const main = mtime('main.js');
  const bundle = mtime('tenantadm.cjs');
  if (main === undefined || (bundle !== undefined && bundle >= main)) return;
  const built = spawnSync(process.execPath, [path.join(root, 'scripts/bundle.js')], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) process.stderr.write(`global setup: the single-file build failed (spawned runs use dist/ instead): ${built.stderr}\n`);
}

export default async function globalSetup(): Promise<void> {
  currentBundle(path.resolve(__dirname, '../..'));
  const dir = runDir();
  const keyFile = path.join(dir, 'private.pem');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

  const state: HarnessState = { dir, keyFile, uri: '', pid: 0, server: 'mongodb' };
  if (process.env.MONGODB_URI) {
    state.uri = process.env.MONGODB_URI;
  } else {
    const root = path.resolve(__dirname, '../..');
    const bin = execFileSync(path.join(root, 'scripts/ferretdb.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    const { uri, child } = await startFerret(bin, path.join(dir, 'db'));
    state.uri = uri;
    state.pid = child.pid ?? 0;
    state.server = 'ferretdb';
    // Keep a handle so teardown (same process) can stop it; stdin EOF also stops it.
    (globalThis as { __ferretdb?: unknown }).__ferretdb = child;
  }
  state.redis = await startRedis(dir);
  // Mender's services always run on FerretDB of their own (even with MONGODB_URI): their
  // database names are fixed, and each version needs its own.
  if (process.env.TENANTADM_NO_MENDER !== '1') {
    const root = path.resolve(__dirname, '../..');
    const ferretBin = execFileSync(path.join(root, 'scripts/ferretdb.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    const t0 = Date.now();
    state.mender = await startMender(dir, ferretBin, state.redis);
    if (process.env.TENANTADM_TEST_TIMING) process.stderr.write(`global setup: Mender services up in ${Date.now() - t0} ms\n`);
  }
  fs.writeFileSync(STATE_FILE, JSON.stringify(state));
  process.env.TENANTADM_TEST_STATE = STATE_FILE;
}

/**
 * Debian's redis-server on a free port, with a password and no persistence, for the tests
 * of the device-auth cache. A shell wrapper stops it when our stdin closes, so a killed
 * jest never leaves it behind.
 */
async function startRedis(dir: string): Promise<HarnessState['redis']> {
  if (spawnSync('redis-server', ['--version']).error) {
    process.stderr.write('global setup: redis-server is not installed (scripts/setup.sh installs it); Redis tests will fail\n');
    return undefined;
  }
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '""', '--appendonly', 'no', '--requirepass', password, '--dir', dir];
  const child = spawn('sh', ['-c', `redis-server ${args.join(' ')} & pid=$!; cat >/dev/null; kill $pid; wait $pid`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 15 s: ${out}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited early with code ${code}: ${out}`)));
  });
  child.stdout!.resume();
  (globalThis as { __redis?: ChildProcess }).__redis = child;
  return { url: `redis://:${password}@127.0.0.1:${port}`, host: '127.0.0.1', port, password };
}
