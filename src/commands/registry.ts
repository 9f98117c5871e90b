/**
 * Declarative command metadata: the parser, `--help` and the man page are all built
 * from this table, so they cannot drift apart. Command code is loaded only when run.
 */
import type { Deps } from '../deps';
import type { Result } from '../output';
import type { GlobalFlags } from '../config';

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
      const m = require('./list-tenants') as typeof import('./list-tenants');
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
      const m = require('./get-tenant') as typeof import('./get-tenant');
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
      const m = require('./audit') as typeof import('./audit');
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
      { flags: '--name <name>', description: 'organisation name (unique)' },
      { flags: '--plan <plan>', description: 'os, professional or enterprise (default enterprise)' },
      { flags: '--addon <name>', description: 'enable an add-on: troubleshoot, configure, monitor (repeatable)', repeatable: true },
      { flags: '--device-limit <n>', description: 'maximum accepted devices, or "unlimited" (default); 0 accepts none' },
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
      const m = require('./create-tenant') as typeof import('./create-tenant');
      return { schema: m.schema, run: m.createTenant as never };
    },
  },
  {
    name: 'update-tenant',
    summary: 'change a tenant: promote to Service Provider, rename, plan, status, add-ons, token',
    options: [
      { flags: '--id <id>', description: 'the tenant to change (required)' },
      { flags: '--service-provider', description: 'make it a Service Provider' },
      { flags: '--no-service-provider', description: 'make it an ordinary tenant (refused while it has children: exit 5)' },
      { flags: '--name <name>', description: 'rename it' },
      { flags: '--plan <plan>', description: 'os, professional or enterprise' },
      { flags: '--status <status>', description: 'active or suspended' },
      { flags: '--addon <name[=on|off]>', description: 'switch an add-on on (default) or off (repeatable)', repeatable: true },
      { flags: '--max-child-tenants <n>', description: 'how many children a Service Provider may create, or "unlimited"' },
      { flags: '--rotate-token', description: 'sign a new tenant token (devices must be given the new one)' },
    ],
    examples: [
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --service-provider --max-child-tenants 50',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --addon monitor --addon troubleshoot=off',
      'tenantadm update-tenant --id 673a03e3c9eca7a440f2f444 --status suspended',
    ],
    mutating: true,
    load: () => {
      const m = require('./update-tenant') as typeof import('./update-tenant');
      return { schema: m.schema, run: m.updateTenant as never };
    },
  },
  {
    name: 'migrate',
    summary: 'create the indexes every command relies on (safe to re-run)',
    description: 'Creates the unique indexes on tenant name, user email and (tenant_id, name) of limits, and those listings need. Existing equivalent indexes are kept.',
    options: [],
    examples: ['tenantadm migrate', 'tenantadm migrate -o table'],
    mutating: true,
    load: () => {
      const m = require('./migrate') as typeof import('./migrate');
      return { schema: m.schema, run: m.migrate as never };
    },
  },
  {
    name: 'repair',
    summary: 'settle changes left half-done by a process that was killed',
    description:
      'Rolls back operations whose owner died before their commit point and finishes those that had committed. ' +
      'Every changing command does this first, so it is rarely needed by hand.',
    options: [{ flags: '--all', description: 'also settle operations whose owner may still be running (only when none is)' }],
    examples: ['tenantadm repair'],
    mutating: true,
    load: () => {
      const m = require('./repair') as typeof import('./repair');
      return { schema: m.schema, run: m.repair as never };
    },
  },
];
