/**
 * `create-tenant --if-not-exists` meeting a create still under way by a live owner on another
 * host (issue #18, finding 10's remote case): the tenant document is there, its admin not yet.
 * It used to say the tenant "differs: admin ... no such user" (exit 4, untrue); it now says which
 * operation holds it, since when, and from when it can be settled. The owner is simulated by its
 * records: journal document, ownership chain (another boot id, a live lease) and lock
 * (test/support/pending-owner.ts).
 */
import { ObjectId } from 'mongodb';
import { client, passwordFile, run } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';
import { fakeRemoteOwner } from '../../../test/support/pending-owner';

const ctx = commandTest();

describe('create-tenant --if-not-exists on a create under way elsewhere', () => {
  it('exits 4 naming the pending operation, since when and when it can be settled, never "differs"', async () => {
    const c = await client();
    const db = c.db(ctx.dbs.tenantadm);
    const id = new ObjectId();
    const op = 'remote-create-op';
    const now = Date.now();
    const tenant = { _id: id, name: 'pending', status: 'active', plan: 'enterprise', addons: [], tenant_token: 'tok-pending', created_at: new Date(now) };
    await db.collection('tenants').insertOne(tenant);
    const { leaseUntil } = await fakeRemoteOwner(ctx.dbs, id, {
      op,
      since: new Date(now - 5_000),
      steps: [{ kind: 'insert', target: { db: ctx.dbs.tenantadm, coll: 'tenants' }, doc: tenant }],
    });

    const r = await run(ctx.dbs, ['create-tenant', '--name', 'pending', '--if-not-exists', '--admin-email', 'a@pending.example', '--password-file', passwordFile(ctx.dir)]);
    expect(r.code).toBe(4);
    expect(r.stderr).not.toMatch(/differs/);
    expect(r.stderr).toContain(`operation ${op} (create-tenant, pending, pid 4242 on elsewhere)`);
    expect(r.stderr).toContain(`under way since ${new Date(now - 5_000).toISOString()}`);
    expect(r.stderr).toContain(`settled from ${leaseUntil.toISOString()}`);
    // Nothing of the pending create was touched.
    expect(await db.collection('tenantadm_journal').countDocuments({ _id: op as never })).toBe(1);
    expect(await db.collection('tenants').countDocuments({ _id: id })).toBe(1);
  });
});
