/**
 * The last ABA of an owner's undo without ownership (docs/safety.md, "What stays unguaranteed"
 * before late-writes.ts): a write that landed while its owner was stalled, answered only after
 * the owner's lease ran out. A rival settled the operation meanwhile (rolled the landed write
 * back, 60 -> 0) and committed the very same value itself (0 -> 60, with its audit entry).
 * The owner, resumed, read its answer, failed its commit record (the rival's claim holds that
 * place) and undid its batch by value, without the locks: where 60, set 0, reverting the
 * rival's committed change under its audit entry.
 *
 * Now an owner that lost looks at its watched writes under the operation's locks only, as
 * every command does (journal.ts `afterLoss`): the rival's commit dropped the watch on what it
 * wrote, so nothing is undone. Fails on the code before (child-0 ends at 0).
 *
 * Ordered by the proxy (A's write held, then released while A is stopped with SIGSTOP; the
 * reply handed to A's socket) and by the rival's own end; no sleeps.
 */
import { spawn } from 'node:child_process';
import { BIN, cliEnv, client } from '../support/harness';
import { commandOn } from '../support/tcp-proxy';
import { proxiedTest, stepper } from './proxied';
import { seedWorld, violations, settle, type Cmd, type Ran, type Schedule } from './schedule';

describe('a write answered after its owner\'s lease ran out, its value then committed by a rival', () => {
  const place = proxiedTest();

  it('is not undone by its owner: the rival\'s committed value stands', async () => {
    const { proxy, dbs } = place;
    const s: Schedule = { seeded: [0, 0], procs: [], together: [] };
    const w = await seedWorld(dbs, s.seeded);
    const [c0] = w.children as [string, string];
    const c = await client();
    const limitOf = async (id: string) => (await c.db(dbs.deviceauth).collection('limits').findOne({ tenant_id: id, name: 'max_devices' }))?.value;
    const t0 = Date.now();
    const log: Ran[] = [];

    // A: child-0 0 -> 60; its write is held, A is stopped, then the write goes on and lands.
    const write = proxy.holdNext(commandOn('update', 'limits'));
    const cmdA: Cmd = { kind: 'alloc', child: 0, value: 60, fault: { kind: 'held' } };
    const argsA = ['set-device-limit', '--tenant', c0, '--device-limit', '60'];
    const a = spawn(process.execPath, [BIN, ...argsA], {
      env: cliEnv(dbs, { TENANTADM_MONGO: proxy.uri, TENANTADM_TEST_LEASE_MS: '1500', TENANTADM_ACTOR: 'explore-p0-c0' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderrA = '';
    a.stderr!.on('data', (d: Buffer) => (stderrA += d.toString()));
    const exited = new Promise<number | null>((resolve) => a.on('exit', (code) => resolve(code)));
    await write.seen;
    a.kill('SIGSTOP');
    write.release();
    await write.answered;
    expect(await limitOf(c0)).toBe(60);

    // R: the same 0 -> 60. It waits for A's lease to run out, settles A's operation (60 -> 0,
    // leaving a watch), reads 0 and commits 0 -> 60 itself, which drops the watch.
    const r = await stepper(dbs, w, log, t0)(1, { kind: 'alloc', child: 0, value: 60, fault: { kind: 'none' } }, 'explore-p1-c0', { TENANTADM_TEST_LOCK_WAIT_MS: '15000' });
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject([{ id: c0, before: 0, after: 60, changed: true }]);
    expect(await c.db(dbs.tenantadm).collection('tenantadm_late_writes').countDocuments()).toBe(0);

    // A resumes: it reads its answer, fails its commit record (R's claim holds that place): exit 4.
    a.kill('SIGCONT');
    const code = await exited;
    log.push({ proc: 0, cmd: cmdA, actor: 'explore-p0-c0', args: argsA, start: 0, end: Date.now() - t0, result: { code: code ?? -1, stdout: '', stderr: stderrA, signal: null } as never });
    expect({ code, stderr: stderrA }).toEqual({ code: 4, stderr: expect.stringContaining('no longer owns its operation') });

    expect(await limitOf(c0)).toBe(60);
    const entries = await c.db(dbs.audit).collection('tenantadm_audit').find({ 'object.id': c0, change: /^max_devices/ }).toArray();
    expect(entries.map((e) => [e.actor?.id, e.change])).toEqual([['explore-p1-c0', 'max_devices: 0 -> 60']]);
    await settle(dbs);
    expect(await violations(dbs, w, s, log)).toEqual([]);
  });
});
