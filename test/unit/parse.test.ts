import { parse } from '../../src/cli';
import { UsageError } from '../../src/errors';

function parsed(...args: string[]) {
  const out: string[] = [];
  const outcome = parse(['node', 'tenantadm', ...args], '9.9.9', { out: (s) => out.push(s), err: (s) => out.push(s) });
  if (outcome.kind !== 'run') throw new Error(`expected a command, got exit ${outcome.code}`);
  const { spec, options, format, globals } = outcome.invocation;
  return { command: spec.name, options, format, globals };
}

// argv in, the exact options object the command receives out.
const table: [string[], { command: string; options: Record<string, unknown>; format?: string }][] = [
  [['list-tenants'], { command: 'list-tenants', options: {} }],
  [['list-tenants', '--service-provider'], { command: 'list-tenants', options: { serviceProvider: true } }],
  [['list-tenants', '--no-service-provider'], { command: 'list-tenants', options: { serviceProvider: false } }],
  [['list-tenants', '--parent', 'abc', '--status', 'active'], { command: 'list-tenants', options: { parent: 'abc', status: 'active' } }],
  [['list-tenants', '--ndjson'], { command: 'list-tenants', options: {}, format: 'ndjson' }],
  [['-o', 'table', 'list-tenants'], { command: 'list-tenants', options: {}, format: 'table' }],
  [['list-tenants', '-o', 'csv'], { command: 'list-tenants', options: {}, format: 'csv' }],
  [['get-tenant', '--username', 'a@b.c'], { command: 'get-tenant', options: { username: 'a@b.c' } }],
  [
    ['create-tenant', '--name', 'n', '--addon', 'monitor', '--addon', 'configure', '--device-limit', 'unlimited'],
    { command: 'create-tenant', options: { name: 'n', addon: ['monitor', 'configure'], deviceLimit: 'unlimited' } },
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
    ['update-tenant', '--id', 'i', '--service-provider', '--max-child-tenants', '5', '--addon', 'monitor=off', '--rotate-token'],
    { command: 'update-tenant', options: { id: 'i', serviceProvider: true, maxChildTenants: '5', addon: ['monitor=off'], rotateToken: true } },
  ],
  [['update-tenant', '--id', 'i', '--no-service-provider'], { command: 'update-tenant', options: { id: 'i', serviceProvider: false } }],
  [['migrate'], { command: 'migrate', options: {} }],
  [['repair', '--all'], { command: 'repair', options: { all: true } }],
  [['repair', '--all', '--yes'], { command: 'repair', options: { all: true, yes: true } }],
  [['delete-tenant', '--id', 'i', '--cascade', '--dry-run'], { command: 'delete-tenant', options: { id: 'i', cascade: true, dryRun: true } }],
  [['remove-tenant', '--id', 'i', '--yes', '--databases', 'a,b'], { command: 'delete-tenant', options: { id: 'i', yes: true, databases: 'a,b' } }],
  [
    ['maintenance', 'delete-suspended-tenants', '--threshold-days', '30', '--dry-run'],
    { command: 'maintenance delete-suspended-tenants', options: { thresholdDays: '30', dryRun: true } },
  ],
  [['maintenance', 'suspend-tenants-expired-trial', '--yes'], { command: 'maintenance suspend-tenants-expired-trial', options: { yes: true } }],
  [
    ['update-tenant', '--id', 'i', '--trial', 'true', '--trial-expiration', '2025-01-01'],
    { command: 'update-tenant', options: { id: 'i', trial: 'true', trialExpiration: '2025-01-01' } },
  ],
];

describe('argv parsing', () => {
  it.each(table)('%j', (argv, expected) => {
    const got = parsed(...argv);
    expect(got.command).toBe(expected.command);
    expect(got.options).toEqual(expected.options);
    expect(got.format).toBe(expected.format ?? 'json');
  });

  it('reads global options before and after the command', () => {
    expect(parsed('--mongo', 'mongodb://a', 'list-tenants').globals.mongo).toBe('mongodb://a');
    expect(parsed('list-tenants', '--mongo', 'mongodb://b', '--timeout', '100').globals).toMatchObject({ mongo: 'mongodb://b', timeout: '100' });
  });

  it('--no-input is a global option, before or after the command', () => {
    expect(parsed('--no-input', 'repair').globals.input).toBe(false);
    expect(parsed('delete-tenant', '--id', 'i', '--no-input').globals.input).toBe(false);
    expect(parsed('repair').globals.input).toBe(true);
  });

  it.each([
    [['maintenance', 'nope']],
    [['maintenance', 'delete-suspended-tenants', 'extra']],
    [['nope']],
    [['list-tenants', '--bogus']],
    [['list-tenants', 'extra']],
    [['list-tenants', '-o', 'yaml']],
    [['list-tenants', '--ndjson', '-o', 'table']],
    [['get-tenant', '--id']],
    [[]],
  ])('rejects %j as a usage error', (argv) => {
    expect(() => parsed(...argv)).toThrow(UsageError);
  });

  it('ends with exit 0 for --help and --version', () => {
    const out: string[] = [];
    expect(parse(['node', 't', '--version'], '1.2.3', { out: (s) => out.push(s), err: () => undefined })).toEqual({ kind: 'exit', code: 0 });
    expect(out.join('')).toBe('1.2.3\n');
    expect(parse(['node', 't', 'list-tenants', '--help'], '1', { out: (s) => out.push(s), err: () => undefined })).toEqual({ kind: 'exit', code: 0 });
    expect(out.join('')).toMatch(/Examples:/);
  });
});
