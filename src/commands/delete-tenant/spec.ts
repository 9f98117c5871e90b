/** delete-tenant: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const deleteTenantOptions = {
  tenant: { type: 'string', arg: 'id', aliases: ['id'], required: true, help: 'the tenant to remove (it must be suspended)' },
  cascade: { type: 'boolean', help: 'a Service Provider: remove its children too, first (each must be suspended)' },
  parent: { type: 'string', arg: 'sp-id', help: 'ask through this Service Provider: refused (exit 5) unless the tenant is its child' },
  databases: { type: 'list', arg: 'names', help: 'look only in these databases and their per-tenant <name>-<id> databases' },
  dryRun: { type: 'boolean', help: 'print the plan (database, collection, documents, action) and change nothing' },
  yes: { type: 'boolean', help: 'do not ask: confirm for scripts' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'delete-tenant',
  aliases: ['remove-tenant'],
  summary: 'remove a suspended tenant and all its records, everywhere (asks first; --yes for scripts)',
  description:
    'Only a suspended tenant can be removed (exit 5 otherwise). A Service Provider with children is refused unless --cascade, which removes its children first (each must be suspended). ' +
    "A child's removal returns its capacity to its Service Provider; --parent names the SP the removal is asked through (exit 5 when the tenant is not its child). " +
    "What goes is discovered: every collection of every database on the server (except admin, local, config; --databases restricts) holding documents whose tenant_id is the tenant's, " +
    "deviceauth's tokens of the tenant, every per-tenant database <name>-<tenant id>, and the tenant document. " +
    'After the prompt, under the locks of every tenant involved, it reads them again: a child detached or attached meanwhile makes it refuse (exit 4, nothing removed). ' +
    "With the service addresses set, each service's internal tenant-removal endpoint is called first where it exists; the rest is swept directly. " +
    'The removal is journaled and forward-only: once it starts, a killed run is finished by the next command or `tenantadm repair`. ' +
    'It prints {"removed": {...}, "remaining": 0} after proving nothing is left (exit 1 naming where, otherwise), and names the artifacts left in object storage (prefix <tenant id>/, and the tenant\'s own bucket). ' +
    "A terminal asks for the tenant's name to be typed; without one, --yes is needed (exit 2 otherwise, before anything is read). --dry-run prints the plan: one row per database and collection.",
  options: deleteTenantOptions,
  examples: [
    'tenantadm delete-tenant --tenant 673a03e3c9eca7a440f2f445 --dry-run -o table',
    'tenantadm delete-tenant --tenant 673a03e3c9eca7a440f2f445 --yes | jq .remaining',
    'tenantadm remove-tenant --tenant 673a03e3c9eca7a440f2f444 --cascade --yes',
    'tenantadm delete-tenant --tenant 673a03e3c9eca7a440f2f445 --parent 673a03e3c9eca7a440f2f444 --yes',
  ],
});
