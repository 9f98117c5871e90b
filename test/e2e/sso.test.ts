/** End-to-end tests of set-sso and get-sso: settings from files and stdin, masking of secrets, inheritance by children. */
import fs from 'node:fs';
import path from 'node:path';
import { client, run, runJson, snapshot, tmpDir, type Dbs, withFreshDatabases } from '../support/harness';
import { auditEntries, auditText, createTenant, expectFailsCleanly, spWithChildren } from '../support/cases';
import { killedAt } from '../support/crash';

let dbs: Dbs;
let dir: string;

beforeAll(() => {
  dir = tmpDir();
});
withFreshDatabases((d) => (dbs = d));

const OIDC_SECRET = 'oidc-client-secret-Zq81x';
const SAML_KEY = '-----BEGIN PRIVATE KEY-----saml-key-Kk29-----END PRIVATE KEY-----';
const SECRETS = [OIDC_SECRET, SAML_KEY, 'Zq81x', 'saml-key-Kk29'];

const oidc = (extra: object = {}) => ({
  type: 'oidc',
  issuer: 'https://login.oem.example/realms/main',
  client_id: 'mender',
  client_secret: OIDC_SECRET,
  scopes: ['openid', 'email'],
  ...extra,
});
const saml = (extra: object = {}) => ({
  type: 'saml',
  metadata_url: 'https://idp.oem.example/metadata.xml',
  entity_id: 'https://mender.oem.example/saml',
  sp_private_key: SAML_KEY,
  ...extra,
});

function file(doc: unknown, raw?: string): string {
  const f = path.join(dir, `sso-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, raw ?? JSON.stringify(doc), { mode: 0o600 });
  return f;
}

function expectNoSecrets(...texts: string[]): void {
  for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
}

async function storedSso(tenantId: string): Promise<any> {
  return (await client()).db(dbs.tenantadm).collection('sso_settings').findOne({ _id: tenantId as any });
}

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

  it('reads SAML settings from stdin (-f -) and masks the signing key in every output mode', async () => {
    const t = await createTenant(dbs, 'saml');
    const r = await run(dbs, ['set-sso', '--id', t.id, '-f', '-'], { input: JSON.stringify(saml()) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).settings).toEqual({ ...saml(), sp_private_key: '********' });
    const outs = [];
    for (const mode of [['--ndjson'], ['-o', 'table'], ['-o', 'csv']]) {
      const o = await run(dbs, ['get-sso', '--id', t.id, ...mode]);
      expect(o.code).toBe(0);
      outs.push(o.stdout, o.stderr);
    }
    expect(JSON.parse(outs[0]!).settings.type).toBe('saml');
    expect(outs[0]!.trim().split('\n')).toHaveLength(1);
    expect(outs[2]).toMatch(/TENANT.*TYPE.*INHERITED FROM/);
    expect(outs[4]!.split('\r\n')[0]).toBe('TENANT,TYPE,INHERITED FROM,PROVIDER,SETTINGS');
    expectNoSecrets(r.stdout, r.stderr, ...outs, await auditText(dbs));
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
  it("gives an inheriting child its SP's settings, and every later change of them", async () => {
    const { sp, children } = await spWithChildren(dbs, ['child-a', 'child-b']);
    const [a, b] = children;
    await runJson(dbs, ['set-sso', '--id', sp.id, '-f', file(oidc())]);
    const upd = await runJson(dbs, ['update-tenant', '--id', a.id, '--sso-inherit']);
    expect(upd.sso_inherit).toBe(true);
    expect((await runJson(dbs, ['get-tenant', '--id', a.id])).sso_inherit).toBe(true);

    const inherited = await runJson(dbs, ['get-sso', '--id', a.id]);
    expect(inherited).toMatchObject({ tenant_id: a.id, inherited: true, inherited_from: sp.id, configured: true, settings: { ...oidc(), client_secret: '********' } });
    expect(await storedSso(a.id)).toBeNull(); // a reference, not a copy of the secret
    expect(await runJson(dbs, ['get-sso', '--id', b.id])).toMatchObject({ inherited: false, configured: false });

    const changed = await runJson(dbs, ['set-sso', '--id', sp.id, '-f', file(oidc({ issuer: 'https://new-idp.oem.example' }))]);
    expect(changed.settings.issuer).toBe('https://new-idp.oem.example');
    expect((await runJson(dbs, ['get-sso', '--id', a.id])).settings.issuer).toBe('https://new-idp.oem.example');
    const spEntries = await auditEntries(dbs, { tenant_id: sp.id, change: /^SSO settings changed/ });
    expect(spEntries[0].change).toMatch(/secret unchanged; applies to 1 inheriting child tenant$/);
    expectNoSecrets(await auditText(dbs));
  });

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

  it("drops a child's own settings when it starts inheriting", async () => {
    const { sp, children } = await spWithChildren(dbs, ['own']);
    const child = children[0];
    await runJson(dbs, ['set-sso', '--id', sp.id, '-f', file(oidc())]);
    await runJson(dbs, ['set-sso', '--id', child.id, '-f', file(saml())]);
    await runJson(dbs, ['update-tenant', '--id', child.id, '--sso-inherit']);
    expect(await storedSso(child.id)).toBeNull();
    expect((await runJson(dbs, ['get-sso', '--id', child.id])).settings.type).toBe('oidc');
    const entries = await auditEntries(dbs, { tenant_id: child.id, change: /sso_inherit/ });
    expect(entries[0].change).toBe('sso_inherit: unset -> true; its own SSO settings were removed');
    expect(entries[0].log_tenant_ids).toEqual([child.id, sp.id]);
    expectNoSecrets(await auditText(dbs));
  });

  it('refuses inheritance without a parent, or from an SP without settings (exit 5)', async () => {
    const lone = await createTenant(dbs, 'lone');
    expect(await expectFailsCleanly(dbs, ['update-tenant', '--id', lone.id, '--sso-inherit'], 5)).toMatch(/no Service Provider/);
    const { sp, children } = await spWithChildren(dbs, ['bare']);
    expect(await expectFailsCleanly(dbs, ['update-tenant', '--id', children[0].id, '--sso-inherit'], 5)).toMatch(new RegExp(`${sp.id} has no SSO settings`));
    // Turning inheritance off when it is off changes nothing.
    const before = await snapshot(dbs);
    await runJson(dbs, ['update-tenant', '--id', children[0].id, '--no-sso-inherit']);
    expect(await snapshot(dbs)).toEqual(before);
  });

  it('shows no settings for a child whose SP clears them, and inherits them again when set', async () => {
    const { sp, children } = await spWithChildren(dbs, ['follower']);
    await runJson(dbs, ['set-sso', '--id', sp.id, '-f', file(oidc())]);
    await runJson(dbs, ['update-tenant', '--id', children[0].id, '--sso-inherit']);
    await runJson(dbs, ['set-sso', '--id', sp.id, '--clear']);
    expect(await runJson(dbs, ['get-sso', '--id', children[0].id])).toEqual({
      tenant_id: children[0].id,
      inherited: true,
      inherited_from: sp.id,
      configured: false,
      settings: null,
    });
    await runJson(dbs, ['set-sso', '--id', sp.id, '-f', file(saml())]);
    expect((await runJson(dbs, ['get-sso', '--id', children[0].id])).settings.type).toBe('saml');
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
