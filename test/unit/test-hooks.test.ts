/** The environment's test hooks become the journal's injected parameters, or a usage error. */
import { UsageError } from '../../src/errors';
import { lockWaitMs } from '../../src/journal/locks';
import { testHooksFrom } from '../../src/journal/test-hooks';

const quiet = () => undefined;

describe('test hooks from the environment', () => {
  it('are absent by default', () => {
    expect(testHooksFrom({}, quiet)).toEqual({});
  });

  it('give the lease length, and a crash point that starts a batch of its own', () => {
    const hooks = testHooksFrom({ TENANTADM_CRASH_AT: 'step:3', TENANTADM_TEST_LEASE_MS: '1' }, quiet);
    expect(hooks.leaseMs).toBe(1);
    expect(hooks.hooks?.breakBefore).toEqual([3]);
    expect(testHooksFrom({ TENANTADM_CRASH_AT: 'commit' }, quiet).hooks?.breakBefore).toBeUndefined();
  });

  it('give the lock wait, which is otherwise max(2 x --timeout, 10 s)', () => {
    expect(testHooksFrom({ TENANTADM_TEST_LOCK_WAIT_MS: '1000' }, quiet).lockWaitMs).toBe(1000);
    expect(testHooksFrom({ TENANTADM_TEST_LOCK_WAIT_MS: '0' }, quiet).lockWaitMs).toBe(0);
    expect([lockWaitMs(100), lockWaitMs(5000), lockWaitMs(30_000)]).toEqual([10_000, 10_000, 60_000]);
  });

  it('give the bcrypt cost of password hashes, 4 to 31', () => {
    expect(testHooksFrom({ TENANTADM_TEST_BCRYPT_COST: '4' }, quiet).bcryptCost).toBe(4);
    expect(() => testHooksFrom({ TENANTADM_TEST_BCRYPT_COST: '3' }, quiet)).toThrow(UsageError);
    expect(() => testHooksFrom({ TENANTADM_TEST_BCRYPT_COST: '32' }, quiet)).toThrow(UsageError);
  });

  it('pause between the checks and the writes only, saying so', async () => {
    const lines: string[] = [];
    const { hooks } = testHooksFrom({ TENANTADM_TEST_PAUSE_MS: '1' }, (l) => lines.push(l));
    await hooks!.at!('step:0');
    expect(lines).toEqual([]);
    await hooks!.at!('decided');
    expect(lines).toEqual(['test pause: holding the locks for 1 ms']);
  });

  it('refuse values that are not what they say', () => {
    expect(() => testHooksFrom({ TENANTADM_CRASH_AT: 'step:x' }, quiet)).toThrow(UsageError);
    expect(() => testHooksFrom({ TENANTADM_TEST_LEASE_MS: '1e3' }, quiet)).toThrow(UsageError);
    expect(() => testHooksFrom({ TENANTADM_TEST_PAUSE_MS: '-5' }, quiet)).toThrow(UsageError);
    expect(() => testHooksFrom({ TENANTADM_TEST_LOCK_WAIT_MS: '1s' }, quiet)).toThrow(UsageError);
  });
});
