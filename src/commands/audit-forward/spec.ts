/** audit forward: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const auditForwardOptions = {
  tenant: { type: 'string', arg: 'id', help: "only entries in this tenant's log (a Service Provider's includes its children's changes)" },
  since: { type: 'string', arg: 'time', help: 'only entries at or after TIME (ISO 8601, or 24h, 7d, ...)' },
  dryRun: { type: 'boolean', help: 'count what would be sent; send nothing' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'audit forward',
  summary: "send Mender's audit log the entries it is missing",
  description:
    "Delivers, oldest first, every committed audit entry that has not reached Mender's own audit log: entries recorded while TENANTADM_ORCHESTRATOR_ADDR was not set, " +
    'or whose delivery failed (a change that exits 8). Each goes through the workflow emit_auditlog of Mender\'s workflows service, ' +
    "into the log of the tenant whose admins would have made it in Mender's UI (a Service Provider's changes to a child tenant: the SP's log; " +
    "changes to a tenant's users, and a standalone tenant's changes: that tenant's log). What was sent is recorded, so running it again sends only the rest; " +
    'each entry carries the tool\'s entry id in meta.tenantadm_entry_id, so a repeat (delivery is at least once) is recognisable. ' +
    'Prints {"sent", "skipped", "waiting"}: skipped entries belong to no tenant\'s log in Mender (a removed tenant without a Service Provider). ' +
    'A refusal is exit 7 and an unreachable service exit 6, naming how many were sent before it.',
  options: auditForwardOptions,
  examples: [
    'TENANTADM_ORCHESTRATOR_ADDR=http://mender-workflows-server:8080 tenantadm audit forward',
    'tenantadm audit forward --tenant 673a03e3c9eca7a440f2f444 --since 30d --dry-run',
  ],
});
