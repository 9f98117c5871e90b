/** audit: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const auditOptions = {
  tenant: { type: 'string', arg: 'id', help: "only entries in this tenant's log" },
  includeChildren: { type: 'boolean', help: "with --tenant: also the logs of that Service Provider's children" },
  action: { type: 'string', arg: 'action', help: 'only this action: create, update, delete, password_change, ...' },
  objectType: { type: 'string', arg: 'type', complete: ['tenant', 'user'], help: 'only entries about this kind of object: tenant, user, ...' },
  objectId: { type: 'string', arg: 'id', help: 'only entries about this object (a tenant or user id)' },
  actor: { type: 'string', arg: 'name', help: 'only entries by this actor (as given with --actor when the change was made)' },
  since: { type: 'string', arg: 'time', help: 'only entries at or after TIME (ISO 8601, or 24h, 7d, ...)' },
  until: { type: 'string', arg: 'time', help: 'only entries before TIME' },
  limit: { type: 'int', arg: 'n', min: 1, max: Number.MAX_SAFE_INTEGER, help: 'at most N entries (the newest)' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'audit',
  summary: 'show the audit log, newest first, as JSON (or NDJSON, a table, CSV)',
  description:
    'Streams committed audit entries in the API shape {id, time, tenant_id, actor, action, object, change, meta}. ' +
    "Without --tenant: every tenant's entries. With --tenant: that tenant's log, which for a Service Provider includes its children's changes; " +
    '--include-children adds the whole logs of its current children. Times are ISO 8601 (UTC when no offset is given) or a span back from now ' +
    '(30m, 24h, 7d, 2w); --since is inclusive, --until exclusive.',
  options: auditOptions,
  constraints: [{ requires: ['includeChildren', 'tenant'] }],
  examples: [
    'tenantadm audit --tenant 673a03e3c9eca7a440f2f444 --include-children --since 7d -o table',
    'tenantadm audit --since 2025-01-01 --until 2025-02-01 -o csv > audit-january.csv',
    "tenantadm audit --object-type tenant --action update --ndjson | jq -r '.time + \" \" + .change'",
  ],
  // The parser hands --actor to the global option wherever it stands; for this read-only command it is the filter.
  adapt: (options, { globals }) => (globals.actor === undefined ? options : { ...options, actor: globals.actor }),
});
