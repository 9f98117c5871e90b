/**
 * delete-suspended-tenants against the commands that change a tenant while it runs (issue 18,
 * finding 2): every tenant it removes is locked and re-checked under its lock, so one
 * re-activated meanwhile stays, and none gets records added while it goes. The rivals are
 * ordered by the prompt and by the sweep's test pause (holding its locks), never by sleeps.
 */
import { ObjectId } from 'mongodb';
import { client, passwordFile, run, runJson, runPaused, waitedForLock } from '../../../test/support/harness';
import { removalHelpers, yes } from '../../../test/support/removal';
import { commandTest } from '../../../test/support/command-test';
import { oidc, ssoFile } from '../../../test/support/sso';

// Every removal scans the whole server, and so does leftAnywhere: on a server of the file's own.
const ctx = commandTest({ ownServer: true });
const { leftAnywhere, seedRecords, suspendedTenant } = removalHelpers(ctx);
jest.setTimeout(180_000);

const sweep = ['maintenance', 'delete-suspended-tenants', '--threshold-days', '0'];

async function tenantDoc(id: string) {
  return (await client()).db(ctx.dbs.tenantadm).collection('tenants').findOne({ _id: new ObjectId(id) });
}

describe('delete-suspended-tenants locks and re-checks every tenant it removes', () => {
  it('a tenant re-activated while the prompt is on screen is skipped and reported; the others go', async () => {
    const back = await suspendedTenant('back');
    const gone = await suspendedTenant('gone');
    await seedRecords(back);
    const r = await run(ctx.dbs, sweep, {
      atPrompt: async () => {
        await runJson(ctx.dbs, ['update-tenant', '--tenant', back, '--status', 'active']);
        return 'y';
      },
    });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.removed.tenants.map((t: any) => t.id)).toEqual([gone]);
    expect(out.skipped).toEqual([{ id: back, name: 'back', reason: 'it is active now' }]);
    expect(r.stderr).toContain(`skipped tenant ${back} ("back"): it is active now`);
    expect(await tenantDoc(back)).toMatchObject({ status: 'active' });
    expect(Object.keys(await leftAnywhere(back)).length).toBeGreaterThan(1);
    expect(await leftAnywhere(gone)).toEqual({});
    // Its audit names only what was done.
    const deletes = await (await client()).db(ctx.dbs.audit).collection('tenantadm_audit').find({ action: 'delete' }).toArray();
    expect(deletes.map((d) => d.object.id)).toEqual([gone]);
  });

  it("a child re-activated at the prompt stays, and so does its Service Provider (its removal would orphan it)", async () => {
    const sp = (await runJson(ctx.dbs, ['create-tenant', '--name', 'sp', '--device-limit', '10'])).id;
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp, '--service-provider']);
    const kid = (await ctx.child('kid', sp, ['--device-limit', '2'])).id;
    for (const id of [kid, sp]) await runJson(ctx.dbs, yes(['update-tenant', '--tenant', id, '--status', 'suspended']));
    const r = await run(ctx.dbs, sweep, {
      atPrompt: async () => {
        await runJson(ctx.dbs, ['update-tenant', '--tenant', kid, '--status', 'active']);
        return 'y';
      },
    });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.removed.tenants).toEqual([]);
    expect(out.skipped).toEqual([
      { id: kid, name: 'kid', reason: 'it is active now' },
      { id: sp, name: 'sp', reason: `Service Provider ${sp} has child tenant ${kid}, which stays, while this command ran` },
    ]);
    expect(await tenantDoc(kid)).toMatchObject({ status: 'active', parent_tenant_id: sp });
    expect(await tenantDoc(sp)).toMatchObject({ status: 'suspended' });
  });

  it('a re-activation and a new user wait for the sweep holding its locks: nothing is added to a tenant being removed', async () => {
    const plain = await suspendedTenant('plain');
    const other = await suspendedTenant('other');
    const sweeping = runPaused(ctx.dbs, yes(sweep), 3000);
    await sweeping.paused;
    const [activate, user] = await Promise.all([
      run(ctx.dbs, ['update-tenant', '--tenant', plain, '--status', 'active']),
      run(ctx.dbs, ['create-user', '--tenant', other, '--email', 'late@example.com', '--password-file', passwordFile(ctx.dir)]),
    ]);
    const done = await sweeping.done;
    expect(done.code).toBe(0);
    // Both waited for the tenant's lock, then found it gone (exit 3): the sweep removed them as suspended.
    expect(waitedForLock(activate, `tenant:${plain}`) || waitedForLock(activate, `sp:${plain}`)).toBe(true);
    expect(waitedForLock(user, `tenant:${other}`)).toBe(true);
    expect([activate.code, user.code]).toEqual([3, 3]);
    expect(JSON.parse(done.stdout).removed.tenants.map((t: any) => t.id).sort()).toEqual([plain, other].sort());
    for (const id of [plain, other]) expect(await leftAnywhere(id)).toEqual({});
    expect(await (await client()).db(ctx.dbs.useradm).collection('users').countDocuments({ email: 'late@example.com' })).toBe(0);
  });

  it("waits for a live process's lock on a tenant instead of deleting it, and leaves no lock behind", async () => {
    const busy = await suspendedTenant('busy');
    const setting = runPaused(ctx.dbs, ['set-sso', '--tenant', busy, '-f', ssoFile(ctx.dir, oidc())], 3000);
    await setting.paused;
    const swept = await run(ctx.dbs, yes(sweep));
    const set = await setting.done;
    expect(set.code).toBe(0);
    expect(swept.code).toBe(0);
    expect(waitedForLock(swept, `tenant:${busy}`)).toBe(true);
    // Removed after set-sso finished, with the settings it wrote; every lock released.
    expect(await leftAnywhere(busy)).toEqual({});
    expect(await (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_locks').countDocuments({})).toBe(0);
  });
});
