/** Crash safety of create-tenant and its audit entries: killed at any point, the change and its entries exist together or not at all. */
import { client, passwordFile, run, runJson } from '../../../test/support/harness';
import { auditCrashHelpers } from '../../../test/support/crash';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { audit } = ctx;
const { killedAt, settledEntries } = auditCrashHelpers(ctx);

describe('crash safety: a change and its entry exist together or not at all', () => {
  // Tenant, limit, user: steps 0..2; the entries are written (already committed) by the roll-forward after the commit.
  const createPoints = ['step:0', 'step:1', 'step:2', 'commit', 'finalize'];
  it.each(createPoints)('create-tenant killed at %s', async (point) => {
    await killedAt(point, ['create-tenant', '--name', 'crash', '--admin-email', 'c@crash.example', '--password-file', passwordFile(ctx.dir)]);
    // Before repair, readers see no entry of the interrupted operation, and are told why.
    const early = await run(ctx.dbs, ['audit']);
    expect(early.code).toBe(0);
    expect(JSON.parse(early.stdout)).toEqual([]);
    expect(early.stderr).toMatch(/1 change is in progress or interrupted/);

    expect((await runJson(ctx.dbs, ['repair']))[point === 'finalize' ? 'finalized' : 'rolled_back']).toHaveLength(1);
    const c = await client();
    const tenant = await c.db(ctx.dbs.tenantadm).collection('tenants').findOne({ name: 'crash' });
    const user = await c.db(ctx.dbs.useradm).collection('users').findOne({ email: 'c@crash.example' });
    const limit = tenant ? await c.db(ctx.dbs.deviceauth).collection('limits').findOne({ tenant_id: tenant._id.toHexString() }) : null;
    const { committed, pending } = await settledEntries();
    expect(pending).toBe(0);
    const happened = point === 'finalize';
    expect({ tenant: !!tenant, user: !!user, limit: !!limit, entries: committed.length }).toEqual(
      happened ? { tenant: true, user: true, limit: true, entries: 2 } : { tenant: false, user: false, limit: false, entries: 0 },
    );
    const shown = await audit();
    expect(shown.map((e) => [e.object.type, e.object.id])).toEqual(happened ? [['user', user!._id], ['tenant', tenant!._id.toHexString()]] : []);
    expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
    const after = await run(ctx.dbs, ['audit']);
    expect(after.stderr).toBe('');
  });
});
