/**
 * deviceauth's Redis after a change killed past its commit point (issue 18, finding 7): the
 * cache invalidation and the tenant cache-version bump are roll-forward steps of the
 * operation, so `repair` (or the next changing command) runs them, or warns with the commands
 * to run when it has no Redis; it never reports "finalized" while the old values stay served
 * without a word.
 */
import { ObjectId } from 'mongodb';
import { client, run, runJson } from '../../../test/support/harness';
import { killedAt } from '../../../test/support/crash';
import { redis, redisCli, storedLimit } from '../../../test/support/limits';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { create } = ctx;
/** A Redis database of this file's own on the test server. */
const DB = 6;
const limitKey = (id: string) => `deviceauth:v1:tenant:${id}:limit:v2:max_devices`;
const versionKey = (id: string) => `deviceauth:v1:tenant:${id}:version`;
const withRedis = () => ({ DEVICEAUTH_REDIS_CONNECTION_STRING: `${redis().url}/${DB}` });

describe('cache refreshes are roll-forward steps', () => {
  it('a limit change killed at finalize: repair invalidates the cached limit', async () => {
    const t = await create('t', ['--device-limit', '100']);
    redisCli(DB, 'SET', limitKey(t.id), '100');
    const killed = await run(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '5'], { env: { ...killedAt('finalize'), ...withRedis() } });
    expect(killed.signal).toBe('SIGKILL');
    expect(await storedLimit(ctx.dbs, t.id)).toBe(5);
    expect(redisCli(DB, 'GET', limitKey(t.id))).toBe('100');
    const repaired = await run(ctx.dbs, ['repair'], { env: withRedis() });
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout).finalized).toHaveLength(1);
    expect(repaired.stderr).toBe('');
    // Mender's invalid value, short-lived: deviceauth reads the new limit from the database.
    expect(redisCli(DB, 'GET', limitKey(t.id))).toBe('');
    expect(Number(redisCli(DB, 'TTL', limitKey(t.id)))).toBeGreaterThan(0);
    redisCli(DB, 'DEL', limitKey(t.id));
  });

  it('without a Redis, the repair of such a change warns with the command to run', async () => {
    const t = await create('t', ['--device-limit', '100']);
    const killed = await run(ctx.dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '5'], { env: killedAt('finalize') });
    expect(killed.signal).toBe('SIGKILL');
    const repaired = await run(ctx.dbs, ['repair']);
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout).finalized).toHaveLength(1);
    expect(repaired.stderr).toMatch(/warning: no --redis-url .*old limit for up to 3 hours/);
    expect(repaired.stderr).toContain(`redis-cli SET ${limitKey(t.id)} '' EX 10`);
  });

  it('a suspension killed at finalize: the next changing command revokes its tokens and bumps its cache version', async () => {
    const t = await create('t');
    const tokens = (await client()).db(ctx.dbs.deviceauth).collection('tokens');
    await tokens.insertOne({ _id: new ObjectId(), mender: { tenant: t.id } });
    redisCli(DB, 'SET', versionKey(t.id), '7');
    const killed = await run(ctx.dbs, ['update-tenant', '--tenant', t.id, '--status', 'suspended', '--yes'], { env: { ...killedAt('finalize'), ...withRedis() } });
    expect(killed.signal).toBe('SIGKILL');
    expect(redisCli(DB, 'GET', versionKey(t.id))).toBe('7');
    await runJson(ctx.dbs, ['create-tenant', '--name', 'next'], { env: withRedis() });
    expect(redisCli(DB, 'GET', versionKey(t.id))).toBe('8');
    expect(await tokens.countDocuments({ 'mender.tenant': t.id })).toBe(0);
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', t.id])).status).toBe('suspended');
    redisCli(DB, 'DEL', versionKey(t.id));
  });
});
