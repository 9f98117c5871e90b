/** End-to-end tests of set-sso: settings from files, replaced, cleared and refused, never a secret shown, and a set-sso killed midway. */
import path from 'node:path';
import { run, runJson, snapshot, tmpDir, type Dbs, withFreshDatabases } from '../../../test/support/harness';
import { auditEntries, auditText, createTenant, expectFailsCleanly, spWithChildren } from '../../../test/support/cases';
import { killedAt } from '../../../test/support/crash';
import { expectNoSecrets, oidc, OIDC_SECRET, saml, ssoFile, storedSsoOf } from '../../../test/support/sso';

let dbs: Dbs;
let dir: string;

beforeAll(() => {
  dir = tmpDir();
});
withFreshDatabases((d) => (dbs = d));

const file = (doc: unknown, raw?: string): string => ssoFile(dir, doc, raw);
const storedSso = (tenantId: string): Promise<any> => storedSsoOf(dbs, tenantId);

describe('set-sso and get-sso', () => {
  it('stores OIDC settings from a file and never shows the secret', async () => {
    const t = await createTenant(dbs, 'oidc');
    const r = await run(dbs, ['set-sso', '--id', t.id, '-f', file(oidc())]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const view = JSON.parse(r.stdout);
    expect(view).toEqual({
      tenant_id: t.id,
      inherited: false,
      configured: true,
      settings: { ...oidc(), client_secret: '********' },
      updated_at: expect.any(String),
    });
    expect((await storedSso(t.id)).settings).toEqual(oidc());
    const got = await run(dbs, ['get-sso', '--id', t.id]);
    expect(JSON.parse(got.stdout)).toEqual(view);
    const [entry] = await auditEntries(dbs, { tenant_id: t.id, action: 'update' });
    expect(entry).toMatchObject({ object: { type: 'tenant', id: t.id }, state: 'committed' });
    expect(entry.change).toMatch(/SSO settings set to oidc \(issuer https:\/\/login\.oem\.example\/realms\/main, client_id mender\); secret replaced/);
    expectNoSecrets(r.stdout, r.stderr, got.stdout, got.stderr, await auditText(dbs));
  });

  it('reports a tenant without settings, replaces and clears settings, and skips no-op writes', async () => {
    const t = await createTenant(dbs, 'cycle');
    expect(await runJson(dbs, ['get-sso', '--id', t.id])).toEqual({ tenant_id: t.id, inherited: false, configured: false, settings: null });
    await runJson(dbs, ['set-sso', '--id', t.id, '-f', file(oidc())]);
    const before = await snapshot(dbs);
    await runJson(dbs, ['set-sso', '--id', t.id, '-f', file(oidc())]);
    expect(await snapshot(dbs)).toEqual(before);
    const changed = await runJson(dbs, ['set-sso', '--id', t.id, '-f', file(saml())]);
    expect(changed.settings.type).toBe('saml');
    const cleared = await runJson(dbs, ['set-sso', '--id', t.id, '--clear']);
    expect(cleared).toMatchObject({ configured: false, settings: null });
    expect(await storedSso(t.id)).toBeNull();
    expect((await auditEntries(dbs, { tenant_id: t.id, action: 'update' })).map((e) => e.change)).toEqual([
      expect.stringMatching(/^SSO settings set to oidc/),
      expect.stringMatching(/^SSO settings changed from oidc .* to saml .*; secret replaced$/),
      expect.stringMatching(/^SSO settings removed \(were saml/),
    ]);
    expectNoSecrets(await auditText(dbs));
  });

  it('rejects invalid files with exit 2, naming the JSON pointer and never echoing a secret', async () => {
    const t = await createTenant(dbs, 'invalid');
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
      const err = await expectFailsCleanly(dbs, ['set-sso', '--id', t.id, '-f', file(doc)], 2);
      expect(err).toMatch(message);
      expectNoSecrets(err);
    }
    const broken = await expectFailsCleanly(dbs, ['set-sso', '--id', t.id, '-f', file(null, `{"type":"oidc","client_secret":"${OIDC_SECRET}" oops}`)], 2);
    expect(broken).toMatch(/not valid JSON \(line 1, column \d+\)/);
    expectNoSecrets(broken);
    await expectFailsCleanly(dbs, ['set-sso', '--id', t.id, '-f', path.join(dir, 'missing.json')], 2);
    await expectFailsCleanly(dbs, ['set-sso', '--id', t.id, '-f', '-'], 2, { input: '' });
    await expectFailsCleanly(dbs, ['set-sso', '--id', t.id], 2);
    await expectFailsCleanly(dbs, ['set-sso', '--id', t.id, '--clear', '-f', file(oidc())], 2);
    await expectFailsCleanly(dbs, ['set-sso', '--id', '0123456789abcdef01234567', '-f', file(oidc())], 3);
    await expectFailsCleanly(dbs, ['get-sso', '--id', '0123456789abcdef01234567'], 3);
  });
});

describe('SSO inheritance', () => {
  it('does not let an inheriting child override the settings (exit 5)', async () => {
    const { sp, children } = await spWithChildren(dbs, ['locked']);
    await runJson(dbs, ['set-sso', '--id', sp.id, '-f', file(oidc())]);
    await runJson(dbs, ['update-tenant', '--id', children[0].id, '--sso-inherit']);
    const err = await expectFailsCleanly(dbs, ['set-sso', '--id', children[0].id, '-f', file(saml())], 5);
    expect(err).toMatch(/inherits the SSO settings of its Service Provider/);
    await expectFailsCleanly(dbs, ['set-sso', '--id', children[0].id, '--clear'], 5);
    const off = await runJson(dbs, ['update-tenant', '--id', children[0].id, '--no-sso-inherit']);
    expect(off.sso_inherit).toBeUndefined();
    expect(await runJson(dbs, ['get-sso', '--id', children[0].id])).toMatchObject({ inherited: false, configured: false });
    const own = await runJson(dbs, ['set-sso', '--id', children[0].id, '-f', file(saml())]);
    expect(own).toMatchObject({ inherited: false, configured: true, settings: { type: 'saml' } });
  });
});

describe('crash safety', () => {
  it('a set-sso killed before its commit point is rolled back, leaving no secret in the journal', async () => {
    const t = await createTenant(dbs, 'crash');
    const before = await snapshot(dbs);
    const r = await run(dbs, ['set-sso', '--id', t.id, '-f', file(oidc())], { env: killedAt('commit') });
    expect(r.signal).toBe('SIGKILL');
    expect(await storedSso(t.id)).not.toBeNull(); // written, not yet committed
    expect((await runJson(dbs, ['repair'])).rolled_back).toHaveLength(1);
    const after = await snapshot(dbs);
    const nonEmpty = (s: Record<string, unknown[]>) => Object.fromEntries(Object.entries(s).filter(([, v]) => v.length > 0));
    expect(nonEmpty(after)).toEqual(nonEmpty(before));
    expectNoSecrets(JSON.stringify(after));
  });
});
