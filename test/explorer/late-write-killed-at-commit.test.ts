/**
 * The explorer's finding of seed 40277046, path 823, as a fixed schedule: an SP limit raised
 * 100 -> 150 by a command killed at `commit` (TENANTADM_CRASH_AT=commit, with the explorer's
 * 1 ms lease for killed commands), its limit write held on the wire while a sweep settles its
 * operation (rolled back: nothing of it had landed, the conditional undo matched nothing). The
 * write lands after that, and its owner dies before its commit record, the insert that would
 * have told it it lost. Before late-writes.ts the SP stayed at 150 with no audit entry (the
 * explorer counted it as a known gap).
 *
 * Now the sweep leaves a watch on every write of the plan it rolled back, and the late write is
 * undone under the SP's locks: by `repair` (and `check --repair`; `check` reports it first), or
 * by the next command that takes those locks, before it reads. A command that writes the
 * watched document itself drops the watch with its commit, so a value it committed is never
 * taken for the late write (the last case).
 *
 * Ordered by what each side says: the proxy holds the owner's limit write, the sweep ends, the
 * write is released; no sleeps.
 */
import type { Document } from 'mongodb';
import { client, run, type Dbs, type RunResult } from '../support/harness';
import { commandOn, type TcpProxy } from '../support/tcp-proxy';
import { proxiedTest, stepper } from './proxied';
import { seedWorld, settle, violations, type Cmd, type Ran, type Schedule, type World } from './schedule';

interface Staged {
  w: World;
  s: Schedule;
  log: Ran[];
  /** Runs one command to its end and logs it (proxied.ts). */
  step: ReturnType<typeof stepper>;
  spLimit: () => Promise<unknown>;
  watches: () => Promise<Document[]>;
  /** Releases A's held write and waits for A to end (killed at commit, when its write matched). */
  land: () => Promise<RunResult>;
}

/** child-0 suspended, A (SP 100 -> 150, killed at commit) with its write held, the sweep settling A and removing child-0. */
async function stage(proxy: TcpProxy, dbs: Dbs): Promise<Staged> {
  const s: Schedule = { seeded: [10, 30], procs: [], together: [] };
  const w = await seedWorld(dbs, s.seeded);
  const [c0] = w.children as [string, string];
  const c = await client();
  const spLimit = async () => (await c.db(dbs.deviceauth).collection('limits').findOne({ tenant_id: w.sp, name: 'max_devices' }))?.value;
  const watches = () => c.db(dbs.tenantadm).collection('tenantadm_late_writes').find({}).toArray();
  const t0 = Date.now();
  const log: Ran[] = [];
  const step = stepper(dbs, w, log, t0);

  // child-0 suspended first, so that the sweep has a child of the SP to remove.
  const suspended = await step(1, { kind: 'suspend', child: 0, fault: { kind: 'none' } }, 'explore-p1-c0');
  expect(suspended.code).toBe(0);

  // A: the SP's limit 100 -> 150, killed at commit, with the explorer's 1 ms lease; its limit write is held.
  const write = proxy.holdNext(commandOn('update', 'limits'));
  const cmdA: Cmd = { kind: 'spLimit', value: 150, fault: { kind: 'kill', at: 'commit' } };
  const argsA = ['set-device-limit', '--tenant', w.sp, '--device-limit', '150'];
  const startA = Date.now() - t0;
  const doneA = run(dbs, argsA, { env: { TENANTADM_MONGO: proxy.uri, TENANTADM_CRASH_AT: 'commit', TENANTADM_TEST_LEASE_MS: '1' } });
  await write.seen;
  expect(await spLimit()).toBe(100);

  // The sweep settles A's operation (its lease ran out: rolled back, nothing of it landed) and removes child-0.
  const b = await step(2, { kind: 'sweep', fault: { kind: 'none' } }, 'explore-p2-c0');
  expect({ code: b.code, stderr: b.code === 0 ? '' : b.stderr }).toEqual({ code: 0, stderr: '' });
  expect((JSON.parse(b.stdout).removed.tenants as { id: string }[]).map((t) => t.id)).toEqual([c0]);
  expect(await c.db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  // The sweep left a watch on A's write (the SP's limit: 100 -> 150).
  expect((await watches()).map((x) => ({ command: x.command, after: x.write.after, before: x.write.before }))).toEqual([
    { command: 'set-device-limit', after: { set: { value: 150 }, unset: [] }, before: { set: { value: 100 }, unset: [] } },
  ]);

  const land = async () => {
    // A's write lands now; A dies at its commit point, before the commit record that would have told it it lost.
    write.release();
    const a = await doneA;
    log.push({ proc: 0, cmd: cmdA, args: argsA, start: startA, end: Date.now() - t0, result: a });
    return a;
  };
  return { w, s, log, step, spLimit, watches, land };
}

describe('a limit write that lands after a rival rolled its operation back, its owner killed at commit', () => {
  const place = proxiedTest();

  it('is reported by check and undone by check --repair (the explorer finds nothing broken)', async () => {
    const { proxy, dbs } = place;
    const { w, s, log, spLimit, watches, land } = await stage(proxy, dbs);
    expect((await land()).signal).toBe('SIGKILL');
    expect(await spLimit()).toBe(150);

    const found = await run(dbs, ['check']);
    expect(found.code).toBe(5);
    expect((JSON.parse(found.stdout).findings as { kind: string; sample_ids: string[] }[]).filter((f) => f.kind === 'late_write')).toEqual([
      expect.objectContaining({ kind: 'late_write', sample_ids: [expect.stringMatching(/^[^.]+\.limits:/)] }),
    ]);

    const repaired = await run(dbs, ['check', '--repair', '--yes']);
    expect(repaired.code).toBe(0);
    expect((JSON.parse(repaired.stdout).repaired as { kind: string }[]).filter((a) => a.kind === 'late_write')).toEqual([
      { kind: 'late_write', action: 'undone', count: 1, sample_ids: [expect.stringMatching(/^[^.]+\.limits:/)] },
    ]);
    expect(await spLimit()).toBe(100);
    const settled = await settle(dbs);
    expect(JSON.parse(settled.stdout)).toEqual({ rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] });
    expect(await watches()).toEqual([]);
    expect(await violations(dbs, w, s, log)).toEqual([]);
  });

  it('is undone by the next command that takes the SP\'s locks, before it reads', async () => {
    const { proxy, dbs } = place;
    const { w, s, log, step, spLimit, land } = await stage(proxy, dbs);
    expect((await land()).signal).toBe('SIGKILL');
    expect(await spLimit()).toBe(150);

    // C: the SP's limit to 120. It finds the late 150 undone first, so it changes 100 -> 120.
    const r = await step(3, { kind: 'spLimit', value: 120, fault: { kind: 'none' } }, 'explore-p3-c0');
    expect({ code: r.code }).toEqual({ code: 0 });
    expect(r.stderr).toContain('undid 1 write(s) of rolled-back operation(s) that landed after their rollback (set-device-limit)');
    expect(await spLimit()).toBe(120);
    const c = await client();
    const entries = await c.db(dbs.audit).collection('tenantadm_audit').find({ 'object.id': w.sp, change: /^max_devices/ }).toArray();
    expect(entries.map((e) => e.change)).toEqual(['max_devices: 100 -> 120']);

    await settle(dbs);
    expect(await violations(dbs, w, s, log)).toEqual([]);
  });

  it('is never confused with the same value committed by a rival since: the rival drops the watch with its commit', async () => {
    const { proxy, dbs } = place;
    const { w, s, log, step, spLimit, watches, land } = await stage(proxy, dbs);

    // D commits the very value A's late write would set, 100 -> 150, before that write lands.
    const d = await step(3, { kind: 'spLimit', value: 150, fault: { kind: 'none' } }, 'explore-p3-c0');
    expect(d.code).toBe(0);
    expect(await watches()).toEqual([]);

    // A's write lands (conditional on 100: it matches nothing now, so A is refused, exit 4); repair leaves D's 150 alone.
    expect((await land()).code).toBe(4);
    const settled = await settle(dbs);
    expect(JSON.parse(settled.stdout).late_writes_undone).toEqual([]);
    expect(await spLimit()).toBe(150);
    expect(await violations(dbs, w, s, log)).toEqual([]);
  });
});
