/** Crash safety of update-tenant and its audit entry: killed at any point, the change and its entry exist together or not at all. */
import { runJson } from '../../../test/support/harness';
import { auditCrashHelpers } from '../../../test/support/crash';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create, audit } = ctx;
const { killedAt, settledEntries } = auditCrashHelpers(ctx);

describe('crash safety: a change and its entry exist together or not at all', () => {
  // The tenant: step 0; after the commit, the entry (finalize:0), then the tokens revoked (finalize:1).
  const updatePoints = ['step:0', 'commit', 'finalize', 'finalize:1'];
  it.each(updatePoints)('update-tenant killed at %s', async (point) => {
    const t = await create('upd');
    await killedAt(point, ['update-tenant', '--tenant', t.id, '--plan', 'os', '--status', 'suspended', '--yes']);
    // Killed after its entry was written, the change is committed and its entry shown; before, not yet.
    expect((await audit()).map((e) => e.action)).toEqual(point === 'finalize:1' ? ['update', 'create'] : ['create']);

    // The next changing command settles the interrupted one before its own change.
    await create('next');
    const tenant = await runJson(ctx.dbs, ['get-tenant', '--tenant', t.id]);
    const { committed, pending } = await settledEntries();
    expect(pending).toBe(0);
    const updates = committed.filter((d) => d.action === 'update');
    const happened = point.startsWith('finalize');
    expect({ plan: tenant.plan, status: tenant.status, entries: updates.length }).toEqual(
      happened ? { plan: 'os', status: 'suspended', entries: 1 } : { plan: 'enterprise', status: 'active', entries: 0 },
    );
    if (happened) expect(updates[0]!.change).toBe('plan: enterprise -> os; status: active -> suspended');
    expect((await audit('--object-id', t.id)).map((e) => e.action)).toEqual(happened ? ['update', 'create'] : ['create']);
  });
});
