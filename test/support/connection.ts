/**
 * What the connection tests (test/e2e/connection*.test.ts) share: the built CLI as a child
 * process with exactly the environment given, a FerretDB of a test's own that it may kill or
 * freeze, seeding straight into it, and the --timeout they run with.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startFerret } from './mender-setup';
import { BIN, ROOT, state, tmpDir, type Dbs, type RunResult } from './harness';

export interface Launched {
  child: ChildProcess;
  done: Promise<RunResult>;
}

/** Start the built CLI with exactly this environment (plus PATH and HOME). */
export function launch(args: string[], env: NodeJS.ProcessEnv): Launched {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TENANTADM_ACTOR: 'tester@ci', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end();
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, stdout, stderr, signal }));
  });
  return { child, done };
}

export function dbEnv(uri: string, dbs: Dbs, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    TENANTADM_MONGO: uri,
    TENANTADM_DB: dbs.tenantadm,
    TENANTADM_USERADM_DB: dbs.useradm,
    TENANTADM_DEVICEAUTH_DB: dbs.deviceauth,
    TENANTADM_AUDIT_DB: dbs.audit,
    TENANTADM_SERVER_PRIV_KEY_PATH: state().keyFile,
    ...extra,
  };
}

/** A FerretDB for one test, which the test may kill or freeze. */
export interface OwnServer {
  uri: string;
  child: ChildProcess;
  exited: Promise<void>;
}

export async function ownFerret(): Promise<OwnServer> {
  const bin = execFileSync(path.join(ROOT, 'scripts/ferretdb.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const { uri, child } = await startFerret(bin, path.join(tmpDir(), 'db'));
  const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  return { uri, child, exited };
}

export async function stop(server: OwnServer | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGCONT');
  server.child.kill('SIGKILL');
  await server.exited;
}

/** `count` tenants and the deviceauth version the tool reads, straight into the server. */
export async function seed(uri: string, dbs: Dbs, count: number): Promise<void> {
  const c = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await c.db(dbs.deviceauth).collection('migration_info').insertOne({ version: { major: 2, minor: 0, patch: 2 }, timestamp: new Date() });
    if (count > 0) {
      await c.db(dbs.tenantadm).collection('tenants').insertMany(
        Array.from({ length: count }, (_, i) => ({ name: `stream-${String(i).padStart(5, '0')}`, status: 'active', plan: 'os', addons: [] })),
      );
    }
  } finally {
    await c.close();
  }
}

export const TIMEOUT_MS = 1000;
/**
 * How long a command may take to give up on a frozen server: heartbeat and its deadline, one
 * server selection (cursor clean-up or write retry), and slack for a loaded machine.
 */
export const FROZEN_BOUND_MS = 3 * TIMEOUT_MS + 5000;
