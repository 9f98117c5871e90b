import net from 'node:net';
import { parseRedisUrl, redisDel } from '../../src/store/redis';
import { LimitCache, limitCacheKey, staleCacheWarning } from '../../src/store/cache';
import { UsageError } from '../../src/errors';

describe('parseRedisUrl', () => {
  it.each([
    ['redis://localhost', { host: 'localhost', port: 6379, tls: false, db: 0, password: undefined, username: undefined }],
    ['redis://:s%40cret@10.0.0.5:6380/3', { host: '10.0.0.5', port: 6380, tls: false, db: 3, password: 's@cret', username: undefined }],
    ['rediss://app:pw@cache.example:6390/0', { host: 'cache.example', port: 6390, tls: true, db: 0, password: 'pw', username: 'app' }],
    ['redis://[::1]:7000', { host: '::1', port: 7000, tls: false, db: 0, password: undefined, username: undefined }],
  ])('%s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual(expected);
  });

  it.each(['localhost:6379', 'http://localhost', 'redis://host/abc', 'not a url'])('rejects %s as a usage error', (url) => {
    expect(() => parseRedisUrl(url)).toThrow(UsageError);
  });
});

describe('cache keys and warnings', () => {
  it("uses device-auth's key format", () => {
    expect(limitCacheKey('673a03e3c9eca7a440f2f444', 'max_devices')).toBe('deviceauth:v1:tenant:673a03e3c9eca7a440f2f444:limit:v2:max_devices');
  });

  it('warns with the keys to delete, never with the password', () => {
    const keys = [limitCacheKey('673a03e3c9eca7a440f2f444', 'max_devices')];
    expect(staleCacheWarning({ state: 'deleted', keys })).toBeNull();
    expect(staleCacheWarning({ state: 'not_configured', keys })).toMatch(/up to 3 hours.*DEL deviceauth:v1:tenant:673a03e3c9eca7a440f2f444:limit:v2:max_devices/);
    const failed = staleCacheWarning({ state: 'failed', keys, reason: 'ECONNREFUSED', url: 'redis://***@h:1' })!;
    expect(failed).toMatch(/ECONNREFUSED/);
    expect(failed).toContain(keys[0]);
  });

  it('reports a failure without throwing, the password redacted', async () => {
    const cache = new LimitCache('redis://:topsecret@127.0.0.1:1/0', 500);
    const outcome = await cache.invalidate([{ tenantId: 'x', kind: 'max_devices' }]);
    expect(outcome.state).toBe('failed');
    expect(JSON.stringify(outcome)).not.toContain('topsecret');
  });
});

describe('redisDel over RESP', () => {
  /** A fake server that records the commands and answers with canned replies. */
  function fake(replies: string[]): Promise<{ port: number; seen: string[]; close: () => void }> {
    const seen: string[] = [];
    const server = net.createServer((sock) => {
      sock.on('data', (d) => {
        seen.push(d.toString());
        sock.write(replies.join(''));
      });
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as net.AddressInfo).port, seen, close: () => server.close() })));
  }

  it('sends AUTH, SELECT and DEL pipelined and returns the count', async () => {
    const srv = await fake(['+OK\r\n', '+OK\r\n', ':2\r\n']);
    try {
      const n = await redisDel(parseRedisUrl(`redis://:pw@127.0.0.1:${srv.port}/4`), ['a', 'bb'], 2000);
      expect(n).toBe(2);
      expect(srv.seen.join('')).toBe('*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n4\r\n*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$2\r\nbb\r\n');
    } finally {
      srv.close();
    }
  });

  it('fails on an error reply (wrong password)', async () => {
    const srv = await fake(['-WRONGPASS invalid username-password pair\r\n', '-NOAUTH Authentication required.\r\n']);
    try {
      await expect(redisDel(parseRedisUrl(`redis://:bad@127.0.0.1:${srv.port}`), ['a'], 2000)).rejects.toThrow(/WRONGPASS/);
    } finally {
      srv.close();
    }
  });

  it('gives up after the timeout when the server never answers', async () => {
    const server = net.createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const started = Date.now();
    try {
      await expect(redisDel(parseRedisUrl(`redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`), ['a'], 300)).rejects.toThrow(/300 ms/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      server.close();
    }
  });
});
