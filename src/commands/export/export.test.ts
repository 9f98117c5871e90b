/**
 * export and diff on a seeded fleet: Service Providers with children, users, SSO with a secret and
 * a tenant's own storage. Two exports are byte-identical and hold no secret and no hash; diff of
 * an export is no change (exit 0); edits give exactly their lines (exit 9); a wrong file is exit 2
 * naming the JSON pointer.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { run, runJson } from '../../../test/support/harness';
import { commandTest, PASSWORD } from '../../../test/support/command-test';

const ctx = commandTest();

const CLIENT_SECRET = 'oidc-client-secret-value-1234';
const AWS_SECRET = 'aws-secret-access-key-5678';

async function seed() {
  const sp = await ctx.sp('Acme SP', '100');
  const paris = await ctx.child('Acme Paris', sp.id, ['--device-limit', '10']);
  const oslo = await ctx.child('Acme Oslo', sp.id, ['--device-limit', '20']);
  const solo = await ctx.create('Solo', ['--device-limit', '5']);
  await ctx.addUser(solo.id, 'ops@solo.example', ['RBAC_ROLE_PERMIT_ALL']);
  await ctx.addUser(solo.id, 'dev@solo.example');
  const sso = path.join(ctx.dir, 'sso.json');
  fs.writeFileSync(sso, JSON.stringify({ type: 'oidc', issuer: 'https://idp.example.com', client_id: 'tenantadm', client_secret: CLIENT_SECRET }));
  expect((await run(ctx.dbs, ['set-sso', '--tenant', sp.id, '-f', sso])).code).toBe(0);
  const storage = path.join(ctx.dir, 'storage.json');
  fs.writeFileSync(storage, JSON.stringify({ type: 's3', bucket: 'solo-artifacts', region: 'eu-west-1', access_key_id: 'AKIAEXAMPLE', secret_access_key: AWS_SECRET }));
  expect((await run(ctx.dbs, ['set-storage', '--tenant', solo.id, '-f', storage])).code).toBe(0);
  return { sp, paris, oslo, solo };
}

async function exported(...args: string[]): Promise<string> {
  const r = await run(ctx.dbs, ['export', ...args]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return r.stdout;
}

async function diff(doc: unknown, ...args: string[]) {
  const file = path.join(ctx.dir, `fleet-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, typeof doc === 'string' ? doc : YAML.stringify(doc));
  return run(ctx.dbs, ['diff', '-f', file, ...args]);
}

describe('export', () => {
  it('writes SPs with their children, users, limits, SSO and storage, byte-identical twice, with no secret and no hash', async () => {
    const { sp, paris, solo } = await seed();
    const first = await exported();
    const second = await exported();
    expect(second).toBe(first);
    expect(first).not.toContain(CLIENT_SECRET);
    expect(first).not.toContain(AWS_SECRET);
    expect(first).not.toContain(PASSWORD);
    expect(first).not.toMatch(/\$2[aby]\$/);
    expect(first).not.toContain('password');

    const doc = YAML.parse(first);
    expect(doc.apiVersion).toBe('tenantadm/v1');
    expect(doc.kind).toBe('Fleet');
    expect(doc.tenants.map((t: any) => t.name)).toEqual(['Acme SP', 'Solo']);
    const acme = doc.tenants[0];
    expect(Object.keys(acme)).toEqual([
      'name', 'id', 'status', 'plan', 'addons', 'device_limit', 'micro_device_limit', 'system_device_limit',
      'service_provider', 'max_child_tenants', 'child_features', 'trial', 'trial_expiration', 'users', 'sso', 'storage', 'children',
    ]);
    expect(acme).toMatchObject({ id: sp.id, service_provider: true, device_limit: 100, micro_device_limit: 'unlimited', storage: null });
    expect(acme.sso).toEqual({ type: 'oidc', client_id: 'tenantadm', client_secret: '${env:TENANT_ACME_SP_SSO_CLIENT_SECRET}', issuer: 'https://idp.example.com' });
    expect(acme.children.map((c: any) => [c.name, c.device_limit])).toEqual([['Acme Oslo', 20], ['Acme Paris', 10]]);
    expect(acme.children[1]).toMatchObject({ id: paris.id, sso_inherit: false, users: [{ email: 'acme-paris@child.example', roles: expect.any(Array) }] });
    const soloDoc = doc.tenants[1];
    expect(soloDoc).toMatchObject({ id: solo.id, service_provider: false, device_limit: 5 });
    expect(soloDoc.users.map((u: any) => u.email)).toEqual(['dev@solo.example', 'ops@solo.example']);
    expect(soloDoc.storage).toEqual({
      type: 's3',
      access_key_id: 'AKIAEXAMPLE',
      bucket: 'solo-artifacts',
      region: 'eu-west-1',
      secret_access_key: '${env:TENANT_SOLO_STORAGE_SECRET_ACCESS_KEY}',
    });
  });

  it('--parent exports one SP with its children; --tenant CHILD names its parent; --format json is the same document', async () => {
    const { sp, paris } = await seed();
    const one = YAML.parse(await exported('--parent', sp.id));
    expect(one.tenants.map((t: any) => t.name)).toEqual(['Acme SP']);
    expect(one.tenants[0].children).toHaveLength(2);
    const child = YAML.parse(await exported('--tenant', paris.id));
    expect(child.tenants).toEqual([expect.objectContaining({ name: 'Acme Paris', parent: 'Acme SP', sso_inherit: false })]);
    expect(JSON.parse(await exported('--format', 'json'))).toEqual(YAML.parse(await exported()));
  });
});

describe('diff', () => {
  it('of a fresh export finds no change (exit 0), in JSON and as a table', async () => {
    await seed();
    const file = await exported();
    const r = await diff(file);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: '[]\n' });
    const table = await diff(file, '-o', 'table');
    expect(table.code).toBe(0);
    // The same from standard input.
    const piped = await run(ctx.dbs, ['diff', '-f', '-'], { input: file });
    expect({ code: piped.code, stdout: piped.stdout }).toEqual({ code: 0, stdout: '[]\n' });
  });

  it('lists exactly the edits (a limit, an add-on, a new tenant, a removed user) and exits 9', async () => {
    const { sp, paris, solo } = await seed();
    const doc = YAML.parse(await exported());
    doc.tenants[0].children.find((c: any) => c.name === 'Acme Paris').device_limit = 15;
    doc.tenants[0].addons = ['configure'];
    doc.tenants[1].users = doc.tenants[1].users.filter((u: any) => u.email !== 'dev@solo.example');
    doc.tenants.push({ name: 'Newco', device_limit: 3, users: [{ email: 'admin@newco.example', roles: ['RBAC_ROLE_PERMIT_ALL'] }] });
    const r = await diff(doc);
    expect(r.code).toBe(9);
    expect(JSON.parse(r.stdout)).toEqual([
      { tenant: 'Acme SP', id: sp.id, action: 'update', field: 'addons', before: [], after: ['configure'] },
      { tenant: 'Acme Paris', id: paris.id, action: 'update', field: 'device_limit', before: 10, after: 15 },
      { tenant: 'Solo', id: solo.id, action: 'delete', field: 'users[dev@solo.example]', before: ['RBAC_ROLE_PERMIT_ALL'] },
      { tenant: 'Newco', id: null, action: 'create' },
      { tenant: 'Newco', id: null, action: 'create', field: 'users[admin@newco.example]', after: ['RBAC_ROLE_PERMIT_ALL'] },
    ]);
    const table = await diff(doc, '-o', 'table');
    expect(table.code).toBe(9);
    expect(table.stdout).toMatch(/Acme Paris\s+\S+\s+update\s+device_limit\s+10\s+15/);
  });

  it('treats secret references as unchanged, masks a literal secret, and deletes only with --prune', async () => {
    const { sp, oslo } = await seed();
    const doc = YAML.parse(await exported());
    doc.tenants[0].sso.client_secret = '${env:SOMETHING_ELSE}';
    expect((await diff(doc)).code).toBe(0);
    doc.tenants[0].sso.client_secret = 'a-new-literal-secret';
    const changed = await diff(doc);
    expect(changed.code).toBe(9);
    expect(changed.stdout).not.toContain('a-new-literal-secret');
    expect(changed.stdout).not.toContain(CLIENT_SECRET);
    expect(JSON.parse(changed.stdout)).toEqual([{ tenant: 'Acme SP', id: sp.id, action: 'update', field: 'sso.client_secret', before: '********', after: '********' }]);
    doc.tenants[0].sso.client_secret = '${env:X}';
    doc.tenants[0].children = doc.tenants[0].children.filter((c: any) => c.name !== 'Acme Oslo');
    expect((await diff(doc)).code).toBe(0);
    const pruned = await diff(doc, '--prune');
    expect(pruned.code).toBe(9);
    expect(JSON.parse(pruned.stdout)).toEqual([{ tenant: 'Acme Oslo', id: oslo.id, action: 'delete' }]);
  });

  it('refuses an invalid file with exit 2 naming the JSON pointer, having read nothing', async () => {
    await seed();
    const doc = YAML.parse(await exported());
    doc.tenants[0].children[1].device_limit = 'lots';
    const r = await diff(doc);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('/tenants/0/children/1/device_limit');
    const json = await diff(doc, '--error-format', 'json');
    expect(JSON.parse(json.stderr).error.details.pointer).toBe('/tenants/0/children/1/device_limit');

    const sso = YAML.parse(await exported());
    delete sso.tenants[0].sso.issuer;
    const bad = await diff(sso);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('/tenants/0/sso');

    const twice = YAML.parse(await exported());
    twice.tenants[1].name = 'Acme SP';
    const dup = await diff(twice);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('/tenants/1/name');

    expect((await diff('tenants: [\n')).code).toBe(2);
    expect((await diff({ apiVersion: 'v0', kind: 'Fleet', tenants: [] })).stderr).toContain('/apiVersion');
  });

  it('reads the database with a constant number of queries, whatever the number of tenants', async () => {
    const sp = await ctx.sp('Big SP', '1000');
    const count = async () => {
      const r = await run(ctx.dbs, ['export'], { env: { TENANTADM_COUNT_COMMANDS: '1' } });
      expect(r.code).toBe(0);
      return r.stderr;
    };
    await ctx.child('K1', sp.id);
    const few = await count();
    for (const name of ['K2', 'K3', 'K4']) await ctx.child(name, sp.id);
    expect(await count()).toBe(few);
    void runJson;
  });
});
