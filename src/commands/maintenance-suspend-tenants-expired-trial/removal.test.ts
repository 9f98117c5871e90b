/** The maintenance job suspend-tenants-expired-trial: expired trials suspended, suspended_at recorded, their tokens revoked. */
import { ObjectId } from 'mongodb';
import { client, expectFailsCleanly, runJson, snapshot } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';
import { yes } from '../../../test/support/removal';

// Every removal scans the whole server, and so does leftAnywhere: on a server of the file's own.
const ctx = commandTest({ ownServer: true });
// Each test runs many CLI processes; on a loaded machine that exceeds the default minute.
jest.setTimeout(180_000);

describe('maintenance', () => {
  it('suspend-tenants-expired-trial suspends expired trials only, records suspended_at and revokes their tokens', async () => {
    const c = await client();
    const expired = (await runJson(ctx.dbs, ['create-tenant', '--name', 'expired'])).id;
    const future = (await runJson(ctx.dbs, ['create-tenant', '--name', 'future'])).id;
    const plain = (await runJson(ctx.dbs, ['create-tenant', '--name', 'plain'])).id;
    const set = await runJson(ctx.dbs, ['update-tenant', '--tenant', expired, '--trial', 'true', '--trial-expiration', '2020-01-01']);
    expect(set).toMatchObject({ trial: true, trial_expiration: '2020-01-01T00:00:00.000Z' });
    await runJson(ctx.dbs, ['update-tenant', '--tenant', future, '--trial', 'true', '--trial-expiration', '2999-01-01T00:00:00Z']);
    await expectFailsCleanly(ctx.dbs, ['update-tenant', '--tenant', plain, '--trial-expiration', 'soon'], 2);
    await c.db(ctx.dbs.deviceauth).collection('tokens').insertMany([
      { _id: new ObjectId(), mender: { tenant: expired } },
      { _id: new ObjectId(), mender: { tenant: future } },
    ]);
    const before = await snapshot(ctx.dbs);
    const dry = await runJson(ctx.dbs, ['maintenance', 'suspend-tenants-expired-trial', '--dry-run']);
    expect(dry).toEqual([{ id: expired, name: 'expired', trial_expiration: '2020-01-01T00:00:00.000Z', status: 'active' }]);
    expect(await snapshot(ctx.dbs)).toEqual(before);

    const out = await runJson(ctx.dbs, yes(['maintenance', 'suspend-tenants-expired-trial']));
    expect(out).toEqual([{ id: expired, name: 'expired', trial_expiration: '2020-01-01T00:00:00.000Z', status: 'suspended' }]);
    const stored = await c.db(ctx.dbs.tenantadm).collection('tenants').findOne({ _id: new ObjectId(expired) });
    expect(stored).toMatchObject({ status: 'suspended', suspended_at: expect.any(Date) });
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', future])).status).toBe('active');
    expect(await c.db(ctx.dbs.deviceauth).collection('tokens').countDocuments({ 'mender.tenant': expired })).toBe(0);
    expect(await c.db(ctx.dbs.deviceauth).collection('tokens').countDocuments({ 'mender.tenant': future })).toBe(1);
    const [entry] = await runJson(ctx.dbs, ['audit', '--tenant', expired, '--last', '1']);
    expect(entry.change).toBe('status: active -> suspended (trial expired 2020-01-01T00:00:00.000Z)');
    // Nothing left to do: a second run suspends nobody.
    expect(await runJson(ctx.dbs, yes(['maintenance', 'suspend-tenants-expired-trial']))).toEqual([]);
  });
});
