/**
 * The parser and the validation at the edge, as a table: argv in, the exact options object
 * the command receives out (or the usage error, exit 2, it is refused with).
 */
import { parse } from '../../src/cli/parse';
import { commands } from '../../src/cli/command-table';
import { UsageError, exitCodeOf } from '../../src/errors';

const ID = '673a03e3c9eca7a440f2f444';

function parsed(...args: string[]) {
  const out: string[] = [];
  const outcome = parse(['node', 'tenantadm', ...args], '9.9.9', { out: (s) => out.push(s), err: (s) => out.push(s) });
  if (outcome.kind !== 'run') throw new Error(`expected a command, got exit ${outcome.code}`);
  const { spec, options, format, globals } = outcome.invocation;
  return { command: spec.name, options, format, globals };
}

function refusal(...args: string[]): UsageError {
  try {
    parsed(...args);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`${args.join(' ')} was accepted`);
}

// argv in, the exact options object the command receives out.
const accepted: [string[], { command: string; options: Record<string, unknown>; format?: string }][] = [
  [['list-tenants'], { command: 'list-tenants', options: {} }],
  [['list-tenants', '--service-provider'], { command: 'list-tenants', options: { serviceProvider: true } }],
  [['list-tenants', '--no-service-provider'], { command: 'list-tenants', options: { serviceProvider: false } }],
  [['list-tenants', '--parent', 'abc', '--status', 'active'], { command: 'list-tenants', options: { parent: 'abc', status: 'active' } }],
  [['list-tenants', '--ndjson'], { command: 'list-tenants', options: {}, format: 'ndjson' }],
  [['-o', 'table', 'list-tenants'], { command: 'list-tenants', options: {}, format: 'table' }],
  [['list-tenants', '-o', 'csv'], { command: 'list-tenants', options: {}, format: 'csv' }],
  [['list-tenants', '--ndjson', '-o', 'ndjson'], { command: 'list-tenants', options: {}, format: 'ndjson' }],
  [['get-tenant', '--username', 'a@b.c'], { command: 'get-tenant', options: { username: 'a@b.c' } }],
  [['get-tenant', '--name=acme', '--include-children'], { command: 'get-tenant', options: { name: 'acme', includeChildren: true } }],
  [
    ['create-tenant', '--name', 'n', '--addon', 'monitor', '--addon', 'configure', '--device-limit', 'unlimited'],
    { command: 'create-tenant', options: { name: 'n', addon: ['monitor', 'configure'], deviceLimit: 'unlimited' } },
  ],
  // --addon takes comma lists, like --role.
  [['create-tenant', '--name', 'n', '--addon', 'monitor,configure'], { command: 'create-tenant', options: { name: 'n', addon: ['monitor', 'configure'] } }],
  [['create-tenant', '--name', 'n', '--device-limit', '-1'], { command: 'create-tenant', options: { name: 'n', deviceLimit: -1 } }],
  [['create-tenant', '--name', 'n', '--device-limit', '0'], { command: 'create-tenant', options: { name: 'n', deviceLimit: 0 } }],
  [
    ['create-tenant', '--name', 'n', '--device-limit', '9007199254740991'],
    { command: 'create-tenant', options: { name: 'n', deviceLimit: 9007199254740991 } },
  ],
  [
    ['create-org', '--name', 'n', '--username', 'u@x.io', '--password', 'p'],
    { command: 'create-tenant', options: { name: 'n', adminEmail: 'u@x.io', password: 'p', idOnly: true } },
  ],
  [
    ['create-tenant', '--name', 'n', '--admin-email', 'u@x.io', '--password-stdin', '--if-not-exists'],
    { command: 'create-tenant', options: { name: 'n', adminEmail: 'u@x.io', passwordStdin: true, ifNotExists: true } },
  ],
  [
    ['create-tenant', '--name', 'c', '--parent', ID, '--sso'],
    { command: 'create-tenant', options: { name: 'c', parent: ID, sso: true } },
  ],
  [
    ['update-tenant', '--tenant', 'i', '--service-provider', '--max-child-tenants', '5', '--addon', 'monitor=off', '--rotate-token'],
    { command: 'update-tenant', options: { tenant: 'i', serviceProvider: true, maxChildTenants: 5, addon: ['monitor=off'], rotateToken: true } },
  ],
  [['update-tenant', '--tenant', 'i', '--max-child-tenants', 'unlimited'], { command: 'update-tenant', options: { tenant: 'i', maxChildTenants: 'unlimited' } }],
  [['update-tenant', '--tenant', 'i', '--no-service-provider'], { command: 'update-tenant', options: { tenant: 'i', serviceProvider: false } }],
  [['update-tenant', '--tenant', 'i', '--no-parent'], { command: 'update-tenant', options: { tenant: 'i', parent: false } }],
  [['update-tenant', '--tenant', 'i', '--parent', ID], { command: 'update-tenant', options: { tenant: 'i', parent: ID } }],
  [['update-tenant', '--tenant', 'i', '--no-sso-inherit'], { command: 'update-tenant', options: { tenant: 'i', ssoInherit: false } }],
  [
    ['update-tenant', '--tenant', 'i', '--child-features', 'troubleshoot', '--force'],
    { command: 'update-tenant', options: { tenant: 'i', childFeatures: 'troubleshoot', force: true } },
  ],
  [
    ['create-user', '--tenant', ID, '--email', 'a@b.io', '--role', 'admin,observer', '--role', 'ci'],
    { command: 'create-user', options: { tenant: ID, email: 'a@b.io', role: ['admin', 'observer', 'ci'] } },
  ],
  [['set-device-limit', '--tenant', ID, '--device-limit', '10'], { command: 'set-device-limit', options: { tenant: ID, deviceLimit: 10 } }],
  [['set-device-limit', '--tenant', ID, '--device-limit', '-1'], { command: 'set-device-limit', options: { tenant: ID, deviceLimit: -1 } }],
  [['set-device-limit', '--tenant', ID, '--device-limit', 'unlimited', '--kind', 'max_micro_devices'], { command: 'set-device-limit', options: { tenant: ID, deviceLimit: 'unlimited', kind: 'max_micro_devices' } }],
  [['set-device-limit', '--set', `${ID}=1`, '--set', `${ID}=2`], { command: 'set-device-limit', options: { set: [`${ID}=1`, `${ID}=2`] } }],
  [['set-device-limit', '-f', '-', '--dry-run'], { command: 'set-device-limit', options: { file: '-', dryRun: true } }],
  [['set-sso', '--tenant', ID, '--clear'], { command: 'set-sso', options: { tenant: ID, clear: true } }],
  [['set-storage', '--tenant', ID, '-f', 's3.json'], { command: 'set-storage', options: { tenant: ID, file: 's3.json' } }],
  [['audit', '--last', '20', '--tenant', ID, '--include-children'], { command: 'audit', options: { last: 20, tenant: ID, includeChildren: true } }],
  [['audit', '--by', 'ops@x.io'], { command: 'audit', options: { by: 'ops@x.io' } }],
  // Older spellings, kept as aliases: --id for --tenant, --limit for --device-limit and audit's --last, the global --actor as audit's filter.
  [['get-tenant', '--id', ID], { command: 'get-tenant', options: { tenant: ID } }],
  [['update-tenant', '--id', 'i', '--name', 'n'], { command: 'update-tenant', options: { tenant: 'i', name: 'n' } }],
  [['set-device-limit', '--id', ID, '--limit', '7'], { command: 'set-device-limit', options: { tenant: ID, deviceLimit: 7 } }],
  [['audit', '--limit', '20'], { command: 'audit', options: { last: 20 } }],
  [['audit', '--actor', 'ops@x.io'], { command: 'audit', options: { by: 'ops@x.io' } }],
  [
    ['set-device-limit', '--tenant', ID, '--device-limit', '10', '--micro-device-limit', 'unlimited', '--system-device-limit', '0'],
    { command: 'set-device-limit', options: { tenant: ID, deviceLimit: 10, microDeviceLimit: 'unlimited', systemDeviceLimit: 0 } },
  ],
  [['usage', '--parent', ID], { command: 'usage', options: { parent: ID } }],
  [['migrate'], { command: 'migrate', options: {} }],
  [['repair', '--all'], { command: 'repair', options: { all: true } }],
  [['completion', 'fish'], { command: 'completion', options: { shell: 'fish' } }],
  [
    ['check', '--databases', 'a,b', '--databases', 'c', '--repair', '--dry-run', '-o', 'table'],
    { command: 'check', options: { databases: ['a', 'b', 'c'], repair: true, dryRun: true }, format: 'table' },
  ],
  [
    ['maintenance', 'delete-suspended-tenants', '--threshold-days', '30', '--dry-run'],
    { command: 'maintenance delete-suspended-tenants', options: { thresholdDays: 30, dryRun: true } },
  ],
  [
    ['update-tenant', '--tenant', 'i', '--trial', 'true', '--trial-expiration', '2025-01-01'],
    { command: 'update-tenant', options: { tenant: 'i', trial: 'true', trialExpiration: '2025-01-01' } },
  ],
  [['delete-tenant', '--tenant', ID, '--databases', 'a,b', '--yes'], { command: 'delete-tenant', options: { tenant: ID, databases: ['a', 'b'], yes: true } }],
];

// argv in, the usage error out: exit 2, and nothing can have been written since no command ran.
const refused: [string[], RegExp][] = [
  [['nope'], /unknown command 'nope'/],
  [['list-tenants', '--bogus'], /unknown option '--bogus'/],
  [['list-tenants', 'extra'], /too many arguments/],
  [['list-tenants', '-o', 'yaml'], /^--output must be one of json, ndjson, table, csv$/],
  [['list-tenants', '--ndjson', '-o', 'table'], /--ndjson and -o disagree/],
  [['list-tenants', '--plan', 'gold'], /^--plan must be one of os, professional, enterprise$/],
  [['get-tenant', '--tenant'], /argument missing/],
  [[], /no command given/],
  [['help', 'nope'], /^unknown command 'nope'$/],
  // An empty $ROLE must not grant admin.
  [['create-user', '--tenant', ID, '--email', 'a@b.io', '--role', ''], /^--role has an empty item$/],
  [['create-user', '--tenant', ID, '--email', 'a@b.io', '--role', ','], /^--role has an empty item$/],
  [['create-user', '--tenant', ID, '--email', 'a@b.io', '--role', 'admin,'], /^--role has an empty item$/],
  [['create-tenant', '--name', 'x', '--addon', ''], /^--addon has an empty item$/],
  // Control characters: DEL and C0 in names, emails, anything.
  [['create-tenant', '--name', 'a\x7fb'], /^--name contains a control character$/],
  [['create-tenant', '--name', 'a\x1bb'], /^--name contains a control character$/],
  [['update-tenant', '--tenant', ID, '--name', 'a\u0085b'], /^--name contains a control character$/],
  [['create-user', '--tenant', ID, '--email', 'a\x01@b.io'], /^--email contains a control character$/],
  [['create-user', '--tenant', ID, '--email', 'a@b.io\n'], /^--email contains a control character$/],
  [['get-user', '--email', 'a\x7f@b.io'], /^--email contains a control character$/],
  [['create-tenant', '--name', ''], /^--name is empty$/],
  // Integers: safe, whole, in the declared range.
  [['update-tenant', '--tenant', ID, '--max-child-tenants', '99999999999999999999999'], /^--max-child-tenants must be a whole number from 0 to 1000000000, or "unlimited"$/],
  [['update-tenant', '--tenant', ID, '--max-child-tenants', '1e3'], /^--max-child-tenants must be a whole number/],
  [['update-tenant', '--tenant', ID, '--max-child-tenants', '-2'], /^--max-child-tenants must be a whole number/],
  [['create-tenant', '--name', 'x', '--device-limit', '9007199254740992'], /^--device-limit must be a whole number from -1 to 9007199254740991, or "unlimited"$/],
  [['update-tenant', '--tenant', ID, '--max-child-tenants', '-1'], /^--max-child-tenants must be a whole number from 0/],
  [['create-tenant', '--name', 'x', '--device-limit', '1.5'], /^--device-limit must be a whole number/],
  [['set-device-limit', '--tenant', ID, '--device-limit', '-5'], /^--device-limit must be a whole number/],
  [['set-device-limit', '--tenant', ID, '--limit', '-5'], /^--device-limit must be a whole number/],
  [['audit', '--last', '0'], /^--last must be a whole number from 1/],
  // A spelling another command uses, or an older one, is answered with this command's name for it.
  [['list-users', '--id', ID], /^unknown option '--id': list-users calls it --tenant$/],
  [['update-tenant', '--tenant', ID, '--limit', '5'], /^unknown option '--limit'/],
  [['create-user', '--tenant', ID, '--username', 'a@b.io'], /^unknown option '--username': create-user calls it --email$/],
  // The same option under its name and an alias: given twice.
  [['get-tenant', '--tenant', ID, '--id', ID], /^--tenant and --id are the same option$/],
  // Contradicting or repeated flags: never "the last one wins".
  [['update-tenant', '--tenant', ID, '--service-provider', '--no-service-provider'], /^--service-provider and --no-service-provider contradict each other$/],
  [['list-tenants', '--no-service-provider', '--service-provider'], /^--no-service-provider and --service-provider contradict each other$/],
  [['update-tenant', '--tenant', ID, '--parent', ID, '--no-parent'], /^--parent and --no-parent contradict each other$/],
  [['update-tenant', '--tenant', ID, '--sso-inherit', '--no-sso-inherit'], /contradict each other/],
  [['create-org', '--name', 'x', '--username', 'a@b.io', '--admin-email', 'b@b.io'], /^give at most one of --admin-email or --username$/],
  [['create-tenant', '--name', 'x', '--name', 'y'], /^--name is given twice$/],
  [['--mongo', 'mongodb://a', 'list-tenants', '--mongo', 'mongodb://b'], /^--mongo is given twice$/],
  // Constraints declared in the command table.
  [['get-tenant'], /^give exactly one of --tenant, --name or --username$/],
  [['get-tenant', '--tenant', ID, '--name', 'x'], /^give exactly one of --tenant, --name or --username$/],
  [['create-tenant', '--name', 'x', '--sso'], /^--sso needs --parent/],
  [['create-tenant', '--name', 'x', '--password-file', 'f', '--password-stdin'], /^give the password one way only/],
  [['update-tenant', '--tenant', ID, '--force'], /^--force only goes with --child-features$/],
  [['update-tenant', '--name', 'x'], /^missing --tenant$/],
  [['set-device-limit'], /^give exactly one of --tenant with limits/],
  [['set-device-limit', '--device-limit', '5'], /^give exactly one of --tenant with limits/],
  [['set-device-limit', '--set', `${ID}=2`, '--micro-device-limit', '5'], /^--micro-device-limit goes with --tenant$/],
  [['set-device-limit', '--tenant', ID, '--kind', 'max_micro_devices', '--system-device-limit', '1'], /^--kind picks the tier of --device-limit/],
  [['set-device-limit', '--tenant', ID, '--device-limit', '1', '--set', `${ID}=2`], /^give exactly one of --tenant with limits/],
  [['set-device-limit', '-f', 'plan.json', '--kind', 'max_devices'], /^--kind does not apply to --file/],
  [['set-sso', '--tenant', ID], /^give exactly one of -f FILE and --clear$/],
  [['set-sso', '--tenant', ID, '-f', 'x.json', '--clear'], /^give exactly one of -f FILE and --clear$/],
  [['set-storage', '--tenant', ID], /^give exactly one of -f FILE and --default$/],
  [['usage', '--tenant', ID, '--parent', ID], /^give at most one of --tenant, --parent or --tree$/],
  [['audit', '--include-children'], /^--include-children needs --tenant$/],
  [['completion', 'powershell'], /^<shell> must be one of bash, zsh, fish$/],
  [['--mender-schema', 'v3', 'doctor'], /^--mender-schema must be one of legacy, v2; did you mean v2\?$/],
  [['--error-format', 'xml', 'doctor'], /^--error-format must be one of text, json$/],
];

describe('argv parsing', () => {
  it.each(accepted)('%j', (argv, expected) => {
    const got = parsed(...argv);
    expect(got.command).toBe(expected.command);
    expect(got.options).toEqual(expected.options);
    expect(got.format).toBe(expected.format ?? 'json');
  });

  it.each(refused)('refuses %j with exit 2: %s', (argv, message) => {
    const err = refusal(...argv);
    expect(err.message).toMatch(message);
    expect(exitCodeOf(err)).toBe(2);
  });

  it('reads global options before and after the command', () => {
    expect(parsed('--mongo', 'mongodb://a', 'list-tenants').globals.mongo).toBe('mongodb://a');
    expect(parsed('list-tenants', '--mongo', 'mongodb://b', '--timeout', '100').globals).toMatchObject({ mongo: 'mongodb://b', timeout: '100' });
  });

  it('--no-input is a global option, before or after the command', () => {
    expect(parsed('--no-input', 'repair').globals.input).toBe(false);
    expect(parsed('delete-tenant', '--tenant', 'i', '--no-input').globals.input).toBe(false);
    expect(parsed('repair').globals.input).toBeUndefined();
  });

  it.each([[['maintenance', 'nope']], [['maintenance', 'delete-suspended-tenants', 'extra']], [['maintenance', 'delete-suspended-tenants']]])(
    'rejects %j as a usage error',
    (argv) => {
      expect(() => parsed(...argv)).toThrow(UsageError);
    },
  );

  it('ends with exit 0 for --help, help COMMAND and --version', () => {
    const out: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(`stderr:${s}`) };
    expect(parse(['node', 't', '--version'], '1.2.3', io)).toEqual({ kind: 'exit', code: 0 });
    expect(out.join('')).toBe('1.2.3\n');
    out.length = 0;
    expect(parse(['node', 't', 'list-tenants', '--help'], '1', io)).toEqual({ kind: 'exit', code: 0 });
    expect(out.join('')).toMatch(/Examples:/);
    out.length = 0;
    expect(parse(['node', 't', 'help', 'list-tenants'], '1', io)).toEqual({ kind: 'exit', code: 0 });
    expect(out.join('')).toMatch(/^Usage: tenantadm list-tenants \[options\]/);
    expect(out.join('')).not.toMatch(/stderr:/);
    out.length = 0;
    expect(parse(['node', 't', 'help'], '1', io)).toEqual({ kind: 'exit', code: 0 });
    expect(out.join('')).toMatch(/^Usage: tenantadm \[options\] \[command\]/);
  });
});

describe("each command's help", () => {
  const helpOf = (name: string): string => {
    let text = '';
    parse(['node', 't', ...name.split(' '), '--help'], '1', { out: (s) => (text += s), err: () => undefined });
    return text;
  };

  it('spells out required options and "exactly one of" groups in the usage line', () => {
    expect(helpOf('create-user')).toMatch(/^Usage: tenantadm create-user --tenant <id> --email <email> \[options\]$/m);
    expect(helpOf('get-tenant')).toMatch(/^Usage: tenantadm get-tenant \(--tenant <id> \| --name <name> \| --username <email>\) \[options\]$/m);
    expect(helpOf('completion')).toMatch(/^Usage: tenantadm completion <shell> \[options\]$/m);
  });

  it.each(commands.map((c) => c.name))('%s shows its own options and rules, and points to `tenantadm options` for the global ones', (name) => {
    const text = helpOf(name);
    expect(text).not.toContain('Global Options:');
    expect(text).not.toContain('--mongo <url>');
    expect(text).toContain('see `tenantadm options`');
    const spec = commands.find((c) => c.name === name)!;
    if (spec.constraints.some((c) => !('exactlyOne' in c))) expect(text).toMatch(/Rules:/);
  });
});

describe('the examples in --help', () => {
  // Every example parses and validates (shell pipes, redirections and $(...) cut off).
  const examples = commands.flatMap((c) => c.examples.map((e) => [c.name, e] as const));

  it.each(examples)('%s: %s', (name, example) => {
    const line = example.slice(example.search(/\btenantadm [a-z]/)).split(/ \| | > | < |\)/)[0]!;
    const argv = line.split(' ').slice(1);
    expect(parsed(...argv).command).toBe(name);
  });
});

describe('the options type each command receives is derived from its declarations', () => {
  // Checked by the compiler (ts-jest and `npm run typecheck`): a wrong value does not type-check.
  it('types enums, integers, lists, negatable text and required options', () => {
    type UpdateTenant = import('../../src/commands/update-tenant/run').UpdateTenantOptions;
    type CreateUser = import('../../src/commands/create-user/run').CreateUserOptions;
    const update: UpdateTenant = { tenant: ID, plan: 'os', maxChildTenants: 'unlimited', addon: ['monitor'], parent: false };
    const user: CreateUser = { tenant: ID, email: 'a@b.io', role: ['admin'] };
    // @ts-expect-error -- not a plan
    const badPlan: UpdateTenant = { tenant: ID, plan: 'gold' };
    // @ts-expect-error -- a whole number, not text
    const badNumber: UpdateTenant = { tenant: ID, maxChildTenants: '5' };
    // @ts-expect-error -- --tenant and --email are required
    const missing: CreateUser = { email: 'a@b.io' };
    expect([update, user, badPlan, badNumber, missing]).toHaveLength(5);
  });
});
