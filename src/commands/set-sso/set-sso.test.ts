/** End-to-end tests of set-sso: settings from files, replaced, cleared and refused, never a secret shown, and a set-sso killed midway. */
import path from 'node:path';
import { LOCAL_AUDIT_NOTICE, run, runJson, snapshot } from '../../../test/support/harness';
import { auditEntries, auditText, createTenant, expectFailsCleanly, spWithChildren } from '../../../test/support/cases';
import { killedAt } from '../../../test/support/crash';
import { expectNoSecrets, oidc, OIDC_SECRET, saml, ssoHelpers } from '../../../test/support/sso';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { file, storedSso } = ssoHelpers(ctx);

describe('set-sso and get-sso', () => {
  it('stores OIDC settings from a file and never shows the secret', async () => {
    const t = await createTenant(ctx.dbs, 'oidc');
    const r = await run(ctx.dbs, ['set-sso', '--tenant', t.id, '-f', file(oidc())]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(LOCAL_AUDIT_NOTICE);
    const view = JSON.parse(r.stdout);
    expect(view).toEqual({
      id: t.id,
      inherited: false,
      configured: true,
      settings: { ...oidc(), client_secret: '********' },
      updated_at: expect.any(String),
    });
    expect((await storedSso(t.id)).settings).toEqual(oidc());
    const got = await run(ctx.dbs, ['get-sso', '--tenant', t.id]);
    expect(JSON.parse(got.stdout)).toEqual(view);
    const [entry] = await auditEntries(ctx.dbs, { tenant_id: t.id, action: 'update' });
    expect(entry).toMatchObject({ object: { type: 'tenant', id: t.id }, state: 'committed' });
    expect(entry.change).toMatch(/SSO settings set to oidc \(issuer https:\/\/login\.oem\.example\/realms\/main, client_id mender\); secret replaced/);
    expectNoSecrets(r.stdout, r.stderr, got.stdout, got.stderr, await auditText(ctx.dbs));
  });

  it('reports a tenant without settings, replaces and clears settings, and skips no-op writes', async () => {
    const t = await createTenant(ctx.dbs, 'cycle');
    expect(await runJson(ctx.dbs, ['get-sso', '--tenant', t.id])).toEqual({ id: t.id, inherited: false, configured: false, settings: null });
    await runJson(ctx.dbs, ['set-sso', '--tenant', t.id, '-f', file(oidc())]);
    const before = await snapshot(ctx.dbs);
    await runJson(ctx.dbs, ['set-sso', '--tenant', t.id, '-f', file(oidc())]);
    expect(await snapshot(ctx.dbs)).toEqual(before);
    const changed = await runJson(ctx.dbs, ['set-sso', '--tenant', t.id, '-f', file(saml())]);
    expect(changed.settings.type).toBe('saml');
    const cleared = await runJson(ctx.dbs, ['set-sso', '--tenant', t.id, '--clear']);
    expect(cleared).toMatchObject({ configured: false, settings: null });
    expect(await storedSso(t.id)).toBeNull();
    expect((await auditEntries(ctx.dbs, { tenant_id: t.id, action: 'update' })).map((e) => e.change)).toEqual([
      expect.stringMatching(/^SSO settings set to oidc/),
      expect.stringMatching(/^SSO settings changed from oidc .* to saml .*; secret replaced$/),
      expect.stringMatching(/^SSO settings removed \(were saml/),
    ]);
    expectNoSecrets(await auditText(ctx.dbs));
  });

  it('rejects invalid files with exit 2, naming the JSON pointer and never echoing a secret', async () => {
    const t = await createTenant(ctx.dbs, 'invalid');
    const cases: [unknown, RegExp][] = [
      [{ ...oidc(), client_secret: undefined }, /\/: must have required property 'client_secret'/],
      [oidc({ issuer: 'not a url' }), /\/issuer: must match pattern/],
      [oidc({ scopes: 'openid' }), /\/scopes: must be array/],
      [oidc({ colour: 'blue' }), /\/: unexpected property "colour"/],
      [{ ...saml(), metadata_xml: '<EntityDescriptor/>' }, /\/metadata_url: give exactly one of metadata_url and metadata_xml/],
      [{ ...saml(), metadata_url: undefined }, /\/metadata_url: give exactly one/],
      [{ type: 'kerberos', client_secret: OIDC_SECRET }, /\/type: must be one of oidc, saml/],
      [[oidc()], /\/: must be object/],
    ];
    for (const [doc, message] of cases) {
      const err = await expectFailsCleanly(ctx.dbs, ['set-sso', '--tenant', t.id, '-f', file(doc)], 2);
      expect(err).toMatch(message);
      expectNoSecrets(err);
    }
    const broken = await expectFailsCleanly(ctx.dbs, ['set-sso', '--tenant', t.id, '-f', file(null, `{"type":"oidc","client_secret":"${OIDC_SECRET}" oops}`)], 2);
    expect(broken).toMatch(/not valid JSON \(line 1, column \d+\)/);
    expectNoSecrets(broken);
    await expectFailsCleanly(ctx.dbs, ['set-sso', '--tenant', t.id, '-f', path.join(ctx.dir, 'missing.json')], 2);
    await expectFailsCleanly(ctx.dbs, ['set-sso', '--tenant', t.id, '-f', '-'], 2, { input: '' });
    await expectFailsCleanly(ctx.dbs, ['set-sso', '--tenant', t.id], 2);
    await expectFailsCleanly(ctx.dbs, ['set-sso', '--tenant', t.id, '--clear', '-f', file(oidc())], 2);
    await expectFailsCleanly(ctx.dbs, ['set-sso', '--tenant', '0123456789abcdef01234567', '-f', file(oidc())], 3);
    await expectFailsCleanly(ctx.dbs, ['get-sso', '--tenant', '0123456789abcdef01234567'], 3);
  });
});

describe('SSO inheritance', () => {
  it('does not let an inheriting child override the settings (exit 5)', async () => {
    const { sp, children } = await spWithChildren(ctx.dbs, ['locked']);
    await runJson(ctx.dbs, ['set-sso', '--tenant', sp.id, '-f', file(oidc())]);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', children[0].id, '--sso-inherit']);
    const err = await expectFailsCleanly(ctx.dbs, ['set-sso', '--tenant', children[0].id, '-f', file(saml())], 5);
    expect(err).toMatch(/inherits the SSO settings of its Service Provider/);
    await expectFailsCleanly(ctx.dbs, ['set-sso', '--tenant', children[0].id, '--clear'], 5);
    const off = await runJson(ctx.dbs, ['update-tenant', '--tenant', children[0].id, '--no-sso-inherit']);
    expect(off.sso_inherit).toBeUndefined();
    expect(await runJson(ctx.dbs, ['get-sso', '--tenant', children[0].id])).toMatchObject({ inherited: false, configured: false });
    const own = await runJson(ctx.dbs, ['set-sso', '--tenant', children[0].id, '-f', file(saml())]);
    expect(own).toMatchObject({ inherited: false, configured: true, settings: { type: 'saml' } });
  });
});

describe('crash safety', () => {
  it('a set-sso killed before its commit point is rolled back, leaving no secret in the journal', async () => {
    const t = await createTenant(ctx.dbs, 'crash');
    const before = await snapshot(ctx.dbs);
    const r = await run(ctx.dbs, ['set-sso', '--tenant', t.id, '-f', file(oidc())], { env: killedAt('commit') });
    expect(r.signal).toBe('SIGKILL');
    expect(await storedSso(t.id)).not.toBeNull(); // written, not yet committed
    expect((await runJson(ctx.dbs, ['repair'])).rolled_back).toHaveLength(1);
    const after = await snapshot(ctx.dbs);
    const nonEmpty = (s: Record<string, unknown[]>) => Object.fromEntries(Object.entries(s).filter(([, v]) => v.length > 0));
    expect(nonEmpty(after)).toEqual(nonEmpty(before));
    expectNoSecrets(JSON.stringify(after));
  });
});
