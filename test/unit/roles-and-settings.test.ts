/** Unit tests of input parsing for roles, child-feature policies, SSO and storage settings, and JSON documents (no database). */
import { Readable } from 'node:stream';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRoles, isAdmin } from '../../src/domain/user';
import { assertChildAddonsAllowed, forbiddenAddons, parseChildFeatures } from '../../src/domain/child-features';
import { maskSso, validateSso, ssoSecretsChanged, describeSso, type OidcSettings } from '../../src/domain/sso';
import { maskStorage, validateStorage, storageSecretsChanged, describeStorage, defaultStorage, type S3Storage } from '../../src/domain/storage';
import { readJsonDocument } from '../../src/secrets';
import { RuleError, UsageError } from '../../src/errors';
import type { Tenant } from '../../src/domain/tenant';

const deps = (input: string, isTTY = false) => ({ stdin: Object.assign(Readable.from([input]), { isTTY }), warn: () => undefined });

describe('parseRoles', () => {
  it.each([
    [undefined, ['RBAC_ROLE_PERMIT_ALL']],
    [[], ['RBAC_ROLE_PERMIT_ALL']],
    [['admin'], ['RBAC_ROLE_PERMIT_ALL']],
    [['Observer', 'RBAC_ROLE_CI,admin', 'observer'], ['RBAC_ROLE_OBSERVER', 'RBAC_ROLE_CI', 'RBAC_ROLE_PERMIT_ALL']],
    [['custom:deployer'], ['custom:deployer']],
  ])('%j -> %j', (input, roles) => {
    expect(parseRoles(input as string[] | undefined)).toEqual(roles);
  });
  it('rejects a role with spaces', () => {
    expect(() => parseRoles(['two words'])).toThrow(UsageError);
  });
  it('knows an admin', () => {
    expect(isAdmin(['RBAC_ROLE_OBSERVER', 'RBAC_ROLE_PERMIT_ALL'])).toBe(true);
    expect(isAdmin(['RBAC_ROLE_OBSERVER'])).toBe(false);
  });
});

describe('child features', () => {
  it.each([
    ['all', null],
    ['none', []],
    ['NONE', []],
    ['monitor,troubleshoot', ['troubleshoot', 'monitor']],
    [' configure , configure ', ['configure']],
  ])('parses %j', (raw, policy) => {
    expect(parseChildFeatures(raw)).toEqual(policy);
  });
  it('rejects unknown add-ons and empty parts', () => {
    expect(() => parseChildFeatures('monitor,,')).toThrow(UsageError);
    expect(() => parseChildFeatures('telepathy')).toThrow(/invalid child feature "telepathy"/);
  });
  it('finds forbidden add-ons and refuses them for a child', () => {
    const addons = [
      { name: 'troubleshoot', enabled: true },
      { name: 'monitor', enabled: false },
      { name: 'configure', enabled: true },
    ];
    expect(forbiddenAddons(null, addons)).toEqual([]);
    expect(forbiddenAddons(['configure'], addons)).toEqual(['troubleshoot']);
    const sp = { id: 'a'.repeat(24), child_features: ['configure'] } as unknown as Tenant;
    expect(() => assertChildAddonsAllowed(sp, addons)).toThrow(RuleError);
    expect(() => assertChildAddonsAllowed(sp, [{ name: 'configure', enabled: true }])).not.toThrow();
    expect(() => assertChildAddonsAllowed({ id: 'b'.repeat(24) } as unknown as Tenant, addons)).not.toThrow();
    expect(() => assertChildAddonsAllowed(null, addons)).not.toThrow();
  });
});

describe('SSO settings', () => {
  const oidc = { type: 'oidc', issuer: 'https://idp.example', client_id: 'c', client_secret: 's3cr3t' };
  it('validates and masks', () => {
    const v = validateSso(oidc, 'sso.json') as OidcSettings;
    expect(maskSso(v)).toEqual({ ...oidc, client_secret: '********' });
    expect(describeSso(v)).not.toContain('s3cr3t');
    expect(ssoSecretsChanged(null, v)).toBe(true);
    expect(ssoSecretsChanged(v, { ...v })).toBe(false);
    expect(ssoSecretsChanged(v, { ...v, client_secret: 'other' })).toBe(true);
  });
  it('names the JSON pointer of the first problem', () => {
    expect(() => validateSso({ ...oidc, issuer: 'ftp://x' }, 'sso.json')).toThrow('sso.json: /issuer: must match pattern "^https?://[^\\s]+$"');
    expect(() => validateSso({ type: 'saml', entity_id: 'e' }, 'stdin')).toThrow('stdin: /metadata_url: give exactly one of metadata_url and metadata_xml');
    expect(() => validateSso('oidc', 'stdin')).toThrow('stdin: /: must be object');
  });
});

describe('storage settings', () => {
  it('validates, masks and describes without secrets', () => {
    const s3 = <S3Storage>validateStorage({ type: 's3', bucket: 'bkt-1', region: 'us-east-1', access_key_id: 'AKIA1', secret_access_key: 'SKEY1', session_token: 'TOKEN' }, 'f');
    expect(maskStorage(s3)).toMatchObject({ access_key_id: 'AKIA1', secret_access_key: '********', session_token: '********' });
    expect(describeStorage(s3)).toBe('s3 bucket bkt-1 (region us-east-1)');
    expect(describeStorage(null)).toBe('the shared store');
    expect(defaultStorage('abc')).toEqual({ type: 'default', prefix: 'abc/' });
    expect(storageSecretsChanged(s3, { ...s3, region: 'eu-west-1' })).toBe(false);
    expect(storageSecretsChanged(s3, { ...s3, secret_access_key: 'x' })).toBe(true);
    expect(storageSecretsChanged(null, null)).toBe(false);
    expect(storageSecretsChanged(null, s3)).toBe(true);
  });

  it("refuses what Mender's deployments would refuse (bucket 5-100, region 5-20, key 5-50)", () => {
    const ok = { type: 's3', bucket: 'bkt-1', region: 'us-east-1', access_key_id: 'AKIA1', secret_access_key: 'SKEY1' };
    expect(() => validateStorage({ ...ok, bucket: 'abcd' }, 'f')).toThrow(/\/bucket/);
    expect(() => validateStorage({ ...ok, region: 'eu' }, 'f')).toThrow(/\/region/);
    expect(() => validateStorage({ ...ok, access_key_id: 'AK' }, 'f')).toThrow(/\/access_key_id/);
  });
});

describe('readJsonDocument', () => {
  it('reads stdin with "-" and a file otherwise', async () => {
    expect(await readJsonDocument('-', deps('{"a":1}\n'), 'x')).toEqual({ data: { a: 1 }, source: 'stdin' });
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tadm-')), 'doc.json');
    fs.writeFileSync(f, '[1]');
    expect(await readJsonDocument(f, deps(''), 'x')).toEqual({ data: [1], source: f });
  });
  it('never quotes the text of a broken document', async () => {
    const err = await readJsonDocument('-', deps('{\n "client_secret": "hunter2" nope }'), 'SSO settings').catch((e: Error) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('stdin: not valid JSON (line 2, column 29)');
    expect(JSON.stringify((err as UsageError).toJSON())).not.toContain('hunter2');
  });
  it('refuses a terminal, an empty document and a missing file', async () => {
    await expect(readJsonDocument('-', deps('', true), 'x')).rejects.toThrow(UsageError);
    await expect(readJsonDocument('-', deps('  \n'), 'x')).rejects.toThrow(/empty/);
    await expect(readJsonDocument('/nonexistent/x.json', deps(''), 'x')).rejects.toThrow(/ENOENT/);
  });
});
