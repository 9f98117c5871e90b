/** End-to-end tests of update-tenant --sso-inherit: a child that starts inheriting drops its own settings, and the inheritance it refuses. */
import { runJson, snapshot, tmpDir, type Dbs, withFreshDatabases } from '../../../test/support/harness';
import { auditEntries, auditText, createTenant, expectFailsCleanly, spWithChildren } from '../../../test/support/cases';
import { expectNoSecrets, oidc, saml, ssoFile, storedSsoOf } from '../../../test/support/sso';

let dbs: Dbs;
let dir: string;

beforeAll(() => {
  dir = tmpDir();
});
withFreshDatabases((d) => (dbs = d));

const file = (doc: unknown, raw?: string): string => ssoFile(dir, doc, raw);
const storedSso = (tenantId: string): Promise<any> => storedSsoOf(dbs, tenantId);

describe('SSO inheritance', () => {
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
});
