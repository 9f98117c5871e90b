/** create-tenant: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import { ADDONS, PLANS } from '../../domain/tenant';
import { passwordOptions } from '../../secrets';
import type { OptionDecls } from '../../options';

export const createTenantOptions = {
  name: { type: 'string', arg: 'name', required: true, help: 'organisation name (the tool refuses a name in use)' },
  plan: { type: 'enum', arg: 'plan', values: PLANS, help: 'the plan (default enterprise)' },
  addon: { type: 'list', arg: 'name', complete: ADDONS, help: 'enable add-ons' },
  deviceLimit: {
    type: 'int',
    arg: 'n',
    min: -1,
    max: Number.MAX_SAFE_INTEGER,
    unlimited: true,
    help: 'maximum accepted devices, -1 or "unlimited" for no limit (the default; for a child of an SP the default is 0); 0 accepts none',
  },
  parent: { type: 'string', arg: 'sp-id', help: "create it as a child of this active Service Provider; its device limit comes out of the SP's" },
  sso: { type: 'boolean', help: "with --parent: the child inherits its Service Provider's SSO settings (exit 5 when the SP has none)" },
  adminEmail: { type: 'string', arg: 'email', help: 'create the initial admin with this email' },
  ...passwordOptions("the admin's"),
  idOnly: { type: 'boolean', help: 'print only the new id' },
  ifNotExists: { type: 'boolean', help: 'when the name is taken, print that tenant and exit 0' },
  username: { type: 'string', arg: 'email', hidden: true, help: 'create-org spelling of --admin-email' },
  password: { type: 'string', arg: 'password', hidden: true, help: 'create-org only: the password on argv (insecure, warns)' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'create-tenant',
  aliases: ['create-org'],
  summary: 'create a tenant with its device limit, token and initial admin',
  description:
    'Creates the tenant (status active, a signed tenant token), its max_devices limit and, with --admin-email, its first admin user. ' +
    'A taken name or email is exit 4 and nothing is written; --if-not-exists returns the existing tenant instead. ' +
    "create-org accepts Mender's spelling (--username, --password) and prints only the id.",
  options: createTenantOptions,
  constraints: [
    { atMostOne: ['adminEmail', 'username'] },
    { atMostOne: ['passwordFile', 'passwordStdin', 'password'], message: 'give the password one way only: --password-file or --password-stdin' },
    { requires: ['sso', 'parent'], message: '--sso needs --parent (a tenant inherits SSO settings from its Service Provider)' },
  ],
  examples: [
    'tenantadm create-tenant --name acme --admin-email admin@acme.example --password-file pw.txt',
    'printf %s "$PW" | tenantadm create-tenant --name acme --plan professional --device-limit 100 --admin-email admin@acme.example --password-stdin --id-only',
    'tenantadm create-tenant --name acme --if-not-exists --id-only',
    'tenantadm create-tenant --name acme-child --parent 673a03e3c9eca7a440f2f444 --device-limit 50 --addon monitor,configure --admin-email admin@child.example --password-file pw.txt',
  ],
  adapt: (options, { invokedAs }) => {
    const { username, ...out } = options;
    if (username !== undefined) out.adminEmail = username;
    if (invokedAs === 'create-org') out.idOnly ??= true;
    return out;
  },
});
