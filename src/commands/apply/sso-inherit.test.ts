/**
 * apply switching sso_inherit on does what update-tenant --sso-inherit does: the child's own SSO
 * settings go in the same change, and it refuses what update-tenant, set-sso and create-tenant
 * --sso refuse.
 */
import { runJson, snapshot } from '../../../test/support/harness';
import { auditEntries } from '../../../test/support/cases';
import { commandTest } from '../../../test/support/command-test';
import { applyOf, exportedJson, passwordRef, seedApplyFleet } from '../../../test/support/apply';
import { saml, ssoHelpers } from '../../../test/support/sso';

const ctx = commandTest();
const { file, storedSso } = ssoHelpers(ctx);

describe('apply sso_inherit', () => {
  it("drops a child's own SSO settings when it starts inheriting, as update-tenant does", async () => {
    const { sp, paris } = await seedApplyFleet(ctx);
    expect((await runJson(ctx.dbs, ['set-sso', '--tenant', paris.id, '-f', file(saml())])).id).toBe(paris.id);
    const doc = await exportedJson(ctx);
    const entry = doc.tenants.find((t: any) => t.name === 'Acme SP').children.find((c: any) => c.name === 'Acme Paris');
    expect(entry.sso).not.toBeNull();

    // Inheriting while the file keeps settings of its own is refused (as set-sso refuses it), nothing written.
    entry.sso_inherit = true;
    const before = await snapshot(ctx.dbs);
    const both = await applyOf(ctx, doc, ['--yes']);
    expect({ code: both.code, stdout: both.stdout }).toEqual({ code: 5, stdout: '' });
    expect(both.stderr).toMatch(/inherit the SSO settings of its Service Provider and keep settings of its own/);
    expect(await snapshot(ctx.dbs)).toEqual(before);

    delete entry.sso;
    const r = await applyOf(ctx, doc, ['--yes']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ tenant: 'Acme Paris', id: paris.id, action: 'update', field: 'sso_inherit', before: false, after: true }]);
    expect(await storedSso(paris.id)).toBeNull();
    expect((await runJson(ctx.dbs, ['get-sso', '--tenant', paris.id])).settings.type).toBe('oidc');
    const entries = await auditEntries(ctx.dbs, { tenant_id: paris.id, change: /sso_inherit/ });
    expect(entries[0].change).toMatch(/^sso_inherit: false -> true; its own SSO settings were removed \(fleet file sha256:/);
    expect(entries[0].log_tenant_ids).toEqual([paris.id, sp.id]);
    // Again: nothing to do.
    const again = await applyOf(ctx, doc, ['--yes']);
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: '[]\n' });
    // Settings of its own for a child that inherits are refused, as set-sso refuses them.
    entry.sso = { type: 'saml', entity_id: 'urn:paris', metadata_url: 'https://idp.example.com/metadata' };
    const own = await applyOf(ctx, doc, ['--yes']);
    expect({ code: own.code, stdout: own.stdout }).toEqual({ code: 5, stdout: '' });
    expect(own.stderr).toMatch(/inherits the SSO settings of its Service Provider; they cannot be overridden/);
    expect(await storedSso(paris.id)).toBeNull();
  });

  it('refuses inheriting from a Service Provider without SSO settings (exit 5), nothing written', async () => {
    const { sp } = await seedApplyFleet(ctx);
    const doc = await exportedJson(ctx);
    const spEntry = doc.tenants.find((t: any) => t.name === 'Acme SP');
    spEntry.sso = null;
    spEntry.children.find((c: any) => c.name === 'Acme Oslo').sso_inherit = true;
    const before = await snapshot(ctx.dbs);
    const r = await applyOf(ctx, doc, ['--yes']);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 5, stdout: '' });
    expect(r.stderr).toContain(`${sp.id} has no SSO settings`);
    expect(await snapshot(ctx.dbs)).toEqual(before);
    // A new child that inherits, as create-tenant --parent --sso refuses it.
    const fresh = await exportedJson(ctx);
    const spFresh = fresh.tenants.find((t: any) => t.name === 'Acme SP');
    spFresh.sso = null;
    spFresh.children.push({ name: 'Acme Rome', device_limit: 1, sso_inherit: true, users: [{ email: 'ops@rome.example', password: passwordRef(ctx, 'Rome-Passw0rd!') }] });
    const made = await applyOf(ctx, fresh, ['--yes']);
    expect({ code: made.code, stdout: made.stdout }).toEqual({ code: 5, stdout: '' });
    expect(made.stderr).toContain(`${sp.id} has no SSO settings`);
    expect(await snapshot(ctx.dbs)).toEqual(before);
  });
});
