/** End-to-end tests of update-tenant --child-features: the add-ons a Service Provider lets its children have. */
import { run, runJson, runPaused, snapshot, waitedForLock } from '../../../test/support/harness';
import { auditEntries, createTenant, expectFailsCleanly, spWithChildren } from '../../../test/support/cases';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

const enabled = (t: any): string[] => t.addons.filter((a: any) => a.enabled).map((a: any) => a.name).sort();

describe('update-tenant --child-features', () => {
  it('sets, empties and removes the policy, shown by get-tenant as child_features', async () => {
    const { sp } = await spWithChildren(ctx.dbs, []);
    const set = await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--child-features', 'configure, troubleshoot,configure']);
    expect(set.child_features).toEqual(['troubleshoot', 'configure']);
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', sp.id])).child_features).toEqual(['troubleshoot', 'configure']);
    const table = await run(ctx.dbs, ['get-tenant', '--tenant', sp.id, '-o', 'table']);
    expect(table.code).toBe(0);
    const before = await snapshot(ctx.dbs);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--child-features', 'troubleshoot,configure']);
    expect(await snapshot(ctx.dbs)).toEqual(before); // same policy: nothing written
    expect((await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--child-features', 'none'])).child_features).toEqual([]);
    expect((await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--child-features', 'all'])).child_features).toBeUndefined();
    expect((await auditEntries(ctx.dbs, { tenant_id: sp.id, change: /child_features/ })).map((e) => e.change)).toEqual([
      'child_features: unset -> ["troubleshoot","configure"]',
      'child_features: ["troubleshoot","configure"] -> []',
      'child_features: [] -> unset',
    ]);
  });

  it('is only for Service Providers (exit 5) and checks its input (exit 2)', async () => {
    const plain = await createTenant(ctx.dbs, 'plain', ['--device-limit', '10']);
    expect(await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', plain.id, '--child-features', 'monitor'], 5)).toMatch(/not a Service Provider/);
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', plain.id, '--child-features', 'telepathy'], 2);
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', plain.id, '--child-features', ''], 2);
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', plain.id, '--plan', 'os', '--force'], 2);
    // Promoting and setting the policy in one command is fine.
    const sp = await runJson(ctx.dbs, ['update-tenant', '--tenant', plain.id, '--service-provider', '--child-features', 'monitor']);
    expect(sp).toMatchObject({ service_provider: true, child_features: ['monitor'] });
  });

  it('refuses a policy that children already break, naming them, unless --force switches their add-ons off', async () => {
    const { sp, children } = await spWithChildren(ctx.dbs, ['uses-monitor', 'uses-configure', 'uses-nothing']);
    const [m, c, n] = children;
    await runJson(ctx.dbs, ['update-tenant', '--tenant', m.id, '--addon', 'monitor', '--addon', 'troubleshoot']);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', c.id, '--addon', 'configure']);

    const err = await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--child-features', 'troubleshoot'], 5);
    expect(err).toContain(`"uses-monitor" (${m.id}): monitor`);
    expect(err).toContain(`"uses-configure" (${c.id}): configure`);
    expect(err).not.toContain('uses-nothing');
    expect(err).toMatch(/--force/);

    const r = await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--child-features', 'troubleshoot', '--force']);
    expect(r.child_features).toEqual(['troubleshoot']);
    // Every child now has its SP's add-ons narrowed by the new policy (Mender Enterprise 4.x: children inherit).
    for (const child of [m, c, n]) expect(enabled(await runJson(ctx.dbs, ['get-tenant', '--tenant', child.id]))).toEqual(['troubleshoot']);

    const childEntries = await auditEntries(ctx.dbs, { change: /follows its Service Provider's plan and add-ons/ });
    expect(childEntries.map((e) => e.tenant_id).sort()).toEqual([m.id, c.id, n.id].sort());
    for (const e of childEntries) expect(e.log_tenant_ids).toEqual([e.tenant_id, sp.id]);
    expect(childEntries.find((e) => e.tenant_id === c.id)!.change).toMatch(/add-on configure on -> off/);
    const [spEntry] = await auditEntries(ctx.dbs, { tenant_id: sp.id, change: /child_features/ });
    expect(spEntry.change).toMatch(/switched off forbidden add-ons on 2 child tenants; 3 child tenants given its plan and add-ons$/);
  });

  it('keeps a child within the policy: forbidden add-ons exit 5, allowed ones and switching forbidden ones off pass', async () => {
    const { sp, children } = await spWithChildren(ctx.dbs, ['kid']);
    const kid = children[0];
    await runJson(ctx.dbs, ['update-tenant', '--tenant', kid.id, '--addon', 'monitor']);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--child-features', 'configure', '--force']);
    const err = await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', kid.id, '--addon', 'troubleshoot'], 5);
    expect(err).toMatch(new RegExp(`Service Provider ${sp.id} does not allow troubleshoot`));
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', kid.id, '--addon', 'configure', '--addon', 'monitor'], 5);
    expect(enabled(await runJson(ctx.dbs, ['update-tenant', '--tenant', kid.id, '--addon', 'configure']))).toEqual(['configure']);
    expect(enabled(await runJson(ctx.dbs, ['update-tenant', '--tenant', kid.id, '--addon', 'monitor=off']))).toEqual(['configure']);
    // Switching off an add-on the SP has and allows would make the child differ from its SP (Enterprise 4.x): exit 5.
    expect(await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', kid.id, '--addon', 'configure=off'], 5)).toMatch(/its Service Provider's plan and add-ons/);
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--child-features', 'none', '--force']);
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', kid.id, '--addon', 'configure'], 5);
    // The SP itself is not bound by its children's policy, nor is a tenant without a parent.
    expect(enabled(await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--addon', 'monitor=off']))).toEqual(['configure', 'troubleshoot']);
    const other = await createTenant(ctx.dbs, 'independent');
    expect(enabled(await runJson(ctx.dbs, ['update-tenant', '--tenant', other.id, '--addon', 'monitor']))).toEqual(['monitor']);
    // Widening the policy gives the child every add-on its SP has (monitor is off on the SP now).
    await runJson(ctx.dbs, ['update-tenant', '--tenant', sp.id, '--child-features', 'all']);
    expect(enabled(await runJson(ctx.dbs, ['get-tenant', '--tenant', kid.id]))).toEqual(['configure', 'troubleshoot']);
  });

  it('never ends with a child holding a forbidden add-on when both change at once', async () => {
    // Each change holds its locks between its checks and its writes while the other starts.
    for (const first of ['child', 'sp'] as const) {
      const { sp, children } = await spWithChildren(ctx.dbs, [`race-${first}`]);
      const addon = ['update-tenant', '--tenant', children[0].id, '--addon', 'monitor'];
      const policy = ['update-tenant', '--tenant', sp.id, '--child-features', 'configure'];
      const holder = runPaused(ctx.dbs, first === 'child' ? addon : policy, 1000);
      await holder.paused;
      const rival = await run(ctx.dbs, first === 'child' ? policy : addon);
      const held = await holder.done;
      // The race happened: the rival waited for the holder's lock, then saw its change.
      expect(waitedForLock(rival)).toBe(true);
      expect([held.code, rival.code]).toEqual([0, 5]);
      const spNow = await runJson(ctx.dbs, ['get-tenant', '--tenant', sp.id]);
      const kidNow = await runJson(ctx.dbs, ['get-tenant', '--tenant', children[0].id]);
      const features: string[] | undefined = spNow.child_features;
      expect(features === undefined || !enabled(kidNow).some((a) => !features.includes(a))).toBe(true);
    }
  });
});
