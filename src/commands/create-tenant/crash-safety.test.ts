/** Crash safety of create-tenant without transactions: killed before its commit point it is rolled back, after it rolled forward. */
import { client, passwordFile, run, runJson, snapshot } from '../../../test/support/harness';
import { killedAt } from '../../../test/support/crash';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create } = ctx;

describe('crash safety (no transactions)', () => {
  // Tenant, limit, user; the audit entries are written after the commit point.
  const points = ['step:0', 'step:1', 'step:2', 'commit'];
  it.each(points)('a create-tenant killed at %s leaves nothing once repaired', async (point) => {
    const before = await snapshot(ctx.dbs);
    const r = await run(ctx.dbs, ['create-tenant', '--name', 'crash', '--admin-email', 'c@crash.example', '--password-file', passwordFile(ctx.dir)], {
      env: killedAt(point),
    });
    expect(r.signal).toBe('SIGKILL');
    const rep = await runJson(ctx.dbs, ['repair']);
    expect(rep.rolled_back).toHaveLength(1);
    const after = await snapshot(ctx.dbs);
    // Collections may now exist empty; compare the documents.
    const nonEmpty = (s: Record<string, unknown[]>) => Object.fromEntries(Object.entries(s).filter(([, v]) => v.length > 0));
    expect(nonEmpty(after)).toEqual(nonEmpty(before));
    // And the name is free again.
    expect((await create('crash')).name).toBe('crash');
  });

  it('a create-tenant killed after its commit point is finished by the next command', async () => {
    const r = await run(ctx.dbs, ['create-tenant', '--name', 'late', '--admin-email', 'l@late.example', '--password-file', passwordFile(ctx.dir)], {
      env: killedAt('finalize'),
    });
    expect(r.signal).toBe('SIGKILL');
    const c = await client();
    // Killed before its roll-forward: its entries are not written yet.
    expect(await c.db(ctx.dbs.audit).collection('tenantadm_audit').countDocuments({})).toBe(0);
    await create('next'); // any change repairs first
    expect(await c.db(ctx.dbs.audit).collection('tenantadm_audit').countDocuments({ state: 'pending' })).toBe(0);
    const late = await runJson(ctx.dbs, ['get-tenant', '--name', 'late']);
    expect(late.name).toBe('late');
    // Its two entries (tenant and admin), written once by the roll-forward.
    expect(await c.db(ctx.dbs.audit).collection('tenantadm_audit').countDocuments({ tenant_id: late.id, state: 'committed' })).toBe(2);
    expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
  });

});
