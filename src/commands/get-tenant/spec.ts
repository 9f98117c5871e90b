/** get-tenant: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const getTenantOptions = {
  tenant: { type: 'string', arg: 'id', aliases: ['id'], help: 'the tenant with this id' },
  name: { type: 'string', arg: 'name', help: 'the tenant with this name (exit 4, listing them, when several share it)' },
  username: { type: 'string', arg: 'email', help: 'the tenant of the user with this email' },
  includeChildren: { type: 'boolean', help: 'add the children of a Service Provider as "children"' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'get-tenant',
  summary: 'show one tenant as a JSON object (exit 3 when there is none)',
  options: getTenantOptions,
  constraints: [{ exactlyOne: ['tenant', 'name', 'username'] }],
  examples: ['tenantadm get-tenant --tenant 673a03e3c9eca7a440f2f444', 'tenantadm get-tenant --username admin@acme.example | jq -r .tenant_token'],
});
