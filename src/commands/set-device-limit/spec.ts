/** set-device-limit: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import { LIMIT_KINDS } from '../../domain/tenant';
import type { OptionDecls } from '../../options';

export const setDeviceLimitOptions = {
  id: { type: 'string', arg: 'id', help: 'the tenant (with --limit)' },
  limit: {
    type: 'int',
    arg: 'n',
    min: -1,
    max: Number.MAX_SAFE_INTEGER,
    unlimited: true,
    help: 'the new limit (with --id): -1 or "unlimited" for no limit; 0 accepts no devices',
  },
  kind: { type: 'enum', arg: 'kind', values: LIMIT_KINDS, help: 'which limit (default max_devices; applies to --id and every --set)' },
  set: { type: 'list', arg: 'id=n', help: 'changes of a reallocation plan' },
  file: { type: 'string', arg: 'plan.json', short: 'f', file: true, help: 'a reallocation plan as JSON ("-" reads standard input)' },
  force: { type: 'boolean', help: 'allow lowering max_devices below the devices already accepted' },
  dryRun: { type: 'boolean', help: 'check the plan and print what would change; write nothing' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'set-device-limit',
  summary: 'set device limits, one or a whole reallocation plan, all-or-nothing',
  description:
    "Writes the limit as the server's deviceauth reads it (see doctor: on Mender 4.1 and earlier unlimited is stored as 0 and 0 is refused; from deviceauth 2.0.2 on -1 is unlimited and 0 accepts no device), " +
    'through deviceauth\'s internal API when TENANTADM_DEVICEAUTH_ADDR is set, and prints each limit before and after (-1 for unlimited). ' +
    "A child of a Service Provider gets its capacity from the SP: the children's limits may add up to at most the SP's limit " +
    '(an unlimited child of a capped SP is over it), so a request beyond the free capacity is exit 5 and names it. ' +
    'Lowering an SP below what it allocated is exit 5; lowering max_devices below the accepted devices is exit 5 unless --force. ' +
    'A plan (--set pairs or --file) is checked whole before anything is written, applied in an order that never over-allocates ' +
    'an SP, and rolled back if it fails (a killed run is undone by `tenantadm repair` or the next command). ' +
    'Without the service, --redis-url / DEVICEAUTH_REDIS_CONNECTION_STRING invalidates the cached limit as deviceauth does, so the change is live at once; ' +
    'without Redis, or when it fails, the database change stands (exit 0) and a warning on stderr names the commands to run. ' +
    'One --id prints an object; --set and --file print an array. Plan file: {"limits": [{"tenant_id": "...", "limit": 10 | -1 | "unlimited", "kind": "max_devices"}]}.',
  options: setDeviceLimitOptions,
  constraints: [
    { exactlyOne: ['id', 'set', 'file'], message: 'give exactly one of --id with --limit, --set ID=N (repeatable), or --file PLAN' },
    { requires: ['id', 'limit'], message: '--id and --limit go together' },
    { requires: ['limit', 'id'], message: '--id and --limit go together' },
    { atMostOne: ['kind', 'file'], message: '--kind does not apply to --file (give "kind" in each entry of the plan)' },
  ],
  examples: [
    'tenantadm set-device-limit --id 673a03e3c9eca7a440f2f444 --limit 100 --redis-url redis://localhost:6379/0',
    'tenantadm set-device-limit --set 673a03e3c9eca7a440f2f445=20 --set 673a03e3c9eca7a440f2f446=80 -o table',
    'tenantadm set-device-limit -f plan.json --dry-run',
  ],
});
