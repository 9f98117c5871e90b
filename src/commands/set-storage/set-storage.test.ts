/** End-to-end tests of set-storage: a tenant's own S3 or Azure store where deployments reads it, masked secrets, --default. */
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_AUDIT_NOTICE, client, run, runJson, snapshot } from '../../../test/support/harness';
import { auditEntries, auditText, createTenant, expectFailsCleanly } from '../../../test/support/cases';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

const S3_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYsecret42';
const AZURE_KEY = 'YXp1cmUta2V5LXRoYXQtaXMtc2VjcmV0LTc3Nw==';
const AZURE_CONN = `DefaultEndpointsProtocol=https;AccountName=oemblobs;AccountKey=${AZURE_KEY};EndpointSuffix=core.windows.net`;
const SECRETS = [S3_SECRET, AZURE_KEY, AZURE_CONN];

const s3 = (extra: object = {}) => ({
  type: 's3',
  bucket: 'oem-artifacts',
  region: 'eu-west-1',
  endpoint: 'https://s3.eu-west-1.amazonaws.com',
  access_key_id: 'AKIAOEMEXAMPLE',
  secret_access_key: S3_SECRET,
  path_style: true,
  ...extra,
});

function file(doc: unknown): string {
  const f = path.join(ctx.dir, `storage-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, JSON.stringify(doc), { mode: 0o600 });
  return f;
}

function expectNoSecrets(...texts: string[]): void {
  for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
}

/** The document Mender's deployments reads: deployment_service-<tenant id>.settings, _id "settings". */
async function stored(tenantId: string): Promise<any> {
  return (await client()).db(`deployment_service-${tenantId}`).collection('settings').findOne({ _id: 'settings' as any });
}

describe('set-storage', () => {
  it('gives a tenant its own S3 bucket; get-tenant shows it masked; secrets reach no output and no audit entry', async () => {
    const t = await createTenant(ctx.dbs, 'own-s3');
    const r = await run(ctx.dbs, ['set-storage', '--tenant', t.id, '-f', file(s3())]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(LOCAL_AUDIT_NOTICE);
    const masked = { ...s3(), secret_access_key: '********' };
    expect(JSON.parse(r.stdout)).toEqual({ id: t.id, storage: masked });
    const got = await run(ctx.dbs, ['get-tenant', '--tenant', t.id]);
    expect(JSON.parse(got.stdout).storage).toEqual(masked);
    expect(await stored(t.id)).toEqual({
      _id: 'settings',
      type: 0,
      region: 'eu-west-1',
      bucket: 'oem-artifacts',
      uri: 'https://s3.eu-west-1.amazonaws.com',
      external_uri: '',
      key: 'AKIAOEMEXAMPLE',
      secret: S3_SECRET,
      force_path_style: true,
      use_accelerate: false,
    });
    const [entry] = await auditEntries(ctx.dbs, { tenant_id: t.id, action: 'update' });
    expect(entry.change).toBe('artifact storage: the shared store -> s3 bucket oem-artifacts (region eu-west-1, endpoint https://s3.eu-west-1.amazonaws.com)');
    expect(await auditText(ctx.dbs)).not.toContain('AKIAOEMEXAMPLE');
    const modes = [];
    for (const mode of [['--ndjson'], ['-o', 'table'], ['-o', 'csv']]) {
      const o = await run(ctx.dbs, ['get-tenant', '--tenant', t.id, ...mode]);
      expect(o.code).toBe(0);
      modes.push(o.stdout, o.stderr);
    }
    const setModes = [];
    for (const mode of [['-o', 'table'], ['-o', 'csv'], ['--ndjson']]) {
      const o = await run(ctx.dbs, ['set-storage', '--tenant', t.id, '-f', file(s3({ region: 'eu-north-1' })), ...mode]);
      expect(o.code).toBe(0);
      setModes.push(o.stdout, o.stderr);
    }
    expect(setModes[0]).toMatch(/^KEY +VALUE\nID +\w+\nTYPE +s3\nWHERE +oem-artifacts\n/);
    expect(setModes[2]!.split('\r\n')[0]).toBe('ID,TYPE,WHERE,STORAGE');
    expect(JSON.parse(setModes[4]!).storage.region).toBe('eu-north-1');
    expect((await auditEntries(ctx.dbs, { tenant_id: t.id, action: 'update' })).map((e) => e.change).pop()).toMatch(
      /-> s3 bucket oem-artifacts \(region eu-north-1, .*\); credentials unchanged$/,
    );
    expectNoSecrets(r.stdout, r.stderr, got.stdout, got.stderr, ...modes, ...setModes, await auditText(ctx.dbs));
  });

  it('takes Azure settings from stdin, with an account key or a connection string', async () => {
    const t = await createTenant(ctx.dbs, 'azure');
    const withKey = await runJson(ctx.dbs, ['set-storage', '--tenant', t.id, '-f', '-'], {
      input: JSON.stringify({ type: 'azure', account_name: 'oemblobs', account_key: AZURE_KEY, container: 'mender-artifacts' }),
    });
    expect(withKey.storage).toMatchObject({ type: 'azure', account_name: 'oemblobs', account_key: '********', container: 'mender-artifacts' });
    const r = await run(ctx.dbs, ['set-storage', '--tenant', t.id, '-f', '-'], { input: JSON.stringify({ type: 'azure', connection_string: AZURE_CONN, container: 'mender-artifacts' }) });
    expect(JSON.parse(r.stdout).storage).toEqual({ type: 'azure', connection_string: '********', container: 'mender-artifacts' });
    expect(await stored(t.id)).toMatchObject({ type: 1, bucket: 'mender-artifacts', connection_string: AZURE_CONN });
    expect((await stored(t.id)).key).toBeUndefined();
    expect((await auditEntries(ctx.dbs, { tenant_id: t.id, action: 'update' })).map((e) => e.change)).toEqual([
      'artifact storage: the shared store -> azure container mender-artifacts (account oemblobs)',
      'artifact storage: azure container mender-artifacts (account oemblobs) -> azure container mender-artifacts; credentials changed',
    ]);
    expectNoSecrets(withKey && JSON.stringify(withKey), r.stdout, r.stderr, await auditText(ctx.dbs));
  });

  it('returns the tenant to the shared store with --default (a no-op when already there)', async () => {
    const t = await createTenant(ctx.dbs, 'back');
    const before = await snapshot(ctx.dbs);
    expect(await runJson(ctx.dbs, ['set-storage', '--tenant', t.id, '--default'])).toEqual({ id: t.id, storage: { type: 'default', prefix: `${t.id}/` } });
    expect(await snapshot(ctx.dbs)).toEqual(before);
    await runJson(ctx.dbs, ['set-storage', '--tenant', t.id, '-f', file(s3())]);
    const same = await snapshot(ctx.dbs);
    await runJson(ctx.dbs, ['set-storage', '--tenant', t.id, '-f', file(s3())]);
    expect(await snapshot(ctx.dbs)).toEqual(same);
    const back = await runJson(ctx.dbs, ['set-storage', '--tenant', t.id, '--default']);
    expect(back.storage).toEqual({ type: 'default', prefix: `${t.id}/` });
    expect(await stored(t.id)).toBeNull();
    const entries = await auditEntries(ctx.dbs, { tenant_id: t.id, action: 'update' });
    expect(entries.map((e) => e.change).pop()).toBe('artifact storage: s3 bucket oem-artifacts (region eu-west-1, endpoint https://s3.eu-west-1.amazonaws.com) -> the shared store');
  });

  it('rejects invalid settings with exit 2 naming the JSON pointer, and unknown tenants with exit 3', async () => {
    const t = await createTenant(ctx.dbs, 'invalid');
    const cases: [unknown, RegExp][] = [
      [s3({ bucket: 'Bad_Bucket' }), /\/bucket: must match pattern/],
      [{ ...s3(), secret_access_key: undefined }, /\/: must have required property 'secret_access_key'/],
      [s3({ path_style: 'yes' }), /\/path_style: must be boolean/],
      [s3({ acl: 'public-read' }), /\/: unexpected property "acl"/],
      [{ type: 'gcs', bucket: 'x' }, /\/type: must be one of s3, azure/],
      [{ type: 'azure', container: 'c-okay', account_name: 'oemblobs', account_key: AZURE_KEY, connection_string: AZURE_CONN }, /\/account_key: give exactly one/],
      [{ type: 'azure', container: 'c-okay', account_key: AZURE_KEY }, /\/account_name: account_key needs account_name/],
      [{ type: 'azure', container: 'Bad--name', connection_string: AZURE_CONN }, /\/container: must match pattern/],
    ];
    for (const [doc, message] of cases) {
      const err = await expectFailsCleanly(ctx.dbs, ['set-storage', '--tenant', t.id, '-f', file(doc)], 2);
      expect(err).toMatch(message);
      expectNoSecrets(err);
    }
    await expectFailsCleanly(ctx.dbs, ['set-storage', '--tenant', t.id], 2);
    await expectFailsCleanly(ctx.dbs, ['set-storage', '--tenant', t.id, '--default', '-f', file(s3())], 2);
    await expectFailsCleanly(ctx.dbs, ['set-storage', '--tenant', t.id, '-f', '-'], 2, { input: 'not json' });
    await expectFailsCleanly(ctx.dbs, ['set-storage', '--tenant', '0123456789abcdef01234567', '-f', file(s3())], 3);
    await expectFailsCleanly(ctx.dbs, ['set-storage', '--tenant', '0123456789abcdef01234567', '--default'], 3);
  });
});
