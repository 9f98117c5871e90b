/** delete-user: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const deleteUserOptions = {
  tenant: { type: 'string', arg: 'id', required: true, help: 'the tenant the user belongs to' },
  email: { type: 'string', arg: 'email', required: true, help: 'the login email' },
  yes: { type: 'boolean', help: 'do not ask (needed without a terminal)' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'delete-user',
  summary: "remove a user from a tenant (never the tenant's last admin: exit 5)",
  description:
    'A user of another tenant is not found (exit 3) through this one. Prints the removed user. ' +
    'A terminal asks first; without one, --yes is needed (exit 2 otherwise, before anything is read).',
  options: deleteUserOptions,
  examples: ['tenantadm delete-user --tenant 673a03e3c9eca7a440f2f444 --email ops@acme.example --yes'],
});
