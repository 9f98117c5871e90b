/** End-to-end tests of delete-user: the audit entry, the last admin, tenant isolation, concurrent deletes and a delete killed midway. */
import { client, run, runJson, runPaused, snapshot, waitedForLock } from '../../../test/support/harness';
import { auditEntries, auditText, createTenant, expectFailsCleanly } from '../../../test/support/cases';
import { killedAt } from '../../../test/support/crash';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { addUser, storedUser } = ctx;

describe('delete-user', () => {
  it('deletes a user, audits it, and prints the removed user', async () => {
    const t = await createTenant(ctx.dbs, 'del');
    await addUser(t.id, 'keep@del.example');
    const gone = await addUser(t.id, 'gone@del.example');
    const r = await runJson(ctx.dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', 'Gone@Del.example']);
    expect(r).toEqual(gone);
    expect(await storedUser('gone@del.example')).toBeNull();
    expect(await storedUser('keep@del.example')).not.toBeNull();
    const [entry] = await auditEntries(ctx.dbs, { action: 'delete' });
    expect(entry).toMatchObject({ tenant_id: t.id, object: { id: gone.id, type: 'user', user: { email: 'gone@del.example' } }, state: 'committed' });
    expect(await auditText(ctx.dbs)).not.toMatch(/\$2[aby]\$/);
  });

  it("refuses to delete the tenant's last admin (exit 5) but deletes other roles", async () => {
    const t = await createTenant(ctx.dbs, 'last');
    await addUser(t.id, 'admin@last.example');
    await addUser(t.id, 'viewer@last.example', ['observer']);
    const err = await expectFailsCleanly(ctx.dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', 'admin@last.example'], 5);
    expect(err).toMatch(/last admin/);
    await runJson(ctx.dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', 'viewer@last.example']);
    await expectFailsCleanly(ctx.dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', 'admin@last.example'], 5);
  });

  it("never reaches another tenant's user (exit 3, the user stays)", async () => {
    const a = await createTenant(ctx.dbs, 'iso-a');
    const b = await createTenant(ctx.dbs, 'iso-b');
    await addUser(a.id, 'a1@iso.example');
    await addUser(a.id, 'a2@iso.example');
    await addUser(b.id, 'b1@iso.example');
    const err = await expectFailsCleanly(ctx.dbs, ['delete-user', '--yes', '--tenant', b.id, '--email', 'a1@iso.example'], 3);
    expect(err).toMatch(/no user a1@iso\.example in tenant/);
    expect(await storedUser('a1@iso.example')).toMatchObject({ tenant_id: a.id });
    await expectFailsCleanly(ctx.dbs, ['delete-user', '--yes', '--tenant', '0123456789abcdef01234567', '--email', 'a1@iso.example'], 3);
    await expectFailsCleanly(ctx.dbs, ['delete-user', '--yes', '--tenant', a.id, '--email', 'nobody@iso.example'], 3);
    await expectFailsCleanly(ctx.dbs, ['delete-user', '--yes', '--tenant', a.id], 2);
  });

  it('never leaves zero admins when the last two are deleted at once', async () => {
    // The first holds its lock between its admin count and its delete; the second starts then,
    // so without the lock both would count two admins and both would delete.
    for (let round = 0; round < 2; round++) {
      const t = await createTenant(ctx.dbs, `pair-${round}`);
      await addUser(t.id, `one-${round}@pair.example`);
      await addUser(t.id, `two-${round}@pair.example`);
      const holder = runPaused(ctx.dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', `one-${round}@pair.example`], 1000);
      await holder.paused;
      const rival = await run(ctx.dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', `two-${round}@pair.example`]);
      const held = await holder.done;
      // The race happened: the rival found the holder's lock and waited for it.
      expect(waitedForLock(rival)).toBe(true);
      expect([held.code, rival.code]).toEqual([0, 5]);
      const left = await (await client()).db(ctx.dbs.useradm).collection('users').countDocuments({ tenant_id: t.id, roles: 'RBAC_ROLE_PERMIT_ALL' });
      expect(left).toBe(1);
    }
    const c = await client();
    expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
    expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_locks').countDocuments()).toBe(0);
  });

  it('is rolled back whole when killed before its commit point', async () => {
    const t = await createTenant(ctx.dbs, 'crash');
    await addUser(t.id, 'x@crash.example');
    await addUser(t.id, 'y@crash.example');
    const before = await snapshot(ctx.dbs);
    const r = await run(ctx.dbs, ['delete-user', '--yes', '--tenant', t.id, '--email', 'x@crash.example'], { env: killedAt('commit') });
    expect(r.signal).toBe('SIGKILL');
    expect(await storedUser('x@crash.example')).toBeNull(); // deleted, not yet committed
    await runJson(ctx.dbs, ['repair']);
    expect(await snapshot(ctx.dbs)).toEqual(before);
  });
});
