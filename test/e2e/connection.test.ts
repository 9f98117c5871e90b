/**
 * The database connection as the process shows it: exit codes that say what happened to the
 * server (malformed URL 2; unreachable, refused credentials, lost or frozen mid-read or
 * mid-write 6), bounded waits on a frozen server, and passwords from URLs never printed.
 * Tests that kill or freeze a server start a FerretDB of their own, never the shared one.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startFerret } from '../support/mender-setup';
import { BIN, ROOT, client, closeClient, freshDbs, state, tmpDir, type Dbs, type RunResult } from '../support/harness';
import { exitCodeOf, translateDatabaseError, ConflictError } from '../../src/errors';

interface Launched {
  child: ChildProcess;
  done: Promise<RunResult>;
}

/** Start the built CLI with exactly this environment (plus PATH and HOME). */
function launch(args: string[], env: NodeJS.ProcessEnv): Launched {
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

function dbEnv(uri: string, dbs: Dbs, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
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
interface OwnServer {
  uri: string;
  child: ChildProcess;
  exited: Promise<void>;
}

async function ownFerret(): Promise<OwnServer> {
  const bin = execFileSync(path.join(ROOT, 'scripts/ferretdb.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const { uri, child } = await startFerret(bin, path.join(tmpDir(), 'db'));
  const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  return { uri, child, exited };
}

async function stop(server: OwnServer | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGCONT');
  server.child.kill('SIGKILL');
  await server.exited;
}

/** `count` tenants and the deviceauth version the tool reads, straight into the server. */
async function seed(uri: string, dbs: Dbs, count: number): Promise<void> {
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

/** Resolves when the first bytes of the child's stdout arrive; then stdout is paused (the child blocks on a full pipe). */
function firstOutput(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.stdout!.once('data', () => {
      child.stdout!.pause();
      resolve();
    });
  });
}

/** A TCP port that accepts connections and never answers: a frozen server, as the network sees it. */
async function silentListener(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A TCP proxy to `port` that holds the first large reply (a batch of documents, not a
 * heartbeat) of each connection for `delayMs`: a server slow to answer a read, but alive.
 * (Per connection, so that a driver retry on a new connection meets the same slowness.)
 */
async function slowFirstBatchProxy(port: number, delayMs: number): Promise<{ port: number; held: () => number; close: () => Promise<void> }> {
  let held = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((downstream) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [downstream, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    downstream.pipe(upstream);
    let chain = Promise.resolve();
    let heldHere = false;
    upstream.on('data', (chunk: Buffer) => {
      const hold = !heldHere && chunk.length > 8192;
      if (hold) {
        heldHere = true;
        held += 1;
      }
      chain = chain.then(async () => {
        if (hold) await new Promise((resolve) => setTimeout(resolve, delayMs));
        downstream.write(chunk);
      });
    });
    upstream.on('end', () => void chain.then(() => downstream.end()));
    downstream.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    held: () => held,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const TIMEOUT_MS = 1000;
/**
 * How long a command may take to give up on a frozen server: heartbeat and its deadline, one
 * server selection (cursor clean-up or write retry), and slack for a loaded machine.
 */
const FROZEN_BOUND_MS = 3 * TIMEOUT_MS + 5000;

describe('exit codes that say what happened to the database', () => {
  it.each([
    ['no host', 2, 'mongodb://', /names no host/],
    ['a port out of range', 2, 'mongodb://127.0.0.1:99999/', /invalid port "99999"/],
    ['a tlsCAFile that does not exist', 2, 'mongodb://127.0.0.1:1/?tls=true&tlsCAFile=/nonexistent/ca.pem', /cannot read \/nonexistent\/ca\.pem.*ENOENT/],
    ['an unknown option', 2, 'mongodb://127.0.0.1:1/?noSuchOption=1&readPreference=nonsense', /invalid MongoDB URL/],
    ['a refused port', 6, 'mongodb://127.0.0.1:1/', /cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1 within 1000 ms: connect ECONNREFUSED/],
    ['an SRV name that does not resolve', 6, 'mongodb+srv://tenantadm-test.invalid/', /SRV name .*tenantadm-test\.invalid does not resolve/],
  ])('%s: exit %i', async (_what, code, url, message) => {
    const r = await launch(['list-tenants', '--timeout', String(TIMEOUT_MS)], { TENANTADM_MONGO: url }).done;
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
  });

  it('credentials the server refuses: exit 6, and the message says authentication failed', async () => {
    // FerretDB (SQLite) refuses every SCRAM login: a real refusal by the server.
    const uri = state().uri.replace('mongodb://', 'mongodb://admin:Zq8wrong@');
    const r = await launch(['list-tenants', '--timeout', String(TIMEOUT_MS)], { TENANTADM_MONGO: uri }).done;
    expect(r.stderr).toMatch(/authentication failed: MongoDB at mongodb:\/\/\*\*\*@127\.0\.0\.1:\d+ refused the credentials/);
    expect(r.stderr).not.toMatch(/unreachable|cannot reach/);
    expect(r.stderr).not.toContain('Zq8wrong');
    expect(r.code).toBe(6);
  });

  it('a server that accepts connections and never answers: exit 6 within about 3x --timeout', async () => {
    const silent = await silentListener();
    try {
      const started = Date.now();
      const r = await launch(['list-tenants', '--timeout', String(TIMEOUT_MS)], { TENANTADM_MONGO: `mongodb://127.0.0.1:${silent.port}/` }).done;
      const elapsed = Date.now() - started;
      expect(r.stderr).toMatch(/cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:\d+: no answer within 1000 ms/);
      expect(r.code).toBe(6);
      expect(elapsed).toBeLessThan(FROZEN_BOUND_MS);
    } finally {
      await silent.close();
    }
  });
});

describe('duplicates, as each server reports them', () => {
  afterAll(async () => {
    await closeClient();
  });

  it('an insert and an update that break a unique index are both conflicts (exit 4)', async () => {
    const dbs = freshDbs();
    const coll = (await client()).db(dbs.tenantadm).collection<{ _id: number; name: string }>('unique_names');
    try {
      await coll.createIndex({ name: 1 }, { unique: true });
      await coll.insertMany([
        { _id: 1, name: 'a' },
        { _id: 2, name: 'b' },
      ]);
      // FerretDB answers the insert with 11000, the update with SQLite's "UNIQUE constraint failed" (code 1).
      const replies = await Promise.all([
        coll.insertOne({ _id: 3, name: 'a' }).then(() => undefined, (err: unknown) => err),
        coll.updateOne({ _id: 2 }, { $set: { name: 'a' } }).then(() => undefined, (err: unknown) => err),
      ]);
      for (const reply of replies) {
        expect(reply).toBeDefined();
        const typed = translateDatabaseError(reply);
        expect(typed).toBeInstanceOf(ConflictError);
        expect(exitCodeOf(typed)).toBe(4);
      }
    } finally {
      await (await client()).db(dbs.tenantadm).dropDatabase();
    }
  });
});

describe('a server lost or frozen in the middle of a command', () => {
  let server: OwnServer | undefined;
  let dbs: Dbs;
  beforeEach(async () => {
    server = await ownFerret();
    dbs = freshDbs();
  });
  afterEach(async () => {
    await stop(server);
    server = undefined;
  });

  // Far more rows than the pipe and one cursor batch hold, so the listing needs the server after the kill.
  const TENANTS = 5000;

  it('killed while a listing streams: exit 6, and the listing is not complete', async () => {
    await seed(server!.uri, dbs, TENANTS);
    const run = launch(['list-tenants', '--ndjson', '--timeout', String(TIMEOUT_MS)], dbEnv(server!.uri, dbs));
    // The listing has begun and, with stdout paused, cannot finish: kill the server now.
    await firstOutput(run.child);
    server!.child.kill('SIGKILL');
    await server!.exited;
    run.child.stdout!.resume();
    const r = await run.done;
    // Whether the cursor's socket broke or its next getMore found the server gone depends on
    // where the read stood at the kill; both say which server and exit 6.
    expect(r.stderr).toMatch(/tenantadm: (lost the connection to|cannot reach) MongoDB at mongodb:\/\/127\.0\.0\.1:\d+/);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(6);
    expect(r.stdout.trim().split('\n').length).toBeLessThan(TENANTS);
  });

  it('frozen (SIGSTOP) while a listing streams: exit 6 within about 3x --timeout', async () => {
    await seed(server!.uri, dbs, TENANTS);
    const run = launch(['list-tenants', '--ndjson', '--timeout', String(TIMEOUT_MS)], dbEnv(server!.uri, dbs));
    await firstOutput(run.child);
    server!.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    run.child.stdout!.resume();
    const r = await run.done;
    const elapsed = Date.now() - frozenAt;
    expect(r.stderr).toMatch(/tenantadm: MongoDB at mongodb:\/\/127\.0\.0\.1:\d+ stopped answering/);
    expect(r.code).toBe(6);
    expect(elapsed).toBeLessThan(FROZEN_BOUND_MS);
    expect(r.stdout.trim().split('\n').length).toBeLessThan(TENANTS);
  });

  it('a reply slower than a frozen server is given (heartbeats still answered) does not cut the read', async () => {
    await seed(server!.uri, dbs, 2000);
    const proxy = await slowFirstBatchProxy(Number(new URL(server!.uri).port), 3 * TIMEOUT_MS);
    try {
      const r = await launch(['list-tenants', '--ndjson', '--timeout', String(TIMEOUT_MS)], dbEnv(`mongodb://127.0.0.1:${proxy.port}/?directConnection=true`, dbs)).done;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(2000);
      expect(proxy.held()).toBeGreaterThanOrEqual(1);
    } finally {
      await proxy.close();
    }
  });

  /**
   * The pause hook holds create-tenant between its checks and its writes while it holds its
   * lock; the test waits for its `test pause` line, then kills or freezes the server, so the writes meet it gone.
   */
  // Long enough to kill or freeze a server; a command that wrote first exits 0 and fails the test.
  const WRITE_PAUSE_MS = 1500;
  async function duringWrite(action: (s: OwnServer) => Promise<void>): Promise<{ r: RunResult; elapsed: number }> {
    await seed(server!.uri, dbs, 0);
    const migrated = await launch(['migrate'], dbEnv(server!.uri, dbs)).done;
    expect(migrated.code).toBe(0);
    const run = launch(['create-tenant', '--name', 'cut-short', '--timeout', String(TIMEOUT_MS)], dbEnv(server!.uri, dbs, { TENANTADM_TEST_PAUSE_MS: String(WRITE_PAUSE_MS) }));
    // The command says when it holds its lock, its checks done and its writes not begun.
    await new Promise<void>((resolve, reject) => {
      let said = '';
      run.child.stderr!.on('data', (d: Buffer) => {
        said += d.toString();
        if (said.includes('test pause')) resolve();
      });
      run.done.then((r) => reject(new Error(`create-tenant ended before its pause: ${r.stderr}`)), reject);
    });
    await action(server!);
    const from = Date.now();
    const r = await run.done;
    return { r, elapsed: Date.now() - from };
  }

  it('killed between the checks and the writes: exit 6', async () => {
    const { r } = await duringWrite(async (s) => {
      s.child.kill('SIGKILL');
      await s.exited;
    });
    expect(r.stderr).toMatch(/tenantadm: (lost the connection to MongoDB|MongoDB at \S+ refused the connection|cannot reach MongoDB)/);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
  });

  it('frozen between the checks and the writes: exit 6 in bounded time', async () => {
    const { r, elapsed } = await duringWrite(async (s) => {
      s.child.kill('SIGSTOP');
    });
    expect(r.stderr).toMatch(/tenantadm: (MongoDB at \S+ stopped answering|cannot reach MongoDB)/);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    // The rest of the pause runs first; then detection and one retry.
    expect(elapsed).toBeLessThan(WRITE_PAUSE_MS + FROZEN_BOUND_MS);
  });
});

describe('passwords in URLs are never printed', () => {
  // Every password holds the markers Zq and 9x, so no fragment of one can hide in the output.
  const cases: [string, string, number, RegExp][] = [
    ['a "/" in the password', 'mongodb://admin:Zq/9x@127.0.0.1:1/', 2, /must be percent-encoded/],
    ['an "@" in the password', 'mongodb://admin:Zq@9x@127.0.0.1:1/', 2, /must be percent-encoded/],
    ['a ":" in the password', 'mongodb://admin:Zq:9x@127.0.0.1:1/', 2, /must be percent-encoded/],
    ['a bare "%" in the password', 'mongodb://admin:Zq%9x@127.0.0.1:1/', 2, /must be percent-encoded/],
    ['no host after the password', 'mongodb://admin:Zq9x@/', 2, /names no host/],
    ['an encoded password, server refused', 'mongodb://admin:Zq%2F%40%3A%259x@127.0.0.1:1/', 6, /cannot reach MongoDB at mongodb:\/\/\*\*\*@127\.0\.0\.1:1/],
    ['a password in an option', 'mongodb://127.0.0.1:1/?tls=true&tlsCertificateKeyFile=/nonexistent/k.pem&tlsCertificateKeyFilePassword=Zq9x', 2, /cannot read/],
  ];

  it.each(cases)('%s: in TENANTADM_MONGO', async (_what, url, code, message) => {
    const r = await launch(['list-tenants', '--timeout', String(TIMEOUT_MS)], { TENANTADM_MONGO: url }).done;
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/Zq|9x/);
  });

  it.each(cases)('%s: in --mongo, with a warning that ps shows it', async (_what, url, code) => {
    const r = await launch(['list-tenants', '--timeout', String(TIMEOUT_MS), '--mongo', url, '--error-format', 'json'], {}).done;
    expect(r.code).toBe(code);
    if (!url.includes('tlsCertificateKeyFilePassword')) expect(r.stderr).toMatch(/warning: --mongo carries a password.*\(ps\).*TENANTADM_MONGO_PASSWORD_FILE/);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/Zq|9x/);
  });

  it('a password given in TENANTADM_MONGO_PASSWORD_FILE is used and never printed', async () => {
    const file = path.join(tmpDir(), 'mongo-password');
    fs.writeFileSync(file, 'Zq9x-from-file\n', { mode: 0o600 });
    const r = await launch(['list-tenants', '--timeout', String(TIMEOUT_MS)], {
      TENANTADM_MONGO: state().uri,
      TENANTADM_MONGO_USERNAME: 'admin',
      TENANTADM_MONGO_PASSWORD_FILE: file,
    }).done;
    // FerretDB refuses every login: the password reached the server, and is not in the message.
    expect(r.stderr).toMatch(/authentication failed/);
    expect(r.code).toBe(6);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/Zq|9x/);
  });

  describe('Redis URLs', () => {
    let server: OwnServer | undefined;
    let dbs: Dbs;
    let tenantId: string;
    beforeAll(async () => {
      server = await ownFerret();
      dbs = freshDbs();
      await seed(server.uri, dbs, 0);
      expect((await launch(['migrate'], dbEnv(server.uri, dbs)).done).code).toBe(0);
      const created = await launch(['create-tenant', '--name', 'redis-secrets', '--id-only'], dbEnv(server.uri, dbs)).done;
      expect(created.code).toBe(0);
      tenantId = created.stdout.trim();
    });
    afterAll(async () => {
      await stop(server);
    });

    it('a malformed Redis URL stops a suspension before anything is written (exit 2)', async () => {
      const r = await launch(
        ['update-tenant', '--id', tenantId, '--status', 'suspended', '--yes'],
        dbEnv(server!.uri, dbs, { DEVICEAUTH_REDIS_CONNECTION_STRING: 'redis://:Zq/9x@127.0.0.1:1/0' }),
      ).done;
      expect(r.stderr).toMatch(/invalid Redis URL/);
      expect(r.code).toBe(2);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/Zq|9x/);
      const after = await launch(['get-tenant', '--id', tenantId], dbEnv(server!.uri, dbs)).done;
      expect(JSON.parse(after.stdout).status).toBe('active');
    });

    let limit = 10;
    it.each([
      ['an "@" in the password', 'redis://:Zq@9x@127.0.0.1:1/0', 0, /invalidating its cache in Redis at redis:\/\/\*\*\*@127\.0\.0\.1:1\/0 failed/],
      ['a ":" in the password', 'redis://:Zq:9x@127.0.0.1:1/0', 0, /invalidating its cache in Redis at redis:\/\/\*\*\*@127\.0\.0\.1:1\/0 failed/],
      ['a "/" in the password', 'redis://:Zq/9x@127.0.0.1:1/0', 2, /invalid Redis URL/],
      ['a bare "%" in the password', 'redis://:Zq%9x@127.0.0.1:1/0', 2, /invalid Redis URL/],
    ])('%s', async (_what, url, code, message) => {
      limit += 1;
      const args = ['set-device-limit', '--id', tenantId, '--limit', String(limit), '--timeout', String(TIMEOUT_MS)];
      const fromEnv = await launch(args, dbEnv(server!.uri, dbs, { DEVICEAUTH_REDIS_CONNECTION_STRING: url })).done;
      expect(fromEnv.stderr).toMatch(message);
      expect(fromEnv.code).toBe(code);
      expect(fromEnv.stderr).not.toMatch(/--redis-url carries a password/);
      expect(`${fromEnv.stdout}${fromEnv.stderr}`).not.toMatch(/Zq|9x/);

      limit += 1;
      const fromFlag = await launch([...args.slice(0, 4), String(limit), ...args.slice(5), '--redis-url', url], dbEnv(server!.uri, dbs)).done;
      expect(fromFlag.code).toBe(code);
      expect(fromFlag.stderr).toMatch(/warning: --redis-url carries a password.*\(ps\).*DEVICEAUTH_REDIS_CONNECTION_STRING/);
      expect(`${fromFlag.stdout}${fromFlag.stderr}`).not.toMatch(/Zq|9x/);
    });
  });
});
