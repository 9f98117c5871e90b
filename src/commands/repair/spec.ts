/** repair: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const repairOptions = {
  all: { type: 'boolean', help: 'also end the ownership of operations whose owner is still running: it stops at its next check, and the operation is settled once its lease runs out (asks first)' },
  yes: { type: 'boolean', help: 'with --all: do not ask (needed without a terminal)' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'repair',
  summary: 'settle changes left half-done by a process that was killed',
  description:
    'Rolls back operations whose owner died before their commit point and finishes those that had committed. ' +
    'An owner is dead when its lease has run out (in the database server\'s time), or at once when it ran on this machine and its process is gone. ' +
    'Every changing command does this first, so it is rarely needed by hand.',
  options: repairOptions,
  constraints: [{ requires: ['yes', 'all'], message: '--yes goes with --all (repair alone settles only dead operations and asks nothing)' }],
  examples: ['tenantadm repair', 'tenantadm repair --all --yes'],
});
