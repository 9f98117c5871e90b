/**
 * `create-tenant --if-not-exists` meeting a create still under way by a live owner on another
 * host (issue #18, finding 10's remote case): the tenant document is there, its admin not yet.
 * It used to say the tenant "differs: admin ... no such user" (exit 4, untrue); it now says which
 * operation holds it, since when, and from when it can be settled. The owner is simulated by its
 * records: journal document, ownership chain (another boot id, a live lease) and lock.
 */
import { ObjectId } from 'mongodb';
import { client, passwordFile, run } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';

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
    await db.collection('tenantadm_journal').insertOne({
      _id: op as never,
      state: 'pending',
      format: 2,
      command: 'create-tenant',
      actor: 'someone@elsewhere.example',
      owner: 'remote-token',
      host: 'elsewhere',
      pid: 4242,
      created_at: new Date(now - 5_000),
      step: 0,
      locks: [`tenant:${id.toHexString()}`],
      steps: [{ kind: 'insert', target: { db: ctx.dbs.tenantadm, coll: 'tenants' }, doc: tenant }],
      finalize: [],
    });
    const leaseUntil = new Date(now + 60_000);
    await db.collection('tenantadm_leases').insertOne({
      _id: `${op}:0` as never,
      op,
      n: 0,
      kind: 'take',
      owner: 'remote-token',
      host: 'elsewhere',
      pid: 4242,
      boot_id: 'another-boot',
      pid_ns: 'pid:[1]',
      pid_start: '1',
      lease_until: leaseUntil,
      at: new Date(now - 5_000),
    });
    await db.collection('tenantadm_locks').insertOne({ _id: `tenant:${id.toHexString()}` as never, op_id: op, owner: 'remote-token', host: 'elsewhere', pid: 4242 });

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
