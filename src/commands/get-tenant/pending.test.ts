/**
 * get-tenant (and get-user, list-users) on a tenant an operation elsewhere is still writing
 * (issue #18): stdout is the same JSON as ever, stderr says which operation holds it, since
 * when and from when it can be settled; nothing is said when nothing is pending, nor with -q.
 * The live owner is simulated by its records (test/support/pending-owner.ts).
 */
import { run } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';
import { fakeRemoteOwner } from '../../../test/support/pending-owner';

const ctx = commandTest();

describe('readers of one tenant meeting an operation under way', () => {
  it('get-tenant says so on stderr with stdout unchanged; nothing said when nothing is pending or with -q', async () => {
    const t = await ctx.create('halfway');
    const ask = ['get-tenant', '--tenant', t.id];
    const before = await run(ctx.dbs, ask);
    expect(before.code).toBe(0);
    expect(before.stderr).toBe('');

    const { op, since, leaseUntil } = await fakeRemoteOwner(ctx.dbs, t.id, { op: 'remote-get-op', command: 'create-tenant' });
    const during = await run(ctx.dbs, ask);
    expect(during.code).toBe(0);
    expect(JSON.parse(during.stdout)).toEqual(JSON.parse(before.stdout));
    expect(during.stderr).toContain(`tenant "halfway" (id ${t.id}) is being changed by operation ${op} (create-tenant, pid 4242 on elsewhere) since ${since.toISOString()}`);
    expect(during.stderr).toContain('may be half-made');
    expect(during.stderr).toContain(`settled from ${leaseUntil.toISOString()}`);
    // Said once.
    expect(during.stderr.match(/is being changed/g)).toHaveLength(1);

    const quiet = await run(ctx.dbs, [...ask, '-q']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toBe(during.stdout);

    const users = await run(ctx.dbs, ['list-users', '--tenant', t.id]);
    expect(users.code).toBe(0);
    expect(JSON.parse(users.stdout)).toEqual([]);
    expect(users.stderr).toContain(`operation ${op}`);
  });
});
