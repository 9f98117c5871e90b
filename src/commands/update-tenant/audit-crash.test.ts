/** Crash safety of update-tenant and its audit entry: killed at any point, the change and its entry exist together or not at all. */
import { type Document } from 'mongodb';
import { client, run, runJson, type Dbs, withFreshDatabases } from '../../../test/support/harness';
import { killedAt as crashEnv } from '../../../test/support/crash';

const AUDIT = 'tenantadm_audit';
let dbs: Dbs;

withFreshDatabases((d) => (dbs = d));

async function create(name: string, extra: string[] = [], env?: NodeJS.ProcessEnv): Promise<any> {
  return runJson(dbs, ['create-tenant', '--name', name, ...extra], { env });
}

async function audit(...args: string[]): Promise<any[]> {
  return runJson(dbs, ['audit', ...args]);
}

async function rawEntries(coll = AUDIT, db = dbs.audit): Promise<Document[]> {
  return (await client()).db(db).collection(coll).find({}).sort({ time: 1, _id: 1 }).toArray();
}

describe('crash safety: a change and its entry exist together or not at all', () => {
  async function killedAt(point: string, args: string[]): Promise<void> {
    const r = await run(dbs, args, { env: crashEnv(point) });
    expect({ point, signal: r.signal }).toEqual({ point, signal: 'SIGKILL' });
  }

  async function settledEntries(): Promise<{ committed: Document[]; pending: number }> {
    const raw = await rawEntries();
    return { committed: raw.filter((d) => d.state === 'committed'), pending: raw.filter((d) => d.state !== 'committed').length };
  }

  // The tenant: step 0; after the commit, the entry (finalize:0), then the tokens revoked (finalize:1).
  const updatePoints = ['step:0', 'commit', 'finalize', 'finalize:1'];
  it.each(updatePoints)('update-tenant killed at %s', async (point) => {
    const t = await create('upd');
    await killedAt(point, ['update-tenant', '--id', t.id, '--plan', 'os', '--status', 'suspended', '--yes']);
    // Killed after its entry was written, the change is committed and its entry shown; before, not yet.
    expect((await audit()).map((e) => e.action)).toEqual(point === 'finalize:1' ? ['update', 'create'] : ['create']);

    // The next changing command settles the interrupted one before its own change.
    await create('next');
    const tenant = await runJson(dbs, ['get-tenant', '--id', t.id]);
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
