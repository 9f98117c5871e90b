/** usage: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const usageOptions = {
  tenant: { type: 'string', arg: 'id', aliases: ['id'], help: 'only this tenant' },
  parent: { type: 'string', arg: 'sp-id', help: 'only the children of this Service Provider' },
  tree: { type: 'string', arg: 'sp-id', help: 'this Service Provider, then its children, then a TOTAL row adding their devices up' },
  warnAt: { type: 'int', arg: 'percent', min: 1, max: 1000, help: 'only tenants with accepted devices at or above PERCENT of their max_devices limit; exit 10 when there are any (for cron and monitoring)' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'usage',
  summary: 'devices and limits per tenant, for billing (JSON array, NDJSON, table, CSV)',
  description:
    'For each tenant: its status and plan, accepted, pending, rejected, preauthorized and noauth devices, each limit kind (-1 unlimited), and for a ' +
    'Service Provider how many children it has, what it allocated to them and what is free (-1: no cap); as_of is when the figures were read. ' +
    'In a table or CSV the numeric columns hold only numbers: an unlimited figure is an empty cell, named in the UNLIMITED column. ' +
    'Counts come from the device-auth devices of that tenant only. --parent lists the children of an SP (use --tenant for the SP itself).',
  options: usageOptions,
  constraints: [{ atMostOne: ['tenant', 'parent', 'tree'] }],
  examples: [
    'tenantadm usage -o table',
    'tenantadm usage --tenant 673a03e3c9eca7a440f2f444 | jq \'.[0].free.max_devices\'',
    'tenantadm usage --parent 673a03e3c9eca7a440f2f444 -o csv > children.csv',
    'tenantadm usage --tree 673a03e3c9eca7a440f2f444 -o csv > bill.csv',
    'tenantadm usage --warn-at 90 --ndjson > near-limit.ndjson',
  ],
});
