/**
 * check meeting a create still under way by a live owner elsewhere (issue #18): the child's
 * half-made state (no user yet, no limit yet) is no finding; check says on stderr which
 * operation holds it. Once that owner is gone, the operation is the unsettled_journal finding
 * and its records are judged as they stand. The owner is simulated by its records
 * (test/support/pending-owner.ts).
 */
import { ObjectId } from 'mongodb';
import { client, run } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';
import { fakeRemoteOwner } from '../../../test/support/pending-owner';

const ctx = commandTest();
/** Only this test's databases: check reads the whole server otherwise. */
const scope = () => ['--databases', Object.values(ctx.dbs).join(',')];

describe('check meeting an operation under way', () => {
  it('does not report a live create\'s half-made child as findings, and says which operation holds it', async () => {
    const sp = await ctx.sp('sp', '10');
    const clean = await run(ctx.dbs, ['check', ...scope()]);
    expect(clean.code).toBe(0);
    expect(clean.stderr).toBe('');

    // A child whose create has written the tenant, not yet its limit nor its user.
    const child = new ObjectId();
    await (await client()).db(ctx.dbs.tenantadm).collection('tenants').insertOne({ _id: child, name: 'half', status: 'active', plan: 'enterprise', addons: [], parent_tenant_id: sp.id });
    const { op, leaseUntil } = await fakeRemoteOwner(ctx.dbs, child, { op: 'remote-child-op', locks: [`sp:${sp.id}`, `tenant:${child.toHexString()}`] });
    const r = await run(ctx.dbs, ['check', ...scope()]);
    expect(r.stdout && JSON.parse(r.stdout).findings).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`is being changed by operation ${op} (create-tenant, pid 4242 on elsewhere)`);
    expect(r.stderr).toContain(`settled from ${leaseUntil.toISOString()}`);
  });
});
