/** The parts of the ownership protocol that need no database: who counts as dead, and the server's clock (journal/ownership.ts). */
import { spawnSync } from 'node:child_process';
import { ServerClock, newOwner, ownerGone, processStart, type Owner } from '../../src/journal/ownership';

const me: Owner = { token: 'me', host: 'box', pid: 100, boot_id: 'boot-1', pid_ns: 'pid:[4026531836]', pid_start: '500' };

describe('ownerGone', () => {
  const starts = new Map<number, string>([
    [100, '500'],
    [200, '700'],
  ]);
  const startOf = (pid: number) => starts.get(pid);
  const record = (extra: Partial<Owner>): Partial<Owner> => ({ token: 'x', host: 'box', pid: 200, boot_id: 'boot-1', pid_ns: me.pid_ns, pid_start: '700', ...extra });

  it.each([
    ['a live process of this machine and namespace', record({}), false],
    ['a pid that is free', record({ pid: 300 }), true],
    ['a pid reused by a process started at another time', record({ pid_start: '650' }), true],
    ['another boot of the machine (or another machine)', record({ pid: 300, boot_id: 'boot-2' }), false],
    ['another pid namespace (a container: same host name, same pid numbers)', record({ pid: 300, pid_ns: 'pid:[1]' }), false],
    ['a record without /proc facts (another platform, an earlier release)', { token: 'x', host: 'box', pid: 300 }, false],
  ])('%s: gone is %s', (_, rec, gone) => {
    expect(ownerGone(rec, me, startOf)).toBe(gone);
  });

  it('we cannot tell anything when we ourselves have no /proc facts', () => {
    expect(ownerGone(record({ pid: 300 }), { token: 'me', host: 'box', pid: 100 }, startOf)).toBe(false);
  });
});

describe('processStart and newOwner read /proc (where there is one)', () => {
  it('this process has a start time; a finished one has none', () => {
    const mine = newOwner();
    if (!mine.boot_id) return; // no /proc: only leases tell, and the ownerGone cases above cover it
    expect(processStart(process.pid)).toBe(mine.pid_start);
    expect(mine.pid_start).toMatch(/^\d+$/);
    const pid = spawnSync('true').pid!;
    expect(processStart(pid)).toBeUndefined();
  });
});

describe('ServerClock', () => {
  it("follows the server's time on the local clock, from the midpoint of the round trip", async () => {
    let local = 1_000;
    // The server is 10 s ahead; the round trip takes 40 ms, the server answers in its middle.
    const clock = new ServerClock(
      async () => {
        local += 20;
        const server = new Date(local + 10_000);
        local += 20;
        return server;
      },
      () => local,
      1_000,
    );
    expect((await clock.now()).getTime()).toBe(local + 10_000);
    local += 500;
    // No new reading within resyncMs.
    expect((await clock.now()).getTime()).toBe(local + 10_000);
  });

  it('a host clock far ahead or behind changes nothing: only the offset to the server counts', async () => {
    const server = { t: 50_000 };
    const readServer = async () => new Date(server.t);
    const ahead = new ServerClock(readServer, () => server.t + 2_300, 1_000);
    const behind = new ServerClock(readServer, () => server.t - 9_000, 1_000);
    expect((await ahead.now()).getTime()).toBe(50_000);
    expect((await behind.now()).getTime()).toBe(50_000);
    server.t += 400;
    expect([(await ahead.now()).getTime(), (await behind.now()).getTime()]).toEqual([50_400, 50_400]);
  });

  it('reads the server again after resyncMs, or when the local clock went back', async () => {
    let local = 0;
    let reads = 0;
    const clock = new ServerClock(
      async () => {
        reads++;
        return new Date(local + 5);
      },
      () => local,
      100,
    );
    await clock.now();
    local = 99;
    await clock.now();
    expect(reads).toBe(1);
    local = 100;
    await clock.now();
    expect(reads).toBe(2);
    local = 50;
    await clock.now();
    expect(reads).toBe(3);
  });
});
