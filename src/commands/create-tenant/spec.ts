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
  microDeviceLimit: {
    type: 'int',
    arg: 'n',
    min: -1,
    max: Number.MAX_SAFE_INTEGER,
    unlimited: true,
    help: "maximum micro devices (max_micro_devices); for a child it comes out of the SP's, as with --device-limit",
  },
  systemDeviceLimit: {
    type: 'int',
    arg: 'n',
    min: -1,
    max: Number.MAX_SAFE_INTEGER,
    unlimited: true,
    help: "maximum system devices (max_system_devices); for a child it comes out of the SP's, as with --device-limit",
  },
  parent: {
    type: 'string',
    arg: 'sp-id',
    help: "create it as a child of this active Service Provider: its limits come out of the SP's, its plan and add-ons are the SP's, and it needs a user (--admin-email or --user)",
  },
  sso: { type: 'boolean', help: "with --parent: the child inherits its Service Provider's SSO settings (exit 5 when the SP has none)" },
  adminEmail: { type: 'string', arg: 'email', help: 'create the initial admin with this email' },
  user: {
    type: 'list',
    arg: 'email[:role]',
    help: 'also create this user (repeatable; role as create-user takes it, default admin); every email must be new',
  },
  ...passwordOptions("the admin's (or, without --admin-email, the one --user's)"),
  userPasswordFile: { type: 'list', arg: 'email=file', help: "read that user's password from FILE (repeatable); users without one are asked on a terminal" },
  tenantTokenFile: {
    type: 'string',
    arg: 'file',
    file: true,
    help: 'store this tenant token (the one the devices hold) instead of making one; "-" reads standard input; another tenant holding it is exit 4',
  },
  idOnly: { type: 'boolean', help: 'print only the new id' },
  ifNotExists: { type: 'boolean', help: 'when the name is taken, print that tenant and exit 0' },
  username: { type: 'string', arg: 'email', hidden: true, help: 'create-org spelling of --admin-email' },
  password: { type: 'string', arg: 'password', hidden: true, help: 'create-org only: the password on argv (insecure, warns)' },
  tenantToken: { type: 'string', arg: 'token', hidden: true, help: "create-org's spelling: the tenant token on argv (insecure, warns; use --tenant-token-file)" },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'create-tenant',
  aliases: ['create-org'],
  summary: 'create a tenant with its device limit, token and initial admin',
  description:
    'Creates the tenant (status active, a new tenant token in the format of --token-format, or the one given with --tenant-token-file), its device limits and, with --admin-email and --user, its first users. ' +
    'A child of a Service Provider (--parent) gets its SP\'s plan and add-ons (as the SP\'s policy allows; a different --plan or --addon is exit 5) and needs at least one user (Mender Enterprise 4.x). ' +
    'A taken name or email is exit 4 and nothing is written; --if-not-exists returns the existing tenant instead. ' +
    "create-org accepts Mender's spelling (--username, --password) and prints only the id.",
  options: createTenantOptions,
  constraints: [
    { atMostOne: ['adminEmail', 'username'] },
    { atMostOne: ['passwordFile', 'passwordStdin', 'password'], message: 'give the password one way only: --password-file or --password-stdin' },
    { requires: ['sso', 'parent'], message: '--sso needs --parent (a tenant inherits SSO settings from its Service Provider)' },
    { atMostOne: ['tenantTokenFile', 'tenantToken'], message: 'give the tenant token one way only: --tenant-token-file' },
  ],
  examples: [
    'tenantadm create-tenant --name acme --admin-email admin@acme.example --password-file pw.txt',
    'printf %s "$PW" | tenantadm create-tenant --name acme --plan professional --device-limit 100 --admin-email admin@acme.example --password-stdin --id-only',
    'tenantadm create-tenant --name acme --if-not-exists --id-only',
    'tenantadm create-tenant --name acme-child --parent 673a03e3c9eca7a440f2f444 --device-limit 50 --micro-device-limit 10 --admin-email admin@child.example --password-file pw.txt',
    'tenantadm create-tenant --name acme --admin-email admin@acme.example --password-file a.txt --user ops@acme.example:observer --user-password-file ops@acme.example=o.txt',
    'tenantadm create-tenant --name moved --tenant-token-file token.txt --admin-email admin@moved.example --password-file pw.txt',
  ],
  adapt: (options, { invokedAs }) => {
    const { username, ...out } = options;
    if (username !== undefined) out.adminEmail = username;
    if (invokedAs === 'create-org') out.idOnly ??= true;
    return out;
  },
});
