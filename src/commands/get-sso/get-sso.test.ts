/** End-to-end tests of get-sso: secrets masked in every output mode, and a child's settings resolved from its Service Provider. */
import { run, runJson } from '../../../test/support/harness';
import { auditEntries, auditText, createTenant, spWithChildren } from '../../../test/support/cases';
import { expectNoSecrets, oidc, saml, ssoHelpers } from '../../../test/support/sso';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { file, storedSso } = ssoHelpers(ctx);

describe('set-sso and get-sso', () => {
  it('reads SAML settings from stdin (-f -) and masks the signing key in every output mode', async () => {
    const t = await createTenant(ctx.dbs, 'saml');
    const r = await run(ctx.dbs, ['set-sso', '--tenant', t.id, '-f', '-'], { input: JSON.stringify(saml()) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).settings).toEqual({ ...saml(), sp_private_key: '********' });
    const outs = [];
    for (const mode of [['--ndjson'], ['-o', 'table'], ['-o', 'csv']]) {
      const o = await run(ctx.dbs, ['get-sso', '--tenant', t.id, ...mode]);
      expect(o.code).toBe(0);
      outs.push(o.stdout, o.stderr);
    }
    expect(JSON.parse(outs[0]!).settings.type).toBe('saml');
    expect(outs[0]!.trim().split('\n')).toHaveLength(1);
    expect(outs[2]).toMatch(/^KEY +VALUE\nID +\w+\nTYPE +saml\nINHERITED FROM\n/);
    expect(outs[4]!.split('\r\n')[0]).toBe('ID,TYPE,INHERITED FROM,PROVIDER,SETTINGS');
    expectNoSecrets(r.stdout, r.stderr, ...outs, await auditText(ctx.dbs));
  });
});

describe('SSO inheritance', () => {
  it("gives an inheriting child its SP's settings, and every later change of them", async () => {
    const { sp, children } = await spWithChildren(ctx.dbs, ['child-a', 'child-b']);
    const [a, b] = children;
    await runJson(ctx.dbs, ['set-sso', '--tenant', sp.id, '-f', file(oidc())]);
    const upd = await runJson(ctx.dbs, ['update-tenant', '--tenant', a.id, '--sso-inherit']);
    expect(upd.sso_inherit).toBe(true);
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', a.id])).sso_inherit).toBe(true);

    const inherited = await runJson(ctx.dbs, ['get-sso', '--tenant', a.id]);
    expect(inherited).toMatchObject({ id: a.id, inherited: true, inherited_from: sp.id, configured: true, settings: { ...oidc(), client_secret: '********' } });
    expect(await storedSso(a.id)).toBeNull(); // a reference, not a copy of the secret
    expect(await runJson(ctx.dbs, ['get-sso', '--tenant', b.id])).toMatchObject({ inherited: false, configured: false });

    const changed = await runJson(ctx.dbs, ['set-sso', '--tenant', sp.id, '-f', file(oidc({ issuer: 'https://new-idp.oem.example' }))]);
    expect(changed.settings.issuer).toBe('https://new-idp.oem.example');
    expect((await runJson(ctx.dbs, ['get-sso', '--tenant', a.id])).settings.issuer).toBe('https://new-idp.oem.example');
    const spEntries = await auditEntries(ctx.dbs, { tenant_id: sp.id, change: /^SSO settings changed/ });
    expect(spEntries[0].change).toMatch(/secret unchanged; applies to 1 inheriting child tenant$/);
    expectNoSecrets(await auditText(ctx.dbs));
  });

  it('shows no settings for a child whose SP clears them, and inherits them again when set', async () => {
    const { sp, children } = await spWithChildren(ctx.dbs, ['follower']);
    await runJson(ctx.dbs, ['set-sso', '--tenant', sp.id, '-f', file(oidc())]);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', children[0].id, '--sso-inherit']);
    await runJson(ctx.dbs, ['set-sso', '--tenant', sp.id, '--clear']);
    expect(await runJson(ctx.dbs, ['get-sso', '--tenant', children[0].id])).toEqual({
      id: children[0].id,
      inherited: true,
      inherited_from: sp.id,
      configured: false,
      settings: null,
    });
    await runJson(ctx.dbs, ['set-sso', '--tenant', sp.id, '-f', file(saml())]);
    expect((await runJson(ctx.dbs, ['get-sso', '--tenant', children[0].id])).settings.type).toBe('saml');
  });
});
