/**
 * export of a seeded fleet: Service Providers with children, users, SSO with a secret and a
 * tenant's own storage. Two exports are byte-identical and hold no secret and no hash; the
 * database is read with a constant number of queries.
 */
import YAML from 'yaml';
import { run } from '../../../test/support/harness';
import { commandTest, PASSWORD } from '../../../test/support/command-test';
import { AWS_SECRET, CLIENT_SECRET, exported, seedFleet } from '../../../test/support/fleet';

const ctx = commandTest();

describe('export', () => {
  it('writes SPs with their children, users, limits, SSO and storage, byte-identical twice, with no secret and no hash', async () => {
    const { sp, paris, solo } = await seedFleet(ctx);
    const first = await exported(ctx);
    const second = await exported(ctx);
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
    const { sp, paris } = await seedFleet(ctx);
    const one = YAML.parse(await exported(ctx, '--parent', sp.id));
    expect(one.tenants.map((t: any) => t.name)).toEqual(['Acme SP']);
    expect(one.tenants[0].children).toHaveLength(2);
    const child = YAML.parse(await exported(ctx, '--tenant', paris.id));
    expect(child.tenants).toEqual([expect.objectContaining({ name: 'Acme Paris', parent: 'Acme SP', sso_inherit: false })]);
    expect(JSON.parse(await exported(ctx, '--format', 'json'))).toEqual(YAML.parse(await exported(ctx)));
  });

  it('refuses an unknown tenant (exit 3) and --parent of a tenant that is not a Service Provider (exit 2)', async () => {
    const { solo } = await seedFleet(ctx);
    await ctx.expectFailsCleanly(['export', '--tenant', '673a03e3c9eca7a440f2f4ff'], 3);
    expect(await ctx.expectFailsCleanly(['export', '--parent', solo.id], 2)).toContain('is not a Service Provider');
  });

  it('reads the database with a constant number of queries, whatever the number of tenants', async () => {
    const sp = await ctx.sp('Big SP', '1000');
    const count = async () => {
      const r = await run(ctx.dbs, ['export'], { env: { TENANTADM_COUNT_COMMANDS: '1' } });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/database commands/);
      return r.stderr;
    };
    await ctx.child('K1', sp.id);
    const few = await count();
    for (const name of ['K2', 'K3', 'K4']) await ctx.child(name, sp.id);
    expect(await count()).toBe(few);
  });
});
