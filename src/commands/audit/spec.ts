/** audit: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import { UsageError } from '../../errors';
import type { OptionDecls } from '../../options';
import { AUDIT_ACTIONS, AUDIT_OBJECT_TYPES } from '../../domain/audit';

export const auditOptions = {
  tenant: { type: 'string', arg: 'id', help: "only entries in this tenant's log" },
  includeChildren: { type: 'boolean', help: "with --tenant: also the logs of that Service Provider's children" },
  action: { type: 'enum', arg: 'action', values: AUDIT_ACTIONS, ignoreCase: true, help: 'only this action' },
  objectType: {
    type: 'enum',
    arg: 'type',
    values: AUDIT_OBJECT_TYPES,
    ignoreCase: true,
    help: 'only entries about this kind of object (limits, SSO and storage are updates of the tenant)',
  },
  objectId: { type: 'string', arg: 'id', help: 'only entries about this object (a tenant or user id)' },
  by: { type: 'string', arg: 'actor', help: 'only entries by this actor (as --actor named them when the change was made; an email in any case)' },
  field: { type: 'string', arg: 'field', help: 'only changes of this field, e.g. max_devices, plan, status, addon configure' },
  change: { type: 'string', arg: 'text', help: 'only entries whose change contains TEXT (any case)' },
  since: { type: 'string', arg: 'time', help: 'only entries at or after TIME (ISO 8601, or 24h, 7d, ...)' },
  until: { type: 'string', arg: 'time', help: 'only entries before TIME' },
  last: { type: 'int', arg: 'n', min: 1, max: Number.MAX_SAFE_INTEGER, aliases: ['limit'], help: 'only the newest N entries' },
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
    'tenantadm audit --by bob@ops.example --last 20 -o table',
    'tenantadm audit --field max_devices --since 1d -o table',
  ],
  // `audit --actor X` filtered before --by existed (the global --actor names who acts, and this
  // command changes nothing): the old spelling still filters, with a notice.
  adapt: (options, { globals, warn }) => {
    if (globals.actor === undefined) return options;
    if (options.by !== undefined) throw new UsageError('--actor and --by both name the actor to filter by', 'give --by only');
    warn('audit --actor is deprecated as a filter: use --by (--actor names who is acting, for commands that change something)');
    return { ...options, by: globals.actor };
  },
});
