/** set-device-limit: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import { LIMIT_KINDS } from '../../domain/tenant';
import type { OptionDecls } from '../../options';

const limitOption = (which: string) =>
  ({
    type: 'int',
    arg: 'n',
    min: -1,
    max: Number.MAX_SAFE_INTEGER,
    unlimited: true,
    help: `the new ${which} limit (with --tenant): -1 or "unlimited" for no limit; 0 accepts no devices`,
  }) as const;

export const setDeviceLimitOptions = {
  tenant: { type: 'string', arg: 'id', aliases: ['id'], help: 'the tenant whose limits the limit options set' },
  deviceLimit: { ...limitOption('standard devices (max_devices, or the tier --kind names)'), aliases: ['limit'] },
  microDeviceLimit: limitOption('micro devices (max_micro_devices)'),
  systemDeviceLimit: limitOption('system devices (max_system_devices)'),
  kind: { type: 'enum', arg: 'kind', values: LIMIT_KINDS, help: 'which limit --device-limit and every --set set (default max_devices)' },
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
    'It prints an array, one row per tenant and limit, whichever way the changes were given. ' +
    'Plan file: {"limits": [{"id": "<tenant id>", "limit": 10 | -1 | "unlimited", "kind": "max_devices"}]} ("tenant_id" is accepted for "id").',
  options: setDeviceLimitOptions,
  constraints: [
    { exactlyOne: ['tenant', 'set', 'file'], message: 'give exactly one of --tenant with limits, --set ID=N (repeatable), or --file PLAN' },
    { requires: ['deviceLimit', 'tenant'], message: '--device-limit goes with --tenant' },
    { requires: ['microDeviceLimit', 'tenant'], message: '--micro-device-limit goes with --tenant' },
    { requires: ['systemDeviceLimit', 'tenant'], message: '--system-device-limit goes with --tenant' },
    { atMostOne: ['kind', 'file'], message: '--kind does not apply to --file (give "kind" in each entry of the plan)' },
    { atMostOne: ['kind', 'microDeviceLimit'], message: '--kind picks the tier of --device-limit; give --micro-device-limit without it' },
    { atMostOne: ['kind', 'systemDeviceLimit'], message: '--kind picks the tier of --device-limit; give --system-device-limit without it' },
  ],
  examples: [
    'tenantadm set-device-limit --tenant 673a03e3c9eca7a440f2f444 --device-limit 100 --redis-url redis://localhost:6379/0',
    'tenantadm set-device-limit --tenant 673a03e3c9eca7a440f2f444 --device-limit 100 --micro-device-limit 20 --system-device-limit 5',
    'tenantadm set-device-limit --set 673a03e3c9eca7a440f2f445=20 --set 673a03e3c9eca7a440f2f446=80 -o table',
    'tenantadm set-device-limit -f plan.json --dry-run',
  ],
});
