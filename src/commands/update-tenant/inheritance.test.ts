/**
 * Mender Enterprise 4.x: children have their Service Provider's plan and its add-ons narrowed by
 * its child-features policy (MEN-7493, MEN-7511). A change to the SP's plan, add-ons or policy
 * re-applies to every child in the same all-or-nothing operation, with an entry per child; a run
 * killed anywhere is rolled back or finished whole.
 */
import { runJson } from '../../../test/support/harness';
import { auditCrashHelpers } from '../../../test/support/crash';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { killedAt, settledEntries } = auditCrashHelpers(ctx);

const enabled = (t: { addons: { name: string; enabled: boolean }[] }) => t.addons.filter((a) => a.enabled).map((a) => a.name).sort();

async function family(n = 3): Promise<{ sp: any; kids: any[] }> {
  const sp = await ctx.sp('globex', '100', ['--plan', 'enterprise', '--addon', 'configure']);
  const kids = [];
  for (let i = 0; i < n; i++) kids.push(await ctx.child(`kid-${i}`, sp.id, ['--device-limit', '10']));
  return { sp, kids };
}

const state = async (ids: string[]) => Promise.all(ids.map(async (id) => {
  const t = await runJson(ctx.dbs, ['get-tenant', '--tenant', id]);
  return { plan: t.plan, addons: enabled(t) };
}));

describe("a Service Provider's plan and add-ons reach every child in the same operation", () => {
  it('changes every child with the SP, one entry each in the SP log, and leaves other tenants alone', async () => {
    const { sp, kids } = await family();
    const other = await ctx.create('independent', ['--plan', 'os']);
    expect(await state(kids.map((k) => k.id))).toEqual(kids.map(() => ({ plan: 'enterprise', addons: ['configure'] })));

    const updated = await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--plan', 'professional', '--addon', 'monitor']);
    expect({ plan: updated.plan, addons: enabled(updated) }).toEqual({ plan: 'professional', addons: ['configure', 'monitor'] });
    expect(await state(kids.map((k) => k.id))).toEqual(kids.map(() => ({ plan: 'professional', addons: ['configure', 'monitor'] })));
    expect((await state([other.id]))[0]).toEqual({ plan: 'os', addons: [] });

    const entries = await ctx.audit('--tenant', sp.id, '--since', '1h');
    const childEntries = entries.filter((e) => e.object.id !== sp.id && /follows its Service Provider's/.test(e.change));
    expect(childEntries.map((e) => e.object.id).sort()).toEqual(kids.map((k) => k.id).sort());
    expect(childEntries[0].change).toMatch(/plan enterprise -> professional; add-on monitor off -> on/);
    const spEntry = entries.find((e) => e.object.id === sp.id && /plan: enterprise -> professional/.test(e.change));
    expect(spEntry.change).toMatch(/3 child tenants given its plan and add-ons$/);

    // The same again writes nothing more.
    const before = (await ctx.audit()).length;
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--plan', 'professional', '--addon', 'monitor']);
    expect((await ctx.audit()).length).toBe(before);
  });

  // Step 0 is the SP's own update, step 1 its children's; at `commit` every step is written but not committed (rolled back);
  // from `finalize` on the change is committed (finished).
  it.each(['step:0', 'step:1', 'commit', 'finalize', 'finalize:0'])('killed at %s, it is rolled back or finished whole', async (point) => {
    const { sp, kids } = await family();
    await killedAt(point, ['update-tenant', '--tenant', sp.id, '--plan', 'os', '--addon', 'configure=off']);
    // The next changing command settles it first.
    await ctx.create('next');
    const happened = point.startsWith('finalize');
    const expected = happened ? { plan: 'os', addons: [] } : { plan: 'enterprise', addons: ['configure'] };
    expect(await state([sp.id, ...kids.map((k) => k.id)])).toEqual([sp, ...kids].map(() => expected));
    const { committed, pending } = await settledEntries();
    expect(pending).toBe(0);
    const follow = committed.filter((d) => /follows its Service Provider's/.test(d.change));
    expect(follow).toHaveLength(happened ? kids.length : 0);
  });
});
