/**
 * Declarative command metadata: the parser, `--help` and the man page are all built
 * from this table, so they cannot drift apart. Command code is loaded only when run.
 */
import type { Deps } from './deps';
import type { Result } from './output';
import type { GlobalFlags } from './config';

export interface OptionSpec {
  flags: string;
  description: string;
  /** May be given several times; values are collected into an array. */
  repeatable?: boolean;
  /** Not shown in --help (compatibility spellings). */
  hidden?: boolean;
}

export interface CommandSpec {
  name: string;
  aliases?: string[];
  summary: string;
  description?: string;
  options: OptionSpec[];
  examples: string[];
  /** Writes to the database (audited, journaled). */
  mutating: boolean;
  load: () => { schema: object; run: (options: never, deps: Deps) => Promise<Result> };
  /** Rewrite parsed flags before validation (compatibility aliases; a command option a global one shadows). */
  adapt?: (flags: Record<string, unknown>, invokedAs: string, globals: GlobalFlags) => Record<string, unknown>;
}

const passwordOptions: OptionSpec[] = [
  { flags: '--password-file <file>', description: "read the admin's password from FILE (one trailing newline is dropped)" },
  { flags: '--password-stdin', description: "read the admin's password from standard input" },
];

export const commands: CommandSpec[] = [
  {
    name: 'list-tenants',
    summary: 'list tenants as a JSON array (or NDJSON, a table, CSV)',
    description: 'Streams every matching tenant, in creation order, with its device limit and accepted device count.',
    options: [
      { flags: '--id <id>', description: 'only the tenant with this id' },
      { flags: '--name <name>', description: 'only the tenant with this exact name' },
      { flags: '--parent <id>', description: 'only children of this Service Provider' },
      { flags: '--service-provider', description: 'only Service Provider tenants' },
      { flags: '--no-service-provider', description: 'only tenants that are not Service Providers' },
      { flags: '--status <status>', description: 'active or suspended' },
      { flags: '--plan <plan>', description: 'os, professional or enterprise' },
    ],
    examples: [
      `tenantadm list-tenants | jq '.[] | {"tenant id": .id, "tenant name": .name}'`,
      'tenantadm list-tenants --service-provider -o table',
      'tenantadm list-tenants --parent 673a03e3c9eca7a440f2f444 --ndjson',
    ],
    mutating: false,
    load: () => {
      const m = require('./commands/list-tenants') as typeof import('./commands/list-tenants');
      return { schema: m.schema, run: m.listTenants as never };
    },
  },
  {
    name: 'get-tenant',
    summary: 'show one tenant as a JSON object (exit 3 when there is none)',
    options: [
      { flags: '--id <id>', description: 'the tenant with this id' },
      { flags: '--name <name>', description: 'the tenant with this name' },
      { flags: '--username <email>', description: 'the tenant of the user with this email' },
      { flags: '--include-children', description: 'add the children of a Service Provider as "children"' },
    ],
    examples: ['tenantadm get-tenant --id 673a03e3c9eca7a440f2f444', 'tenantadm get-tenant --username admin@acme.example | jq -r .tenant_token'],
    mutating: false,
    load: () => {
      const m = require('./commands/get-tenant') as typeof import('./commands/get-tenant');
      return { schema: m.schema, run: m.getTenant as never };
    },
  },
  {
    name: 'audit',
    summary: 'show the audit log, newest first, as JSON (or NDJSON, a table, CSV)',
    description:
      'Streams committed audit entries in the API shape {id, time, tenant_id, actor, action, object, change, meta}. ' +
      "Without --tenant: every tenant's entries. With --tenant: that tenant's log, which for a Service Provider includes its children's changes; " +
      '--include-children adds the whole logs of its current children. Times are ISO 8601 (UTC when no offset is given) or a span back from now ' +
      '(30m, 24h, 7d, 2w); --since is inclusive, --until exclusive.',
    options: [
      { flags: '--tenant <id>', description: "only entries in this tenant's log" },
      { flags: '--include-children', description: "with --tenant: also the logs of that Service Provider's children" },
      { flags: '--action <action>', description: 'only this action: create, update, delete, password_change, ...' },
      { flags: '--object-type <type>', description: 'only entries about this kind of object: tenant, user, ...' },
      { flags: '--object-id <id>', description: 'only entries about this object (a tenant or user id)' },
      { flags: '--actor <name>', description: 'only entries by this actor (as given with --actor when the change was made)' },
      { flags: '--since <time>', description: 'only entries at or after TIME (ISO 8601, or 24h, 7d, ...)' },
      { flags: '--until <time>', description: 'only entries before TIME' },
      { flags: '--limit <n>', description: 'at most N entries (the newest)' },
    ],
    examples: [
      'tenantadm audit --tenant 673a03e3c9eca7a440f2f444 --include-children --since 7d -o table',
      'tenantadm audit --since 2025-01-01 --until 2025-02-01 -o csv > audit-january.csv',
      "tenantadm audit --object-type tenant --action update --ndjson | jq -r '.time + \" \" + .change'",
    ],
    mutating: false,
    // commander hands --actor to the global option wherever it stands; for this read-only command it is the filter.
    adapt: (flags, _invokedAs, globals) => (globals.actor === undefined ? flags : { ...flags, actor: globals.actor }),
    load: () => {
      const m = require('./commands/audit') as typeof import('./commands/audit');
      return { schema: m.schema, run: m.audit as never };
    },
  },
  {
    name: 'create-tenant',
    aliases: ['create-org'],
    summary: 'create a tenant with its device limit, token and initial admin',
    description:
      'Creates the tenant (status active, a signed tenant token), its max_devices limit and, with --admin-email, its first admin user. ' +
      'A taken name or email is exit 4 and nothing is written; --if-not-exists returns the existing tenant instead. ' +
      "create-org accepts Mender's spelling (--username, --password) and prints only the id.",
    options: [
      { flags: '--name <name>', description: 'organisation name (the tool refuses a name in use)' },
      { flags: '--plan <plan>', description: 'os, professional or enterprise (default enterprise)' },
      { flags: '--addon <name>', description: 'enable an add-on: troubleshoot, configure, monitor (repeatable)', repeatable: true },
      {
        flags: '--device-limit <n>',
        description: 'maximum accepted devices, or "unlimited" (the default; for a child of an SP the default is 0); 0 accepts none',
      },
      { flags: '--parent <sp-id>', description: 'create it as a child of this active Service Provider; its device limit comes out of the SP\'s' },
      { flags: '--sso', description: "with --parent: the child inherits its Service Provider's SSO settings (exit 5 when the SP has none)" },
      { flags: '--admin-email <email>', description: 'create the initial admin with this email' },
      ...passwordOptions,
      { flags: '--id-only', description: 'print only the new id' },
      { flags: '--if-not-exists', description: 'when the name is taken, print that tenant and exit 0' },
      { flags: '--username <email>', description: 'create-org spelling of --admin-email', hidden: true },
      { flags: '--password <password>', description: 'create-org only: the password on argv (insecure, warns)', hidden: true },
    ],
    examples: [
      'tenantadm create-tenant --name acme --admin-email admin@acme.example --password-file pw.txt',
      'printf %s "$PW" | tenantadm create-tenant --name acme --plan professional --device-limit 100 --admin-email admin@acme.example --password-stdin --id-only',
      'tenantadm create-tenant --name acme --if-not-exists --id-only',
      'tenantadm create-tenant --name acme-child --parent 673a03e3c9eca7a440f2f444 --device-limit 50 --admin-email admin@child.example --password-file pw.txt',
    ],
    mutating: true,
    adapt: (flags, invokedAs) => {
      const out = { ...flags };
      if (out.username !== undefined) {
        out.adminEmail ??= out.username;
        delete out.username;
      }
      if (invokedAs === 'create-org') out.idOnly ??= true;
      return out;
    },
    load: () => {
      const m = require('./commands/create-tenant') as typeof import('./commands/create-tenant');
      return { schema: m.schema, run: m.createTenant as never };
    },
  },
  {
    name: 'update-tenant',
    summary: 'change a tenant: promote to Service Provider, rename, plan, status, trial, add-ons, token',
    description:
      'Suspending (--status suspended, which records suspended_at and revokes the tenant\'s tokens) and --rotate-token take access away: ' +
      'a terminal asks first; without one, --yes is needed (exit 2 otherwise, before anything is read).',
    options: [
      { flags: '--id <id>', description: 'the tenant to change (required)' },
      { flags: '--service-provider', description: 'make it a Service Provider' },
      { flags: '--no-service-provider', description: 'make it an ordinary tenant (refused while it has children: exit 5)' },
      { flags: '--name <name>', description: 'rename it' },
      { flags: '--plan <plan>', description: 'os, professional or enterprise' },
      { flags: '--status <status>', description: "active or suspended (suspending revokes the tenant's device and user tokens)" },
      { flags: '--addon <name[=on|off]>', description: 'switch an add-on on (default) or off (repeatable)', repeatable: true },
      { flags: '--max-child-tenants <n>', description: 'how many children a Service Provider may create, or "unlimited"' },
      { flags: '--rotate-token', description: 'sign a new tenant token (devices must be given the new one)' },
      {
        flags: '--child-features <list>',
        description: 'Service Provider only: add-ons its children may use (e.g. troubleshoot,configure), "none", or "all" (no policy)',
      },
      { flags: '--force', description: 'with --child-features: switch forbidden add-ons off on children instead of refusing (exit 5)' },
      { flags: '--sso-inherit', description: "child only: use its Service Provider's SSO settings (its own are removed)" },
      { flags: '--no-sso-inherit', description: "child only: stop using its Service Provider's SSO settings" },
      { flags: '--parent <sp-id>', description: "attach it to this active Service Provider (its limits must fit in the SP's free capacity)" },
      { flags: '--no-parent', description: 'detach it from its Service Provider (its allocation returns to the SP)' },
      { flags: '--trial <true|false>', description: "Mender's trial flag (maintenance suspend-tenants-expired-trial suspends trials past their expiration)" },
      { flags: '--trial-expiration <time>', description: 'when the trial ends: ISO 8601 (UTC when no offset is given), or "none"' },
      { flags: '--yes', description: 'do not ask before --status suspended or --rotate-token (needed without a terminal)' },
    ],
    examples: [
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --service-provider --max-child-tenants 50',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --addon monitor --addon troubleshoot=off',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --child-features troubleshoot,configure --force',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f445 --sso-inherit',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --status suspended --yes',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --trial true --trial-expiration 2025-03-01',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f445 --parent 673a03e3c9eca7a440f2f444',
    ],
    mutating: true,
    load: () => {
      const m = require('./commands/update-tenant') as typeof import('./commands/update-tenant');
      return { schema: m.schema, run: m.updateTenant as never };
    },
  },
  {
    name: 'create-user',
    summary: "add a user to a tenant (default role RBAC_ROLE_PERMIT_ALL, the tenant's admin)",
    description:
      'The password comes from --password-file, --password-stdin or a hidden prompt; it is stored as a bcrypt hash (cost 10). ' +
      'Emails are lower-cased and unique across all tenants: a taken one is exit 4. An unknown tenant is exit 3.',
    options: [
      { flags: '--tenant <id>', description: 'the tenant the user belongs to (required)' },
      { flags: '--email <email>', description: 'the login email (required)' },
      { flags: '--role <role>', description: 'a role, e.g. admin (RBAC_ROLE_PERMIT_ALL) or RBAC_ROLE_OBSERVER (repeatable; default admin)', repeatable: true },
      { flags: '--password-file <file>', description: "read the user's password from FILE (one trailing newline is dropped)" },
      { flags: '--password-stdin', description: "read the user's password from standard input" },
    ],
    examples: [
      'tenantadm create-user --tenant 673a03e3c9eca7a440f2f444 --email ops@acme.example --password-file pw.txt',
      'printf %s "$PW" | tenantadm create-user --tenant 673a03e3c9eca7a440f2f444 --email viewer@oem.example --role RBAC_ROLE_OBSERVER --password-stdin',
    ],
    mutating: true,
    load: () => {
      const m = require('./commands/create-user') as typeof import('./commands/create-user');
      return { schema: m.schema, run: m.createUser as never };
    },
  },
  {
    name: 'list-users',
    summary: "list a tenant's users (never their password hashes)",
    options: [{ flags: '--tenant <id>', description: 'the tenant (required; exit 3 when there is none)' }],
    examples: [
      'tenantadm list-users --tenant 673a03e3c9eca7a440f2f444 -o table',
      "tenantadm list-users --tenant 673a03e3c9eca7a440f2f444 --ndjson | jq -r .email",
    ],
    mutating: false,
    load: () => {
      const m = require('./commands/list-users') as typeof import('./commands/list-users');
      return { schema: m.schema, run: m.listUsers as never };
    },
  },
  {
    name: 'get-user',
    summary: 'show one user by email (exit 3 when there is none)',
    options: [
      { flags: '--email <email>', description: 'the login email (required)' },
      { flags: '--tenant <id>', description: 'only if the user belongs to this tenant' },
    ],
    examples: ['tenantadm get-user --email ops@acme.example', 'tenantadm get-user --email ops@acme.example | jq -r .tenant_id'],
    mutating: false,
    load: () => {
      const m = require('./commands/get-user') as typeof import('./commands/get-user');
      return { schema: m.schema, run: m.getUser as never };
    },
  },
  {
    name: 'delete-user',
    summary: "remove a user from a tenant (never the tenant's last admin: exit 5)",
    description:
      'A user of another tenant is not found (exit 3) through this one. Prints the removed user. ' +
      'A terminal asks first; without one, --yes is needed (exit 2 otherwise, before anything is read).',
    options: [
      { flags: '--tenant <id>', description: 'the tenant the user belongs to (required)' },
      { flags: '--email <email>', description: 'the login email (required)' },
      { flags: '--yes', description: 'do not ask (needed without a terminal)' },
    ],
    examples: ['tenantadm delete-user --tenant 673a03e3c9eca7a440f2f444 --email ops@acme.example --yes'],
    mutating: true,
    load: () => {
      const m = require('./commands/delete-user') as typeof import('./commands/delete-user');
      return { schema: m.schema, run: m.deleteUser as never };
    },
  },
  {
    name: 'delete-tenant',
    aliases: ['remove-tenant'],
    summary: 'remove a suspended tenant and all its records, everywhere (asks first; --yes for scripts)',
    description:
      'Only a suspended tenant can be removed (exit 5 otherwise). A Service Provider with children is refused unless --cascade, which removes its children first (each must be suspended). ' +
      "A child's removal returns its capacity to its Service Provider; --parent names the SP the removal is asked through (exit 5 when the tenant is not its child). " +
      "What goes is discovered: every collection of every database on the server (except admin, local, config; --databases restricts) holding documents whose tenant_id is the tenant's, " +
      "deviceauth's tokens of the tenant, every per-tenant database <name>-<tenant id>, the tenant document and the tool's locks on it. " +
      'With the service addresses set, each service\'s internal tenant-removal endpoint is called first where it exists; the rest is swept directly. ' +
      'The removal is journaled and forward-only: once it starts, a killed run is finished by the next command or `tenantadm repair`. ' +
      'It prints {"removed": {...}, "remaining": 0} after proving nothing is left (exit 1 naming where, otherwise), and names the artifacts left in object storage (prefix <tenant id>/, and the tenant\'s own bucket). ' +
      "A terminal asks for the tenant's name to be typed; without one, --yes is needed (exit 2 otherwise, before anything is read). --dry-run prints the plan: one row per database and collection.",
    options: [
      { flags: '--id <id>', description: 'the tenant to remove (required; it must be suspended)' },
      { flags: '--cascade', description: "a Service Provider: remove its children too, first (each must be suspended)" },
      { flags: '--parent <sp-id>', description: 'ask through this Service Provider: refused (exit 5) unless the tenant is its child' },
      { flags: '--databases <names>', description: 'look only in these databases (comma-separated) and their per-tenant <name>-<id> databases' },
      { flags: '--dry-run', description: 'print the plan (database, collection, documents, action) and change nothing' },
      { flags: '--yes', description: 'do not ask: confirm for scripts' },
    ],
    examples: [
      'tenantadm delete-tenant --id 673a03e3c9eca7a440f2f445 --dry-run -o table',
      'tenantadm delete-tenant --id 673a03e3c9eca7a440f2f445 --yes | jq .remaining',
      'tenantadm remove-tenant --id 673a03e3c9eca7a440f2f444 --cascade --yes',
      'tenantadm delete-tenant --id 673a03e3c9eca7a440f2f445 --parent 673a03e3c9eca7a440f2f444 --yes',
    ],
    mutating: true,
    load: () => {
      const m = require('./commands/delete-tenant') as typeof import('./commands/delete-tenant');
      return { schema: m.schema, run: m.deleteTenant as never };
    },
  },
  {
    name: 'maintenance delete-suspended-tenants',
    summary: 'remove every tenant suspended for at least N days, with all its records (as delete-tenant)',
    description:
      "Mender's maintenance job. A tenant's suspension counts from suspended_at (recorded on every suspension), or for tenants suspended before that was recorded, from updated_at. " +
      'The tenants are found with one query and removed as one forward-only operation (see delete-tenant); a Service Provider goes only when all its children go too ' +
      '(otherwise it is skipped and named). --dry-run lists the tenants and what would happen to each. Asks first on a terminal; --yes for scripts (exit 2 without either).',
    options: [
      { flags: '--threshold-days <n>', description: 'how many days a tenant must have been suspended (required; 0 removes every suspended tenant)' },
      { flags: '--databases <names>', description: 'look only in these databases (comma-separated) and their per-tenant <name>-<id> databases' },
      { flags: '--dry-run', description: 'list the tenants that would be removed; change nothing' },
      { flags: '--yes', description: 'do not ask: confirm for scripts' },
    ],
    examples: [
      'tenantadm maintenance delete-suspended-tenants --threshold-days 90 --dry-run -o table',
      'tenantadm maintenance delete-suspended-tenants --threshold-days 90 --yes | jq .removed.tenants',
    ],
    mutating: true,
    load: () => {
      const m = require('./commands/maintenance-delete-suspended-tenants') as typeof import('./commands/maintenance-delete-suspended-tenants');
      return { schema: m.schema, run: m.deleteSuspendedTenants as never };
    },
  },
  {
    name: 'maintenance suspend-tenants-expired-trial',
    summary: 'suspend every active tenant whose trial has expired (Mender\'s trial, trial_expiration)',
    description:
      "Mender's maintenance job: tenants with trial true and trial_expiration in the past are suspended (suspended_at recorded, device and user tokens revoked as update-tenant --status suspended does), " +
      'found with one query and suspended with one update. Prints the tenants. --dry-run lists them and changes nothing. Asks first on a terminal; --yes for scripts (exit 2 without either).',
    options: [
      { flags: '--dry-run', description: 'list the tenants that would be suspended; change nothing' },
      { flags: '--yes', description: 'do not ask: confirm for scripts' },
    ],
    examples: ['tenantadm maintenance suspend-tenants-expired-trial --dry-run -o table', 'tenantadm maintenance suspend-tenants-expired-trial --yes'],
    mutating: true,
    load: () => {
      const m = require('./commands/maintenance-suspend-tenants-expired-trial') as typeof import('./commands/maintenance-suspend-tenants-expired-trial');
      return { schema: m.schema, run: m.suspendTenantsExpiredTrial as never };
    },
  },
  {
    name: 'set-sso',
    summary: "store a tenant's identity-provider (OIDC or SAML) settings from a JSON file",
    description:
      'The file holds {"type":"oidc", issuer, client_id, client_secret, ...} or {"type":"saml", metadata_url | metadata_xml, entity_id, ...}; ' +
      'secrets are never printed. Children of a Service Provider that inherit get every change. A child that inherits cannot set its own (exit 5).',
    options: [
      { flags: '--id <id>', description: 'the tenant (required)' },
      { flags: '-f, --file <file>', description: 'the settings as JSON; "-" reads standard input' },
      { flags: '--clear', description: "remove the tenant's SSO settings" },
    ],
    examples: [
      'tenantadm set-sso --id 673a03e3c9eca7a440f2f444 -f oidc.json',
      'vault kv get -field=sso secret/acme | tenantadm set-sso --id 673a03e3c9eca7a440f2f444 -f -',
      'tenantadm set-sso --id 673a03e3c9eca7a440f2f444 --clear',
    ],
    mutating: true,
    load: () => {
      const m = require('./commands/set-sso') as typeof import('./commands/set-sso');
      return { schema: m.schema, run: m.setSso as never };
    },
  },
  {
    name: 'get-sso',
    summary: "show a tenant's effective SSO settings, secrets masked, and whether they are inherited",
    options: [{ flags: '--id <id>', description: 'the tenant (required)' }],
    examples: ['tenantadm get-sso --id 673a03e3c9eca7a440f2f445', 'tenantadm get-sso --id 673a03e3c9eca7a440f2f445 | jq .inherited_from'],
    mutating: false,
    load: () => {
      const m = require('./commands/get-sso') as typeof import('./commands/get-sso');
      return { schema: m.schema, run: m.getSso as never };
    },
  },
  {
    name: 'set-storage',
    summary: 'give a tenant its own artifact storage (S3 or Azure Blob), or return it to the shared store',
    description:
      'The file holds {"type":"s3", bucket, region, endpoint?, access_key_id, secret_access_key, path_style?} or ' +
      '{"type":"azure", container, account_name + account_key | connection_string}. Secrets are never printed; get-tenant shows the storage masked. ' +
      "They are written where Mender's deployments reads them (deployment_service-<id>.settings), through its internal API when TENANTADM_DEPLOYMENTS_ADDR is set (it checks the bucket).",
    options: [
      { flags: '--id <id>', description: 'the tenant (required)' },
      { flags: '-f, --file <file>', description: 'the settings as JSON; "-" reads standard input' },
      { flags: '--default', description: 'use the shared store again (artifacts under the tenant id prefix)' },
    ],
    examples: [
      'tenantadm set-storage --id 673a03e3c9eca7a440f2f444 -f s3.json',
      'tenantadm set-storage --id 673a03e3c9eca7a440f2f444 -f - < azure.json',
      'tenantadm set-storage --id 673a03e3c9eca7a440f2f444 --default',
    ],
    mutating: true,
    load: () => {
      const m = require('./commands/set-storage') as typeof import('./commands/set-storage');
      return { schema: m.schema, run: m.setStorage as never };
    },
  },
  {
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
    options: [
      { flags: '--id <id>', description: 'the tenant (with --limit)' },
      { flags: '--limit <n>', description: 'a whole number, or "unlimited" (-1); 0 accepts no devices' },
      { flags: '--kind <kind>', description: 'max_devices (default), max_micro_devices or max_system_devices' },
      { flags: '--set <id=n>', description: 'one change of a reallocation plan (repeatable; --kind applies to all)', repeatable: true },
      { flags: '-f, --file <plan.json>', description: 'a reallocation plan as JSON ("-" reads standard input)' },
      { flags: '--force', description: 'allow lowering max_devices below the devices already accepted' },
      { flags: '--dry-run', description: 'check the plan and print what would change; write nothing' },
    ],
    examples: [
      'tenantadm set-device-limit --id 673a03e3c9eca7a440f2f444 --limit 100 --redis-url redis://localhost:6379/0',
      'tenantadm set-device-limit --set 673a03e3c9eca7a440f2f445=20 --set 673a03e3c9eca7a440f2f446=80 -o table',
      'tenantadm set-device-limit -f plan.json --dry-run',
    ],
    mutating: true,
    load: () => {
      const m = require('./commands/set-device-limit') as typeof import('./commands/set-device-limit');
      return { schema: m.schema, run: m.setDeviceLimit as never };
    },
  },
  {
    name: 'usage',
    summary: 'devices and limits per tenant, for billing (JSON array, NDJSON, table, CSV)',
    description:
      'For each tenant: accepted, pending, rejected, preauthorized and noauth devices, each limit kind (-1 unlimited), and for a ' +
      'Service Provider how many children it has, what it allocated to them and what is free (-1: no cap). ' +
      'Counts come from the device-auth devices of that tenant only. --parent lists the children of an SP (use --id for the SP itself).',
    options: [
      { flags: '--id <id>', description: 'only this tenant' },
      { flags: '--parent <sp-id>', description: 'only the children of this Service Provider' },
    ],
    examples: [
      'tenantadm usage -o table',
      'tenantadm usage --id 673a03e3c9eca7a440f2f444 | jq \'.[0].free.max_devices\'',
      'tenantadm usage --parent 673a03e3c9eca7a440f2f444 -o csv > children.csv',
    ],
    mutating: false,
    load: () => {
      const m = require('./commands/usage') as typeof import('./commands/usage');
      return { schema: m.schema, run: m.usage as never };
    },
  },
  {
    name: 'migrate',
    summary: 'create the indexes every command relies on (safe to re-run)',
    description:
      "Creates the indexes writes rely on: on Mender's collections only the ones Mender's own migrations define (useradm email_1, deviceauth tenant_id_name and tenant_id_status__id), " +
      "and the tool's own on its audit collection. Existing equivalent indexes are kept; indexes earlier releases of this tool put on Mender's collections are dropped. " +
      'Tenant names used twice are listed as a warning (Mender allows them; the tool refuses to create more).',
    options: [],
    examples: ['tenantadm migrate', 'tenantadm migrate -o table'],
    mutating: true,
    load: () => {
      const m = require('./commands/migrate') as typeof import('./commands/migrate');
      return { schema: m.schema, run: m.migrate as never };
    },
  },
  {
    name: 'doctor',
    summary: "check what this Mender server reads and whether the tool can work on it (exit 0 yes, 5 no)",
    description:
      "Prints, as JSON, the limit semantics (schema profile) detected from deviceauth's migration_info and any --mender-schema override, the database server's version, " +
      'which Mender services answer at the configured addresses, whether Redis answers, limit documents this deviceauth cannot read, and which indexes exist. ' +
      'Exit 0 when the tool can work, 5 when something must be fixed first (listed under "problems").',
    options: [],
    examples: ['tenantadm doctor', 'TENANTADM_DEVICEAUTH_ADDR=http://mender-device-auth:8080 tenantadm doctor | jq .services'],
    mutating: false,
    load: () => {
      const m = require('./commands/doctor') as typeof import('./commands/doctor');
      return { schema: m.schema, run: m.doctor as never };
    },
  },
  {
    name: 'repair',
    summary: 'settle changes left half-done by a process that was killed',
    description:
      'Rolls back operations whose owner died before their commit point and finishes those that had committed. ' +
      'Every changing command does this first, so it is rarely needed by hand.',
    options: [
      { flags: '--all', description: 'also settle operations whose owner may still be running (only when none is; asks first)' },
      { flags: '--yes', description: 'with --all: do not ask (needed without a terminal)' },
    ],
    examples: ['tenantadm repair', 'tenantadm repair --all --yes'],
    mutating: true,
    load: () => {
      const m = require('./commands/repair') as typeof import('./commands/repair');
      return { schema: m.schema, run: m.repair as never };
    },
  },
];
