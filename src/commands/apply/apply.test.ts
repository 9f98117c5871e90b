/**
 * apply against a seeded fleet: an export applies as no change and writes nothing at all; an
 * edited file is made true in one operation and re-applying it is again nothing; a file that
 * over-allocates or breaks a rule is refused with nothing written; a killed apply settles whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import { client, run, runJson, snapshot } from '../../../test/support/harness';
import { auditCrashHelpers } from '../../../test/support/crash';
import { commandTest } from '../../../test/support/command-test';
import { CLIENT_SECRET, applyOf, exportedJson, passwordRef, seedApplyFleet } from '../../../test/support/apply';

const ctx = commandTest();
const { killedAt } = auditCrashHelpers(ctx);

const storageDb = (id: string) => `deployment_service-${id}`;

describe('apply', () => {
  it('of a fresh export (YAML) changes nothing and writes nothing at all, in every database', async () => {
    const { solo } = await seedApplyFleet(ctx);
    const yaml = (await run(ctx.dbs, ['export'])).stdout;
    const file = path.join(ctx.dir, 'fleet.yaml');
    fs.writeFileSync(file, yaml);
    const before = await snapshot(ctx.dbs, [storageDb(solo.id)]);
    const r = await run(ctx.dbs, ['apply', '-f', file, '--yes']);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: '[]\n' });
    expect(r.stderr).toContain('no changes');
    // No journal document, lease, lock, audit entry or record of its own: every collection as it was.
    expect(await snapshot(ctx.dbs, [storageDb(solo.id)])).toEqual(before);
    // The same through standard input, and without --yes (nothing to confirm).
    const piped = await run(ctx.dbs, ['apply', '-f', '-'], { input: yaml });
    expect({ code: piped.code, stdout: piped.stdout }).toEqual({ code: 0, stdout: '[]\n' });
    expect(await snapshot(ctx.dbs, [storageDb(solo.id)])).toEqual(before);
  });

  it('makes an edited file true in one operation, with an audit entry per change naming the file; again it is no change', async () => {
    const { sp, paris, solo } = await seedApplyFleet(ctx);
    const doc = await exportedJson(ctx);
    const spEntry = doc.tenants.find((t: any) => t.name === 'Acme SP');
    spEntry.addons = ['configure'];
    for (const c of spEntry.children) delete c.addons;
    spEntry.children.find((c: any) => c.name === 'Acme Paris').device_limit = 15;
    spEntry.children.push({ name: 'Acme Berlin', device_limit: 5, users: [{ email: 'ops@berlin.example', password: '${env:BERLIN_PW}' }] });
    const soloEntry = doc.tenants.find((t: any) => t.name === 'Solo');
    soloEntry.users.find((u: any) => u.email === 'dev@solo.example').roles = ['RBAC_ROLE_OBSERVER'];
    soloEntry.status = 'suspended';
    doc.tenants.push({ name: 'Newco', device_limit: 3, users: [{ email: 'admin@newco.example', roles: ['RBAC_ROLE_PERMIT_ALL'], password: '${env:NEWCO_PW}' }] });
    const env = { BERLIN_PW: 'Berlin-Passw0rd!', NEWCO_PW: 'Newco-Passw0rd!' };

    // A dry run lists the changes and writes nothing.
    const before = await snapshot(ctx.dbs);
    const dry = await applyOf(ctx, doc, ['--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(await snapshot(ctx.dbs)).toEqual(before);
    // Without --yes and no terminal: refused, as other changing commands are.
    expect((await applyOf(ctx, doc, [], env)).code).toBe(2);
    expect(await snapshot(ctx.dbs)).toEqual(before);

    const r = await applyOf(ctx, doc, ['--yes'], env);
    // Solo's suspension revokes its tokens; the warnings say how (no service addresses here).
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.stringContaining("the tenant's deviceauth and useradm tokens were deleted") });
    const rows = JSON.parse(r.stdout);
    expect(rows).toEqual(JSON.parse(dry.stdout));
    expect(rows).toEqual(
      expect.arrayContaining([
        { tenant: 'Acme SP', id: sp.id, action: 'update', field: 'addons', before: [], after: ['configure'] },
        { tenant: 'Acme Paris', id: paris.id, action: 'update', field: 'device_limit', before: 10, after: 15 },
        { tenant: 'Acme Berlin', id: null, action: 'create', field: 'parent', after: 'Acme SP' },
        { tenant: 'Newco', id: null, action: 'create' },
        { tenant: 'Solo', id: solo.id, action: 'update', field: 'status', before: 'active', after: 'suspended' },
      ]),
    );

    const paris2 = await runJson(ctx.dbs, ['get-tenant', '--tenant', paris.id]);
    expect(paris2.device_limit).toBe(15);
    expect(paris2.addons.filter((a: any) => a.enabled).map((a: any) => a.name)).toEqual(['configure']);
    const kids = await runJson(ctx.dbs, ['list-tenants', '--parent', sp.id]);
    const berlin = kids.find((k: any) => k.name === 'Acme Berlin');
    expect(berlin).toMatchObject({ plan: 'enterprise', device_limit: 5 });
    expect((await ctx.storedUser('ops@berlin.example')).tenant_id).toBe(berlin.id);
    expect((await ctx.storedUser('dev@solo.example')).roles).toEqual(['RBAC_ROLE_OBSERVER']);
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', solo.id])).status).toBe('suspended');
    // An entry per change, each naming the file's checksum.
    const sha = require('node:crypto').createHash('sha256').update(fs.readFileSync(r.file)).digest('hex');
    const entries = (await ctx.rawEntries()).filter((e) => String(e.change).includes(`sha256:${sha}`));
    expect(entries.length).toBeGreaterThanOrEqual(rows.length);

    // The same file again: no change, nothing written (passwords are not hashed again).
    const settled = await snapshot(ctx.dbs);
    const again = await applyOf(ctx, doc, ['--yes'], env);
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: '[]\n' });
    expect(await snapshot(ctx.dbs)).toEqual(settled);
    // And without the password variables: existing users are unchanged.
    expect((await applyOf(ctx, doc, ['--yes'])).stdout).toBe('[]\n');
    expect(await snapshot(ctx.dbs)).toEqual(settled);
  });

  it('refuses a file that would over-allocate a Service Provider (exit 5), with nothing written', async () => {
    await seedApplyFleet(ctx);
    const doc = await exportedJson(ctx);
    const spEntry = doc.tenants.find((t: any) => t.name === 'Acme SP');
    // 100 for the SP; Oslo keeps 20: 85 does not fit.
    spEntry.children.find((c: any) => c.name === 'Acme Paris').device_limit = 85;
    const file = writeDoc(ctx.dir, doc);
    const stderr = await ctx.expectFailsCleanly(['apply', '-f', file, '--yes'], 5);
    expect(stderr).toMatch(/device limit for children exhausted/);
    // A new child that does not fit either (Paris 10 + Oslo 20 + 71).
    const doc2 = await exportedJson(ctx);
    doc2.tenants.find((t: any) => t.name === 'Acme SP').children.push({ name: 'Big', device_limit: 71, users: [{ email: 'a@big.example', password: '${env:X}' }] });
    await ctx.expectFailsCleanly(['apply', '-f', writeDoc(ctx.dir, doc2), '--yes'], 5, { env: { X: 'Passw0rd-Long!' } });
    // Frees before takes: Paris down and Oslo up in one file fits, whatever their order.
    const doc3 = await exportedJson(ctx);
    const kids = doc3.tenants.find((t: any) => t.name === 'Acme SP').children;
    kids.find((c: any) => c.name === 'Acme Paris').device_limit = 0;
    kids.find((c: any) => c.name === 'Acme Oslo').device_limit = 100;
    expect((await applyOf(ctx, doc3, ['--yes'])).code).toBe(0);
  });

  it("refuses what Mender Enterprise 4.x's rules refuse (exit 5), with nothing written", async () => {
    await seedApplyFleet(ctx);
    const plan = await exportedJson(ctx);
    plan.tenants.find((t: any) => t.name === 'Acme SP').children[0].plan = 'os';
    expect(await ctx.expectFailsCleanly(['apply', '-f', writeDoc(ctx.dir, plan), '--yes'], 5)).toMatch(/a child has its Service Provider's plan and add-ons/);
    const lonely = await exportedJson(ctx);
    lonely.tenants.find((t: any) => t.name === 'Acme SP').children.push({ name: 'Lonely', device_limit: 1 });
    expect(await ctx.expectFailsCleanly(['apply', '-f', writeDoc(ctx.dir, lonely), '--yes'], 5)).toMatch(/needs at least one user/);
    const unlimited = await exportedJson(ctx);
    unlimited.tenants.find((t: any) => t.name === 'Acme SP').device_limit = 'unlimited';
    expect(await ctx.expectFailsCleanly(['apply', '-f', writeDoc(ctx.dir, unlimited), '--yes'], 5)).toMatch(/cannot be unlimited/);
    // A new user without a password source: exit 2, as create-tenant without one.
    const nopw = await exportedJson(ctx);
    nopw.tenants.push({ name: 'Nopw', users: [{ email: 'x@nopw.example' }] });
    expect(await ctx.expectFailsCleanly(['apply', '-f', writeDoc(ctx.dir, nopw), '--yes'], 2)).toMatch(/no password for the new user/);
  });

  it("gives every child its Service Provider's new plan in the same operation, and keeps a stored secret its reference does not set", async () => {
    const { sp, paris, oslo } = await seedApplyFleet(ctx);
    const doc = await exportedJson(ctx);
    const spEntry = doc.tenants.find((t: any) => t.name === 'Acme SP');
    spEntry.plan = 'professional';
    for (const c of spEntry.children) delete c.plan;
    spEntry.sso.issuer = 'https://idp2.example.com';
    const r = await applyOf(ctx, doc, ['--yes']);
    expect(r.code).toBe(0);
    for (const id of [sp.id, paris.id, oslo.id]) expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', id])).plan).toBe('professional');
    const sso = await (await client()).db(ctx.dbs.tenantadm).collection('sso_settings').findOne({ _id: sp.id });
    expect(sso!.settings).toMatchObject({ issuer: 'https://idp2.example.com', client_secret: CLIENT_SECRET });
    // One entry per child in the SP's log, naming the file.
    const follow = (await ctx.rawEntries()).filter((e) => /follows its Service Provider's plan/.test(String(e.change)) && /fleet file sha256/.test(String(e.change)));
    expect(follow.map((e) => e.object.id).sort()).toEqual([paris.id, oslo.id].sort());
    // The children as the file now says (plan left out): nothing more to do.
    expect((await applyOf(ctx, doc, ['--yes'])).stdout).toBe('[]\n');
    // A literal secret is written (and never printed); new settings need their reference set.
    spEntry.sso.client_secret = 'a-new-literal-secret';
    const lit = await applyOf(ctx, doc, ['--yes']);
    expect(lit.code).toBe(0);
    expect(lit.stdout + lit.stderr).not.toContain('a-new-literal-secret');
    expect((await (await client()).db(ctx.dbs.tenantadm).collection('sso_settings').findOne({ _id: sp.id }))!.settings.client_secret).toBe('a-new-literal-secret');
    const fresh = await exportedJson(ctx);
    fresh.tenants.find((t: any) => t.name === 'Solo').sso = { type: 'oidc', issuer: 'https://idp.example.com', client_id: 'solo', client_secret: '${env:SOLO_SSO_SECRET}' };
    expect(await ctx.expectFailsCleanly(['apply', '-f', writeDoc(ctx.dir, fresh), '--yes'], 2)).toMatch(/is new and its reference/);
    expect((await applyOf(ctx, fresh, ['--yes'], { SOLO_SSO_SECRET: 'solo-secret-value' })).code).toBe(0);
  });

  // Step 0 frees Paris's capacity; at `commit` every step is written but not committed (rolled
  // back); from `finalize` on it is committed (finished by whoever settles it).
  it.each(['step:0', 'step:2', 'commit', 'finalize', 'finalize:0'])('killed at %s, it is rolled back or finished whole', async (point) => {
    const { sp } = await seedApplyFleet(ctx);
    const doc = await exportedJson(ctx);
    const kids = doc.tenants.find((t: any) => t.name === 'Acme SP').children;
    kids.find((c: any) => c.name === 'Acme Paris').device_limit = 5;
    kids.find((c: any) => c.name === 'Acme Oslo').device_limit = 25;
    kids.push({ name: 'Acme Rome', device_limit: 3, users: [{ email: 'ops@rome.example', password: passwordRef(ctx, 'Rome-Passw0rd!') }] });
    const file = writeDoc(ctx.dir, doc);
    await killedAt(point, ['apply', '-f', file, '--yes']);
    // The next changing command settles it first.
    await ctx.create('next');
    const limits = async () => Object.fromEntries((await runJson(ctx.dbs, ['list-tenants', '--parent', sp.id])).map((t: any) => [t.name, t.device_limit]));
    const happened = point.startsWith('finalize');
    expect(await limits()).toEqual(happened ? { 'Acme Paris': 5, 'Acme Oslo': 25, 'Acme Rome': 3 } : { 'Acme Paris': 10, 'Acme Oslo': 20 });
    expect(await ctx.storedUser('ops@rome.example')).toEqual(happened ? expect.objectContaining({ email: 'ops@rome.example' }) : null);
    const { committed, pending } = await auditCrashHelpers(ctx).settledEntries();
    expect(pending).toBe(0);
    expect(committed.filter((e) => /fleet file sha256/.test(String(e.change))).length > 0).toBe(happened);
    // Nothing left in the journal, and the file applies (again) cleanly.
    expect((await run(ctx.dbs, ['repair'])).code).toBe(0);
    const again = await run(ctx.dbs, ['apply', '-f', file, '--yes']);
    expect(again.code).toBe(0);
    expect(await limits()).toEqual({ 'Acme Paris': 5, 'Acme Oslo': 25, 'Acme Rome': 3 });
  });
});

function writeDoc(dir: string, doc: unknown): string {
  const file = path.join(dir, `fleet-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

