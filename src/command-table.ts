/**
 * The command table: every command and option, declared once (see options.ts). The parser,
 * the validation schemas, --help, the man page, shell completion and the options type each
 * command receives are all derived from it, so they cannot drift apart. Command code is
 * loaded only when that command runs.
 */
import type { Deps } from './deps';
import type { Format, Result } from './output';
import { ENV, DEFAULTS, SCHEMA_PROFILES } from './config';
import { ADDONS, LIMIT_KINDS, PLANS, STATUSES } from './domain/tenant';
import { ROLE_NAMES } from './domain/user';
import { schemaOf, type ArgumentDecl, type Constraint, type OptionDecls, type OptionsOf } from './options';
import { validateFlags } from './validate';

/** What a command sees besides its own options while its flags are bound. */
export interface BindContext {
  /** The name typed: the command's or an alias. */
  invokedAs: string;
  globals: GlobalFlags;
}

/** A command's validated options, ready to run. */
export interface Bound {
  options: object;
  run: (deps: Deps) => Promise<Result>;
}

/** A command as the parser, help, man page and completion see it. */
export interface CommandSpec {
  name: string;
  aliases: readonly string[];
  summary: string;
  description?: string;
  options: OptionDecls;
  constraints: readonly Constraint[];
  argument?: ArgumentDecl;
  examples: readonly string[];
  /** The JSON Schema its parsed options must satisfy (derived from the declarations). */
  schema(): object;
  /** Validate parsed flags (exit 2 naming the flag) and bind them to the command's code. */
  bind(flags: Record<string, unknown>, context: BindContext): Bound;
}

type ArgumentOf<A> = A extends { name: infer N extends string; values: readonly (infer V)[] } ? { [K in N]: V } : unknown;

/** The options a command's function receives: its declarations' types, plus its argument. */
export type CommandOptions<D extends OptionDecls, A = undefined> = OptionsOf<D> & ArgumentOf<A>;

/**
 * Declare a command. `options` and `load` are tied by type: the function `load` returns
 * receives exactly the options its declarations describe, once they are validated.
 */
export function defineCommand<const D extends OptionDecls, const A extends ArgumentDecl | undefined = undefined>(spec: {
  name: string;
  aliases?: readonly string[];
  summary: string;
  description?: string;
  options: D;
  constraints?: readonly Constraint<keyof D & string>[];
  argument?: A;
  examples: readonly string[];
  /** Rewrite validated options (compatibility spellings; a command option a global one shadows). */
  adapt?: (options: CommandOptions<D, A>, context: BindContext) => CommandOptions<D, A>;
  load: () => (options: CommandOptions<D, A>, deps: Deps) => Promise<Result>;
}): CommandSpec {
  const constraints = spec.constraints ?? [];
  const schema = () => schemaOf(spec.options, constraints, spec.argument);
  return {
    name: spec.name,
    aliases: spec.aliases ?? [],
    summary: spec.summary,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    options: spec.options,
    constraints,
    ...(spec.argument ? { argument: spec.argument } : {}),
    examples: spec.examples,
    schema,
    bind(flags, context) {
      const validated = validateFlags<CommandOptions<D, A>>(schema(), flags, spec.options, constraints, spec.argument, spec.name);
      const options = spec.adapt ? spec.adapt(validated, context) : validated;
      return { options, run: (deps) => spec.load()(options, deps) };
    },
  };
}

// ---------------------------------------------------------------------------------------
// Global options: valid before or after the command.

/** What -o accepts. */
export const FORMATS = ['json', 'ndjson', 'table', 'csv'] as const satisfies readonly Format[];

export const globalOptions = {
  mongo: { type: 'string', arg: 'url', help: `MongoDB URL (env ${ENV.mongo}, default ${DEFAULTS.mongo})` },
  timeout: { type: 'string', arg: 'ms', help: `connect and server-selection timeout, 100-600000 (env ${ENV.timeout}, default ${DEFAULTS.timeoutMs})` },
  tenantadmDb: { type: 'string', arg: 'name', help: `tenant database (env ${ENV.tenantadmDb}, default ${DEFAULTS.tenantadmDb})` },
  useradmDb: { type: 'string', arg: 'name', help: `user database (env ${ENV.useradmDb}, default ${DEFAULTS.useradmDb})` },
  deviceauthDb: { type: 'string', arg: 'name', help: `device-auth database (env ${ENV.deviceauthDb}, default ${DEFAULTS.deviceauthDb})` },
  auditDb: { type: 'string', arg: 'name', help: `audit database (env ${ENV.auditDb}, default ${DEFAULTS.auditDb})` },
  auditCollection: { type: 'string', arg: 'name', help: `audit collection (env ${ENV.auditCollection}, default ${DEFAULTS.auditCollection})` },
  keyFile: { type: 'string', arg: 'file', file: true, help: `RSA private key that signs tenant tokens (env ${ENV.keyFile})` },
  redisUrl: {
    type: 'string',
    arg: 'url',
    help: `device-auth's Redis, to invalidate cached limits (env ${ENV.redisUrl}), e.g. redis://host:6379/0; a password is better kept in the environment`,
  },
  redisKeyPrefix: { type: 'string', arg: 'prefix', help: `device-auth's cache key prefix (env ${ENV.redisKeyPrefix}, default ${DEFAULTS.redisKeyPrefix})` },
  menderSchema: {
    type: 'enum',
    arg: 'profile',
    values: SCHEMA_PROFILES,
    help: `limit semantics: legacy (Mender <= 4.1: 0 unlimited) or v2 (-1 unlimited, 0 none); detected from deviceauth when not given (env ${ENV.menderSchema})`,
  },
  deviceauthAddr: { type: 'string', arg: 'url', help: `device-auth service, e.g. http://mender-device-auth:8080 (env ${ENV.deviceauthAddr})` },
  useradmAddr: { type: 'string', arg: 'url', help: `user service, e.g. http://mender-useradm:8080 (env ${ENV.useradmAddr})` },
  deploymentsAddr: { type: 'string', arg: 'url', help: `deployments service, e.g. http://mender-deployments:8080 (env ${ENV.deploymentsAddr})` },
  actor: { type: 'string', arg: 'name', help: `who is acting, for the audit log (env ${ENV.actor}, default user@host)` },
  output: { type: 'enum', arg: 'format', short: 'o', values: FORMATS, help: 'output format (default json)' },
  ndjson: { type: 'boolean', help: 'same as -o ndjson: one JSON object a line' },
  wide: { type: 'boolean', help: 'tables: show every value whole instead of fitting the terminal width' },
  quiet: { type: 'boolean', short: 'q', help: 'no progress line on stderr (it is only drawn on a terminal anyway)' },
  input: {
    type: 'boolean',
    help: 'prompts are allowed on a terminal (the default)',
    negate: `never prompt (confirmations, passwords): what would be asked is exit 2; give --yes or a password source (env ${ENV.noInput}=1)`,
  },
  errorFormat: { type: 'enum', arg: 'format', values: ['text', 'json'], help: `how errors are written (env ${ENV.errorFormat}, default text)` },
} as const satisfies OptionDecls;

export type GlobalFlags = OptionsOf<typeof globalOptions>;

/** The global flags, validated like a command's. */
export function validateGlobals(flags: Record<string, unknown>): GlobalFlags {
  return validateFlags<GlobalFlags>(schemaOf(globalOptions), flags, globalOptions, []);
}

// ---------------------------------------------------------------------------------------
// Commands. Each `xxxOptions` is exported so that src/commands/xxx.ts derives its type from it.

const passwordOptions = (whose: string) =>
  ({
    passwordFile: { type: 'string', arg: 'file', file: true, help: `read ${whose} password from FILE (one trailing newline is dropped)` },
    passwordStdin: { type: 'boolean', help: `read ${whose} password from standard input` },
  }) as const;

export const listTenantsOptions = {
  id: { type: 'string', arg: 'id', help: 'only the tenant with this id' },
  name: { type: 'string', arg: 'name', help: 'only the tenant with this exact name' },
  parent: { type: 'string', arg: 'id', help: 'only children of this Service Provider' },
  serviceProvider: { type: 'boolean', help: 'only Service Provider tenants', negate: 'only tenants that are not Service Providers' },
  status: { type: 'enum', arg: 'status', values: STATUSES, help: 'only tenants with this status' },
  plan: { type: 'enum', arg: 'plan', values: PLANS, help: 'only tenants on this plan' },
} as const satisfies OptionDecls;

export const getTenantOptions = {
  id: { type: 'string', arg: 'id', help: 'the tenant with this id' },
  name: { type: 'string', arg: 'name', help: 'the tenant with this name' },
  username: { type: 'string', arg: 'email', help: 'the tenant of the user with this email' },
  includeChildren: { type: 'boolean', help: 'add the children of a Service Provider as "children"' },
} as const satisfies OptionDecls;

export const auditOptions = {
  tenant: { type: 'string', arg: 'id', help: "only entries in this tenant's log" },
  includeChildren: { type: 'boolean', help: "with --tenant: also the logs of that Service Provider's children" },
  action: { type: 'string', arg: 'action', help: 'only this action: create, update, delete, password_change, ...' },
  objectType: { type: 'string', arg: 'type', complete: ['tenant', 'user'], help: 'only entries about this kind of object: tenant, user, ...' },
  objectId: { type: 'string', arg: 'id', help: 'only entries about this object (a tenant or user id)' },
  actor: { type: 'string', arg: 'name', help: 'only entries by this actor (as given with --actor when the change was made)' },
  since: { type: 'string', arg: 'time', help: 'only entries at or after TIME (ISO 8601, or 24h, 7d, ...)' },
  until: { type: 'string', arg: 'time', help: 'only entries before TIME' },
  limit: { type: 'int', arg: 'n', min: 1, max: Number.MAX_SAFE_INTEGER, help: 'at most N entries (the newest)' },
} as const satisfies OptionDecls;

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

export const updateTenantOptions = {
  id: { type: 'string', arg: 'id', required: true, help: 'the tenant to change' },
  serviceProvider: {
    type: 'boolean',
    help: 'make it a Service Provider',
    negate: 'make it an ordinary tenant (refused while it has children: exit 5)',
  },
  name: { type: 'string', arg: 'name', help: 'rename it' },
  plan: { type: 'enum', arg: 'plan', values: PLANS, help: 'change its plan' },
  status: { type: 'enum', arg: 'status', values: STATUSES, help: "change its status (suspending revokes the tenant's device and user tokens)" },
  addon: { type: 'list', arg: 'name[=on|off]', complete: ADDONS, help: 'switch add-ons on (default) or off' },
  maxChildTenants: {
    type: 'int',
    arg: 'n',
    min: 0,
    max: 1_000_000_000,
    unlimited: true,
    help: 'how many children a Service Provider may create',
  },
  rotateToken: { type: 'boolean', help: 'sign a new tenant token (devices must be given the new one)' },
  trial: { type: 'enum', arg: 'true|false', values: ['true', 'false'], help: "Mender's trial flag (maintenance suspend-tenants-expired-trial suspends trials past their expiration)" },
  trialExpiration: { type: 'string', arg: 'time', help: 'when the trial ends: ISO 8601 (UTC when no offset is given), or "none"' },
  yes: { type: 'boolean', help: 'do not ask before --status suspended or --rotate-token (needed without a terminal)' },
  childFeatures: {
    type: 'string',
    arg: 'list',
    complete: ['none', 'all', ...ADDONS],
    help: 'Service Provider only: add-ons its children may use (e.g. troubleshoot,configure), "none", or "all" (no policy)',
  },
  force: { type: 'boolean', help: 'with --child-features: switch forbidden add-ons off on children instead of refusing (exit 5)' },
  ssoInherit: {
    type: 'boolean',
    help: "child only: use its Service Provider's SSO settings (its own are removed)",
    negate: "child only: stop using its Service Provider's SSO settings",
  },
  parent: {
    type: 'string',
    arg: 'sp-id',
    help: "attach it to this active Service Provider (its limits must fit in the SP's free capacity)",
    negate: 'detach it from its Service Provider (its allocation returns to the SP)',
  },
} as const satisfies OptionDecls;

export const createUserOptions = {
  tenant: { type: 'string', arg: 'id', required: true, help: 'the tenant the user belongs to' },
  email: { type: 'string', arg: 'email', required: true, help: 'the login email' },
  role: { type: 'list', arg: 'role', complete: ROLE_NAMES, help: 'roles, e.g. admin (RBAC_ROLE_PERMIT_ALL) or RBAC_ROLE_OBSERVER (default admin)' },
  ...passwordOptions("the user's"),
} as const satisfies OptionDecls;

export const listUsersOptions = {
  tenant: { type: 'string', arg: 'id', required: true, help: 'the tenant (exit 3 when there is none)' },
} as const satisfies OptionDecls;

export const getUserOptions = {
  email: { type: 'string', arg: 'email', required: true, help: 'the login email' },
  tenant: { type: 'string', arg: 'id', help: 'only if the user belongs to this tenant' },
} as const satisfies OptionDecls;

export const deleteUserOptions = {
  tenant: { type: 'string', arg: 'id', required: true, help: 'the tenant the user belongs to' },
  email: { type: 'string', arg: 'email', required: true, help: 'the login email' },
  yes: { type: 'boolean', help: 'do not ask (needed without a terminal)' },
} as const satisfies OptionDecls;

export const deleteTenantOptions = {
  id: { type: 'string', arg: 'id', required: true, help: 'the tenant to remove (it must be suspended)' },
  cascade: { type: 'boolean', help: 'a Service Provider: remove its children too, first (each must be suspended)' },
  parent: { type: 'string', arg: 'sp-id', help: 'ask through this Service Provider: refused (exit 5) unless the tenant is its child' },
  databases: { type: 'list', arg: 'names', help: 'look only in these databases and their per-tenant <name>-<id> databases' },
  dryRun: { type: 'boolean', help: 'print the plan (database, collection, documents, action) and change nothing' },
  yes: { type: 'boolean', help: 'do not ask: confirm for scripts' },
} as const satisfies OptionDecls;

export const deleteSuspendedOptions = {
  thresholdDays: {
    type: 'int',
    arg: 'n',
    min: 0,
    max: 36_500,
    required: true,
    help: 'how many days a tenant must have been suspended (0 removes every suspended tenant)',
  },
  databases: { type: 'list', arg: 'names', help: 'look only in these databases and their per-tenant <name>-<id> databases' },
  dryRun: { type: 'boolean', help: 'list the tenants that would be removed; change nothing' },
  yes: { type: 'boolean', help: 'do not ask: confirm for scripts' },
} as const satisfies OptionDecls;

export const suspendExpiredTrialOptions = {
  dryRun: { type: 'boolean', help: 'list the tenants that would be suspended; change nothing' },
  yes: { type: 'boolean', help: 'do not ask: confirm for scripts' },
} as const satisfies OptionDecls;

export const setSsoOptions = {
  id: { type: 'string', arg: 'id', required: true, help: 'the tenant' },
  file: { type: 'string', arg: 'file', short: 'f', file: true, help: 'the settings as JSON; "-" reads standard input' },
  clear: { type: 'boolean', help: "remove the tenant's SSO settings" },
} as const satisfies OptionDecls;

export const getSsoOptions = {
  id: { type: 'string', arg: 'id', required: true, help: 'the tenant' },
} as const satisfies OptionDecls;

export const setStorageOptions = {
  id: { type: 'string', arg: 'id', required: true, help: 'the tenant' },
  file: { type: 'string', arg: 'file', short: 'f', file: true, help: 'the settings as JSON; "-" reads standard input' },
  default: { type: 'boolean', help: 'use the shared store again (artifacts under the tenant id prefix)' },
} as const satisfies OptionDecls;

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

export const usageOptions = {
  id: { type: 'string', arg: 'id', help: 'only this tenant' },
  parent: { type: 'string', arg: 'sp-id', help: 'only the children of this Service Provider' },
} as const satisfies OptionDecls;

export const repairOptions = {
  all: { type: 'boolean', help: 'also settle operations whose owner may still be running (only when none is; asks first)' },
  yes: { type: 'boolean', help: 'with --all: do not ask (needed without a terminal)' },
} as const satisfies OptionDecls;

export const checkOptions = {
  databases: { type: 'list', arg: 'names', help: 'only these databases and their per-tenant databases <name>-<id>' },
  repair: { type: 'boolean', help: 'fix what is safe to fix without a person; list the rest' },
  dryRun: { type: 'boolean', help: 'with --repair: show what would be fixed, change nothing' },
  yes: { type: 'boolean', help: 'with --repair: do not ask' },
} as const satisfies OptionDecls;

export const noOptions = {} as const satisfies OptionDecls;

export const completionArgument = {
  name: 'shell',
  help: 'the shell to complete for',
  values: ['bash', 'zsh', 'fish'],
} as const satisfies ArgumentDecl;

export const commands: readonly CommandSpec[] = [
  defineCommand({
    name: 'list-tenants',
    summary: 'list tenants as a JSON array (or NDJSON, a table, CSV)',
    description: 'Streams every matching tenant, in creation order, with its device limit and accepted device count.',
    options: listTenantsOptions,
    examples: [
      `tenantadm list-tenants | jq '.[] | {"tenant id": .id, "tenant name": .name}'`,
      'tenantadm list-tenants --service-provider -o table',
      'tenantadm list-tenants --parent 673a03e3c9eca7a440f2f444 --ndjson',
    ],
    load: () => (require('./commands/list-tenants') as typeof import('./commands/list-tenants')).listTenants,
  }),
  defineCommand({
    name: 'get-tenant',
    summary: 'show one tenant as a JSON object (exit 3 when there is none)',
    options: getTenantOptions,
    constraints: [{ exactlyOne: ['id', 'name', 'username'] }],
    examples: ['tenantadm get-tenant --id 673a03e3c9eca7a440f2f444', 'tenantadm get-tenant --username admin@acme.example | jq -r .tenant_token'],
    load: () => (require('./commands/get-tenant') as typeof import('./commands/get-tenant')).getTenant,
  }),
  defineCommand({
    name: 'audit',
    summary: 'show the audit log, newest first, as JSON (or NDJSON, a table, CSV)',
    description:
      'Streams committed audit entries in the API shape {id, time, tenant_id, actor, action, object, change, meta}. ' +
      "Without --tenant: every tenant's entries. With --tenant: that tenant's log, which for a Service Provider includes its children's changes; " +
      '--include-children adds the whole logs of its current children. Times are ISO 8601 (UTC when no offset is given) or a span back from now ' +
      '(30m, 24h, 7d, 2w); --since is inclusive, --until exclusive.',
    options: auditOptions,
    constraints: [{ requires: ['includeChildren', 'tenant'] }],
    examples: [
      'tenantadm audit --tenant 673a03e3c9eca7a440f2f444 --include-children --since 7d -o table',
      'tenantadm audit --since 2025-01-01 --until 2025-02-01 -o csv > audit-january.csv',
      "tenantadm audit --object-type tenant --action update --ndjson | jq -r '.time + \" \" + .change'",
    ],
    // The parser hands --actor to the global option wherever it stands; for this read-only command it is the filter.
    adapt: (options, { globals }) => (globals.actor === undefined ? options : { ...options, actor: globals.actor }),
    load: () => (require('./commands/audit') as typeof import('./commands/audit')).audit,
  }),
  defineCommand({
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
    load: () => (require('./commands/create-tenant') as typeof import('./commands/create-tenant')).createTenant,
  }),
  defineCommand({
    name: 'update-tenant',
    summary: 'change a tenant: promote to Service Provider, rename, plan, status, trial, add-ons, token',
    description:
      "Suspending (--status suspended, which records suspended_at and revokes the tenant's tokens) and --rotate-token take access away: " +
      'a terminal asks first; without one, --yes is needed (exit 2 otherwise, before anything is read).',
    options: updateTenantOptions,
    constraints: [{ requires: ['force', 'childFeatures'], message: '--force only goes with --child-features' }],
    examples: [
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --service-provider --max-child-tenants 50',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --addon monitor,troubleshoot=off',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --child-features troubleshoot,configure --force',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f445 --sso-inherit',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --status suspended --yes',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --trial true --trial-expiration 2025-03-01',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f445 --parent 673a03e3c9eca7a440f2f444',
    ],
    load: () => (require('./commands/update-tenant') as typeof import('./commands/update-tenant')).updateTenant,
  }),
  defineCommand({
    name: 'create-user',
    summary: "add a user to a tenant (default role RBAC_ROLE_PERMIT_ALL, the tenant's admin)",
    description:
      'The password comes from --password-file, --password-stdin or a hidden prompt; it is stored as a bcrypt hash (cost 10). ' +
      'Emails are lower-cased and unique across all tenants: a taken one is exit 4. An unknown tenant is exit 3.',
    options: createUserOptions,
    constraints: [{ atMostOne: ['passwordFile', 'passwordStdin'], message: 'give the password one way only: --password-file or --password-stdin' }],
    examples: [
      'tenantadm create-user --tenant 673a03e3c9eca7a440f2f444 --email ops@acme.example --password-file pw.txt',
      'printf %s "$PW" | tenantadm create-user --tenant 673a03e3c9eca7a440f2f444 --email viewer@oem.example --role RBAC_ROLE_OBSERVER --password-stdin',
    ],
    load: () => (require('./commands/create-user') as typeof import('./commands/create-user')).createUser,
  }),
  defineCommand({
    name: 'list-users',
    summary: "list a tenant's users (never their password hashes)",
    options: listUsersOptions,
    examples: [
      'tenantadm list-users --tenant 673a03e3c9eca7a440f2f444 -o table',
      "tenantadm list-users --tenant 673a03e3c9eca7a440f2f444 --ndjson | jq -r .email",
    ],
    load: () => (require('./commands/list-users') as typeof import('./commands/list-users')).listUsers,
  }),
  defineCommand({
    name: 'get-user',
    summary: 'show one user by email (exit 3 when there is none)',
    options: getUserOptions,
    examples: ['tenantadm get-user --email ops@acme.example', 'tenantadm get-user --email ops@acme.example | jq -r .tenant_id'],
    load: () => (require('./commands/get-user') as typeof import('./commands/get-user')).getUser,
  }),
  defineCommand({
    name: 'delete-user',
    summary: "remove a user from a tenant (never the tenant's last admin: exit 5)",
    description:
      'A user of another tenant is not found (exit 3) through this one. Prints the removed user. ' +
      'A terminal asks first; without one, --yes is needed (exit 2 otherwise, before anything is read).',
    options: deleteUserOptions,
    examples: ['tenantadm delete-user --tenant 673a03e3c9eca7a440f2f444 --email ops@acme.example --yes'],
    load: () => (require('./commands/delete-user') as typeof import('./commands/delete-user')).deleteUser,
  }),
  defineCommand({
    name: 'delete-tenant',
    aliases: ['remove-tenant'],
    summary: 'remove a suspended tenant and all its records, everywhere (asks first; --yes for scripts)',
    description:
      'Only a suspended tenant can be removed (exit 5 otherwise). A Service Provider with children is refused unless --cascade, which removes its children first (each must be suspended). ' +
      "A child's removal returns its capacity to its Service Provider; --parent names the SP the removal is asked through (exit 5 when the tenant is not its child). " +
      "What goes is discovered: every collection of every database on the server (except admin, local, config; --databases restricts) holding documents whose tenant_id is the tenant's, " +
      "deviceauth's tokens of the tenant, every per-tenant database <name>-<tenant id>, the tenant document and the tool's locks on it. " +
      "With the service addresses set, each service's internal tenant-removal endpoint is called first where it exists; the rest is swept directly. " +
      'The removal is journaled and forward-only: once it starts, a killed run is finished by the next command or `tenantadm repair`. ' +
      'It prints {"removed": {...}, "remaining": 0} after proving nothing is left (exit 1 naming where, otherwise), and names the artifacts left in object storage (prefix <tenant id>/, and the tenant\'s own bucket). ' +
      "A terminal asks for the tenant's name to be typed; without one, --yes is needed (exit 2 otherwise, before anything is read). --dry-run prints the plan: one row per database and collection.",
    options: deleteTenantOptions,
    examples: [
      'tenantadm delete-tenant --id 673a03e3c9eca7a440f2f445 --dry-run -o table',
      'tenantadm delete-tenant --id 673a03e3c9eca7a440f2f445 --yes | jq .remaining',
      'tenantadm remove-tenant --id 673a03e3c9eca7a440f2f444 --cascade --yes',
      'tenantadm delete-tenant --id 673a03e3c9eca7a440f2f445 --parent 673a03e3c9eca7a440f2f444 --yes',
    ],
    load: () => (require('./commands/delete-tenant') as typeof import('./commands/delete-tenant')).deleteTenant,
  }),
  defineCommand({
    name: 'maintenance delete-suspended-tenants',
    summary: 'remove every tenant suspended for at least N days, with all its records (as delete-tenant)',
    description:
      "Mender's maintenance job. A tenant's suspension counts from suspended_at (recorded on every suspension), or for tenants suspended before that was recorded, from updated_at. " +
      'The tenants are found with one query and removed as one forward-only operation (see delete-tenant); a Service Provider goes only when all its children go too ' +
      '(otherwise it is skipped and named). --dry-run lists the tenants and what would happen to each. Asks first on a terminal; --yes for scripts (exit 2 without either).',
    options: deleteSuspendedOptions,
    examples: [
      'tenantadm maintenance delete-suspended-tenants --threshold-days 90 --dry-run -o table',
      'tenantadm maintenance delete-suspended-tenants --threshold-days 90 --yes | jq .removed.tenants',
    ],
    load: () =>
      (require('./commands/maintenance-delete-suspended-tenants') as typeof import('./commands/maintenance-delete-suspended-tenants')).deleteSuspendedTenants,
  }),
  defineCommand({
    name: 'maintenance suspend-tenants-expired-trial',
    summary: "suspend every active tenant whose trial has expired (Mender's trial, trial_expiration)",
    description:
      "Mender's maintenance job: tenants with trial true and trial_expiration in the past are suspended (suspended_at recorded, device and user tokens revoked as update-tenant --status suspended does), " +
      'found with one query and suspended with one update. Prints the tenants. --dry-run lists them and changes nothing. Asks first on a terminal; --yes for scripts (exit 2 without either).',
    options: suspendExpiredTrialOptions,
    examples: ['tenantadm maintenance suspend-tenants-expired-trial --dry-run -o table', 'tenantadm maintenance suspend-tenants-expired-trial --yes'],
    load: () =>
      (require('./commands/maintenance-suspend-tenants-expired-trial') as typeof import('./commands/maintenance-suspend-tenants-expired-trial'))
        .suspendTenantsExpiredTrial,
  }),
  defineCommand({
    name: 'set-sso',
    summary: "store a tenant's identity-provider (OIDC or SAML) settings from a JSON file",
    description:
      'The file holds {"type":"oidc", issuer, client_id, client_secret, ...} or {"type":"saml", metadata_url | metadata_xml, entity_id, ...}; ' +
      'secrets are never printed. Children of a Service Provider that inherit get every change. A child that inherits cannot set its own (exit 5).',
    options: setSsoOptions,
    constraints: [{ exactlyOne: ['file', 'clear'], message: 'give exactly one of -f FILE and --clear' }],
    examples: [
      'tenantadm set-sso --id 673a03e3c9eca7a440f2f444 -f oidc.json',
      'vault kv get -field=sso secret/acme | tenantadm set-sso --id 673a03e3c9eca7a440f2f444 -f -',
      'tenantadm set-sso --id 673a03e3c9eca7a440f2f444 --clear',
    ],
    load: () => (require('./commands/set-sso') as typeof import('./commands/set-sso')).setSso,
  }),
  defineCommand({
    name: 'get-sso',
    summary: "show a tenant's effective SSO settings, secrets masked, and whether they are inherited",
    options: getSsoOptions,
    examples: ['tenantadm get-sso --id 673a03e3c9eca7a440f2f445', 'tenantadm get-sso --id 673a03e3c9eca7a440f2f445 | jq .inherited_from'],
    load: () => (require('./commands/get-sso') as typeof import('./commands/get-sso')).getSso,
  }),
  defineCommand({
    name: 'set-storage',
    summary: 'give a tenant its own artifact storage (S3 or Azure Blob), or return it to the shared store',
    description:
      'The file holds {"type":"s3", bucket, region, endpoint?, access_key_id, secret_access_key, path_style?} or ' +
      '{"type":"azure", container, account_name + account_key | connection_string}. Secrets are never printed; get-tenant shows the storage masked. ' +
      "They are written where Mender's deployments reads them (deployment_service-<id>.settings), through its internal API when TENANTADM_DEPLOYMENTS_ADDR is set (it checks the bucket).",
    options: setStorageOptions,
    constraints: [{ exactlyOne: ['file', 'default'], message: 'give exactly one of -f FILE and --default' }],
    examples: [
      'tenantadm set-storage --id 673a03e3c9eca7a440f2f444 -f s3.json',
      'tenantadm set-storage --id 673a03e3c9eca7a440f2f444 -f - < azure.json',
      'tenantadm set-storage --id 673a03e3c9eca7a440f2f444 --default',
    ],
    load: () => (require('./commands/set-storage') as typeof import('./commands/set-storage')).setStorage,
  }),
  defineCommand({
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
    load: () => (require('./commands/set-device-limit') as typeof import('./commands/set-device-limit')).setDeviceLimit,
  }),
  defineCommand({
    name: 'usage',
    summary: 'devices and limits per tenant, for billing (JSON array, NDJSON, table, CSV)',
    description:
      'For each tenant: accepted, pending, rejected, preauthorized and noauth devices, each limit kind (-1 unlimited), and for a ' +
      'Service Provider how many children it has, what it allocated to them and what is free (-1: no cap). ' +
      'Counts come from the device-auth devices of that tenant only. --parent lists the children of an SP (use --id for the SP itself).',
    options: usageOptions,
    constraints: [{ atMostOne: ['id', 'parent'] }],
    examples: [
      'tenantadm usage -o table',
      'tenantadm usage --id 673a03e3c9eca7a440f2f444 | jq \'.[0].free.max_devices\'',
      'tenantadm usage --parent 673a03e3c9eca7a440f2f444 -o csv > children.csv',
    ],
    load: () => (require('./commands/usage') as typeof import('./commands/usage')).usage,
  }),
  defineCommand({
    name: 'migrate',
    summary: 'create the indexes every command relies on (safe to re-run)',
    description:
      "Creates the indexes writes rely on: on Mender's collections only the ones Mender's own migrations define (useradm email_1, deviceauth tenant_id_name and tenant_id_status__id), " +
      "and the tool's own on its audit collection. Existing equivalent indexes are kept; indexes earlier releases of this tool put on Mender's collections are dropped. " +
      'Tenant names used twice are listed as a warning (Mender allows them; the tool refuses to create more).',
    options: noOptions,
    examples: ['tenantadm migrate', 'tenantadm migrate -o table'],
    load: () => (require('./commands/migrate') as typeof import('./commands/migrate')).migrate,
  }),
  defineCommand({
    name: 'doctor',
    summary: 'check what this Mender server reads and whether the tool can work on it (exit 0 yes, 5 no)',
    description:
      "Prints, as JSON, the limit semantics (schema profile) detected from deviceauth's migration_info and any --mender-schema override, the database server's version, " +
      'which Mender services answer at the configured addresses, whether Redis answers, limit documents this deviceauth cannot read, and which indexes exist. ' +
      'Exit 0 when the tool can work, 5 when something must be fixed first (listed under "problems").',
    options: noOptions,
    examples: ['tenantadm doctor', 'TENANTADM_DEVICEAUTH_ADDR=http://mender-device-auth:8080 tenantadm doctor | jq .services'],
    load: () => (require('./commands/doctor') as typeof import('./commands/doctor')).doctor,
  }),
  defineCommand({
    name: 'check',
    summary: 'audit tenant isolation and consistency (exit 0 clean, 5 when anything is found)',
    description:
      'Reads every database on the server (except admin, local, config; --databases to restrict) once, by streaming, and reports as JSON, with counts and up to 10 sample ids each: ' +
      'documents whose tenant_id names no tenant, per database and collection, and per-tenant databases (<name>-<tenant id>) of tenants that do not exist; ' +
      'email addresses used by more than one user; Service Providers whose children hold more of a limit than they have, children whose parent is missing or not an SP, SPs over max_child_tenants; ' +
      "limit documents this deviceauth cannot read and duplicate limit documents; operations left by dead processes, pending audit entries and expired locks. " +
      '--repair fixes what needs no person (settles dead operations, rolls back pending audit entries of no operation, drops expired locks and limit documents of missing tenants) and lists the rest; ' +
      'it asks first on a terminal (--yes in scripts; without either it stops with exit 2 before reading anything). --dry-run shows what --repair would do.',
    options: checkOptions,
    constraints: [
      { requires: ['dryRun', 'repair'], message: '--dry-run goes with --repair (check alone changes nothing)' },
      { requires: ['yes', 'repair'], message: '--yes goes with --repair (check alone changes nothing and asks nothing)' },
    ],
    examples: [
      "tenantadm check | jq '.findings[] | {kind, count}'",
      'tenantadm check -o table',
      'tenantadm check --databases deviceauth,useradm,deployment_service',
      'tenantadm check --repair --dry-run -o table',
      'tenantadm check --repair --yes',
    ],
    load: () => (require('./commands/check') as typeof import('./commands/check')).check,
  }),
  defineCommand({
    name: 'repair',
    summary: 'settle changes left half-done by a process that was killed',
    description:
      'Rolls back operations whose owner died before their commit point and finishes those that had committed. ' +
      'Every changing command does this first, so it is rarely needed by hand.',
    options: repairOptions,
    constraints: [{ requires: ['yes', 'all'], message: '--yes goes with --all (repair alone settles only dead operations and asks nothing)' }],
    examples: ['tenantadm repair', 'tenantadm repair --all --yes'],
    load: () => (require('./commands/repair') as typeof import('./commands/repair')).repair,
  }),
  defineCommand({
    name: 'completion',
    summary: 'print a shell completion script (bash, zsh or fish)',
    description:
      'Completes commands, aliases, option names and the values of options that take a fixed set of words. ' +
      'Load it from your shell\'s start-up file, or install it where your shell looks for completions.',
    options: noOptions,
    argument: completionArgument,
    examples: [
      'source <(tenantadm completion bash)',
      'tenantadm completion zsh > "${fpath[1]}/_tenantadm"',
      'tenantadm completion fish > ~/.config/fish/completions/tenantadm.fish',
    ],
    load: () => (require('./commands/completion') as typeof import('./commands/completion')).completion,
  }),
];
