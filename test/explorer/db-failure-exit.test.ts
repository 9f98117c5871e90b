/**
 * Every database failure is exit 6 (issue #18), also while a command waits for a lock: killing
 * the server then once gave exit 1 "internal error: connection closed" in 6 of 10 tries. The
 * waiter goes through the TCP proxy, the holder does not; the proxy stands for the server
 * dying (every connection dropped, new ones closed) or freezing (nothing answered). Ordered by
 * what each says (the holder's pause line, the waiter's "waiting for" line), not by sleeps.
 */
import { run, runPaused, type RunResult } from '../support/harness';
import { proxiedTest } from './proxied';
import { seedWorld } from './schedule';

describe('a database failure while waiting for a lock', () => {
  const place = proxiedTest();

  /** Start the waiter through the proxy; `waiting` resolves once it says it waits for the lock. */
  function waiter(args: string[]): { waiting: Promise<void>; done: Promise<RunResult>; started: number } {
    const { proxy, dbs } = place;
    let said = '';
    let open!: () => void;
    const seen = new Promise<void>((resolve) => (open = resolve));
    const started = performance.now();
    const done = run(dbs, args, {
      env: { TENANTADM_MONGO: proxy.uri, TENANTADM_TEST_LOCK_WAIT_MS: '30000' },
      onStderr: (chunk) => {
        said += chunk;
        if (/waiting for \S+, held by pid/.test(said)) open();
      },
    });
    const ended = done.then((r) => Promise.reject(new Error(`the waiter ended before waiting (exit ${r.code}): ${r.stderr}`)));
    ended.catch(() => undefined);
    return { waiting: Promise.race([seen, ended]), done, started };
  }

  it('is exit 6 naming the database when the server dies, every time (5 orderings)', async () => {
    const { proxy, dbs } = place;
    const w = await seedWorld(dbs, [0, 0]);
    // The holder keeps child-0's lock long enough for five waiters in a row.
    const holder = runPaused(dbs, ['set-device-limit', '--tenant', w.children[0]!, '--device-limit', '30'], 12_000);
    await holder.paused;
    const results: { code: number; stderr: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const x = waiter(['--timeout', '1000', 'set-device-limit', '--tenant', w.children[0]!, '--device-limit', String(10 + i)]);
      await x.waiting;
      proxy.kill();
      const r = await x.done;
      proxy.revive();
      results.push({ code: r.code, stderr: r.stderr.trim().split('\n').filter((l) => !l.includes('warning')).join('\n') });
    }
    for (const r of results) {
      expect(r).toEqual({ code: 6, stderr: expect.stringMatching(/MongoDB/) });
      expect(r.stderr).not.toMatch(/internal error/);
    }
    expect((await holder.done).code).toBe(0);
  }, 60_000);

  it('is exit 6 naming the database, within 2.5 x --timeout, when the server freezes (exit 1 "internal error" before: the lock insert\'s bulk-write error hid the pool-cleared one)', async () => {
    const { proxy, dbs } = place;
    const w = await seedWorld(dbs, [0, 0]);
    const holder = runPaused(dbs, ['set-device-limit', '--tenant', w.children[0]!, '--device-limit', '30'], 6_000);
    await holder.paused;
    const x = waiter(['--timeout', '1000', 'set-device-limit', '--tenant', w.children[0]!, '--device-limit', '10']);
    await x.waiting;
    const frozeAt = performance.now();
    proxy.freeze();
    const r = await x.done;
    const ended = performance.now();
    proxy.thaw();
    proxy.dropAll();
    const figures = { total_ms: Math.round(ended - x.started), after_freeze_ms: Math.round(ended - frozeAt) };
    process.stderr.write(`frozen server, --timeout 1000: ${JSON.stringify(figures)}\n`);
    expect({ code: r.code, internal: /internal error/.test(r.stderr) }).toEqual({ code: 6, internal: false });
    expect(r.stderr).toMatch(/MongoDB/);
    // A frozen server is given up after about 2.5 x --timeout (mongo.ts driverTimeouts: the
    // heartbeat's period and its wait, then one server selection); measured 2.5 s here.
    expect(figures.after_freeze_ms).toBeLessThan(3200);
    expect((await holder.done).code).toBe(0);
  }, 60_000);
});
