/**
 * The database connection as the process shows it: exit codes that say what happened to the
 * server (malformed URL 2; unreachable, refused credentials 6), bounded waits on a server that
 * never answers, and passwords from URLs never printed. A server lost or frozen in the middle
 * of a command: connection-lost.test.ts (apart, so that jest runs the two files side by side).
 * Tests that need a server of their own start a FerretDB of their own, never the shared one.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { client, closeClient, freshDbs, state, tmpDir, type Dbs } from '../support/harness';
import { FROZEN_BOUND_MS, TIMEOUT_MS, dbEnv, launch, ownFerret, seed, stop, type OwnServer } from '../support/connection';
import { exitCodeOf, translateDatabaseError, ConflictError } from '../../src/errors';

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
        ['update-tenant', '--tenant', tenantId, '--status', 'suspended', '--yes'],
        dbEnv(server!.uri, dbs, { DEVICEAUTH_REDIS_CONNECTION_STRING: 'redis://:Zq/9x@127.0.0.1:1/0' }),
      ).done;
      expect(r.stderr).toMatch(/invalid Redis URL/);
      expect(r.code).toBe(2);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/Zq|9x/);
      const after = await launch(['get-tenant', '--tenant', tenantId], dbEnv(server!.uri, dbs)).done;
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
      const args = ['set-device-limit', '--tenant', tenantId, '--device-limit', String(limit), '--timeout', String(TIMEOUT_MS)];
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
