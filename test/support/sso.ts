/** SSO settings, with the secrets they hold, that the set-sso, get-sso and update-tenant --sso-inherit tests write and then look for. */
import fs from 'node:fs';
import path from 'node:path';
import { client, type Dbs } from './harness';
import type { TestPlace } from './command-test';

export const OIDC_SECRET = 'oidc-client-secret-Zq81x';
export const SAML_KEY = '-----BEGIN PRIVATE KEY-----saml-key-Kk29-----END PRIVATE KEY-----';
export const SECRETS = [OIDC_SECRET, SAML_KEY, 'Zq81x', 'saml-key-Kk29'];

export const oidc = (extra: object = {}) => ({
  type: 'oidc',
  issuer: 'https://login.oem.example/realms/main',
  client_id: 'mender',
  client_secret: OIDC_SECRET,
  scopes: ['openid', 'email'],
  ...extra,
});
export const saml = (extra: object = {}) => ({
  type: 'saml',
  metadata_url: 'https://idp.oem.example/metadata.xml',
  entity_id: 'https://mender.oem.example/saml',
  sp_private_key: SAML_KEY,
  ...extra,
});

/** A new settings file in `dir` holding `doc` as JSON (or `raw` as it is), readable by its owner only. */
export function ssoFile(dir: string, doc: unknown, raw?: string): string {
  const f = path.join(dir, `sso-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, raw ?? JSON.stringify(doc), { mode: 0o600 });
  return f;
}

export function expectNoSecrets(...texts: string[]): void {
  for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
}

/** The tenant's own SSO settings document, as stored (null when it has none). */
export async function storedSsoOf(dbs: Dbs, tenantId: string): Promise<any> {
  return (await client()).db(dbs.tenantadm).collection('sso_settings').findOne({ _id: tenantId as any });
}

/** `file` (an SSO settings file in the test's directory) and `storedSso` (a tenant's stored settings), bound to the current test. */
export function ssoHelpers(t: TestPlace) {
  return {
    file: (doc: unknown, raw?: string): string => ssoFile(t.dir, doc, raw),
    storedSso: (tenantId: string): Promise<any> => storedSsoOf(t.dbs, tenantId),
  };
}
