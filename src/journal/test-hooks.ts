/**
 * The test hooks the environment may set, turned into the journal's injected parameters (and
 * the password-hash cost main.ts uses). Only the entry point reads them, once (main.ts);
 * nothing else looks at these variables.
 *
 * - TENANTADM_CRASH_AT=step:N|commit|finalize: SIGKILL at that point of an operation.
 * - TENANTADM_TEST_PAUSE_MS=N: wait N ms between a locked command's checks and its writes
 *   (printing a line on stderr when the wait starts, so a test can start a rival then).
 * - TENANTADM_TEST_LEASE_MS=N: the lease length (default 30 s), so a test can kill a process
 *   and settle its operation without waiting, or pause a holder past its lease.
 * - TENANTADM_TEST_LOCK_WAIT_MS=N: how long a command waits for a lock held by a live owner
 *   (default lockWaitMs(--timeout), locks.ts), so a test of a lock that is never taken
 *   waits one second, not ten.
 * - TENANTADM_TEST_BCRYPT_COST=N: the bcrypt cost of password hashes (default 10, 4-31), so
 *   tests that do not check the cost do not spend 70 ms of CPU on each hash.
 */
import { UsageError } from '../errors';
import type { FaultHooks, FaultPoint } from './journal';

export const TEST_HOOK_ENV = {
  crashAt: 'TENANTADM_CRASH_AT',
  pauseMs: 'TENANTADM_TEST_PAUSE_MS',
  leaseMs: 'TENANTADM_TEST_LEASE_MS',
  lockWaitMs: 'TENANTADM_TEST_LOCK_WAIT_MS',
  bcryptCost: 'TENANTADM_TEST_BCRYPT_COST',
} as const;

export interface TestHooks {
  hooks?: FaultHooks;
  leaseMs?: number;
  lockWaitMs?: number;
  bcryptCost?: number;
}

function count(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`invalid ${name} "${raw}"`, 'give a whole number of milliseconds');
  return Number(raw);
}

export function testHooksFrom(env: NodeJS.ProcessEnv, warn: (line: string) => void): TestHooks {
  const crashAt = env[TEST_HOOK_ENV.crashAt] || undefined;
  const pauseMs = count(env, TEST_HOOK_ENV.pauseMs);
  const leaseMs = count(env, TEST_HOOK_ENV.leaseMs);
  const lockWaitMs = count(env, TEST_HOOK_ENV.lockWaitMs);
  const bcryptCost = count(env, TEST_HOOK_ENV.bcryptCost);
  if (bcryptCost !== undefined && (bcryptCost < 4 || bcryptCost > 31)) {
    throw new UsageError(`invalid ${TEST_HOOK_ENV.bcryptCost} "${bcryptCost}"`, 'give a bcrypt cost from 4 to 31');
  }
  if (crashAt !== undefined && !/^(step:\d+|commit|finalize|finalize:\d+)$/.test(crashAt)) {
    throw new UsageError(`invalid ${TEST_HOOK_ENV.crashAt} "${crashAt}"`, 'give step:N, commit, finalize or finalize:N');
  }
  const out: TestHooks = {};
  if (leaseMs !== undefined && leaseMs > 0) out.leaseMs = leaseMs;
  if (lockWaitMs !== undefined) out.lockWaitMs = lockWaitMs;
  if (bcryptCost !== undefined) out.bcryptCost = bcryptCost;
  if (crashAt === undefined && !pauseMs) return out;
  const step = crashAt?.startsWith('step:') ? Number(crashAt.slice(5)) : undefined;
  out.hooks = {
    ...(step !== undefined ? { breakBefore: [step] } : {}),
    at: async (point: FaultPoint) => {
      if (point === crashAt) process.kill(process.pid, 'SIGKILL');
      if (point === 'decided' && pauseMs) {
        warn(`test pause: holding the locks for ${pauseMs} ms`);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    },
  };
  return out;
}
