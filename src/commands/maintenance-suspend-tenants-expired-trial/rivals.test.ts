/**
 * suspend-tenants-expired-trial against trial changes while it runs (issue 18, finding 6): it
 * locks the tenants and re-checks under the locks that each is still active on a trial that
 * expired, and suspends, revokes and audits only those. Rivals run at the prompt or while the
 * sweep holds its locks (its test pause), never after a sleep.
 */
import { ObjectId } from 'mongodb';
import { client, run, runJson, runPaused, waitedForLock } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';
import { yes } from '../../../test/support/removal';

const ctx = commandTest({ ownServer: true });
jest.setTimeout(180_000);

const sweep = ['maintenance', 'suspend-tenants-expired-trial'];

/** An active tenant whose trial expired in 2020, with a device token. */
async function expiredTrial(name: string): Promise<string> {
  const id = (await runJson(ctx.dbs, ['create-tenant', '--name', name])).id;
  await runJson(ctx.dbs, ['update-tenant', '--tenant', id, '--trial', 'true', '--trial-expiration', '2020-01-01']);
  await (await client()).db(ctx.dbs.deviceauth).collection('tokens').insertOne({ _id: new ObjectId(), mender: { tenant: id } });
  return id;
}

async function state(id: string): Promise<{ status: string; tokens: number; suspensions: number }> {
  const c = await client();
  const t = await c.db(ctx.dbs.tenantadm).collection('tenants').findOne({ _id: new ObjectId(id) });
  const tokens = await c.db(ctx.dbs.deviceauth).collection('tokens').countDocuments({ 'mender.tenant': id });
  const suspensions = await c.db(ctx.dbs.audit).collection('tenantadm_audit').countDocuments({ 'object.id': id, change: { $regex: '-> suspended' } });
  return { status: String(t?.status), tokens, suspensions };
}

describe('suspend-tenants-expired-trial locks the tenants and re-checks them under the locks', () => {
  it('a trial extended or ended at the prompt is not suspended, its tokens stay, and the audit says nothing of it', async () => {
    const extended = await expiredTrial('extended');
    const ended = await expiredTrial('ended');
    const due = await expiredTrial('due');
    const r = await run(ctx.dbs, sweep, {
      atPrompt: async () => {
        await runJson(ctx.dbs, ['update-tenant', '--tenant', extended, '--trial-expiration', '2030-01-01']);
        await runJson(ctx.dbs, ['update-tenant', '--tenant', ended, '--trial', 'false']);
        return 'y';
      },
    });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(Object.fromEntries(rows.map((x: any) => [x.name, x.status]))).toEqual({ extended: 'active', ended: 'active', due: 'suspended' });
    expect(rows.find((x: any) => x.name === 'extended').trial_expiration).toBe('2030-01-01T00:00:00.000Z');
    expect(r.stderr).toContain(`skipped tenant ${extended} ("extended"): its trial now runs until 2030-01-01T00:00:00.000Z`);
    expect(r.stderr).toContain(`skipped tenant ${ended} ("ended"): it is no longer on a trial`);
    expect(await state(extended)).toEqual({ status: 'active', tokens: 1, suspensions: 0 });
    expect(await state(ended)).toEqual({ status: 'active', tokens: 1, suspensions: 0 });
    expect(await state(due)).toEqual({ status: 'suspended', tokens: 0, suspensions: 1 });
  });

  it('a trial extension waits for the sweep holding its locks, and lands after the suspension', async () => {
    const id = await expiredTrial('late');
    const sweeping = runPaused(ctx.dbs, yes(sweep), 3000);
    await sweeping.paused;
    const extend = await run(ctx.dbs, ['update-tenant', '--tenant', id, '--trial-expiration', '2030-01-01']);
    const done = await sweeping.done;
    expect([done.code, extend.code]).toEqual([0, 0]);
    expect(waitedForLock(extend)).toBe(true);
    expect(JSON.parse(done.stdout)).toEqual([{ id, name: 'late', trial_expiration: '2020-01-01T00:00:00.000Z', status: 'suspended' }]);
    // The extension came after: the tenant stays suspended (an operator re-activates it), with the new date.
    expect(await state(id)).toEqual({ status: 'suspended', tokens: 0, suspensions: 1 });
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', id])).trial_expiration).toBe('2030-01-01T00:00:00.000Z');
  });
});
