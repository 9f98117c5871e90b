/**
 * The one refresh after a limit or tenant change (mender/limit-cache.ts LimitRefresh): nothing
 * when deviceauth's API made the change, else the work planned before the commit point and run
 * after it (a roll-forward step), with the existing warnings when that cannot be done. No Redis
 * is needed: without a URL the outcome is "not_configured", with the commands to run by hand.
 */
import { LimitRefresh } from '../../src/mender/limit-cache';
import { servedBy } from '../../src/mender/services';

const base = { redisKeyPrefix: 'deviceauth:v1', timeoutMs: 1000, redisUrl: undefined };
const tenant = '673a03e3c9eca7a440f2f444';

function refresh(services: { deviceauth?: string }) {
  const warnings: string[] = [];
  return { warnings, refresh: new LimitRefresh({ ...base, services }, (m) => warnings.push(m)) };
}

describe('LimitRefresh', () => {
  it('leaves the cache to deviceauth when its API made the change', async () => {
    const { refresh: r, warnings } = refresh({ deviceauth: 'http://deviceauth:8080' });
    const profile = jest.fn(async () => 'v2' as const);
    expect(r.throughApi).toBe(true);
    expect(await r.limits([{ tenantId: tenant, kind: 'max_devices' }], profile)).toBeNull();
    expect(r.tenants([tenant])).toBeNull();
    expect(r.state('limits')).toBe('service');
    expect(profile).not.toHaveBeenCalled();
    expect(warnings).toEqual([]);
  });

  it('plans the commands before the commit point, and says how to run them when no Redis is configured', async () => {
    const { refresh: r, warnings } = refresh({});
    const limits = await r.limits([{ tenantId: tenant, kind: 'max_devices' }], async () => 'legacy');
    const version = r.tenants([tenant]);
    expect(limits).toEqual({ purpose: 'limits', command: 'delete', keys: [`deviceauth:v1:tenant:${tenant}:limit:max_devices`] });
    expect(version).toEqual({ purpose: 'tenant_version', command: 'increment', keys: [`deviceauth:v1:tenant:${tenant}:version`] });
    expect(warnings).toEqual([]);
    expect(r.state('limits')).toBeNull();
    expect(await r.run(limits!)).toBe('not_configured');
    expect(await r.run(version!)).toBe('not_configured');
    expect(r.state('limits')).toBe('not_configured');
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^no --redis-url .*old limit for up to 3 hours.*DEL deviceauth:v1:tenant:${tenant}:limit:max_devices$`)),
      expect.stringMatching(new RegExp(`^no --redis-url .*cached device tokens.*INCR deviceauth:v1:tenant:${tenant}:version$`)),
    ]);
  });

  it('warns about whose limits stay cached when the schema profile cannot be told', async () => {
    const { refresh: r, warnings } = refresh({});
    const failing = async (): Promise<'v2'> => {
      throw new Error('no migration_info');
    };
    expect(await r.limits([{ tenantId: tenant, kind: 'max_devices' }], failing, "the removed tenants'")).toBeNull();
    expect(warnings).toEqual(["deviceauth's schema profile is unknown, so the removed tenants' cached limits were not invalidated; they expire within 3 hours"]);
  });

  it('does nothing for nothing changed', async () => {
    const { refresh: r, warnings } = refresh({});
    expect(await r.limits([], async () => 'v2')).toBeNull();
    expect(r.tenants([])).toBeNull();
    expect(warnings).toEqual([]);
  });

  it('refuses a malformed Redis URL at once, before anything is written', () => {
    expect(() => new LimitRefresh({ ...base, redisUrl: 'http://nope', services: {} }, () => undefined)).toThrow();
  });

  it('decides API or direct write from the deviceauth address alone', () => {
    expect(servedBy({ deviceauth: 'http://x' }, 'deviceauth')).toBe(true);
    expect(servedBy({ useradm: 'http://x' }, 'deviceauth')).toBe(false);
  });
});
