/** End-to-end tests of update-tenant --sso-inherit: a child that starts inheriting drops its own settings, and the inheritance it refuses. */
import { runJson, snapshot } from '../../../test/support/harness';
import { auditEntries, auditText, createTenant, expectFailsCleanly, spWithChildren } from '../../../test/support/cases';
import { expectNoSecrets, oidc, saml, ssoHelpers } from '../../../test/support/sso';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { file, storedSso } = ssoHelpers(ctx);

describe('SSO inheritance', () => {
  it("drops a child's own settings when it starts inheriting", async () => {
    const { sp, children } = await spWithChildren(ctx.dbs, ['own']);
    const child = children[0];
    await runJson(ctx.dbs, ['set-sso', '--tenant', sp.id, '-f', file(oidc())]);
    await runJson(ctx.dbs, ['set-sso', '--tenant', child.id, '-f', file(saml())]);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', child.id, '--sso-inherit']);
    expect(await storedSso(child.id)).toBeNull();
    expect((await runJson(ctx.dbs, ['get-sso', '--tenant', child.id])).settings.type).toBe('oidc');
    const entries = await auditEntries(ctx.dbs, { tenant_id: child.id, change: /sso_inherit/ });
    expect(entries[0].change).toBe('sso_inherit: unset -> true; its own SSO settings were removed');
    expect(entries[0].log_tenant_ids).toEqual([child.id, sp.id]);
    expectNoSecrets(await auditText(ctx.dbs));
  });

  it('refuses inheritance without a parent, or from an SP without settings (exit 5)', async () => {
    const lone = await createTenant(ctx.dbs, 'lone');
    expect(await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', lone.id, '--sso-inherit'], 5)).toMatch(/no Service Provider/);
    const { sp, children } = await spWithChildren(ctx.dbs, ['bare']);
    expect(await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', children[0].id, '--sso-inherit'], 5)).toMatch(new RegExp(`${sp.id} has no SSO settings`));
    // Turning inheritance off when it is off changes nothing.
    const before = await snapshot(ctx.dbs);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', children[0].id, '--no-sso-inherit']);
    expect(await snapshot(ctx.dbs)).toEqual(before);
  });
});
