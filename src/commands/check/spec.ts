/** check: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const checkOptions = {
  databases: { type: 'list', arg: 'names', help: 'only these databases and their per-tenant databases <name>-<id>' },
  repair: { type: 'boolean', help: 'fix what is safe to fix without a person; list the rest' },
  dryRun: { type: 'boolean', help: 'with --repair: show what would be fixed, change nothing' },
  yes: { type: 'boolean', help: 'with --repair: do not ask' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'check',
  summary: 'audit tenant isolation and consistency (exit 0 clean, 5 when anything is found)',
  description:
    'Reads every database on the server (except admin, local, config; --databases to restrict) once, by streaming, and reports as JSON, with counts and up to 10 sample ids each: ' +
    'documents whose tenant_id names no tenant, per database and collection, and per-tenant databases (<name>-<tenant id>) of tenants that do not exist; ' +
    'email addresses used by more than one user; Service Providers whose children hold more of a limit than they have, children whose parent is missing or not an SP, SPs over max_child_tenants; ' +
    "limit documents this deviceauth cannot read and duplicate limit documents; operations left by dead processes, pending audit entries and expired locks; " +
    "what Mender Enterprise 4.x refuses: Service Providers without a device limit or holding devices, children without users or whose plan or add-ons differ from their SP's; " +
    'and stored tenant tokens of another format than new ones get (see doctor). ' +
    "--repair fixes what needs no person (settles dead operations, rolls back pending audit entries of no operation, drops expired locks and limit documents of missing tenants, gives children their SP's plan and add-ons) and lists the rest; " +
    'it asks first on a terminal (--yes in scripts; without either it stops with exit 2 before reading anything). --dry-run shows what --repair would do.',
  options: checkOptions,
  constraints: [
    { requires: ['dryRun', 'repair'], message: '--dry-run goes with --repair (check alone changes nothing)' },
    { requires: ['yes', 'repair'], message: '--yes goes with --repair (check alone changes nothing and asks nothing)' },
  ],
  examples: [
    "tenantadm check | jq '.findings[] | {kind, count}'",
    'tenantadm check -o table',
    'tenantadm check --databases deviceauth,useradm,deployment_service',
    'tenantadm check --repair --dry-run -o table',
    'tenantadm check --repair --yes',
  ],
});
