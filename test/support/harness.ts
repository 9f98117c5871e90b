/**
 * What tests share: the server from global setup, fresh database names per test file,
 * the built CLI run in-process (its `main` with this test's environment and streams) or,
 * for what is about the process itself, as a child process; a raw driver client for
 * seeding and checking, and a snapshot of every database to prove that failed commands
 * change nothing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { MongoClient, type Document } from 'mongodb';
import type { HarnessState } from './state';
import { startFerret } from './mender-setup';
import { LATE_WRITES } from '../../src/journal/late-writes';

export const ROOT = path.resolve(__dirname, '../..');
export const BIN = path.join(ROOT, 'bin/tenantadm');

export function state(): HarnessState {
  const file = process.env.TENANTADM_TEST_STATE;
  if (!file) throw new Error('global setup did not run (TENANTADM_TEST_STATE unset)');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as HarnessState;
}

function letters(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(Math.random() * 26));
  return s;
}

export interface Dbs {
  tenantadm: string;
  useradm: string;
  deviceauth: string;
  audit: string;
}

/** Database names of letters only (FerretDB's SQLite backend is strict), unique per call. */
export function freshDbs(): Dbs {
  const p = `t${letters(8)}`;
  return { tenantadm: `${p}tenantadm`, useradm: `${p}useradm`, deviceauth: `${p}deviceauth`, audit: `${p}audit` };
}

export function cliEnv(dbs: Dbs, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const s = state();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return {
    ...env,
    TENANTADM_MONGO: serverUri(),
    TENANTADM_DB: dbs.tenantadm,
    TENANTADM_USERADM_DB: dbs.useradm,
    TENANTADM_DEVICEAUTH_DB: dbs.deviceauth,
    TENANTADM_AUDIT_DB: dbs.audit,
    TENANTADM_SERVER_PRIV_KEY_PATH: s.keyFile,
    TENANTADM_ACTOR: 'tester@ci',
    // Password hashes at bcrypt's lowest cost (a test hook, journal/test-hooks.ts): 2 ms instead of
    // 70 ms of CPU each. The tests of the stored hash's cost unset it (BCRYPT_COST_10).
    TENANTADM_TEST_BCRYPT_COST: '4',
    ...extra,
  };
}

/** The environment (for `run`'s env) of a run whose password hashes have the tool's own cost, 10. */
export const BCRYPT_COST_10: NodeJS.ProcessEnv = { TENANTADM_TEST_BCRYPT_COST: undefined };

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
}

export interface RunOptions {
  /** Piped to stdin (stdin is closed when absent). */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Run the binary in a child process: for what is about the process (signals, kills, pipes). */
  spawn?: boolean;
  /** In-process only: stdout and stderr are a terminal this many columns wide. */
  terminalColumns?: number;
  /** In-process only: called with each chunk the command writes to stdout, as it writes it. */
  onStdout?: (chunk: string) => void;
  /** Called with each chunk the command writes to stderr, as it writes it. */
  onStderr?: (chunk: string) => void;
  /**
   * In-process only: stdin is a terminal, and each question the command asks there (a
   * confirmation) is answered by this, which may first run rivals while the prompt is on screen.
   */
  atPrompt?: (question: string) => Promise<string>;
}

/**
 * Run the built CLI: in-process by default, as a child process when asked or when the run
 * is meant to kill its process (TENANTADM_CRASH_AT).
 */
export function run(dbs: Dbs, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  if (opts.spawn || opts.env?.TENANTADM_CRASH_AT) return runProcess(dbs, args, opts);
  return runInProcess(dbs, args, opts);
}

/** A stream that keeps what is written to it, looking like a terminal when `columns` is given. */
class Captured extends Writable {
  text = '';
  readonly isTTY: boolean;
  constructor(
    readonly columns?: number,
    onChunk?: (chunk: string) => void,
  ) {
    super({
      write: (chunk: Buffer | string, _enc, done) => {
        this.text += chunk.toString();
        onChunk?.(chunk.toString());
        done();
      },
    });
    this.isTTY = columns !== undefined;
  }
}

type Main = (argv: string[], io: object) => Promise<number>;
let builtMain: Main | undefined;

/** The built entry point (dist/), the code the binary runs, called with this test's environment and streams. */
export async function runInProcess(dbs: Dbs, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  builtMain ??= (require(path.join(ROOT, 'dist/main.js')) as { main: Main }).main;
  const stdout = new Captured(opts.terminalColumns, opts.onStdout);
  const stderr = new Captured(opts.terminalColumns, opts.onStderr);
  const stdin = Object.assign(Readable.from(opts.input ? [Buffer.from(opts.input)] : []), { isTTY: opts.atPrompt !== undefined });
  const code = await builtMain([process.execPath, BIN, ...args], { env: cliEnv(dbs, opts.env), stdin, stdout, stderr, ...(opts.atPrompt ? { ask: opts.atPrompt } : {}) });
  return { code, stdout: stdout.text, stderr: stderr.text, signal: null };
}

/** Run the built binary as a child process. */
export function runProcess(dbs: Dbs, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(dbs, opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(d.toString());
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, stdout, stderr, signal }));
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Start a locked command that holds its locks for `pauseMs` between its checks and its writes
 * (TENANTADM_TEST_PAUSE_MS). `paused` resolves once the command says it holds them (its
 * `test pause` line), so a test starts a rival then; it rejects when the command ends first.
 */
export function runPaused(dbs: Dbs, args: string[], pauseMs: number, opts: RunOptions = {}): { paused: Promise<void>; done: Promise<RunResult> } {
  let open!: () => void;
  const seen = new Promise<void>((resolve) => (open = resolve));
  let said = '';
  const done = run(dbs, args, {
    ...opts,
    env: { ...opts.env, TENANTADM_TEST_PAUSE_MS: String(pauseMs) },
    onStderr: (chunk) => {
      said += chunk;
      if (said.includes('test pause')) open();
      opts.onStderr?.(chunk);
    },
  });
  const ended = done.then((r) => Promise.reject(new Error(`${args[0]} ended before its pause (exit ${r.code}): ${r.stderr}`)));
  ended.catch(() => undefined);
  return { paused: Promise.race([seen, ended]), done };
}

/** Whether a command found a lock held by another and waited for it (the race happened). */
export function waitedForLock(r: RunResult, key?: string): boolean {
  return new RegExp(`waiting for ${key ?? '\\S+'}, held by pid`).test(r.stderr);
}

/** Run and parse stdout as JSON, failing with the CLI's stderr when it did not exit 0. */
export async function runJson<T = any>(dbs: Dbs, args: string[], opts: RunOptions = {}): Promise<T> {
  const r = await run(dbs, args, opts);
  if (r.code !== 0) throw new Error(`tenantadm ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** This file's own server when it has one (withOwnServer), else the run's shared one. */
let ownUri: string | undefined;
export function serverUri(): string {
  return ownUri ?? state().uri;
}

/**
 * A FerretDB of this file's own, for files whose commands scan every database of the server
 * (delete-tenant's discovery) and whose tests prove that a tenant's records are gone from all of
 * them: they then see this file's databases only, not the ones other files create meanwhile, so
 * a scan costs the same alone as in the whole suite. Against MONGODB_URI (a real server) the
 * file stays on that server. Call it before withFreshDatabases.
 */
export function withOwnServer(): void {
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    if (state().server !== 'ferretdb') return;
    const bin = execFileSync(path.join(ROOT, 'scripts/ferretdb.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    const started = await startFerret(bin, path.join(tmpDir(), 'db'));
    child = started.child;
    ownUri = started.uri;
  }, 60_000);
  afterAll(async () => {
    await closeClient();
    ownUri = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
}

let shared: MongoClient | undefined;
export async function client(): Promise<MongoClient> {
  shared ??= await MongoClient.connect(serverUri(), { serverSelectionTimeoutMS: 5000 });
  return shared;
}
export async function closeClient(): Promise<void> {
  await shared?.close();
  shared = undefined;
}

/**
 * Every document of every collection in the four databases (and `extra` ones), in a stable
 * order. Leaves out the watches a rollback leaves on its writes (`tenantadm_late_writes`: the
 * tool's own record of what may still land, dropped within the hour; late-writes.ts), which
 * test/explorer/late-write-killed-at-commit.test.ts reads itself.
 */
export async function snapshot(dbs: Dbs, extra: string[] = []): Promise<Record<string, Document[]>> {
  const c = await client();
  const out: Record<string, Document[]> = {};
  for (const name of [...Object.values(dbs), ...extra]) {
    const colls = await c.db(name).listCollections({}, { nameOnly: true }).toArray();
    for (const coll of colls.map((x) => x.name).filter((x) => !(name === dbs.tenantadm && x === LATE_WRITES)).sort()) {
      const docs = await c.db(name).collection(coll).find({}).toArray();
      out[`${name}.${coll}`] = docs.map((d) => JSON.parse(JSON.stringify(d))).sort((a, b) => JSON.stringify(a._id).localeCompare(JSON.stringify(b._id)));
    }
  }
  return out;
}

export async function dropAll(dbs: Dbs): Promise<void> {
  const c = await client();
  for (const name of Object.values(dbs)) await c.db(name).dropDatabase().catch(() => undefined);
}

export function passwordFile(dir: string, password = 'correct horse battery'): string {
  const file = path.join(dir, `pw-${letters(6)}`);
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return file;
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(state().dir, 'case-'));
}

/**
 * What Mender's deviceauth writes when its migrations run: the suites that need no Mender
 * service run on the current semantics (2.0.2, "v2"); the Mender-service suites seed each
 * version's own (see global setup).
 */
export async function seedDeviceauthVersion(dbs: Dbs, version: [number, number, number] = [2, 0, 2]): Promise<void> {
  await (await client())
    .db(dbs.deviceauth)
    .collection('migration_info')
    .insertOne({ version: { major: version[0], minor: version[1], patch: version[2] }, timestamp: new Date() });
}

/**
 * The per-file set-up every end-to-end file shares: fresh, migrated databases for each test
 * (handed over through `use`), dropped afterwards, and the shared client closed at the end.
 */
export function withFreshDatabases(use: (dbs: Dbs) => void): void {
  let current: Dbs;
  beforeEach(async () => {
    current = freshDbs();
    use(current);
    await seedDeviceauthVersion(current);
    const m = await run(current, ['migrate']);
    if (m.code !== 0) throw new Error(`migrate failed: ${m.stderr}`);
  });
  afterEach(async () => {
    await dropAll(current);
  });
  afterAll(async () => {
    await closeClient();
  });
}

/** Assert the command failed with `code`, printed nothing on stdout, one line on stderr, and wrote nothing. */
export async function expectFailsCleanly(dbs: Dbs, args: string[], code: number, opts: RunOptions = {}): Promise<string> {
  const before = await snapshot(dbs);
  const r = await run(dbs, args, opts);
  expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code, stdout: '' });
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(await snapshot(dbs)).toEqual(before);
  return r.stderr;
}

/**
 * What a change says on stderr, once per run, when no workflows address is set: its audit
 * entries stay in the tool's own log (store/index.ts).
 */
export const LOCAL_AUDIT_NOTICE = "tenantadm: warning: TENANTADM_ORCHESTRATOR_ADDR is not set: audit entries go to the tool's own log only, not to Mender's (set it, then `tenantadm audit forward` sends what is missing)\n";
