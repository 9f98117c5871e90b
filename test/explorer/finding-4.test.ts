/**
 * Issue #18's finding 4 as a fixed schedule of the explorer: A's limit write is held on the wire
 * (the TCP proxy) while `repair --all` runs and B allocates the capacity A's write would take;
 * then A's write is released and lands. Ordered by what each side says (the proxy saw the
 * write, repair reported A in progress, B ended, the proxy saw A's next write), never by sleeps.
 *
 * Today's code (journal.ts: repair expires a live owner instead of taking over; an owner that
 * learns it lost ownership undoes, conditionally, what it sent since its last confirmation)
 * keeps the SP within its limit once A has ended; the test also records the window that stays:
 * between A's late write landing and its undo (A's own, or the watch's), the database holds
 * both allocations.
 */
import { spawn } from 'node:child_process';
import { BIN, cliEnv, client, run } from '../support/harness';
import { commandOn } from '../support/tcp-proxy';
import { proxiedTest } from './proxied';
import { seedWorld, settle, violations, type Cmd, type Ran, type Schedule } from './schedule';

describe('finding 4: a write held on the wire across repair --all and a rival allocation', () => {
  const place = proxiedTest();

  it('never leaves the SP over-allocated: A undoes its late write', async () => {
    const { proxy, dbs } = place;
    const s: Schedule = { seeded: [0, 0], procs: [], together: [] };
    const w = await seedWorld(dbs, s.seeded);
    const [c0, c1] = w.children as [string, string];
    const limitsOf = async () => {
      const docs = await (await client()).db(dbs.deviceauth).collection('limits').find({ name: 'max_devices' }).toArray();
      return Object.fromEntries(docs.map((d) => [d.tenant_id === w.sp ? 'sp' : d.tenant_id === c0 ? 'c0' : 'c1', d.value]));
    };
    const t0 = Date.now();
    const log: Ran[] = [];
    const cmdA: Cmd = { kind: 'alloc', child: 0, value: 60, fault: { kind: 'held' } };
    const cmdB: Cmd = { kind: 'alloc', child: 1, value: 90, fault: { kind: 'none' } };
    s.procs = [[cmdA], [cmdB]];

    // A: through the proxy, a 1.5 s lease; its first write to the limits is held.
    const write = proxy.holdNext(commandOn('update', 'limits'));
    const argsA = ['set-device-limit', '--tenant', c0, '--device-limit', '60'];
    const startA = Date.now() - t0;
    const doneA = run(dbs, argsA, { env: { TENANTADM_MONGO: proxy.uri, TENANTADM_TEST_LEASE_MS: '1500' } });
    await write.seen;
    expect(await limitsOf()).toEqual({ sp: 100, c0: 0, c1: 0 });

    // repair --all meets A alive: it expires A's lease and reports A in progress.
    const repair = await run(dbs, ['repair', '--all', '--yes']);
    expect(repair.code).toBe(0);
    expect(JSON.parse(repair.stdout).in_progress).toHaveLength(1);

    // B waits for A's lock; once A's lease has run out it settles A (nothing of A landed) and takes 90.
    const argsB = ['set-device-limit', '--tenant', c1, '--device-limit', '90'];
    const startB = Date.now() - t0;
    const b = await run(dbs, argsB, { env: { TENANTADM_TEST_LOCK_WAIT_MS: '15000' } });
    log.push({ proc: 1, cmd: cmdB, args: argsB, start: startB, end: Date.now() - t0, result: b });
    expect({ code: b.code, stderr: b.code === 0 ? '' : b.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await limitsOf()).toEqual({ sp: 100, c0: 0, c1: 90 });

    // A's write lands now. Its next write on the limits (its undo) is held in turn: by then the
    // late write has been answered, so the database shows the window.
    const undo = proxy.holdNext(commandOn('update', 'limits'));
    write.release();
    const endedFirst = await Promise.race([undo.seen.then(() => false), doneA.then(() => true)]);
    expect(endedFirst).toBe(false);
    const during = await limitsOf();
    expect(during).toEqual({ sp: 100, c0: 60, c1: 90 }); // 150 under 100, until A's undo
    undo.release();
    const a = await doneA;
    log.push({ proc: 0, cmd: cmdA, args: argsA, start: startA, end: Date.now() - t0, result: a });
    expect(a.code).toBe(4);
    expect(await limitsOf()).toEqual({ sp: 100, c0: 0, c1: 90 });

    const settled = await settle(dbs);
    expect(JSON.parse(settled.stdout).in_progress).toEqual([]);
    expect(await violations(dbs, w, s, log)).toEqual([]);
  });

  /**
   * When A dies between its late write landing and its undo, A cannot undo it; B settled A's
   * operation (rolled it back before the write landed) and left a watch on the write
   * (late-writes.ts). Until the next command on the SP or `repair`, the SP holds both
   * allocations (150 under 100) and `check` reports the late write; then it is undone.
   * Before the watches, the write stood for good (pinned here as a known gap).
   */
  it('A killed after its late write landed, before its undo: check reports it, and repair undoes it (the watch B left settling A)', async () => {
    const { proxy, dbs } = place;
    const s: Schedule = { seeded: [0, 0], procs: [], together: [] };
    const w = await seedWorld(dbs, s.seeded);
    const [c0, c1] = w.children as [string, string];
    const limitsOf = async () => {
      const docs = await (await client()).db(dbs.deviceauth).collection('limits').find({ name: 'max_devices' }).toArray();
      return Object.fromEntries(docs.map((d) => [d.tenant_id === w.sp ? 'sp' : d.tenant_id === c0 ? 'c0' : 'c1', d.value]));
    };
    const write = proxy.holdNext(commandOn('update', 'limits'));
    const a = spawn(process.execPath, [BIN, 'set-device-limit', '--tenant', c0, '--device-limit', '60'], {
      env: cliEnv(dbs, { TENANTADM_MONGO: proxy.uri, TENANTADM_TEST_LEASE_MS: '1500' }),
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => a.on('exit', (_code, signal) => resolve(signal)));
    await write.seen;
    const repair = await run(dbs, ['repair', '--all', '--yes']);
    expect(JSON.parse(repair.stdout).in_progress).toHaveLength(1);
    const b = await run(dbs, ['set-device-limit', '--tenant', c1, '--device-limit', '90'], { env: { TENANTADM_TEST_LOCK_WAIT_MS: '15000' } });
    expect(b.code).toBe(0);
    const undo = proxy.holdNext(commandOn('update', 'limits'));
    write.release();
    await undo.seen;
    // The process dies (kill -9, a host crash) with its undo (under the SP's lock, as every look at a watch) still on the wire.
    a.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // Its connections go first, so the held undo is dropped with them, never sent.
    proxy.dropAll();
    undo.cancel();
    expect(await limitsOf()).toEqual({ sp: 100, c0: 60, c1: 90 });
    // B settled A's operation before the write landed, and left a watch on it: check says so, repair undoes it.
    const found = await run(dbs, ['check']);
    expect(found.code).toBe(5);
    // A died holding the SP's lock (it takes the locks to undo a watched write): its lock is expired too.
    expect((JSON.parse(found.stdout).findings as { kind: string }[]).map((f) => f.kind).sort()).toEqual(['expired_locks', 'late_write', 'sp_over_allocated']);
    const settled = await settle(dbs);
    expect(JSON.parse(settled.stdout).late_writes_undone).toEqual([expect.objectContaining({ command: 'set-device-limit', collection: 'limits' })]);
    expect(await limitsOf()).toEqual({ sp: 100, c0: 0, c1: 90 });
    expect(await violations(dbs, w, s, [])).toEqual([]);
  });
});
