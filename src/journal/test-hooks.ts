/**
 * The test hooks the environment may set, turned into the journal's injected parameters (and
 * the password-hash cost main.ts uses). Only the entry point reads them, once (main.ts);
 * nothing else looks at these variables.
 * Their names and meanings are TEST_HOOKS in environment.ts (the man page lists them apart):
 * TENANTADM_CRASH_AT and TENANTADM_TEST_PAUSE_MS, _LEASE_MS, _LOCK_WAIT_MS, _BCRYPT_COST.
 */
import { UsageError } from '../errors';
import type { FaultHooks, FaultPoint } from './journal';
import { TEST_HOOK_ENV } from '../environment';

export { TEST_HOOK_ENV };

export interface TestHooks {
  hooks?: FaultHooks;
  leaseMs?: number;
  lockWaitMs?: number;
  bcryptCost?: number;
}

function count(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`invalid ${name} "${raw}"`, 'give a whole number of milliseconds');
  return Number(raw);
}

export function testHooksFrom(env: NodeJS.ProcessEnv, warn: (line: string) => void): TestHooks {
  const crashAt = env[TEST_HOOK_ENV.crashAt] || undefined;
  const pauseMs = count(TEST_HOOK_ENV.pauseMs, env[TEST_HOOK_ENV.pauseMs]);
  const leaseMs = count(TEST_HOOK_ENV.leaseMs, env[TEST_HOOK_ENV.leaseMs]);
  const lockWaitMs = count(TEST_HOOK_ENV.lockWaitMs, env[TEST_HOOK_ENV.lockWaitMs]);
  const bcryptCost = count(TEST_HOOK_ENV.bcryptCost, env[TEST_HOOK_ENV.bcryptCost]);
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
