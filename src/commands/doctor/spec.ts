/** doctor: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const noOptions = {} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'doctor',
  summary: 'check what this Mender server reads and whether the tool can work on it (exit 0 yes, 5 no)',
  description:
    "Prints, as JSON, the limit semantics (schema profile) detected from deviceauth's migration_info and any --mender-schema override, the database server's version, " +
    'which Mender services answer at the configured addresses, whether Redis answers, limit documents this deviceauth cannot read, and which indexes exist. ' +
    'Exit 0 when the tool can work, 5 when something must be fixed first (listed under "problems").',
  options: noOptions,
  examples: ['tenantadm doctor', 'TENANTADM_DEVICEAUTH_ADDR=http://mender-device-auth:8080 tenantadm doctor | jq .services'],
});
