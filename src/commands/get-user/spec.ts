/** get-user: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const getUserOptions = {
  email: { type: 'string', arg: 'email', required: true, help: 'the login email' },
  tenant: { type: 'string', arg: 'id', help: 'only if the user belongs to this tenant' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'get-user',
  summary: 'show one user by email (exit 3 when there is none)',
  options: getUserOptions,
  examples: ['tenantadm get-user --email ops@acme.example', 'tenantadm get-user --email ops@acme.example | jq -r .tenant_id'],
});
