/** list-users: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const listUsersOptions = {
  tenant: { type: 'string', arg: 'id', required: true, help: 'the tenant (exit 3 when there is none)' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'list-users',
  summary: "list a tenant's users (never their password hashes)",
  options: listUsersOptions,
  examples: [
    'tenantadm list-users --tenant 673a03e3c9eca7a440f2f444 -o table',
    "tenantadm list-users --tenant 673a03e3c9eca7a440f2f444 --ndjson | jq -r .email",
  ],
});
