/** Unit tests of configuration resolution (flags over environment over defaults) and the exit code of each typed error. */
import { resolveConfig, DEFAULTS } from '../../src/config';
import { exitCodeOf, ConflictError, NotFoundError, RuleError, UnreachableError, UsageError, InternalError, ServiceError, asTenantadmError } from '../../src/errors';
import { wantsColor } from '../../src/color';

describe('configuration', () => {
  it("defaults to Mender's names", () => {
    const c = resolveConfig({}, {});
    expect(c).toMatchObject({
      mongoUrl: DEFAULTS.mongo,
      timeoutMs: 5000,
      db: { tenantadm: 'tenantadm', useradm: 'useradm', deviceauth: 'deviceauth', audit: 'auditlogs' },
      auditCollection: 'tenantadm_audit',
      errorFormat: 'text',
    });
    expect(c.actor).toMatch(/@/);
  });
  it('takes flags over environment over defaults', () => {
    const env = { TENANTADM_MONGO: 'mongodb://env', TENANTADM_DB: 'envdb', TENANTADM_TIMEOUT_MS: '900', TENANTADM_ACTOR: 'ops' };
    expect(resolveConfig({}, env)).toMatchObject({ mongoUrl: 'mongodb://env', db: { tenantadm: 'envdb' }, timeoutMs: 900, actor: 'ops' });
    expect(resolveConfig({ mongo: 'mongodb://flag', tenantadmDb: 'flagdb', timeout: '200' }, env)).toMatchObject({
      mongoUrl: 'mongodb://flag',
      db: { tenantadm: 'flagdb' },
      timeoutMs: 200,
    });
  });
  it.each([
    [{ timeout: 'soon' }],
    [{ timeout: '5' }],
    [{ tenantadmDb: 'bad name' }],
    [{ mongo: 'http://x' }],
    [{ errorFormat: 'xml' }],
  ])('rejects %j with a usage error', (flags) => {
    expect(() => resolveConfig(flags, {})).toThrow(UsageError);
  });
  it("takes Mender's own configuration names", () => {
    const c = resolveConfig(
      {},
      {
        TENANTADM_MONGO: 'mender-mongo:27017',
        TENANTADM_MONGO_USERNAME: 'mender',
        TENANTADM_MONGO_PASSWORD: 'p@ss/w:rd%',
        DEVICEAUTH_REDIS_CONNECTION_STRING: 'redis://mender-redis:6379',
        DEVICEAUTH_REDIS_KEY_PREFIX: 'da:v1',
        TENANTADM_DEVICEAUTH_ADDR: 'http://mender-device-auth:8080/',
        TENANTADM_USERADM_ADDR: 'mender-useradm:8080',
        TENANTADM_MENDER_SCHEMA: 'legacy',
      },
    );
    expect(c).toMatchObject({
      mongoUrl: 'mongodb://mender-mongo:27017',
      mongoAuth: { username: 'mender', password: 'p@ss/w:rd%' },
      redisUrl: 'redis://mender-redis:6379',
      redisKeyPrefix: 'da:v1',
      menderSchema: 'legacy',
      services: { deviceauth: 'http://mender-device-auth:8080', useradm: 'http://mender-useradm:8080', deployments: undefined },
    });
    expect(resolveConfig({}, { DEVICEAUTH_REDIS: 'redis://old:6379' }).redisUrl).toBe('redis://old:6379');
    expect(resolveConfig({ redisUrl: 'redis://flag' }, { DEVICEAUTH_REDIS_CONNECTION_STRING: 'redis://env' }).redisUrl).toBe('redis://flag');
    expect(resolveConfig({}, {})).toMatchObject({ redisKeyPrefix: 'deviceauth:v1', services: {} });
    expect(resolveConfig({}, {}).menderSchema).toBeUndefined();
  });
  it.each([
    [{ menderSchema: 'v3' }, {}],
    [{ deviceauthAddr: 'ftp://x' }, {}],
    [{ mongo: 'postgres://x' }, {}],
    [{}, { TENANTADM_MONGO_PASSWORD: 'pw' }],
  ])('rejects %j %j with a usage error', (flags, env) => {
    expect(() => resolveConfig(flags, env)).toThrow(UsageError);
  });
});

describe('exit codes', () => {
  it('maps each typed error to its documented code, in one place', () => {
    expect(exitCodeOf(new UsageError('x'))).toBe(2);
    expect(exitCodeOf(new NotFoundError('x'))).toBe(3);
    expect(exitCodeOf(new ConflictError('x'))).toBe(4);
    expect(exitCodeOf(new RuleError('x'))).toBe(5);
    expect(exitCodeOf(new UnreachableError('x'))).toBe(6);
    expect(exitCodeOf(new ServiceError('x'))).toBe(7);
    expect(exitCodeOf(new InternalError('x'))).toBe(1);
    expect(exitCodeOf(new Error('x'))).toBe(1);
  });
  it('serialises errors for --error-format json', () => {
    expect(JSON.parse(JSON.stringify(new RuleError('over', 'free 3').toJSON()))).toEqual({
      error: { code: 'rule_violation', message: 'over', hint: 'free 3' },
    });
    expect(asTenantadmError(new TypeError('boom')).code).toBe('internal');
  });
});

describe('colour', () => {
  it('is on only for terminals, and NO_COLOR / FORCE_COLOR win', () => {
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColor({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });
});
