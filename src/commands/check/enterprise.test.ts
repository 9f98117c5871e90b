/**
 * check's findings about what Mender Enterprise 4.x refuses (SPs without a limit or holding
 * devices, children without users or unlike their SP) and stored tokens of another format;
 * --repair gives children their SP's plan and add-ons through the journal, and lists the rest.
 */
import { ObjectId } from 'mongodb';
import { client, run, runJson, snapshot } from '../../../test/support/harness';
import { seedDevices } from '../../../test/support/limits';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

async function plant() {
  const tenants = (await client()).db(ctx.dbs.tenantadm).collection('tenants');
  // An SP written by another tool: no limit, and devices.
  const bare = new ObjectId();
  await tenants.insertOne({ _id: bare, name: 'bare-sp', status: 'active', plan: 'enterprise', addons: [], service_provider: true, tenant_token: 'eyJh.eyJi.c2ln' });
  await seedDevices(ctx.dbs, bare.toHexString(), { accepted: 2, pending: 1 });
  const sp = await ctx.sp('sp', '10', ['--addon', 'monitor']);
  const kid = await ctx.child('kid', sp.id);
  await tenants.updateOne({ _id: new ObjectId(kid.id) }, { $set: { plan: 'os', addons: [{ name: 'monitor', enabled: false }, { name: 'configure', enabled: true }] } });
  const lonely = new ObjectId();
  await tenants.insertOne({ _id: lonely, name: 'lonely', status: 'active', plan: 'enterprise', addons: [{ name: 'monitor', enabled: true }], parent_tenant_id: sp.id });
  await runJson(ctx.dbs, ['set-device-limit', '--tenant', lonely.toHexString(), '--device-limit', '1']);
  const opaque = await ctx.create('opaque', ['--token-format', 'opaque']);
  return { bare: bare.toHexString(), sp: sp.id, kid: kid.id, lonely: lonely.toHexString(), opaque: opaque.id };
}

const JWT = { TENANTADM_TOKEN_FORMAT: 'jwt' };
/** Only this test's databases: check reads the whole server otherwise. */
const scope = () => ['--databases', Object.values(ctx.dbs).join(',')];

describe('check: Mender Enterprise 4.x rules and token formats', () => {
  it('reports each, with its samples, and exits 5', async () => {
    const p = await plant();
    const r = await run(ctx.dbs, ['check', ...scope()], { env: JWT });
    expect(r.code).toBe(5);
    const report = JSON.parse(r.stdout);
    const byKind = (kind: string) => report.findings.find((f: any) => f.kind === kind);
    expect(byKind('sp_without_limit')).toMatchObject({ count: 1, sample_ids: [p.bare], repair: 'manual' });
    expect(byKind('sp_holding_devices')).toMatchObject({ count: 1, sample_ids: [p.bare], detail: expect.stringMatching(/hold 3 devices.*MEN-7715/) });
    expect(byKind('child_unlike_sp')).toMatchObject({ count: 1, sample_ids: [p.kid], repair: 'safe' });
    expect(byKind('child_without_users')).toMatchObject({ count: 1, sample_ids: [p.lonely], repair: 'manual' });
    expect(byKind('token_format_mismatch')).toMatchObject({ count: 1, sample_ids: [p.opaque], detail: expect.stringMatching(/not jwt, the format new tokens get \(environment\)/) });
    // Without a forced format: the newest tenant's (opaque) is the one in use, the JWTs differ.
    const detected = JSON.parse((await run(ctx.dbs, ['check', ...scope(), '-q'])).stdout);
    expect(detected.findings.find((f: any) => f.kind === 'token_format_mismatch')).toMatchObject({ count: 3 });
  });

  it("--repair gives children their SP's plan and add-ons, journaled and audited; --dry-run writes nothing", async () => {
    const p = await plant();
    const before = await snapshot(ctx.dbs);
    const dry = JSON.parse((await run(ctx.dbs, ['check', ...scope(), '--repair', '--dry-run'], { env: JWT })).stdout);
    expect(dry.repaired).toContainEqual(expect.objectContaining({ kind: 'child_unlike_sp', count: 1, sample_ids: [p.kid], action: expect.stringMatching(/^would give/) }));
    expect(await snapshot(ctx.dbs)).toEqual(before);

    const r = await run(ctx.dbs, ['check', ...scope(), '--repair', '--yes'], { env: JWT });
    expect(r.code).toBe(5); // the rest needs a person
    const report = JSON.parse(r.stdout);
    expect(report.repaired).toContainEqual(expect.objectContaining({ kind: 'child_unlike_sp', count: 1, sample_ids: [p.kid] }));
    expect(report.remaining.map((f: any) => f.kind).sort()).toEqual(['child_without_users', 'sp_holding_devices', 'sp_without_limit', 'token_format_mismatch']);
    const kid = await runJson(ctx.dbs, ['get-tenant', '--tenant', p.kid]);
    expect(kid.plan).toBe('enterprise');
    expect(kid.addons.filter((a: any) => a.enabled).map((a: any) => a.name)).toEqual(['monitor']);
    const entry = (await ctx.auditOf(p.kid)).pop();
    expect(entry).toMatchObject({ log_tenant_ids: [p.kid, p.sp], change: expect.stringMatching(/^plan and add-ons made its Service Provider's \(check --repair\): plan os/) });
    expect(await (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
    const again = JSON.parse((await run(ctx.dbs, ['check', ...scope()], { env: JWT })).stdout);
    expect(again.findings.map((f: any) => f.kind)).not.toContain('child_unlike_sp');
  });
});
