import { type Document } from 'mongodb';
import type { CommandTest } from './command-test';
import { run } from './harness';

/**
 * The environment of a process that the journal's crash hook kills at a point
 * (`step:N`, `commit`, `finalize`), with a lease of 1 ms. A killed owner on this machine is
 * dead at once anyway (its process is gone); the short lease keeps these tests independent of
 * /proc, where only the lease can tell.
 */
export function killedAt(point: string): NodeJS.ProcessEnv {
  return { TENANTADM_CRASH_AT: point, TENANTADM_TEST_LEASE_MS: '1' };
}

/**
 * For the tests of a change and its audit entries killed midway, bound to the current test:
 * `killedAt` runs a command that the crash hook kills at `point` (and asserts it was killed),
 * `settledEntries` reads the audit's committed entries and how many are not.
 */
export function auditCrashHelpers(t: Pick<CommandTest, 'dbs' | 'rawEntries'>) {
  return {
    async killedAt(point: string, args: string[]): Promise<void> {
      const r = await run(t.dbs, args, { env: killedAt(point) });
      expect({ point, signal: r.signal }).toEqual({ point, signal: 'SIGKILL' });
    },
    async settledEntries(): Promise<{ committed: Document[]; pending: number }> {
      const raw = await t.rawEntries();
      return { committed: raw.filter((d) => d.state === 'committed'), pending: raw.filter((d) => d.state !== 'committed').length };
    },
  };
}
