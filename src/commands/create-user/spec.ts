/** create-user: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import { ROLE_NAMES } from '../../domain/user';
import { passwordOptions } from '../../secrets';
import type { OptionDecls } from '../../options';

export const createUserOptions = {
  tenant: { type: 'string', arg: 'id', required: true, help: 'the tenant the user belongs to' },
  email: { type: 'string', arg: 'email', required: true, help: 'the login email' },
  role: { type: 'list', arg: 'role', complete: ROLE_NAMES, help: 'roles, e.g. admin (RBAC_ROLE_PERMIT_ALL) or RBAC_ROLE_OBSERVER (default admin)' },
  ifNotExists: {
    type: 'boolean',
    help: 'a user with this email, tenant and roles already there is success (exit 0, printed, its password untouched); one that differs is exit 4 naming it',
  },
  ...passwordOptions("the user's"),
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'create-user',
  summary: "add a user to a tenant (default role RBAC_ROLE_PERMIT_ALL, the tenant's admin)",
  description:
    'The password comes from --password-file, --password-stdin or a hidden prompt; it is stored as a bcrypt hash (cost 10). ' +
    'Emails are lower-cased and unique across all tenants: a taken one is exit 4. An unknown tenant is exit 3.',
  options: createUserOptions,
  constraints: [{ atMostOne: ['passwordFile', 'passwordStdin'], message: 'give the password one way only: --password-file or --password-stdin' }],
  examples: [
    'tenantadm create-user --tenant 673a03e3c9eca7a440f2f444 --email ops@acme.example --password-file pw.txt',
    'tenantadm create-user --if-not-exists --tenant 673a03e3c9eca7a440f2f444 --email ops@acme.example --password-file pw.txt',
    'printf %s "$PW" | tenantadm create-user --tenant 673a03e3c9eca7a440f2f444 --email viewer@oem.example --role RBAC_ROLE_OBSERVER --password-stdin',
  ],
});
