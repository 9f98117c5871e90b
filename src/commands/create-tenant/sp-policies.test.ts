/**
 * Where the Service Provider pieces meet create-tenant: a child created with --parent inherits
 * SSO with --sso, and the SP's add-on policy binds children created under it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expectFailsCleanly, runJson } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

const SECRET = 'sp-oidc-secret-Qw77';

async function sp(name: string): Promise<any> {
  const t = await runJson(ctx.dbs, ['create-tenant', '--name', name, '--device-limit', '100']);
  return runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--service-provider']);
}

function ssoFile(): string {
  const f = path.join(ctx.dir, `sso-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, JSON.stringify({ type: 'oidc', issuer: 'https://login.sp.example', client_id: 'mender', client_secret: SECRET }));
  return f;
}

describe('create-tenant --parent --sso', () => {
  it('makes the child inherit the SP settings, resolved on read', async () => {
    const provider = await sp('provider');
    await runJson(ctx.dbs, ['set-sso', '--tenant', provider.id, '-f', ssoFile()]);
    const child = await ctx.child('child', provider.id, ['--sso', '--device-limit', '10']);
    expect(child).toMatchObject({ parent_tenant_id: provider.id, sso_inherit: true, device_limit: 10 });
    const sso = await runJson(ctx.dbs, ['get-sso', '--tenant', child.id]);
    expect(sso).toMatchObject({ inherited: true, inherited_from: provider.id });
    expect(JSON.stringify(sso)).not.toContain(SECRET);
    const log = await runJson(ctx.dbs, ['audit', '--tenant', provider.id, '--object-id', child.id]);
    expect(log.map((e: any) => e.change).join('\n')).toMatch(/SSO inherited/);
  });

  it('refuses --sso without --parent (exit 2) and under an SP without settings (exit 5), writing nothing', async () => {
    const provider = await sp('bare');
    await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'x', '--sso'], 2);
    const err = await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'x', '--parent', provider.id, '--sso', ...ctx.childUser('x')], 5);
    expect(err).toMatch(/no SSO settings/);
  });
});

describe("the SP's add-on policy", () => {
  it('binds a child created under it: the SP\'s add-ons narrowed by the policy, a different --addon or --plan is exit 5', async () => {
    const provider = await sp('strict');
    await runJson(ctx.dbs, ['update-tenant', '--tenant', provider.id, '--addon', 'troubleshoot,monitor', '--child-features', 'troubleshoot']);
    expect(await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'c1', '--parent', provider.id, '--addon', 'monitor', ...ctx.childUser('c1')], 5)).toMatch(/does not allow monitor/);
    expect(await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'c1', '--parent', provider.id, '--addon', 'troubleshoot=off', ...ctx.childUser('c1')], 5)).toMatch(
      /would have add-on troubleshoot off, but a child has its Service Provider's plan and add-ons \(enterprise, add-ons troubleshoot/,
    );
    expect(await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'c1', '--parent', provider.id, '--plan', 'os', ...ctx.childUser('c1')], 5)).toMatch(/would have plan os/);
    const ok = await ctx.child('c2', provider.id, ['--addon', 'troubleshoot', '--plan', 'enterprise']);
    expect(ok.addons.filter((a: any) => a.enabled).map((a: any) => a.name)).toEqual(['troubleshoot']);
    // Without --addon the child gets the same: the SP's, without what the policy withholds (monitor).
    const plain = await ctx.child('c3', provider.id);
    expect(plain.addons.filter((a: any) => a.enabled).map((a: any) => a.name)).toEqual(['troubleshoot']);
    expect(plain.plan).toBe('enterprise');
  });

  it("gives a child its SP's plan", async () => {
    const t = await runJson(ctx.dbs, ['create-tenant', '--name', 'pro', '--plan', 'professional', '--addon', 'configure', '--device-limit', '10']);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--service-provider']);
    const kid = await ctx.child('kid', t.id);
    expect(kid.plan).toBe('professional');
    expect(kid.addons.filter((a: any) => a.enabled).map((a: any) => a.name)).toEqual(['configure']);
  });
});
