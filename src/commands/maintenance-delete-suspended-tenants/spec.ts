/** maintenance delete-suspended-tenants: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const deleteSuspendedOptions = {
  thresholdDays: {
    type: 'int',
    arg: 'n',
    min: 0,
    max: 36_500,
    required: true,
    help: 'how many days a tenant must have been suspended (0 removes every suspended tenant)',
  },
  onlyTrial: { type: 'boolean', help: "only tenants with Mender's trial flag (trial: true), as Mender's own maintenance job takes it" },
  databases: { type: 'list', arg: 'names', help: 'look only in these databases and their per-tenant <name>-<id> databases' },
  dryRun: { type: 'boolean', help: 'list the tenants that would be removed; change nothing' },
  yes: { type: 'boolean', help: 'do not ask: confirm for scripts' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'maintenance delete-suspended-tenants',
  summary: 'remove every tenant suspended for at least N days, with all its records (as delete-tenant)',
  description:
    "Mender's maintenance job. A tenant's suspension counts from suspended_at (recorded on every suspension), or for tenants suspended before that was recorded, from updated_at. " +
    'The tenants are found with one query and removed as one forward-only operation (see delete-tenant); a Service Provider goes only when all its children go too ' +
    '(otherwise it is skipped and named). Each tenant is locked and checked again after the prompt: one re-activated, moved or removed meanwhile is skipped and named. --dry-run lists the tenants and what would happen to each. Asks first on a terminal; --yes for scripts (exit 2 without either).',
  options: deleteSuspendedOptions,
  examples: [
    'tenantadm maintenance delete-suspended-tenants --threshold-days 90 --dry-run -o table',
    'tenantadm maintenance delete-suspended-tenants --threshold-days 90 --yes | jq .removed.tenants',
    'tenantadm maintenance delete-suspended-tenants --threshold-days 30 --only-trial --yes',
  ],
});
