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
    const child = await runJson(ctx.dbs, ['create-tenant', '--name', 'child', '--parent', provider.id, '--sso', '--device-limit', '10']);
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
    const err = await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'x', '--parent', provider.id, '--sso'], 5);
    expect(err).toMatch(/no SSO settings/);
  });
});

describe("the SP's add-on policy", () => {
  it('binds a child created under it', async () => {
    const provider = await sp('strict');
    await runJson(ctx.dbs, ['update-tenant', '--tenant', provider.id, '--child-features', 'troubleshoot']);
    await expectFailsCleanly(ctx.dbs, ['create-tenant', '--name', 'c1', '--parent', provider.id, '--addon', 'monitor'], 5);
    const ok = await runJson(ctx.dbs, ['create-tenant', '--name', 'c2', '--parent', provider.id, '--addon', 'troubleshoot']);
    expect(ok.addons.find((a: any) => a.name === 'troubleshoot').enabled).toBe(true);
  });
});
