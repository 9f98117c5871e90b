/**
 * A server lost or frozen in the middle of a command, as the process shows it: killed or frozen
 * (SIGSTOP) while a listing streams or between a command's checks and its writes, exit 6 in
 * bounded time; a reply that is slow but alive does not cut the read. Each test starts a
 * FerretDB of its own, which it kills or freezes, never the shared one.
 */
import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { freshDbs, type Dbs, type RunResult } from '../support/harness';
import { FROZEN_BOUND_MS, TIMEOUT_MS, dbEnv, launch, ownFerret, seed, stop, type OwnServer } from '../support/connection';

/** Resolves when the first bytes of the child's stdout arrive; then stdout is paused (the child blocks on a full pipe). */
function firstOutput(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.stdout!.once('data', () => {
      child.stdout!.pause();
      resolve();
    });
  });
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
