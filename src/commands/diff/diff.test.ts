/**
 * diff against a seeded fleet: an export is no change (exit 0); edits give exactly their lines
 * (exit 9); secret references are unchanged and no secret is printed; deletions only with
 * --prune; a wrong file is exit 2 naming the JSON pointer.
 */
import YAML from 'yaml';
import { run } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';
import { CLIENT_SECRET, diffOf, exported, seedFleet } from '../../../test/support/fleet';

const ctx = commandTest();

describe('diff', () => {
  it('of a fresh export finds no change (exit 0), in JSON and as a table', async () => {
    await seedFleet(ctx);
    const file = await exported(ctx);
    const r = await diffOf(ctx, file);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: '[]\n' });
    const table = await diffOf(ctx, file, '-o', 'table');
    expect(table.code).toBe(0);
    // The same from standard input.
    const piped = await run(ctx.dbs, ['diff', '-f', '-'], { input: file });
    expect({ code: piped.code, stdout: piped.stdout }).toEqual({ code: 0, stdout: '[]\n' });
  });

  it('lists exactly the edits (a limit, an add-on, a new tenant, a removed user) and exits 9', async () => {
    const { sp, paris, solo } = await seedFleet(ctx);
    const doc = YAML.parse(await exported(ctx));
    doc.tenants[0].children.find((c: any) => c.name === 'Acme Paris').device_limit = 15;
    doc.tenants[0].addons = ['configure'];
    doc.tenants[1].users = doc.tenants[1].users.filter((u: any) => u.email !== 'dev@solo.example');
    doc.tenants.push({ name: 'Newco', device_limit: 3, users: [{ email: 'admin@newco.example', roles: ['RBAC_ROLE_PERMIT_ALL'] }] });
    const r = await diffOf(ctx, doc);
    expect(r.code).toBe(9);
    expect(JSON.parse(r.stdout)).toEqual([
      { tenant: 'Acme SP', id: sp.id, action: 'update', field: 'addons', before: [], after: ['configure'] },
      { tenant: 'Acme Paris', id: paris.id, action: 'update', field: 'device_limit', before: 10, after: 15 },
      { tenant: 'Solo', id: solo.id, action: 'delete', field: 'users[dev@solo.example]', before: ['RBAC_ROLE_PERMIT_ALL'] },
      { tenant: 'Newco', id: null, action: 'create' },
      { tenant: 'Newco', id: null, action: 'create', field: 'users[admin@newco.example]', after: ['RBAC_ROLE_PERMIT_ALL'] },
    ]);
    const table = await diffOf(ctx, doc, '-o', 'table');
    expect(table.code).toBe(9);
    expect(table.stdout).toMatch(/Acme Paris\s+\S+\s+update\s+device_limit\s+10\s+15/);
    const ndjson = await diffOf(ctx, doc, '--ndjson');
    expect(ndjson.code).toBe(9);
    expect(ndjson.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual(JSON.parse(r.stdout));
    const csv = await diffOf(ctx, doc, '-o', 'csv');
    expect(csv.code).toBe(9);
    expect(csv.stdout.split('\r\n')[0]).toBe('TENANT,ID,ACTION,FIELD,BEFORE,AFTER');
    expect(csv.stdout).toContain(`Acme Paris,${paris.id},update,device_limit,10,15`);
  });

  it('treats secret references as unchanged, masks a literal secret, and deletes only with --prune', async () => {
    const { sp, oslo } = await seedFleet(ctx);
    const doc = YAML.parse(await exported(ctx));
    doc.tenants[0].sso.client_secret = '${env:SOMETHING_ELSE}';
    expect((await diffOf(ctx, doc)).code).toBe(0);
    doc.tenants[0].sso.client_secret = 'a-new-literal-secret';
    const changed = await diffOf(ctx, doc);
    expect(changed.code).toBe(9);
    expect(changed.stdout).not.toContain('a-new-literal-secret');
    expect(changed.stdout).not.toContain(CLIENT_SECRET);
    expect(JSON.parse(changed.stdout)).toEqual([{ tenant: 'Acme SP', id: sp.id, action: 'update', field: 'sso.client_secret', before: '********', after: '********' }]);
    doc.tenants[0].sso.client_secret = '${env:X}';
    doc.tenants[0].children = doc.tenants[0].children.filter((c: any) => c.name !== 'Acme Oslo');
    expect((await diffOf(ctx, doc)).code).toBe(0);
    const pruned = await diffOf(ctx, doc, '--prune');
    expect(pruned.code).toBe(9);
    expect(JSON.parse(pruned.stdout)).toEqual([{ tenant: 'Acme Oslo', id: oslo.id, action: 'delete' }]);
  });

  it('refuses an invalid file with exit 2 naming the JSON pointer', async () => {
    await seedFleet(ctx);
    const doc = YAML.parse(await exported(ctx));
    doc.tenants[0].children[1].device_limit = 'lots';
    const r = await diffOf(ctx, doc);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('/tenants/0/children/1/device_limit: must be integer');
    const json = await diffOf(ctx, doc, '--error-format', 'json');
    expect(JSON.parse(json.stderr).error.details.pointer).toBe('/tenants/0/children/1/device_limit');

    const sso = YAML.parse(await exported(ctx));
    delete sso.tenants[0].sso.issuer;
    const bad = await diffOf(ctx, sso);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('/tenants/0/sso');

    const twice = YAML.parse(await exported(ctx));
    twice.tenants[1].name = 'Acme SP';
    const dup = await diffOf(ctx, twice);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('/tenants/1/name');

    expect((await diffOf(ctx, 'tenants: [\n')).code).toBe(2);
    expect((await diffOf(ctx, { apiVersion: 'v0', kind: 'Fleet', tenants: [] })).stderr).toContain('/apiVersion');
  });
});
