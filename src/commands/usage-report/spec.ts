/** usage report: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const usageReportOptions = {
  period: { type: 'string', arg: 'YYYY-MM', required: true, help: 'the month to report' },
  tree: { type: 'string', arg: 'sp-id', help: 'a Service Provider, then the tenants that were its children that month (each for its days under it), then their total' },
  tenant: { type: 'string', arg: 'id', help: 'only this tenant' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'usage report',
  summary: 'device-days, peak, average and end-of-month devices per tenant and tier, from usage record',
  description:
    'From the daily snapshots of `tenantadm usage record`: per tenant and tier (standard max_devices, micro, system), the device-days (accepted devices summed over the recorded days), ' +
    'the peak, the average per recorded day, the accepted devices and the limit on the last recorded day of the month (-1 unlimited), ' +
    'the days recorded, and the days of the month (up to today) with no snapshot at all: a gap is reported in days_missing, never filled in. ' +
    "Each day counts under that day's parent, so a child that moved between Service Providers is billed to each for its own days. " +
    'JSON nests the tiers; a table and CSV have one numeric column per tier and figure (an unlimited limit is an empty cell, named in UNLIMITED).',
  options: usageReportOptions,
  constraints: [{ atMostOne: ['tree', 'tenant'] }],
  examples: [
    'tenantadm usage report --period 2026-11 -o csv > usage-2026-11.csv',
    'tenantadm usage report --period 2026-11 --tree 673a03e3c9eca7a440f2f444 -o table',
  ],
});
