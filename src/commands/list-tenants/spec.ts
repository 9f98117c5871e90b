/** list-tenants: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import { PLANS, STATUSES } from '../../domain/tenant';
import type { OptionDecls } from '../../options';

export const listTenantsOptions = {
  tenant: { type: 'string', arg: 'id', aliases: ['id'], help: 'only the tenant with this id' },
  name: { type: 'string', arg: 'name', help: 'only the tenant with this exact name' },
  parent: { type: 'string', arg: 'sp-id', help: 'only children of this Service Provider' },
  serviceProvider: { type: 'boolean', help: 'only Service Provider tenants', negate: 'only tenants that are not Service Providers' },
  status: { type: 'enum', arg: 'status', values: STATUSES, help: 'only tenants with this status' },
  plan: { type: 'enum', arg: 'plan', values: PLANS, help: 'only tenants on this plan' },
  showToken: { type: 'boolean', help: "include each tenant's tenant_token (a secret, ~700 characters a tenant; get-tenant always shows it)" },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'list-tenants',
  summary: 'list tenants as a JSON array (or NDJSON, a table, CSV)',
  description:
    'Streams every matching tenant, in creation order, with its device limit and accepted device count. ' +
    'The tenant token is left out unless --show-token: it is a secret, and most of the bytes of a long listing.',
  options: listTenantsOptions,
  examples: [
    `tenantadm list-tenants | jq '.[] | {"tenant id": .id, "tenant name": .name}'`,
    'tenantadm list-tenants --service-provider -o table',
    'tenantadm list-tenants --parent 673a03e3c9eca7a440f2f444 --ndjson',
  ],
});
