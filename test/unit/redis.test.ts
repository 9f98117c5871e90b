/** Unit tests of Redis connection strings as Mender accepts them and of device-auth cache keys (no server). */
import { describeRedisTarget, parseRedisUrl } from '../../src/mender/redis';
import { LimitCache, limitCacheKey, staleCacheWarning, tenantVersionKey, type CacheOutcome } from '../../src/mender/limit-cache';
import { UsageError } from '../../src/errors';

const TID = '673a03e3c9eca7a440f2f444';

describe('parseRedisUrl: the connection strings Mender accepts', () => {
  it.each([
    ['redis://localhost', { host: 'localhost', port: 6379, db: 0 }],
    ['redis://', { host: 'localhost', port: 6379, db: 0 }],
    ['redis://redis:6379', { host: 'redis', port: 6379, db: 0 }],
    ['redis:6379', { host: 'redis', port: 6379, db: 0 }],
    ['cache.example-1:6380', { host: 'cache.example-1', port: 6380, db: 0 }],
    ['redis://:s%40cret@10.0.0.5:6380/3', { host: '10.0.0.5', port: 6380, db: 3, password: 's@cret' }],
    ['redis://app:pw@cache.example:6390/0', { host: 'cache.example', port: 6390, db: 0, username: 'app', password: 'pw' }],
    ['redis://[::1]:7000', { host: '::1', port: 7000, db: 0 }],
    ['redis://h:1//2//', { host: 'h', port: 1, db: 2 }],
    ['redis://h:1/2?db=5', { host: 'h', port: 1, db: 5 }],
    ['redis://h?client_name=tenantadm&dial_timeout=5s&protocol=3', { host: 'h', port: 6379, db: 0, connectionName: 'tenantadm' }],
  ])('%s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual(expected);
  });

  it('turns rediss:// into TLS checked against the host name', () => {
    expect(parseRedisUrl('rediss://:pw@cache.example:6390/1')).toEqual({
      host: 'cache.example',
      port: 6390,
      db: 1,
      password: 'pw',
      tls: { servername: 'cache.example', minVersion: 'TLSv1.2', rejectUnauthorized: true },
    });
    expect(parseRedisUrl('rediss://cache.example?skip_verify=true').tls).toMatchObject({ rejectUnauthorized: false });
  });

  it.each([
    ['%2F', '/'],
    ['%40', '@'],
    ['%3A', ':'],
    ['%25', '%'],
  ])('decodes %s in a password to %s', (encoded, plain) => {
    expect(parseRedisUrl(`redis://u:a${encoded}b@h:1`).password).toBe(`a${plain}b`);
  });

  it('takes the last @ as the end of the credentials, as Go does', () => {
    expect(parseRedisUrl('redis://:p@ss:w@h:1')).toMatchObject({ host: 'h', port: 1, password: 'p@ss:w' });
  });

  it.each([
    ['a bare ip:port (Go cannot parse it)', '127.0.0.1:6379'],
    ['a bare host without port (main refuses it)', 'localhost'],
    ['another scheme', 'http://localhost'],
    ['unix sockets (Mender mangles them)', 'unix:///tmp/redis.sock'],
    ['a database that is not a number', 'redis://host/abc'],
    ['a negative database', 'redis://host/-1'],
    ['two path segments', 'redis://host/1/2'],
    ['?tls= on one server (go-redis: unexpected option)', 'redis://host?tls=true'],
    ['an unknown option', 'redis://host?foo=1'],
    ['skip_verify without TLS', 'redis://host?skip_verify=true'],
    ['a non-boolean skip_verify', 'rediss://host?skip_verify=maybe'],
    ['a cluster', 'redis://a:1,b:2'],
    ['SRV', 'redis+srv://_redis._tcp.example'],
    ['a port out of range', 'redis://host:99999'],
    ['text', 'not a url'],
    ['an unencoded / in the password', 'redis://:pa/ss@host:1'],
    ['a bad escape in the password', 'redis://:pa%zzss@host:1'],
  ])('refuses %s as a usage error', (_what, url) => {
    expect(() => parseRedisUrl(url)).toThrow(UsageError);
  });

  it('names the flag and the variable, and never the password, when it refuses', () => {
    for (const url of ['redis://:Sup3r%zzSecret@host/x', 'redis://:Sup3rSecret@host/x', 'http://:Sup3rSecret@host', 'redis://:Sup3rSecret@host?tls=1']) {
      let error: UsageError | undefined;
      try {
        parseRedisUrl(url);
      } catch (err) {
        error = err as UsageError;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect(JSON.stringify({ message: error!.message, hint: error!.hint })).not.toMatch(/Sup3r/);
      expect(error!.hint).toMatch(/--redis-url.*DEVICEAUTH_REDIS_CONNECTION_STRING/);
    }
  });

  it('describes a target without its credentials', () => {
    expect(describeRedisTarget(parseRedisUrl('rediss://u:p%2F%40%3A%25w@[::1]:7000/4'))).toBe('rediss://***@[::1]:7000/4');
    expect(describeRedisTarget(parseRedisUrl('redis:6379'))).toBe('redis://redis:6379/0');
  });
});

describe('device-auth cache keys', () => {
  it('differ by schema profile', () => {
    expect(limitCacheKey('deviceauth:v1', 'v2', TID, 'max_devices')).toBe(`deviceauth:v1:tenant:${TID}:limit:v2:max_devices`);
    expect(limitCacheKey('deviceauth:v1', 'legacy', TID, 'max_devices')).toBe(`deviceauth:v1:tenant:${TID}:limit:max_devices`);
    expect(limitCacheKey('acme:da', 'v2', TID, 'max_micro_devices')).toBe(`acme:da:tenant:${TID}:limit:v2:max_micro_devices`);
  });

  it('has one tenant version key', () => {
    expect(tenantVersionKey('deviceauth:v1', TID)).toBe(`deviceauth:v1:tenant:${TID}:version`);
  });
});

describe('staleCacheWarning', () => {
  const key = limitCacheKey('deviceauth:v1', 'v2', TID, 'max_devices');
  const commands = [['SET', key, '', 'EX', '10']];

  it('is silent when the cache was invalidated or there was nothing to do', () => {
    expect(staleCacheWarning({ state: 'invalidated', purpose: 'limits', keys: [key], commands })).toBeNull();
    expect(staleCacheWarning({ state: 'not_configured', purpose: 'limits', keys: [], commands: [] })).toBeNull();
  });

  it("gives Mender's own commands, the flag, the variable and the cache lifetime", () => {
    const warning = staleCacheWarning({ state: 'not_configured', purpose: 'limits', keys: [key], commands })!;
    expect(warning).toContain('--redis-url / DEVICEAUTH_REDIS_CONNECTION_STRING');
    expect(warning).toContain('up to 3 hours');
    // One command a person pastes into a shell.
    expect(warning).toContain(`redis-cli SET ${key} '' EX 10`);
    expect(warning).not.toContain('; SET');
  });

  it('reports a failure with the reason and the redacted target', () => {
    const outcome: CacheOutcome = { state: 'failed', purpose: 'tenant_version', keys: ['k'], commands: [['INCR', 'k']], reason: 'ECONNREFUSED', url: 'redis://***@h:1/0' };
    const warning = staleCacheWarning(outcome)!;
    expect(warning).toMatch(/redis:\/\/\*\*\*@h:1\/0 failed \(ECONNREFUSED\)/);
    expect(warning).toContain('redis-cli INCR k');
  });
});

describe('LimitCache without Redis', () => {
  it("lists Mender's commands for each profile, deduplicated", async () => {
    const cache = new LimitCache(undefined, 'deviceauth:v1', 1000);
    const entries = [
      { tenantId: TID, kind: 'max_devices' as const },
      { tenantId: TID, kind: 'max_devices' as const },
    ];
    expect(await cache.invalidate(entries, 'v2')).toEqual({
      state: 'not_configured',
      purpose: 'limits',
      keys: [`deviceauth:v1:tenant:${TID}:limit:v2:max_devices`],
      commands: [['SET', `deviceauth:v1:tenant:${TID}:limit:v2:max_devices`, '', 'EX', '10']],
    });
    expect((await cache.invalidate(entries, 'legacy')).commands).toEqual([['DEL', `deviceauth:v1:tenant:${TID}:limit:max_devices`]]);
    expect((await cache.bumpTenantVersion([TID, TID])).commands).toEqual([['INCR', `deviceauth:v1:tenant:${TID}:version`]]);
  });

  it('refuses a bad URL at construction, before anything is written', () => {
    expect(() => new LimitCache('redis://host/abc', 'deviceauth:v1', 1000)).toThrow(UsageError);
  });
});
