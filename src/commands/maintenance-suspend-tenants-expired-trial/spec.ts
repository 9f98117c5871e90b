/** maintenance suspend-tenants-expired-trial: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const suspendExpiredTrialOptions = {
  dryRun: { type: 'boolean', help: 'list the tenants that would be suspended; change nothing' },
  yes: { type: 'boolean', help: 'do not ask: confirm for scripts' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'maintenance suspend-tenants-expired-trial',
  summary: "suspend every active tenant whose trial has expired (Mender's trial, trial_expiration)",
  description:
    "Mender's maintenance job: tenants with trial true and trial_expiration in the past are suspended (suspended_at recorded, device and user tokens revoked as update-tenant --status suspended does), " +
    'found with one query and, after the prompt, locked and checked again: only those still active on an expired trial are suspended, revoked and audited, with one update. Prints the tenants. --dry-run lists them and changes nothing. Asks first on a terminal; --yes for scripts (exit 2 without either).',
  options: suspendExpiredTrialOptions,
  examples: ['tenantadm maintenance suspend-tenants-expired-trial --dry-run -o table', 'tenantadm maintenance suspend-tenants-expired-trial --yes'],
});
