/** usage record: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const usageRecordOptions = {
  day: { type: 'string', arg: 'YYYY-MM-DD', help: 'the day the snapshot is filed under (default today, UTC): for a run that started after midnight' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'usage record',
  summary: "file today's usage snapshot of every tenant, for usage report",
  description:
    'Records, for every tenant, its accepted, pending and preauthorized devices per tier (standard, micro, system: from the device records\' tier where they carry one, ' +
    'all standard otherwise; open-source deviceauth stores none), its limits per tier, status, plan and Service Provider, in collections of the tool\'s own ' +
    '(tenantadm_usage_days, and one tenantadm_usage_snapshots_<run> per run). One snapshot per tenant per day: running it again the same day replaces that day\'s snapshot whole, ' +
    'and readers see the old one or the new one, never a mix. A constant number of queries whatever the number of tenants (the snapshots are written in batches of 1,000). ' +
    'Meant to run once a day (deploy/kubernetes/usage-record-cronjob.yaml). Prints {"day", "tenants", "replaced"}.',
  options: usageRecordOptions,
  examples: ['tenantadm usage record', 'tenantadm usage record --day 2026-11-30'],
});
