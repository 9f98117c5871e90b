/**
 * Listings meeting tenants an operation is still writing (issue #18): list-tenants, usage and
 * export keep stdout as it was and say on stderr which operation holds which tenant, once per
 * operation; an operation whose owner is gone can be settled now. Nothing is said when nothing
 * is pending. The owners are simulated by their records (test/support/pending-owner.ts).
 */
import { client, run } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';
import { fakeRemoteOwner } from '../../../test/support/pending-owner';

const ctx = commandTest();

describe('listings meeting operations under way', () => {
  it('list-tenants, usage and export say which operation holds which tenant, stdout unchanged', async () => {
    const a = await ctx.create('steady');
    const b = await ctx.create('moving');
    const c = await ctx.create('abandoned');
    const asks = [['list-tenants'], ['usage'], ['export', '--format', 'json']];
    const before = [];
    for (const ask of asks) {
      const r = await run(ctx.dbs, ask);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      before.push(r);
    }

    const live = await fakeRemoteOwner(ctx.dbs, b.id, { op: 'remote-live-op', command: 'update-tenant' });
    // An owner whose lease has run out: gone, to be settled now.
    const dead = await fakeRemoteOwner(ctx.dbs, c.id, { op: 'remote-dead-op', command: 'set-device-limit', leaseMs: -60_000 });
    for (const [i, ask] of asks.entries()) {
      const r = await run(ctx.dbs, ask);
      expect(r.code).toBe(0);
      // usage's rows carry the time of the run; the rest is the same.
      if (ask[0] === 'usage') {
        const strip = (s: string) => (JSON.parse(s) as { as_of?: string }[]).map(({ as_of: _, ...rest }) => rest);
        expect(strip(r.stdout)).toEqual(strip(before[i]!.stdout));
      } else {
        expect(r.stdout).toBe(before[i]!.stdout);
      }
      expect(r.stderr).toContain(`tenant "moving" (id ${b.id}) is being changed by operation ${live.op} (update-tenant, pid 4242 on elsewhere) since ${live.since.toISOString()}`);
      expect(r.stderr).toContain(`settled from ${live.leaseUntil.toISOString()}`);
      expect(r.stderr).toContain(`tenant "abandoned" (id ${c.id}) is being changed by operation ${dead.op} (set-device-limit, pid 4242 on elsewhere)`);
      expect(r.stderr).toContain('its owner is gone: settle it now with `tenantadm repair`');
      expect(r.stderr).not.toContain(a.id);
      expect(r.stderr.match(/is being changed/g)).toHaveLength(2);
    }
    // Readers settle nothing, not even the operation whose owner is gone.
    const journal = (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_journal');
    expect(await journal.countDocuments({ _id: { $in: [live.op, dead.op] } as never })).toBe(2);
  });
});
