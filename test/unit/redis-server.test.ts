/**
 * LimitCache against the real redis-server of the jest global setup: the commands must leave
 * exactly what Mender's InvalidateCache and SuspendTenant leave.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { state } from '../support/harness';
import { parseRedisUrl, withRedis } from '../../src/mender/redis';
import { INVALID_VALUE_TTL_SEC, LimitCache, limitCacheKey, staleCacheWarning, tenantVersionKey } from '../../src/mender/limit-cache';
import { execFileSync } from 'node:child_process';

const PREFIX = `tenantadm-test-${randomBytes(4).toString('hex')}`;
const tenantId = () => randomBytes(12).toString('hex');

function server() {
  const r = state().redis;
  if (!r) throw new Error('redis-server is not installed: run scripts/setup.sh');
  return r;
}

/** Run `work` with a client of our own on the test server, database `db`. */
function onServer<T>(db: number, work: Parameters<typeof withRedis<T>>[2]): Promise<T> {
  return withRedis({ ...parseRedisUrl(server().url), db }, 5000, work);
}

describe('the advice when the cache could not be reached', () => {
  it('is one command that, pasted into a shell, does what the tool would have done', async () => {
    const tid = tenantId();
    const limitKey = limitCacheKey(PREFIX, 'v2', tid, 'max_devices');
    const versionKey = tenantVersionKey(PREFIX, tid);
    await onServer(0, (c) => c.mset(limitKey, '5', versionKey, '7'));
    const commands = [['SET', limitKey, '', 'EX', '10'], ['INCR', versionKey]];
    const warning = staleCacheWarning({ state: 'not_configured', purpose: 'limits', keys: [limitKey], commands })!;
    const advice = warning.slice(warning.indexOf("device-auth's Redis): ") + "device-auth's Redis): ".length);
    // The advice as pasted, with the test server's address given the way it says (-u).
    const { host, port, password } = server();
    // The password through redis-cli's own variable, as a person should give it (not in argv).
    const out = execFileSync('bash', ['-c', advice.replace(/redis-cli/, `redis-cli -h ${host} -p ${port}`)], { encoding: 'utf8', env: { ...process.env, REDISCLI_AUTH: password } });
    expect(out).not.toMatch(/ERR|NOAUTH/);
    expect(await onServer(0, async (c) => [await c.get(limitKey), await c.get(versionKey)])).toEqual(['', '8']);
    await onServer(0, (c) => c.del(limitKey, versionKey));
  });
});

describe('LimitCache on a real Redis', () => {
  it("writes Mender's short-lived empty value over each cached limit (v2), in the configured database", async () => {
    const tids = [tenantId(), tenantId()];
    const keys = tids.map((tid) => limitCacheKey(PREFIX, 'v2', tid, 'max_devices'));
    await onServer(3, (c) => c.mset(keys[0]!, '5', keys[1]!, '5'));
    await onServer(0, (c) => c.set(keys[0]!, '5'));

    const cache = new LimitCache(`${server().url}/3`, PREFIX, 5000);
    const outcome = await cache.invalidate([{ tenantId: tids[0]!, kind: 'max_devices' }], 'v2');

    expect(outcome).toMatchObject({ state: 'invalidated', keys: [keys[0]] });
    const [value, pttl, other, elsewhere] = await onServer(3, async (c) => [
      await c.get(keys[0]!),
      await c.pttl(keys[0]!),
      await c.get(keys[1]!),
      await onServer(0, (c0) => c0.get(keys[0]!)),
    ]);
    expect(value).toBe('');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(INVALID_VALUE_TTL_SEC * 1000);
    expect(other).toBe('5');
    expect(elsewhere).toBe('5');
    await onServer(0, (c) => c.del(keys[0]!));
    await onServer(3, (c) => c.del(keys[1]!));
  });

  it('deletes the key for a legacy (v4.1.3) device-auth, whose reader cannot parse the empty value', async () => {
    const key = limitCacheKey(PREFIX, 'legacy', tenantId(), 'max_devices');
    await onServer(0, (c) => c.set(key, '5'));
    const outcome = await new LimitCache(server().url, PREFIX, 5000).invalidate([{ tenantId: key.split(':')[2]!, kind: 'max_devices' }], 'legacy');
    expect(outcome.state).toBe('invalidated');
    expect(await onServer(0, (c) => c.exists(key))).toBe(0);
  });

  it('invalidates 1,000 keys in one call, one pipeline', async () => {
    const entries = Array.from({ length: 1000 }, () => ({ tenantId: tenantId(), kind: 'max_devices' as const }));
    const outcome = await new LimitCache(server().url, PREFIX, 5000).invalidate(entries, 'v2');
    expect(outcome.state).toBe('invalidated');
    expect(outcome.keys).toHaveLength(1000);
    const values = await onServer(0, (c) => c.mget(outcome.keys));
    expect(values.every((v) => v === '')).toBe(true);
    const ttls = await onServer(0, async (c) => (await c.pipeline(outcome.keys.map((k) => ['pttl', k])).exec()) ?? []);
    expect(ttls.every(([err, ms]) => err === null && typeof ms === 'number' && ms > 0 && ms <= INVALID_VALUE_TTL_SEC * 1000)).toBe(true);
    await onServer(0, (c) => c.del(...outcome.keys));
  });

  it("increments each tenant's cache version once", async () => {
    const [a, b] = [tenantId(), tenantId()];
    await onServer(0, (c) => c.set(tenantVersionKey(PREFIX, a), '4'));
    const cache = new LimitCache(server().url, PREFIX, 5000);
    expect(await cache.bumpTenantVersion([a, b, a])).toMatchObject({ state: 'invalidated', keys: [tenantVersionKey(PREFIX, a), tenantVersionKey(PREFIX, b)] });
    expect(await onServer(0, (c) => c.mget(tenantVersionKey(PREFIX, a), tenantVersionKey(PREFIX, b)))).toEqual(['5', '1']);
    await onServer(0, (c) => c.del(tenantVersionKey(PREFIX, a), tenantVersionKey(PREFIX, b)));
  });

  it('reports a wrong password as failed, without the password', async () => {
    const password = 'n0t/the@real:pa%ss';
    const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${server().port}/0`;
    const outcome = await new LimitCache(url, PREFIX, 5000).invalidate([{ tenantId: tenantId(), kind: 'max_devices' }], 'v2');
    expect(outcome).toMatchObject({ state: 'failed', url: `redis://***@127.0.0.1:${server().port}/0` });
    expect(outcome.state === 'failed' && outcome.reason).toMatch(/WRONGPASS/);
    const text = JSON.stringify(outcome);
    for (const secret of [password, encodeURIComponent(password), 'pa%ss', 'real']) expect(text).not.toContain(secret);
  });

  it('fails fast on a port where nothing listens', async () => {
    const started = Date.now();
    const outcome = await new LimitCache('redis://127.0.0.1:1', PREFIX, 1000).bumpTenantVersion([tenantId()]);
    expect(outcome).toMatchObject({ state: 'failed', reason: expect.stringMatching(/ECONNREFUSED/) });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('gives up within the timeout when the server never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const started = Date.now();
      const outcome = await new LimitCache(`redis://:pw@127.0.0.1:${port}`, PREFIX, 500).invalidate([{ tenantId: tenantId(), kind: 'max_devices' }], 'v2');
      expect(outcome).toMatchObject({ state: 'failed' });
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
